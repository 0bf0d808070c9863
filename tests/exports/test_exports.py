"""Exports: CSV with a BOM and XLSX, formula-like text neutralised, masked values only, scoped,
audited, paged; the statistics table equal to the statistics API."""

import csv
import io
import re
import zipfile
from decimal import Decimal
from urllib.parse import quote
from xml.etree import ElementTree

import pytest
from sqlalchemy import select
from werkzeug.test import EnvironBuilder

from gridgov.accounts.models import User
from gridgov.audit.models import AuditEvent
from gridgov.exports import columns, files, service
from gridgov.extensions import db
from tests import factories as f
from tests.exports.helpers import EAST_STREET, WEST_STREET, add_house

H, SH = columns.HEADERS, columns.STATS_HEADERS
NS = {"x": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def export(client, headers, path, status=200, **params):
    response = client.get(f"/api/v1/exports/{path}", query_string=params, headers=headers)
    response.get_data()  # read it all, then close it as a WSGI server would
    response.close()
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))


def xlsx_cells(data: bytes) -> tuple[list[list], bool]:
    """(rows of cell values, whether any cell holds a formula) of the first sheet, read with
    zipfile: inline and shared strings as text, booleans as bool, other values as numbers."""
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        sheet = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))
        shared = []
        if "xl/sharedStrings.xml" in book.namelist():
            strings = ElementTree.fromstring(book.read("xl/sharedStrings.xml"))
            shared = ["".join(si.itertext()) for si in strings.findall("x:si", NS)]
    rows, formula = [], False
    for row in sheet.iterfind(".//x:sheetData/x:row", NS):
        values = {}
        for c in row.findall("x:c", NS):
            formula = formula or c.find("x:f", NS) is not None
            kind, v = c.get("t"), c.findtext("x:v", namespaces=NS)
            if kind == "inlineStr":
                value = unescape("".join(c.find("x:is", NS).itertext()))
            elif kind == "s":
                value = unescape(shared[int(v)])
            elif kind == "b":
                value = v == "1"
            else:
                value = Decimal(v)
            values[column_index(c.get("r"))] = value
        rows.append([values.get(i) for i in range(max(values, default=-1) + 1)])
    return rows, formula


def unescape(text: str) -> str:
    """OOXML writes control characters as _xHHHH_."""
    return re.sub(r"_x([0-9A-F]{4})_", lambda m: chr(int(m.group(1), 16)), text)


def column_index(reference: str) -> int:
    """0 for 'A7', 27 for 'AB7'."""
    n = 0
    for letter in reference.rstrip("0123456789"):
        n = n * 26 + ord(letter) - ord("A") + 1
    return n - 1


def test_a_csv_export_starts_with_a_bom_and_keeps_chinese_text(client, street_staff, town):
    response = export(client, street_staff, "houses", area=WEST_STREET)
    assert response.data.startswith("\ufeff".encode())
    assert response.mimetype == "text/csv" and response.mimetype_params["charset"] == "utf-8"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=houses_440303001000_")
    assert f"filename*=UTF-8''{quote('街道001_房屋_')}" in disposition
    rows = csv_rows(response)
    assert [r[H["code"]] for r in rows] == [town["west"], town["quiet"]]
    assert rows[1][H["compound"]] == "翠竹苑" and rows[1][H["owner_name"]] == "陈大文"


def test_formula_like_text_is_neutralised_in_csv(client, street_staff, town):
    houses = csv_rows(export(client, street_staff, "houses", area=WEST_STREET))
    assert houses[0][H["owner_name"]] == "'+1"
    assert houses[0][H["compound"]] == "'@SUM(A1)"
    assert houses[0][H["rental.landlord_name"]] == "'-2+3"
    persons = csv_rows(export(client, street_staff, "persons", area=WEST_STREET))
    assert {p[H["name"]] for p in persons} == {"张三", '\'=HYPERLINK("x")'}


def test_formula_like_text_is_a_plain_string_in_xlsx(client, street_staff, town):
    response = export(client, street_staff, "persons", area=WEST_STREET, format="xlsx")
    assert response.mimetype == service_xlsx_mimetype()
    assert response.content_length == len(response.data)
    assert response.headers["Content-Disposition"].startswith(
        "attachment; filename=persons_440303001000_"
    )
    rows, formula = xlsx_cells(response.data)
    assert not formula
    header = rows[0]
    names = {row[header.index(H["name"])] for row in rows[1:]}
    assert names == {"张三", '\'=HYPERLINK("x")'}
    houses, formula = xlsx_cells(
        export(client, street_staff, "houses", area=WEST_STREET, format="xlsx").data
    )
    assert not formula
    first = dict(zip(houses[0], houses[1], strict=False))
    assert (first[H["owner_name"]], first[H["compound"]]) == ("'+1", "'@SUM(A1)")
    assert first[H["floor"]] == 1 and first[H["floor_area"]] == Decimal("72.5")  # numbers
    assert first[H["rented"]] == "是" and first[H["code"]] == town["west"]  # a code stays text


