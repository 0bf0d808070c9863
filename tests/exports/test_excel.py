"""What a clerk sees opening an export in Excel: Chinese headers, codes with their labels, real
date cells, a frozen header row with an autofilter, readable column widths; the monthly series
and the choropleth exports. The XLSX is read with zipfile (openpyxl is not installed)."""

import io
import json
import zipfile
from datetime import date
from xml.etree import ElementTree

from gridgov.exports import columns, files, tables
from tests import factories as f
from tests.exports.helpers import WEST_STREET
from tests.exports.test_exports import NS, H, csv_rows, export, xlsx_cells

EXCEL_EPOCH = date(1899, 12, 30)


def sheet_xml(data: bytes):
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        return (
            ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml")),
            ElementTree.fromstring(book.read("xl/styles.xml")),
        )


def test_every_exported_field_has_a_chinese_header():
    for cols in (tables.HOUSE_COLUMNS, tables.PERSON_COLUMNS):
        headers = columns.headers(cols)
        assert len(set(headers)) == len(headers)  # no two columns named alike
        assert all(any("\u4e00" <= ch <= "\u9fff" for ch in h) for h in headers), headers


def test_an_xlsx_export_has_a_frozen_filtered_header_and_widths(client, staff, town):
    data = export(client, staff, "persons", area=f.DISTRICT, format="xlsx").data
    sheet, _ = sheet_xml(data)
    pane = sheet.find(".//x:sheetView/x:pane", NS)
    assert (pane.get("ySplit"), pane.get("topLeftCell"), pane.get("state")) == ("1", "A2", "frozen")
    rows, _ = xlsx_cells(data)
    last = chr(ord("A") + len(rows[0]) - 1) if len(rows[0]) <= 26 else None
    ref = sheet.find("x:autoFilter", NS).get("ref")
    assert ref.startswith("A1:") and ref.endswith(str(len(rows)))  # header and every row
    if last:
        assert ref == f"A1:{last}{len(rows)}"
    widths = {int(c.get("min")) - 1: float(c.get("width")) for c in sheet.iterfind(".//x:col", NS)}
    header = rows[0]
    # A masked ID number (18 characters) and a Chinese header fit their columns.
    assert widths[header.index(H["id_number"])] >= 18
    assert widths[header.index(H["name"])] >= files.display_width(H["name"])


def test_dates_are_date_cells_in_xlsx_and_iso_in_csv(client, staff, town):
    data = export(client, staff, "persons", area=f.DISTRICT, format="xlsx", kind="floating").data
    sheet, styles = sheet_xml(data)
    rows, _ = xlsx_cells(data)
    column = rows[0].index(H["arrival_date"])
    serial = rows[1][column]
    assert EXCEL_EPOCH.toordinal() + int(serial) == date(2026, 3, 1).toordinal()  # a number
    cell = sheet.findall(".//x:sheetData/x:row", NS)[1].findall("x:c", NS)[column]
    style = styles.findall(".//x:cellXfs/x:xf", NS)[int(cell.get("s"))]
    formats = {n.get("numFmtId"): n.get("formatCode") for n in styles.iterfind(".//x:numFmt", NS)}
    assert formats[style.get("numFmtId")] == "yyyy-mm-dd"
    persons = csv_rows(export(client, staff, "persons", area=f.DISTRICT, kind="floating"))
    assert persons[0][H["arrival_date"]] == "2026-03-01"


def test_codes_show_their_labels_and_masked_values_stay_masked_in_xlsx(client, staff, town):
    data = export(client, staff, "persons", area=f.DISTRICT, format="xlsx").data
    rows, _ = xlsx_cells(data)
    first = dict(zip(rows[0], rows[1], strict=False))
    assert (first["民族"], first["民族代码"]) == ("汉族", "01")
    assert (first["流入原因"], first["流入原因代码"]) == ("务工", "01")
    assert (first["所属网格"], first["网格编码"]) == ("北网格", f.OWN_CELL)
    number = f.id_number(1)
    assert first[H["id_number"]] == number[:6] + "********" + number[-4:]
    assert first[H["phone"]] == "139****5678"
    assert first[H["special_concern"]] == "否"


def test_the_monthly_series_export_has_a_row_per_month(client, staff, town):
    path = f"stats/{f.DISTRICT}/series"
    api = client.get(
        f"/api/v1/{path}", query_string={"from": "2026-01", "to": "2026-03"}, headers=staff
    ).json
    rows = csv_rows(export(client, staff, path, **{"from": "2026-01", "to": "2026-03"}))
    assert [r["月份"] for r in rows] == ["2026-01", "2026-02", "2026-03"]
    assert [r["截至日期"] for r in rows] == [p["as_of"] for p in api["points"]]
    assert [int(r["实有人口"]) for r in rows] == [p["population"] for p in api["points"]]
    data = export(client, staff, path, format="xlsx", **{"from": "2026-01", "to": "2026-02"}).data
    cells, _ = xlsx_cells(data)
    assert cells[0] == list(columns.SERIES_HEADERS) and len(cells) == 3
    assert EXCEL_EPOCH.toordinal() + int(cells[1][1]) == date(2026, 1, 31).toordinal()
    refused = export(client, staff, path, 422, **{"from": "2026-03", "to": "2026-01"})
    assert refused.json["errors"][0]["field"] == "from"


def test_the_choropleth_export_gives_every_area_every_count(client, staff, town):
    response = export(client, staff, f"stats/{WEST_STREET}/features", by="grid")
    assert response.mimetype == "application/geo+json"
    document = json.loads(response.data)
    features = {feat["id"]: feat["properties"] for feat in document["features"]}
    assert len(features) == 4  # every cell of the street, the empty ones too
    keys = {frozenset(props) for props in features.values()}
    assert len(keys) == 1  # the same properties on every area
    empty = features["440303001002002"]
    assert empty["population"] == 0 and empty["floating_by_province.43"] == 0
    assert features[f.OWN_CELL]["floating_by_province.43"] == 1
    api = client.get(
        f"/api/v1/stats/{WEST_STREET}/features", query_string={"by": "grid"}, headers=staff
    ).json
    assert [feat["properties"] for feat in api["features"]] == list(features.values())
