"""Code tables with their Chinese labels, for clients that show codes (the console, handhelds)."""

from flask_smorest import Blueprint

from gridgov.codes import service
from gridgov.extensions import Document
from gridgov.scope.guard import authenticated

blp = Blueprint("codes", __name__, url_prefix="/api/v1", description="Code tables")


@blp.get("/codes")
@authenticated()
@blp.response(200, Document)
def all_tables():
    """Every code table in force today: {tables: {name: {version, codes: [{code, label}]}}}.
    A table's version is the highest version of its codes, so a client can tell when to reload."""
    return {"tables": service.tables()}


@blp.get("/codes/<table>")
@authenticated()
@blp.response(200, Document)
def one_table(table):
    """One code table in force today, with each code's version and first day."""
    return service.table(table)
