"""Factories for bids and matches (through the real services, committed)."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from matchmaking.bids import services as bid_services
from matchmaking.extensions import db
from matchmaking.matches import services as match_services
from matchmaking.timeutil import today

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def bid_data(**overrides) -> bid_services.BidData:
    values = dict(
        approach="基于高速工业相机与深度学习的断头识别方案。",
        team_lead="李教授",
        team_members="张博士\n王工程师",
        duration_months=12,
        price_wan=Decimal("45"),
        prior_results="发明专利 2 项。",
    )
    values.update(overrides)
    return bid_services.BidData(**values)


def bid(need, solver, **overrides):
    b = bid_services.submit_bid(need, solver, bid_data(**overrides))
    db.session.commit()
    return b


def match(need, solver, owner, *, state: str = "negotiating", bureau=None):
    """A match on ``need`` brought to ``state`` (negotiating, signed, recorded, converted,
    terminated) through the services."""
    b = bid(need, solver)
    m = bid_services.accept_bid(b, owner)
    if state in ("signed", "recorded", "converted"):
        match_services.sign_match(
            m,
            owner,
            match_services.SignData(
                signed_on=today(), contract_amount_wan=Decimal("40"), contract_reg_no="33048301"
            ),
        )
    if state in ("recorded", "converted"):
        match_services.record_conversion(m, owner, today(), "完成中试，已在两条产线应用。")
    if state == "converted":
        match_services.confirm_conversion(m, bureau)
    if state == "terminated":
        match_services.terminate_match(m, owner, "双方未能就知识产权达成一致")
    db.session.commit()
    return m


def pdf_file(name: str = "方案.pdf", content: bytes = PDF):
    return (io.BytesIO(content), name)


def iso(d: date) -> str:
    return d.isoformat()
