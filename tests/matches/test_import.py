"""`flask matches import`: all or nothing, every bad row named; good rows counted by the
counting rules (signed_on for matched, completed_on of converted matches for converted)."""

from __future__ import annotations

import csv
import json

import pytest
import sqlalchemy as sa

from matchmaking.accounts.models import Organization, OrgKind, OrgStatus
from matchmaking.extensions import db
from matchmaking.matches.models import Match, MatchStatus
from matchmaking.needs import importer as needs_importer
from matchmaking.needs.models import Need, NeedStatus
from tests import factories

HEADER = [
    "need_ref",
    "solver",
    "solver_kind",
    "accepted_at",
    "signed_at",
    "contract_amount_wan",
    "converted_at",
    "terminated_at",
]


@pytest.fixture
def history(tmp_path, enterprise):
    """Four historical needs published in 2022–2023 (through the needs import)."""
    path = tmp_path / "needs.jsonl"
    rows = [
        {
            "ref": f"H{n}",
            "title": f"历史需求{n}",
            "description": "d",
            "industry": "化纤",
            "transformation": "digital",
            "keywords": "k",
            "budget_wan": "50",
            "deadline": f"202{2 + n // 3}-12-31",
            "town": "洲泉镇",
            "enterprise": "桐乡历史企业",
            "published_at": f"202{2 + n // 3}-03-01",
            "status": "closed",
        }
        for n in range(4)
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")
    report = needs_importer.import_needs(str(path), show_progress=False)
    assert report.ok, report.errors
    db.session.commit()
    return {r["ref"]: r for r in rows}


def _write_csv(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        w.writerows(rows)
    return str(path)


GOOD = [
    ["H0", "浙江理工大学", "university", "2022-05-01", "2022-06-10", "50", "2023-02-01", ""],
    ["H1", "浙江理工大学", "高校", "2022-05-02", "2022-07-01", "30", "", ""],
    ["H2", "嘉兴新材料研究院", "institute", "2022-06-01", "2022-08-01", "20", "", "2023-01-05"],
    ["H3", "嘉兴新材料研究院", "科研院所", "2023-04-01", "", "", "", ""],
    ["H0", "嘉兴新材料研究院", "institute", "2022-05-03", "2022-06-20", "10", "2022-12-20", ""],
]


def test_good_file_makes_records_the_counting_rules_count(runner, history, tmp_path):
    path = _write_csv(tmp_path / "matches.csv", GOOD)
    result = runner.invoke(args=["matches", "import", path])
    assert result.exit_code == 0, result.output
    assert "新增 5 条对接记录" in result.output and "新建揭榜单位 2 家" in result.output
    by_ref = {}
    for m in db.session.execute(sa.select(Match).order_by(Match.id)).scalars():
        by_ref.setdefault(m.need.ref, []).append(m)
    h0a, _ = by_ref["H0"]
    assert h0a.status is MatchStatus.converted and h0a.bid_id is None
    assert h0a.completed_on.isoformat() == "2023-02-01" and h0a.confirmed_at is not None
    assert by_ref["H1"][0].status is MatchStatus.signed
    assert by_ref["H2"][0].status is MatchStatus.terminated
    assert by_ref["H2"][0].signed_on.isoformat() == "2022-08-01"
    assert by_ref["H3"][0].status is MatchStatus.negotiating
    status = dict(db.session.execute(sa.select(Need.ref, Need.status)).all())
    assert status == {
        "H0": NeedStatus.converted,
        "H1": NeedStatus.matched,
        "H2": NeedStatus.matched,
        "H3": NeedStatus.closed,
    }
    org = db.session.execute(
        sa.select(Organization).where(Organization.name == "嘉兴新材料研究院")
    ).scalar_one()
    assert org.kind is OrgKind.institute and org.status is OrgStatus.verified
    # The counting rules: matched by first signing date, converted by first completion date.
    first_signed = dict(
        db.session.execute(
            sa.select(Match.need_id, sa.func.min(Match.signed_on))
            .where(Match.signed_on.is_not(None))
            .group_by(Match.need_id)
        ).all()
    )
    assert sorted(d.year for d in first_signed.values()) == [2022, 2022, 2022]
    first_converted = db.session.execute(
        sa.select(Match.need_id, sa.func.min(Match.completed_on))
        .where(Match.status == MatchStatus.converted)
        .group_by(Match.need_id)
    ).all()
    assert len(first_converted) == 1 and first_converted[0][1].isoformat() == "2022-12-20"
    # Importing the same file again updates instead of doubling.
    again = runner.invoke(args=["matches", "import", path])
    assert again.exit_code == 0 and "更新 5 条" in again.output
    assert db.session.scalar(sa.select(sa.func.count(Match.id))) == 5


def test_bad_rows_are_all_reported_and_nothing_is_imported(runner, history, tmp_path, enterprise):
    factories.need(enterprise, "draft")
    draft_ref = db.session.execute(
        sa.select(Need.ref).where(Need.status == NeedStatus.draft)
    ).scalar_one()
    rows = [
        *GOOD[:2],
        ["NOPE", "浙江大学", "university", "", "2022-06-10", "5", "", ""],  # line 4
        ["H2", "", "university", "", "", "", "", ""],  # line 5
        ["H2", "某大学", "company", "", "", "", "", ""],  # line 6
        ["H3", "某研究所", "institute", "", "2023-13-01", "5", "", ""],  # line 7
        ["H3", "某研究所2", "institute", "", "", "", "2023-06-01", ""],  # line 8
        ["H2", "某研究所3", "institute", "", "2022-06-01", "-3", "", ""],  # line 9
        ["H2", "某研究所4", "institute", "2022-07-01", "2022-06-01", "5", "", ""],  # line 10
        ["H0", "浙江理工大学", "university", "", "", "", "", ""],  # line 11
        [draft_ref, "某研究所5", "institute", "", "", "", "", ""],  # line 12
        ["H1", "桐乡历史企业", "institute", "", "", "", "", ""],  # line 13
        ["H2", "某研究所6", "institute", "", "2022-06-01", "5", "2022-09-01", "2022-10-01"],
    ]  # line 14
    path = _write_csv(tmp_path / "bad.csv", rows)
    result = runner.invoke(args=["matches", "import", path])
    assert result.exit_code == 1
    out = result.output
    for expected in [
        "第 4 行 [need_ref]",
        "第 5 行 [solver]",
        "第 6 行 [solver_kind]",
        "第 7 行 [signed_at]",
        "第 8 行 [converted_at]",
        "第 9 行 [contract_amount_wan]",
        "第 10 行 [signed_at]",
        "第 11 行 [solver]",
        "第 12 行 [need_ref]",
        "第 13 行 [solver]",
        "第 14 行 [terminated_at]",
        "未导入任何数据",
    ]:
        assert expected in out, (expected, out)
    assert "第 2 行 [" not in out and "第 3 行 [" not in out
    assert "发现 11 处错误" in out
    assert db.session.scalar(sa.select(sa.func.count(Match.id))) == 0
    assert (
        db.session.execute(
            sa.select(Organization).where(Organization.name == "浙江理工大学")
        ).scalar_one_or_none()
        is None
    )
    assert (
        db.session.execute(sa.select(Need.status).where(Need.ref == "H0")).scalar()
        is NeedStatus.closed
    )


def test_jsonl_and_missing_columns(runner, history, tmp_path):
    path = tmp_path / "m.jsonl"
    path.write_text(
        json.dumps({"need_ref": "H1", "solver": "浙江大学"}, ensure_ascii=False), "utf-8"
    )
    result = runner.invoke(args=["matches", "import", str(path)])
    assert result.exit_code == 1 and "缺少必需的列" in result.output
    path.write_text(
        json.dumps(
            {
                "need_ref": "H1",
                "solver": "浙江大学",
                "solver_kind": "高校",
                "signed_at": "2022-06-01",
                "contract_amount_wan": 12,
            },
            ensure_ascii=False,
        ),
        "utf-8",
    )
    result = runner.invoke(args=["matches", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert (
        db.session.execute(sa.select(Need.status).where(Need.ref == "H1")).scalar()
        is NeedStatus.matched
    )


def test_xlsx(runner, history, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    ws.append(["H0", "浙江大学", "university", None, "2022-06-10", 40, "2023-01-10", None])
    path = tmp_path / "m.xlsx"
    wb.save(path)
    result = runner.invoke(args=["matches", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert (
        db.session.execute(sa.select(Need.status).where(Need.ref == "H0")).scalar()
        is NeedStatus.converted
    )