def service_xlsx_mimetype():
    return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_numbers_stay_numbers_and_only_text_gets_the_quote():
    table = files.Export(
        "t",
        ("n", "text", "tab", "cr", "wide", "plain", "flag", "none"),
        [[-5, "-5", "\tx", "\rx", "＝1+1", "a=b", False, None]],
        "t.csv",
        "t.csv",
    )
    body = b"".join(files.csv_chunks(table)).decode("utf-8-sig")
    assert body.split("\r\n")[1] == "-5,'-5,'\tx,\"'\rx\",'＝1+1,a=b,false,"
    with files.xlsx_file(table) as handle:
        rows, formula = xlsx_cells(handle.read())
    assert rows[1] == [Decimal(-5), "'-5", "'\tx", "'\rx", "'＝1+1", "a=b", False]
    assert not formula


def test_exports_hold_masked_numbers_only(client, staff, town):
    full = [f.id_number(seq) for seq in (1, 2, 3, 900)] + ["13912345678", "13812345678"]
    for fmt in ("csv", "xlsx"):
        for path in ("houses", "persons"):
            data = export(client, staff, path, area=f.DISTRICT, format=fmt).data
            if fmt == "xlsx":
                with zipfile.ZipFile(io.BytesIO(data)) as book:
                    data = b"".join(book.read(name) for name in book.namelist())
            assert not [number for number in full if number.encode() in data], (fmt, path)
    persons = csv_rows(export(client, staff, "persons", area=f.DISTRICT))
    assert persons[0][H["id_number"]] == f.id_number(1)[:6] + "********" + f.id_number(1)[-4:]
    assert persons[0][H["phone"]] == "139****5678"


def flat(view: dict, prefix: str = "") -> dict:
    """A list view as the export's columns name it: nested keys joined with dots, lists with ;."""
    out = {}
    for key, value in view.items():
        if isinstance(value, dict):
            out.update(flat(value, f"{prefix}{key}."))
        else:
            out[prefix + key] = ";".join(map(str, value)) if isinstance(value, list) else value
    return out


def as_csv(value) -> str:
    """How a value reads in the CSV: empty for none, 是/否, text that could start a formula
    behind a quote."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    text = str(value)
    return "'" + text if isinstance(value, str) and text[:1] in "=+-@\t\r" and text else text


def code_column(field: str) -> str:
    """The column holding a field's own value: a coded field's code sits beside its label,
    except that area and region codes keep the field's header (their name is beside)."""
    table = columns.LABELLED.get(field)
    if table is None or table in (columns.AREA, columns.REGION):
        return H[field]
    return H[field] + columns.CODE_SUFFIX


WORDS = {"kind": columns.KIND_LABELS, "id_kind": columns.ID_KIND_LABELS}


def test_exported_rows_are_the_values_of_the_list_apis(client, staff, town):
    for path in ("persons", "houses"):
        listed = client.get(f"/api/v1/{path}?area={f.DISTRICT}", headers=staff).json[path]
        exported = csv_rows(export(client, staff, path, area=f.DISTRICT))
        assert len(exported) == len(listed) == 3
        for view, row in zip(listed, exported, strict=True):
            values = flat(view)
            if "location" in values:  # a house's point: two columns
                values["lon"], values["lat"] = map(float, values.pop("location").split(";"))
            shown = set(values) - {"version", "deleted"}
            for field in shown:
                value = WORDS.get(field, {}).get(values[field], values[field])
                assert row[code_column(field)] == as_csv(value), (path, field)
            filled = {code_column(field) for field in shown if values[field] not in (None, "")}
            labels = {k for k in row if k not in {code_column(x) for x in H}}
            empty = set(row) - filled - labels
            assert all(row[c] == "" for c in empty), (path, [c for c in empty if row[c]])
    # and a few cells spelt out, codes with their labels
    houses = {r[H["code"]]: r for r in csv_rows(export(client, staff, "houses", area=f.DISTRICT))}
    west = houses[town["west"]]
    assert west[H["compound"]] == "'@SUM(A1)" and west[H["owner_name"]] == "'+1"
    assert west[H["rental.landlord_name"]] == "'-2+3"
    assert west[H["rented"]] == "是" and houses[town["quiet"]][H["rented"]] == "否"
    assert houses[town["east"]][H["owner_name"]] == "东边业主"
    assert (west["所属社区"], west["所属网格"]) == ("社区001", "北网格")
    persons = csv_rows(export(client, staff, "persons", area=f.DISTRICT))
    assert [(p[H["name"]], p[H["house"]]) for p in persons] == [
        ("张三", town["west"]),
        ('\'=HYPERLINK("x")', town["quiet"]),
        ("李四", town["east"]),
    ]
    first = persons[0]
    assert (first["民族"], first["民族代码"], first["性别"]) == ("汉族", "01", "男")
    assert (first["户籍地"], first["户籍地区划代码"]) == ("雨湖区", "430302")
    assert first["来本地日期"] == "2026-03-01" and first["人口类别"] == "流动人口"


