"""Forms for writing and reviewing needs."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from wtforms import BooleanField, DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from matchmaking.forms import BaseForm
from matchmaking.needs.models import Transformation
from matchmaking.needs.services import NeedData
from matchmaking.timeutil import today

MAX_BUDGET_WAN = Decimal("1000000")


def _len(maximum: int, name: str) -> Length:
    return Length(max=maximum, message=f"{name}最多 {maximum} 个字")


class NeedForm(BaseForm):
    title = StringField(
        "需求名称", validators=[DataRequired("请填写需求名称"), _len(100, "需求名称")]
    )
    background = TextAreaField(
        "需求背景", validators=[DataRequired("请填写需求背景"), _len(5000, "需求背景")]
    )
    difficulty = TextAreaField(
        "技术难点", validators=[DataRequired("请填写技术难点"), _len(5000, "技术难点")]
    )
    indicators = TextAreaField(
        "核心技术指标", validators=[DataRequired("请填写核心技术指标"), _len(3000, "核心技术指标")]
    )
    expected_outcome = TextAreaField("预期成果", validators=[Optional(), _len(3000, "预期成果")])
    budget_negotiable = BooleanField("榜额面议")
    budget_wan = StringField("榜额（万元）")
    deadline = DateField(
        "揭榜截止日期", validators=[DataRequired("请填写有效的截止日期（年-月-日）")]
    )
    industry_id = SelectField("所属行业", coerce=int, validators=[DataRequired("请选择行业")])
    transformation = RadioField(
        "改造类型",
        choices=[(t.value, t.label) for t in Transformation],
        validators=[DataRequired("请选择改造类型")],
    )
    keywords = StringField(
        "关键词",
        description="用空格或逗号分隔，如：余热回收 定形机",
        validators=[_len(200, "关键词")],
    )
    ip_terms = TextAreaField("知识产权约定", validators=[Optional(), _len(2000, "知识产权约定")])
    confidential = TextAreaField(
        "保密信息",
        description="仅本企业和科技局可见，不会出现在公开榜单、搜索或接口中",
        validators=[Optional(), _len(5000, "保密信息")],
    )

    def validate_budget_wan(self, field: StringField) -> None:
        raw = (field.data or "").strip().replace(",", "")
        if self.budget_negotiable.data:
            field.data = ""
            return
        if not raw:
            raise ValidationError("请填写榜额（万元），或勾选“面议”")
        try:
            value = Decimal(raw)
        except InvalidOperation:
            raise ValidationError("榜额须为数字（单位：万元），例如 50 或 12.5") from None
        if not value.is_finite() or value < 0 or value > MAX_BUDGET_WAN:
            raise ValidationError("榜额须在 0 到 1,000,000 万元之间")
        if value != value.quantize(Decimal("0.01")):
            raise ValidationError("榜额最多保留两位小数")

    def validate_deadline(self, field: DateField) -> None:
        if field.data and field.data <= today():
            raise ValidationError("揭榜截止日期须晚于今天")

    def to_data(self) -> NeedData:
        raw = (self.budget_wan.data or "").strip().replace(",", "")
        return NeedData(
            title=self.title.data.strip(),
            background=self.background.data.strip(),
            difficulty=self.difficulty.data.strip(),
            indicators=self.indicators.data.strip(),
            expected_outcome=(self.expected_outcome.data or "").strip(),
            budget_wan=None if self.budget_negotiable.data or not raw else Decimal(raw),
            deadline=self.deadline.data,
            industry_id=self.industry_id.data,
            transformation=Transformation(self.transformation.data),
            keywords=" ".join(
                (self.keywords.data or "").replace("，", " ").replace(",", " ").split()
            ),
            ip_terms=(self.ip_terms.data or "").strip(),
            confidential=(self.confidential.data or "").strip(),
        )

    @classmethod
    def from_need(cls, need) -> NeedForm:
        form = cls(obj=need)
        if not form.is_submitted():
            form.budget_negotiable.data = need.budget_wan is None
            form.budget_wan.data = "" if need.budget_wan is None else f"{need.budget_wan:f}"
            form.transformation.data = need.transformation.value
        return form
