"""Lenient page arguments: any input gives a page, never an error."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_PAGE = 10_000


def int_arg(args: Any, name: str, default: int, *, lo: int = 1, hi: int = MAX_PAGE) -> int:
    raw = str(args.get(name, "")).strip()
    if not raw.isdigit() or len(raw) > 6:
        return default
    return max(lo, min(hi, int(raw)))


@dataclass
class Page:
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    def window(self, size: int = 2) -> list[int]:
        lo, hi = max(1, self.page - size), min(self.pages, self.page + size)
        return list(range(lo, hi + 1))
