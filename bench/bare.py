"""The floor for the locate benchmark: the same PostGIS query as GET /api/v1/locate (for a
district-wide account), answered by a bare WSGI callable with one psycopg connection per worker:
no Flask, no token check, no schema. Served by gunicorn with the same worker count.

`flask_app` answers the same query in a plain Flask view (no extension, no token, no schema,
the same psycopg connection): what the framework alone costs against the floor, so the API's
ratio can be read against the most any Flask endpoint could reach."""

import json
import os
from urllib.parse import parse_qs

import psycopg
from flask import Flask, request

SQL = """
SELECT code, name, level FROM areas
WHERE ST_Intersects(geom, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326))
  AND valid_from <= CURRENT_DATE AND (valid_to IS NULL OR valid_to > CURRENT_DATE)
  AND (code LIKE %(prefix)s OR %(code)s LIKE prefix || '%%')
ORDER BY code
"""
_conn = None


def _located(lon: float, lat: float) -> dict:
    global _conn
    if _conn is None:
        _conn = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)
    args = {"lon": lon, "lat": lat, "prefix": "440303%", "code": "440303000000"}
    found = {}
    for code, name, level in _conn.execute(SQL, args):
        found.setdefault(level, {"code": code, "name": name})
    return found


def app(environ, start_response):
    query = parse_qs(environ.get("QUERY_STRING", ""))
    found = _located(float(query["lon"][0]), float(query["lat"][0]))
    body = json.dumps(found, ensure_ascii=False).encode()
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


flask_app = Flask(__name__)
flask_app.json.ensure_ascii = False


@flask_app.get("/")
def _flask_locate():
    return _located(float(request.args["lon"]), float(request.args["lat"]))
