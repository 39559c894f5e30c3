"""TOTP second factor (RFC 6238, pyotp) with replay protection.

A code is accepted once: the time step it matched is stored in ``User.totp_last_step`` and
a code for that step or an earlier one is refused afterwards, even inside its 30 s window.
"""

from __future__ import annotations

import time

import pyotp
from flask import current_app

DIGITS = 6
INTERVAL = 30
# One step either side tolerates a phone clock that is up to ~30 s off.
VALID_WINDOW = 1


def new_secret() -> str:
    return pyotp.random_base32()  # 32 base32 characters = 160 bits


def provisioning_uri(secret: str, account: str) -> str:
    """The otpauth:// URI an authenticator app understands (typed in or pasted; no QR CDN)."""
    issuer = current_app.config.get("TOTP_ISSUER", "matchmaking")
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).provisioning_uri(
        name=account, issuer_name=issuer
    )


def matching_step(
    secret: str, code: str, *, last_step: int | None = None, now: float | None = None
) -> int | None:
    """The time step ``code`` belongs to, or None if it is wrong, stale or already used."""
    code = (code or "").strip().replace(" ", "")
    if not secret or len(code) != DIGITS or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL)
    now = time.time() if now is None else now
    current = int(now // INTERVAL)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if last_step is not None and step <= last_step:
            continue  # replay (or an older code after a newer one was used)
        if pyotp.utils.strings_equal(totp.at(step * INTERVAL), code):
            return step
    return None


def code_for(secret: str, *, now: float | None = None) -> str:
    """The current code (operator tools and tests)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).at(
        time.time() if now is None else now
    )
