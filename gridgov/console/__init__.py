"""Serves the built desk console (console/dist) at /console/; / redirects there."""
