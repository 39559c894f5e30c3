"""Password policy (等保 level 3 / ASVS 2.1): length, character classes, common passwords."""

from __future__ import annotations

import unicodedata

from zxcvbn import zxcvbn

MIN_LENGTH = 12
MAX_LENGTH = 128


def _classes(password: str) -> int:
    lower = any(c.islower() for c in password)
    upper = any(c.isupper() for c in password)
    digit = any(c.isdigit() for c in password)
    other = any(not (c.isascii() and c.isalnum()) for c in password)  # symbols, CJK, ...
    return sum((lower, upper, digit, other))


def problems(password: str, *, user_inputs: list[str] | None = None) -> list[str]:
    """Every reason the password is not acceptable, in Chinese; empty if it is fine."""
    password = unicodedata.normalize("NFC", password or "")
    found: list[str] = []
    if len(password) < MIN_LENGTH:
        found.append(f"密码至少 {MIN_LENGTH} 个字符")
    if len(password) > MAX_LENGTH:
        found.append(f"密码最多 {MAX_LENGTH} 个字符")
    if _classes(password) < 3:
        found.append("密码需包含大写字母、小写字母、数字、其他字符（含中文）中的至少三类")
    if not found:
        result = zxcvbn(password[:100], user_inputs=[u for u in (user_inputs or []) if u])
        common = any(
            m.get("pattern") == "dictionary"
            and m.get("dictionary_name") == "passwords"
            and len(m.get("token", "")) >= len(password) - 2
            for m in result["sequence"]
        )
        if common or result["score"] < 2:
            found.append("密码过于常见或容易猜测，请换一个")
    return found
