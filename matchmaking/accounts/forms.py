"""Account forms; labels and messages in Chinese."""

from __future__ import annotations

import re

from wtforms import (
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from matchmaking.accounts import passwords, uscc
from matchmaking.forms import BaseForm

PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


class LoginForm(BaseForm):
    email = EmailField("邮箱", validators=[DataRequired("请输入邮箱"), Length(max=254)])
    password = PasswordField("密码", validators=[DataRequired("请输入密码"), Length(max=128)])


class RegisterForm(BaseForm):
    org_name = StringField(
        "单位名称",
        validators=[DataRequired("请输入单位名称"), Length(2, 100, "单位名称应为 2–100 个字符")],
    )
    kind = SelectField(
        "单位类型",
        choices=[("enterprise", "企业"), ("university", "高校"), ("institute", "科研院所")],
    )
    uscc = StringField("统一社会信用代码", validators=[DataRequired("请输入统一社会信用代码")])
    town_id = SelectField("所在镇（街道）", coerce=int, validate_choice=False)
    industry_ids = SelectMultipleField("所属行业", coerce=int, validate_choice=False)
    contact_name = StringField(
        "联系人",
        validators=[DataRequired("请输入联系人"), Length(max=50, message="最多 50 个字符")],
    )
    contact_phone = StringField("联系电话", validators=[DataRequired("请输入联系电话")])
    user_name = StringField(
        "您的姓名",
        validators=[DataRequired("请输入姓名"), Length(max=50, message="最多 50 个字符")],
    )
    email = EmailField(
        "登录邮箱",
        validators=[DataRequired("请输入邮箱"), Email("邮箱格式不正确"), Length(max=254)],
    )
    password = PasswordField("密码", validators=[DataRequired("请输入密码")])
    password2 = PasswordField(
        "确认密码",
        validators=[DataRequired("请再次输入密码"), EqualTo("password", "两次输入的密码不一致")],
    )

    def validate_uscc(self, field: StringField) -> None:
        problem = uscc.problem(field.data or "")
        if problem:
            raise ValidationError(problem)

    def validate_contact_phone(self, field: StringField) -> None:
        if not PHONE_RE.match((field.data or "").strip()):
            raise ValidationError("请输入正确的手机号或固定电话（如 0573-88888888）")

    def validate_password(self, field: PasswordField) -> None:
        bad = passwords.problems(field.data or "", user_inputs=[self.email.data or ""])
        if bad:
            raise ValidationError("；".join(bad))

    def validate_town_id(self, field: SelectField) -> None:
        valid = {v for v, _ in field.choices}
        if self.kind.data == "enterprise" and field.data not in valid - {0}:
            raise ValidationError("企业须选择所在镇（街道）")


class ReasonForm(BaseForm):
    reason = TextAreaField(
        "理由",
        validators=[DataRequired("请填写理由"), Length(max=1000, message="理由最多 1000 字")],
    )


class EmptyForm(BaseForm):
    """A POST with nothing but the CSRF token (buttons such as 认证, 提交审核)."""


class TotpForm(BaseForm):
    code = StringField(
        "动态验证码",
        validators=[DataRequired("请输入 6 位动态验证码"), Length(6, 7, "请输入 6 位动态验证码")],
    )


class ChangePasswordForm(BaseForm):
    current = PasswordField(
        "当前密码", validators=[DataRequired("请输入当前密码"), Length(max=128)]
    )
    password = PasswordField("新密码", validators=[DataRequired("请输入新密码")])
    password2 = PasswordField(
        "确认新密码",
        validators=[DataRequired("请再次输入新密码"), EqualTo("password", "两次输入的密码不一致")],
    )


class TotpChangeForm(BaseForm):
    """Re-authentication (password, and the old code if there is one) plus the new code."""

    current = PasswordField(
        "当前密码", validators=[DataRequired("请输入当前密码"), Length(max=128)]
    )
    old_code = StringField("原动态验证码", validators=[Length(max=7)])
    code = StringField(
        "新动态验证码",
        validators=[
            DataRequired("请输入新的 6 位动态验证码"),
            Length(6, 7, "请输入 6 位动态验证码"),
        ],
    )
