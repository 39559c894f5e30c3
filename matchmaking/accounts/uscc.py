"""统一社会信用代码 (unified social credit code) per GB 32100-2015."""

from __future__ import annotations

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUES = {c: i for i, c in enumerate(CHARSET)}
REGISTRATION_AUTHORITIES = set("123456789ABCDEFGNY")


def check_character(first17: str) -> str:
    """The 18th (check) character for the first 17 characters of a code."""
    total = sum(_VALUES[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def normalise(code: str) -> str:
    return (code or "").strip().upper()


def problem(code: str) -> str | None:
    """None if the code is valid, otherwise a Chinese explanation of what is wrong."""
    code = normalise(code)
    if len(code) != 18:
        return f"统一社会信用代码应为 18 位（当前 {len(code)} 位）"
    bad = sorted({c for c in code if c not in _VALUES})
    if bad:
        return "统一社会信用代码含有不允许的字符：" + "、".join(bad) + "（不使用 I、O、S、V、Z）"
    if code[0] not in REGISTRATION_AUTHORITIES:
        return "统一社会信用代码第 1 位（登记管理部门代码）无效"
    if not code[2:8].isdigit():
        return "统一社会信用代码第 3–8 位应为行政区划代码（数字）"
    if check_character(code[:17]) != code[17]:
        return "统一社会信用代码校验位不正确，请核对后重新输入"
    return None


def is_valid(code: str) -> bool:
    return problem(code) is None


def make(body17: str) -> str:
    """Complete a 17-character body with its check character (for demo data and tests)."""
    body17 = normalise(body17)
    return body17 + check_character(body17)
