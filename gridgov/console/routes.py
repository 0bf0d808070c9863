"""The desk console's files. The console is a client of /api/v1 like any other: nothing here
reads data. Vite fingerprints every asset, so assets are cached for long and index.html never."""

from pathlib import Path

from flask import Blueprint, current_app, redirect, send_from_directory

from gridgov.errors import NotFound, Unavailable

DIST = Path(__file__).resolve().parents[2] / "console" / "dist"

bp = Blueprint("console", __name__)


def _dist() -> Path:
    return Path(current_app.config.get("GRIDGOV_CONSOLE_DIST") or DIST)


@bp.get("/")
def root():
    return redirect("/console/", code=302)


@bp.get("/console")
def bare():
    return redirect("/console/", code=301)


@bp.get("/console/")
@bp.get("/console/<path:path>")
def console(path: str = ""):
    dist = _dist()
    if not (dist / "index.html").is_file():
        raise Unavailable(
            "The console is not built: run `make run` (or scripts/console.sh build).",
            code="console_not_built",
        )
    if path.startswith("assets/"):
        if not (dist / path).is_file():
            # An asset of an older build: a 404, never index.html served as JavaScript.
            raise NotFound(f"No console asset {path}.", code="unknown_asset")
        response = send_from_directory(dist, path, max_age=31536000)
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response
    if path and "/" not in path and (dist / path).is_file():
        return send_from_directory(dist, path, max_age=3600)
    # Any other path is a screen of the single-page app: its router reads the URL.
    response = send_from_directory(dist, "index.html", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response
