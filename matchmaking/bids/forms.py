"""Forms for bids, questions and the enterprise's decisions; labels in Chinese."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from matchmaking.bids.models import Bid
from matchmaking.bids.services import MAX_PRICE_WAN, BidData
from matchmaking.forms import BaseForm


def _len(maximum: int, name: str) -> Length:
    return Length(max=maximum, message=f"{name}最多 {maximum} 个字")


def parse_wan(raw: str | None) -> Decimal:
    """A non-negative amount in 万元 with at most two decimals; ValueError with a message."""
    text = (raw or "").strip().replace(",", "").replace("，", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError("须为数字（单位：万元），例如 50 或 12.5") from None
    if not value.is_finite() or value < 0 or value > MAX_PRICE_WAN:
        raise ValueError("须在 0 到 1,000,000 万元之间")
    if value != value.quantize(Decimal("0.01")):
        raise ValueError("最多保留两位小数")
    return value


class BidForm(BaseForm):
    approach = TextAreaField(
        "技术方案",
        validators=[DataRequired("请填写技术方案"), _len(10000, "技术方案")],
        description="技术路线、关键方法、可行性与验收方式",
    )
    team_lead = StringField(
        "项目负责人", validators=[DataRequired("请填写项目负责人"), _len(50, "项目负责人")]
    )
    team_members = TextAreaField(
        "团队成员",
        validators=[Optional(), _len(3000, "团队成员")],
        description="姓名、职称、分工，每行一人",
    )
    duration_months = IntegerField(
        "预计周期（月）",
        validators=[
            DataRequired("请填写预计周期（整数月）"),
            NumberRange(1, 120, "预计周期须为 1–120 个月"),
        ],
    )
    price_negotiable = BooleanField("报价面议")
    price_wan = StringField("报价（万元）", validators=[Optional()])
    prior_results = TextAreaField(
        "相关成果",
        validators=[Optional(), _len(5000, "相关成果")],
        description="已有的专利、论文、项目或应用案例",
    )
    attachment = FileField(
        "附件（PDF，可选）",
        description="仅限 PDF 文件，不超过 10 MB；仅本单位、发榜企业和科技局可见",
    )

    def validate_price_wan(self, field: StringField) -> None:
        if self.price_negotiable.data:
            field.data = ""
            return
        if not (field.data or "").strip():
            raise ValidationError("请填写报价（万元），或勾选“面议”")
        try:
            parse_wan(field.data)
        except ValueError as exc:
            raise ValidationError("报价" + str(exc)) from None

    def to_data(self) -> BidData:
        return BidData(
            approach=self.approach.data.strip(),
            team_lead=self.team_lead.data.strip(),
            team_members=(self.team_members.data or "").strip(),
            duration_months=self.duration_months.data,
            price_wan=None if self.price_negotiable.data else parse_wan(self.price_wan.data),
            prior_results=(self.prior_results.data or "").strip(),
        )

    @classmethod
    def from_bid(cls, bid: Bid) -> BidForm:
        form = cls(obj=bid)
        if not form.is_submitted():
            form.price_negotiable.data = bid.price_wan is None
            form.price_wan.data = "" if bid.price_wan is None else f"{bid.price_wan:f}"
        return form


class QuestionForm(BaseForm):
    body = TextAreaField("问题", validators=[DataRequired("请填写问题"), _len(1000, "问题")])


class AnswerForm(BaseForm):
    answer = TextAreaField("答复", validators=[DataRequired("请填写答复"), _len(3000, "答复")])


class DeclineForm(BaseForm):
    reason = TextAreaField("未选中理由（可选）", validators=[Optional(), _len(1000, "理由")])
