"""OpenAPI settings and the Swagger UI assets, served from the installed package so the docs
work on intranets without internet access."""

from flask import Blueprint, send_from_directory
from swagger_ui_bundle import swagger_ui_path

ASSETS = "/api/v1/docs/assets/"

OPENAPI_CONFIG = {
    "API_TITLE": "gridgov",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "docs",
    "OPENAPI_SWAGGER_UI_URL": ASSETS,
    "API_SPEC_OPTIONS": {
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            }
        },
        "security": [{"bearerAuth": []}],
        "info": {"description": "Grid-based community governance (网格化社会治理) API."},
    },
}

assets = Blueprint("docs_assets", __name__)


@assets.get(ASSETS + "<path:filename>")
def swagger_asset(filename):
    return send_from_directory(swagger_ui_path, filename, max_age=86400)
