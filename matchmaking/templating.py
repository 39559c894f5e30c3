"""Template helpers: masking, dates in Beijing time, navigation."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from flask import Flask, current_app, url_for

from matchmaking.timeutil import local, today

_MOBILE = re.compile(r"^(1\d{2})\d{4}(\d{4})$")


def mask_phone(value: str | None) -> str:
    """138****1234 for mobiles; landlines keep the area code and the last 4 digits."""
    value = (value or "").strip()
    m = _MOBILE.match(value)
    if m:
        return f"{m.group(1)}****{m.group(2)}"
    if len(value) > 4:
        return "*" * (len(value) - 4) + value[-4:]
    return "****" if value else ""


def fmt_datetime(value: datetime | None) -> str:
    return local(value).strftime("%Y-%m-%d %H:%M") if value else ""


def fmt_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local(value)
    return value.strftime("%Y-%m-%d")


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    roles: frozenset[str]


# Domains add their pages to the navigation here instead of editing base.html.
NAV_ITEMS: list[NavItem] = []


def register_nav(label: str, endpoint: str, *roles: str) -> None:
    item = NavItem(label, endpoint, frozenset(roles))
    if item not in NAV_ITEMS:
        NAV_ITEMS.append(item)


def extra_nav(user) -> list[dict[str, str]]:
    if not user.is_authenticated:
        return []
    return [
        {"label": i.label, "url": url_for(i.endpoint)}
        for i in NAV_ITEMS
        if user.role.value in i.roles
    ]


def search_url() -> str:
    if "search.results" in current_app.view_functions:
        return url_for("search.results")
    return url_for("board.index")


def init_app(app: Flask) -> None:
    app.jinja_env.globals["extra_nav"] = extra_nav
    app.jinja_env.globals["search_url"] = search_url
    app.jinja_env.filters["mask_phone"] = mask_phone
    app.jinja_env.filters["dt"] = fmt_datetime
    app.jinja_env.filters["d"] = fmt_date
    app.jinja_env.globals["today"] = today
    app.jinja_env.globals["site_name"] = "桐乡市“两化”改造关键技术需求揭榜平台"
