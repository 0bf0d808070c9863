"""Code tables are versioned data: a relabel is a new version, a dropped code is closed."""

import pytest
from sqlalchemy import delete, select

from gridgov.codes import service
from gridgov.codes.models import Code
from gridgov.errors import ValidationFailed
from gridgov.extensions import db


@pytest.fixture
def colour(request):
    """A table name of this test's own (code tables are not truncated between tests)."""
    name = "test_" + request.node.name[:30]
    yield name
    db.session.execute(delete(Code).where(Code.table_name == name))
    db.session.commit()


def rows(table: str) -> list[tuple]:
    return db.session.execute(
        select(Code.code, Code.label, Code.version, Code.valid_to.is_(None))
        .where(Code.table_name == table)
        .order_by(Code.code, Code.version)
    ).all()


def csv(table: str, *lines: str) -> str:
    return "table,code,label\n" + "".join(f"{table},{line}\n" for line in lines)


def test_loading_the_same_file_twice_changes_nothing(colour):
    text = csv(colour, "1,红", "2,蓝")
    assert service.load(text)["added"] == 2
    assert service.load(text) == {"added": 0, "relabelled": 0, "closed": 0, "unchanged": 2}


def test_a_relabelled_code_gets_a_new_version_and_the_old_one_is_closed(colour):
    service.load(csv(colour, "1,红", "2,蓝"))
    counts = service.load(csv(colour, "1,大红", "2,蓝"))
    assert counts["relabelled"] == 1
    assert rows(colour) == [
        ("1", "红", 1, False),
        ("1", "大红", 2, True),
        ("2", "蓝", 1, True),
    ]


def test_a_code_missing_from_a_loaded_table_is_closed_not_deleted(colour):
    service.load(csv(colour, "1,红", "2,蓝"))
    service.load(csv(colour, "1,红"))
    assert rows(colour) == [("1", "红", 1, True), ("2", "蓝", 1, False)]
    assert "2" not in service.current_codes()[colour]


def test_a_row_without_a_label_names_the_line(colour):
    with pytest.raises(ValidationFailed) as caught:
        service.load(csv(colour, "1,"))
    assert caught.value.errors[0]["field"] == "line 2"


def test_the_bundled_tables_are_loaded_by_the_cli(cli):
    result = cli.invoke(args=["codes", "load"])
    assert result.exit_code == 0, result.output
    assert '"unchanged": 164' in result.output  # the session fixture loaded them already
    tables = service.current_codes()
    assert len(tables["ethnicity"]) == 58 and tables["sex"] == {"0", "1", "2", "9"}
