"""Forms for matches: signing, milestones, conversion, termination."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import DateField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from matchmaking.bids.forms import parse_wan
from matchmaking.forms import BaseForm
from matchmaking.matches.services import SignData
from matchmaking.timeutil import today


def _len(maximum: int, name: str) -> Length:
    return Length(max=maximum, message=f"{name}最多 {maximum} 个字")


def _not_future(form, field) -> None:
    if field.data and field.data > today():
        raise ValidationError("日期不能晚于今天")


class SignForm(BaseForm):
    signed_on = DateField(
        "合同签订日期", validators=[DataRequired("请填写合同签订日期（年-月-日）"), _not_future]
    )
    contract_amount_wan = StringField(
        "合同金额（万元）", validators=[DataRequired("请填写合同金额（万元）")]
    )
    contract_reg_no = StringField(
        "技术合同登记号（可选）", validators=[Optional(), _len(60, "技术合同登记号")]
    )
    contract = FileField("合同文件（PDF，可选）", description="仅对接双方和科技局可见")

    def validate_contract_amount_wan(self, field: StringField) -> None:
        try:
            parse_wan(field.data)
        except ValueError as exc:
            raise ValidationError("合同金额" + str(exc)) from None

    def to_data(self) -> SignData:
        return SignData(
            signed_on=self.signed_on.data,
            contract_amount_wan=parse_wan(self.contract_amount_wan.data),
            contract_reg_no=(self.contract_reg_no.data or "").strip(),
        )


class MilestoneForm(BaseForm):
    occurred_on = DateField("日期", validators=[DataRequired("请填写日期（年-月-日）")])
    note = TextAreaField(
        "进展说明", validators=[DataRequired("请填写进展说明"), _len(2000, "进展说明")]
    )


class ConversionForm(BaseForm):
    completed_on = DateField(
        "完成日期", validators=[DataRequired("请填写完成日期（年-月-日）"), _not_future]
    )
    result_summary = TextAreaField(
        "转化成果简述",
        validators=[DataRequired("请填写转化成果简述"), _len(3000, "转化成果简述")],
        description="如：完成中试并在 2 条产线应用，年节约成本 80 万元",
    )


class TerminateForm(BaseForm):
    reason = TextAreaField(
        "终止理由", validators=[DataRequired("请填写终止理由"), _len(1000, "终止理由")]
    )
