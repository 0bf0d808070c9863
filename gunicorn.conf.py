"""gunicorn settings for every server of the project (make run, the benchmarks and the tests all
start gunicorn in this folder, where it reads this file)."""

import gc
import os

# The access log names the path, never the query string: a desk search (?name=...) or a
# parameter holding personal data must not end up in a log file. No referrer either, for the
# same reason.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'

# A sync worker busy past `timeout` is killed and its client gets no answer at all. So every SQL
# statement a request runs is cancelled well before that (GRIDGOV_STATEMENT_TIMEOUT_MS, read by
# gridgov/config.py; the workers inherit it from here) and answered 503 problem+json with
# Retry-After; what needs longer (keeping far month ends, a district recount) runs as a job on
# the CLI, which has no statement timeout.
timeout = int(os.environ.get("GRIDGOV_WORKER_TIMEOUT", "30"))
# A third of the worker's time per statement: a request of a few slow statements still answers.
os.environ.setdefault("GRIDGOV_STATEMENT_TIMEOUT_MS", str(timeout * 1000 // 3))
graceful_timeout = timeout


def post_worker_init(worker):
    """Once the worker has loaded the app, everything it made so far (the app, its ORM mappings,
    schemas and OpenAPI document: ~180,000 objects) goes into the collector's permanent
    generation, so its full passes stop walking them: measured in process over a device's first
    sync, its collections fell from ~7.6 to ~3 us a row served."""
    gc.freeze()