def test_a_person_export_can_hold_one_kind(client, staff, town):
    rows = csv_rows(export(client, staff, "persons", area=f.DISTRICT, kind="floating"))
    assert {r[H["kind"]] for r in rows} == {"流动人口"} and len(rows) == 2
    assert rows[0][H["details.floating.residence_type"] + "代码"] == "01"


def test_street_staff_export_their_street_and_not_the_neighbouring_one(client, street_staff, town):
    own = csv_rows(export(client, street_staff, "houses", area=WEST_STREET))
    assert town["east"] not in {r[H["code"]] for r in own}
    for path in ("houses", "persons"):
        response = export(client, street_staff, path, 404, area=EAST_STREET)
        assert response.mimetype == "application/problem+json"
        assert response.json["errors"][0]["field"] == "area"
    response = export(client, street_staff, f"stats/{EAST_STREET}", 404)
    assert response.json["errors"][0] == {
        "field": "code",
        "in": "path",
        "message": "No area with code 440303002000 in your scope.",
    }


def test_a_district_wide_export_of_street_staff_holds_only_their_street(client, street_staff, town):
    # The district is visible (its name and outline) but its records are scoped, as in the list.
    rows = csv_rows(export(client, street_staff, "houses", area=f.DISTRICT))
    assert [r[H["code"]] for r in rows] == [town["west"], town["quiet"]]


def test_grid_workers_export_their_cell_statistics_but_no_record_lists(client, staff, town):
    worker = f.auth_as(client, "grid_worker", [f.OWN_CELL])
    rows = csv_rows(export(client, worker, f"stats/{f.OWN_CELL}"))
    assert [(r[SH["code"]], r[SH["population"]]) for r in rows] == [(f.OWN_CELL, "2")]
    export(client, worker, "stats/440303001001", 403)  # the community holds a neighbour's cell
    for path in ("houses", "persons"):
        response = export(client, worker, path, 403, area=f.OWN_CELL)
        assert response.json["code"] == "forbidden"


def test_each_export_leaves_one_audit_row(client, street_staff, town):
    export(client, street_staff, "persons", area=WEST_STREET, kind="floating", format="xlsx")
    export(client, street_staff, f"stats/{WEST_STREET}", by="community", measures="population")
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "export").order_by(AuditEvent.id)
    ).all()
    user = db.session.scalar(select(User.id).where(User.username == "street_staff_440303001000"))
    assert [(e.actor_id, e.entity_type, e.entity_key) for e in events] == [
        (user, "area", WEST_STREET),
        (user, "area", WEST_STREET),
    ]
    assert events[0].after == {"list": "persons", "kind": "floating", "format": "xlsx", "rows": 1}
    assert events[1].after["list"] == "stats" and events[1].after["rows"] == 3
    assert events[1].after["by"] == "community" and events[1].after["measures"] == ["population"]


def test_an_exports_audit_row_is_committed_before_its_first_byte(app, staff, town):
    # Called as a WSGI server calls it (the test client would read the first chunk itself).
    environ = EnvironBuilder(
        path="/api/v1/exports/persons", query_string={"area": f.DISTRICT}, headers=staff
    ).get_environ()
    started = []
    body = app(environ, lambda status, headers, exc_info=None: started.append(status))
    try:
        assert started == ["200 OK"]
        # Nothing of the file has been produced yet; another connection already sees the row.
        with db.engine.connect() as other:
            audited = other.execute(
                select(AuditEvent.after).where(AuditEvent.action == "export")
            ).all()
        assert audited == [({"list": "persons", "kind": None, "format": "csv", "rows": 3},)]
        first = next(iter(body))
        assert first.startswith("\ufeff".encode()) and "张三".encode() in first
    finally:
        body.close()
        db.session.remove()


