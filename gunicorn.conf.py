"""gunicorn settings for every server of the project (make run, the benchmarks and the tests all
start gunicorn in this folder, where it reads this file)."""

# The access log names the path, never the query string: a desk search (?name=...) or a
# parameter holding personal data must not end up in a log file. No referrer either, for the
# same reason.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
