"""`flask needs import`: good files, every kind of bad row, re-import, formats."""

import csv
import json

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from matchmaking.accounts.models import Organization, OrgStatus
from matchmaking.audit.models import AuditEvent
from matchmaking.extensions import db
from matchmaking.needs.models import Need, NeedStatus

COLUMNS = [
    "ref",
    "title",
    "description",
    "industry",
    "transformation",
    "keywords",
    "budget_wan",
    "deadline",
    "town",
    "enterprise",
    "published_at",
    "status",
]


def row(n=1, **overrides):
    data = {
        "ref": f"TX2022-{n:03d}",
        "title": f"历史需求 {n}",
        "description": "熔体直纺断头检测",
        "industry": "化纤",
        "transformation": "数字化",
        "keywords": "断头,检测",
        "budget_wan": "30",
        "deadline": "2022-06-30",
        "town": "洲泉镇",
        "enterprise": "桐乡市历史化纤有限公司",
        "published_at": "2022-03-15",
        "status": "",
    }
    data.update(overrides)
    return data


def write(path, rows, fmt):
    if fmt == "jsonl":
        path.write_text(
            "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8"
        )
    elif fmt == "csv":
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
    else:
        wb = Workbook()
        ws = wb.active
        ws.append(COLUMNS)
        for r in rows:
            ws.append([r[c] for c in COLUMNS])
        wb.save(path)
    return str(path)


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "xlsx"])
def test_good_file_imports_history(runner, tmp_path, fmt):
    path = write(
        tmp_path / f"needs.{fmt}",
        [row(1), row(2, budget_wan="面议", town="濮院镇", transformation="green")],
        fmt,
    )
    result = runner.invoke(args=["needs", "import", path])
    assert result.exit_code == 0, result.output
    needs = db.session.execute(select(Need).order_by(Need.ref)).scalars().all()
    assert [n.ref for n in needs] == ["TX2022-001", "TX2022-002"]
    first = needs[0]
    assert first.status is NeedStatus.published and first.effective_status is NeedStatus.closed
    assert first.first_published_at.year == 2022 and first.first_published_at.month == 3
    assert first.keywords == "断头 检测" and needs[1].budget_wan is None
    org = db.session.execute(select(Organization)).scalar_one()
    assert org.status is OrgStatus.verified and org.town.name == "洲泉镇"
    imported = db.session.execute(
        select(func.count()).where(AuditEvent.action == "need.import")
    ).scalar()
    assert imported == 2


def test_reimport_updates_instead_of_duplicating(runner, tmp_path):
    path = write(tmp_path / "a.jsonl", [row(1)], "jsonl")
    runner.invoke(args=["needs", "import", path])
    path = write(tmp_path / "b.jsonl", [row(1, title="改过的名称")], "jsonl")
    result = runner.invoke(args=["needs", "import", path])
    assert result.exit_code == 0, result.output
    assert "更新 1 条" in result.output
    need = db.session.execute(select(Need)).scalar_one()
    assert need.title == "改过的名称"


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"industry": "造船"}, "industry"),
        ({"town": "杭州"}, "town"),
        ({"deadline": "2022-13-01"}, "deadline"),
        ({"published_at": "去年"}, "published_at"),
        ({"title": ""}, "title"),
        ({"budget_wan": "三十"}, "budget_wan"),
        ({"transformation": "智能化"}, "transformation"),
        ({"status": "approved"}, "status"),
        ({"published_at": "", "deadline": "2020-01-01"}, "deadline"),
    ],
)
def test_each_kind_of_bad_row_is_named_and_nothing_is_imported(runner, tmp_path, bad, field):
    path = write(tmp_path / "bad.csv", [row(1), row(2, **bad), row(3)], "csv")
    result = runner.invoke(args=["needs", "import", path])
    assert result.exit_code != 0
    assert f"第 3 行 [{field}]" in result.output  # CSV line 3 = the second data row
    assert db.session.execute(select(func.count(Need.id))).scalar() == 0
    assert db.session.execute(select(func.count(Organization.id))).scalar() == 0


def test_every_bad_row_is_reported(runner, tmp_path):
    path = write(
        tmp_path / "bad.jsonl",
        [row(1, industry="造船"), row(2), row(3, title="", town="杭州")],
        "jsonl",
    )
    result = runner.invoke(args=["needs", "import", path])
    assert result.exit_code != 0
    for expected in ("第 1 行 [industry]", "第 3 行 [title]", "第 3 行 [town]"):
        assert expected in result.output


def test_duplicate_refs_in_one_file_are_an_error(runner, tmp_path):
    path = write(tmp_path / "dup.jsonl", [row(1), row(1)], "jsonl")
    result = runner.invoke(args=["needs", "import", path])
    assert result.exit_code != 0 and "重复" in result.output


def test_publish_flag_publishes_new_lists(runner, tmp_path):
    path = write(tmp_path / "new.jsonl", [row(1, published_at="", deadline="2099-01-01")], "jsonl")
    result = runner.invoke(args=["needs", "import", "--publish", path])
    assert result.exit_code == 0, result.output
    need = db.session.execute(select(Need)).scalar_one()
    assert need.status is NeedStatus.published and need.first_published_at is not None
    without = write(
        tmp_path / "new2.jsonl", [row(2, published_at="", deadline="2099-01-01")], "jsonl"
    )
    runner.invoke(args=["needs", "import", without])
    second = db.session.execute(select(Need).where(Need.ref == "TX2022-002")).scalar_one()
    assert second.status is NeedStatus.submitted and second.first_published_at is None


def test_unsupported_file_type(runner, tmp_path):
    path = tmp_path / "needs.txt"
    path.write_text("x")
    result = runner.invoke(args=["needs", "import", str(path)])
    assert result.exit_code != 0 and "不支持的文件类型" in result.output


def test_missing_columns(runner, tmp_path):
    path = tmp_path / "cols.csv"
    path.write_text("ref,title\nA,B\n", encoding="utf-8")
    result = runner.invoke(args=["needs", "import", str(path)])
    assert result.exit_code != 0 and "缺少必需的列" in result.output
