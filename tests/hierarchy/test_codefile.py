"""Area code files as districts have them: the NBS table as published (with 城乡分类代码), in our
layout with validity dates, and the 2016 edition of a real district's list."""

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gridgov.errors import ValidationFailed
from gridgov.extensions import db
from gridgov.hierarchy import importer
from gridgov.hierarchy.models import Area
from tests import factories as f

ROOT = Path(__file__).resolve().parents[2]
DONGCHENG = ROOT / "geodata" / "dongcheng_110101_codes_nbs2023.csv"
VONNG_2016 = ROOT / "tests" / "data" / "vonng_adcode_2016_110101.csv"


def area(code: str) -> Area:
    return db.session.scalar(select(Area).where(Area.code == code))


def levels() -> dict:
    rows = db.session.execute(select(Area.level, func.count()).group_by(Area.level))
    return dict(rows.all())


def nbs_table(rows, heading=True) -> str:
    """The NBS page's three columns: 统计用区划代码, 城乡分类代码 (villages only), 名称."""
    lines = ["统计用区划代码,城乡分类代码,名称"] if heading else []
    return "\n".join(lines + [",".join(r) for r in rows]) + "\n"


def test_real_dongcheng_codes_import_and_the_district_keeps_its_city_code():
    result = importer.import_codes(DONGCHENG.read_text(encoding="utf-8"))
    assert result.created == 187
    assert levels() == {"district": 1, "street": 17, "community": 169}
    district = area("110101000000")
    assert (district.name, district.parent_code, district.upper_code) == (
        "东城区",
        None,
        "110100000000",
    )
    assert area("110101017021").name == "望坛新苑社区居委会"


@pytest.mark.parametrize("heading", [True, False])
def test_the_nbs_table_as_published_imports_with_its_urban_rural_class(heading):
    rows = [
        ("110101000000", "", "东城区"),
        ("110101001000", "", "东华门街道"),
        ("110101001001", "111", "多福巷社区居委会"),
        ("110101001002", "111", "银闸社区居委会"),
    ]
    result = importer.import_codes(nbs_table(rows, heading))
    assert result.created == 4
    community = area("110101001001")
    assert (community.level, community.parent_code, community.urban_rural) == (
        "community",
        "110101001000",
        "111",
    )
    assert area("110101001000").parent_code == "110101000000"
    assert area("110101000000").upper_code == "110100000000"


def test_the_2016_edition_with_its_own_columns_imports_with_urban_rural_classes():
    result = importer.import_codes(VONNG_2016.read_text(encoding="utf-8"))
    assert result.created == 200
    assert levels() == {"district": 1, "street": 17, "community": 182}
    assert (
        db.session.scalar(
            select(func.count()).where(Area.level == "community", Area.urban_rural == "111")
        )
        == 182
    )


def test_a_class_code_nbs_does_not_have_names_the_line_and_rejects_the_file():
    rows = [("110101000000", "", "东城区"), ("110101001000", "", "东华门街道")]
    rows.append(("110101001001", "119", "多福巷社区居委会"))
    with pytest.raises(ValidationFailed) as caught:
        importer.import_codes(nbs_table(rows))
    assert caught.value.errors[0]["field"] == "line 4.urban_rural"
    assert "'119' is not an NBS class" in caught.value.errors[0]["message"]
    assert levels() == {}


def test_validity_dates_in_the_file_back_date_streets_and_communities(cli, tmp_path):
    text = f.codes_csv().replace(
        "code,name,parent_code,level", "code,name,parent_code,level,valid_from"
    )
    lines = text.strip().split("\n")
    lines = [lines[0]] + [line + ",2001-01-01" for line in lines[1:]]
    lines[-1] = lines[-1].replace("2001-01-01", "2019/06/30")
    importer.import_codes("\n".join(lines) + "\n")
    assert area("440303001000").valid_from == date(2001, 1, 1)
    assert area("440303002002").valid_from == date(2019, 6, 30)


def test_valid_from_on_the_command_line_back_dates_rows_that_give_none(cli, tmp_path):
    path = tmp_path / "codes.csv"
    path.write_text(f.codes_csv(), encoding="utf-8")
    result = cli.invoke(args=["areas", "import-codes", str(path), "--valid-from", "2010-01-01"])
    assert result.exit_code == 0, result.output
    assert {a.valid_from for a in db.session.scalars(select(Area))} == {date(2010, 1, 1)}


def test_a_valid_to_before_valid_from_is_refused():
    text = "code,name,parent_code,level,valid_from,valid_to\n"
    text += "440303000000,测试区,440300000000,district,2020-01-01,2019-01-01\n"
    with pytest.raises(ValidationFailed) as caught:
        importer.import_codes(text)
    assert caught.value.errors[0]["field"] == "line 2.valid_to"
