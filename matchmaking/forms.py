"""The base form: CSRF from Flask-WTF, built-in messages in Simplified Chinese."""

from flask_wtf import FlaskForm


class BaseForm(FlaskForm):
    class Meta:
        locales = ("zh", "zh_CN")