def test_a_refused_export_leaves_no_audit_row(client, street_staff, town):
    export(client, street_staff, "houses", 404, area=EAST_STREET)
    export(client, street_staff, "houses", 422, area=WEST_STREET, format="pdf")
    assert not db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export")).all()


@pytest.mark.parametrize(
    "path, params, field",
    [
        ("houses", {"area": WEST_STREET, "format": "pdf"}, "format"),
        ("persons", {"area": WEST_STREET, "kind": "tourist"}, "kind"),
        ("persons", {"area": "12345"}, "area"),
        ("houses", {}, "area"),
        (f"stats/{WEST_STREET}", {"format": "ods"}, "format"),
        (f"stats/{WEST_STREET}", {"by": "district"}, "by"),
        ("stats/123", {}, "code"),
    ],
)
def test_bad_parameters_are_refused_naming_the_field(client, street_staff, path, params, field):
    response = export(client, street_staff, path, 422, **params)
    assert response.mimetype == "application/problem+json"
    assert field in [e["field"] for e in response.json["errors"]]


def test_an_unknown_area_is_not_found_naming_the_area(client, staff):
    response = export(client, staff, "houses", 404, area="440303009000")
    assert response.json["errors"][0]["field"] == "area"
    response = export(client, staff, "stats/440303009000", 404)
    assert response.json["errors"][0]["field"] == "code"


def test_record_lists_are_read_page_by_page(client, staff, app, monkeypatch):
    codes = [add_house(client, staff, f.OWN_CELL, f"{100 + n}") for n in range(5)]
    pages = []
    original = service.houses.list_rows

    def spy(principal, prefix, after, limit, *rest):
        pages.append(after)
        return original(principal, prefix, after, limit, *rest)

    monkeypatch.setattr(service.houses, "list_rows", spy)
    monkeypatch.setitem(app.config, "GRIDGOV_EXPORT_PAGE_ROWS", 2)
    for fmt in ("csv", "xlsx"):
        response = export(client, staff, "houses", area=f.DISTRICT, format=fmt)
        if fmt == "csv":
            assert [r[H["code"]] for r in csv_rows(response)] == codes
        else:
            assert [row[0] for row in xlsx_cells(response.data)[0][1:]] == codes
        assert pages == [None, codes[1], codes[3]]
        pages.clear()


def stats_column(measure: str, key: str | None = None) -> str:
    labels = {"43": "湖南省", "01": "务工"}
    if key is None:
        return SH[measure]
    if measure == "age_bands":
        return f"{SH[measure]}·{key}岁"
    return f"{SH[measure]}·{labels.get(key, key)}"


def test_the_statistics_export_equals_the_statistics_api(client, staff, town):
    stats = client.get(
        f"/api/v1/stats/{f.DISTRICT}", query_string={"by": "community"}, headers=staff
    ).json
    rows = csv_rows(export(client, staff, f"stats/{f.DISTRICT}", by="community"))
    assert len(rows) == len(stats["children"]) + 1
    expected = [(c["code"], c["name"], c["values"]) for c in stats["children"]]
    expected.append((f.DISTRICT, "测试区（合计）", stats["total"]))
    for row, (code, name, values) in zip(rows, expected, strict=True):
        assert (row["区划代码"], row["名称"]) == (code, name)
        for measure, value in values.items():
            if isinstance(value, dict):
                for key, n in value.items():
                    assert row[stats_column(measure, key)] == str(n), (code, measure, key)
            else:
                shown = "" if value is None else str(value)
                assert row[stats_column(measure)] == shown, (code, measure)
    assert rows[-1]["流动人口来源·湖南省"] == "2" and rows[-1]["年龄段·18-59岁"] == "3"
    assert rows[0]["流动人口来源·湖南省"] == "1"  # a key one child lacks is a zero
    assert rows[1]["流动人口来源·湖南省"] == "0"
    cells, formula = xlsx_cells(
        export(client, staff, f"stats/{f.DISTRICT}", by="community", format="xlsx").data
    )
    header = cells[0]
    assert not formula and header == list(rows[0])
    total = dict(zip(header, cells[-1], strict=True))
    assert total["实有人口"] == stats["total"]["population"] == 3
    assert total["每套出租房人数"] == Decimal(str(stats["total"]["people_per_rental"]))


def test_a_statistics_export_without_by_is_one_row_of_the_area(client, staff, town):
    rows = csv_rows(export(client, staff, f"stats/{WEST_STREET}", measures="population,houses"))
    assert rows == [{"区划代码": WEST_STREET, "名称": "街道001", "实有人口": "2", "房屋总数": "2"}]
