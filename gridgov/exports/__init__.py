"""Exports: statistics and masked record lists of an area as CSV or XLSX files."""
