"""Account rules: registration, verification of organizations, sign-in, API tokens."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from matchmaking.accounts import passwords, uscc
from matchmaking.accounts.models import (
    ApiToken,
    Organization,
    OrgKind,
    OrgStatus,
    Role,
    User,
)
from matchmaking.audit.services import record
from matchmaking.errors import IllegalTransition, PermissionDenied, ValidationFailed
from matchmaking.extensions import db
from matchmaking.reference.models import Industry, Town
from matchmaking.timeutil import utcnow

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=30)


def find_user_by_email(email: str) -> User | None:
    return db.session.execute(
        select(User).where(func.lower(User.email) == email.strip().lower())
    ).scalar_one_or_none()


def find_org_by_name(name: str) -> Organization | None:
    return db.session.execute(
        select(Organization).where(Organization.name == name.strip())
    ).scalar_one_or_none()


def _check_new_user(email: str, password: str, org_name: str) -> None:
    if find_user_by_email(email):
        raise ValidationFailed("该邮箱已注册", code="email_taken")
    bad = passwords.problems(password, user_inputs=[email, org_name])
    if bad:
        raise ValidationFailed("；".join(bad), code="weak_password")


def register_organization(
    *,
    name: str,
    kind: OrgKind,
    code: str,
    town: Town | None,
    industries: Sequence[Industry],
    contact_name: str,
    contact_phone: str,
    email: str,
    user_name: str,
    password: str,
) -> User:
    """Self-registration: an unverified organization and its first user."""
    if kind is OrgKind.bureau:
        raise PermissionDenied("科技局账号不能自助注册", code="bureau_self_registration")
    problem = uscc.problem(code)
    if problem:
        raise ValidationFailed(problem, code="bad_uscc")
    code = uscc.normalise(code)
    if find_org_by_name(name):
        raise ValidationFailed("该单位名称已注册，请联系本单位管理员或科技局", code="org_taken")
    if db.session.execute(select(Organization.id).where(Organization.uscc == code)).first():
        raise ValidationFailed("该统一社会信用代码已注册", code="uscc_taken")
    if kind is OrgKind.enterprise and town is None:
        raise ValidationFailed("企业须选择所在镇（街道）", code="town_required")
    _check_new_user(email, password, name)
    org = Organization(
        name=name.strip(),
        kind=kind,
        uscc=code,
        town=town,
        industries=list(industries),
        contact_name=contact_name.strip(),
        contact_phone=contact_phone.strip(),
        status=OrgStatus.unverified,
    )
    user = User(
        email=email.strip().lower(),
        name=user_name.strip(),
        phone=contact_phone.strip(),
        role=Role.for_kind(kind),
        organization=org,
    )
    user.set_password(password)
    db.session.add_all([org, user])
    db.session.flush()
    record("organization.register", actor=user, obj=org, to_state=org.status)
    return user


def verify_organization(org: Organization, actor: User) -> None:
    if not actor.is_bureau:
        raise PermissionDenied("只有科技局可以认证单位")
    if org.status is OrgStatus.verified:
        raise IllegalTransition("该单位已认证")
    before = org.status
    org.status = OrgStatus.verified
    org.reject_reason = None
    org.verified_at = utcnow()
    record("organization.verify", actor=actor, obj=org, from_state=before, to_state=org.status)


def reject_organization(org: Organization, actor: User, reason: str) -> None:
    if not actor.is_bureau:
        raise PermissionDenied("只有科技局可以审核单位")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("请填写驳回理由", code="reason_required")
    if org.status is not OrgStatus.unverified:
        raise IllegalTransition("只能驳回待审核的单位")
    before = org.status
    org.status = OrgStatus.rejected
    org.reject_reason = reason
    record(
        "organization.reject",
        actor=actor,
        obj=org,
        from_state=before,
        to_state=org.status,
        reason=reason,
    )


def create_user(
    *,
    email: str,
    password: str,
    role: Role,
    org_name: str,
    name: str = "",
    kind: OrgKind | None = None,
) -> User:
    """Operator path (CLI): the organization is created, verified, if it does not exist."""
    org = find_org_by_name(org_name)
    if org is None:
        kind = (
            kind
            or {
                Role.bureau: OrgKind.bureau,
                Role.enterprise: OrgKind.enterprise,
                Role.solver: OrgKind.institute,
            }[role]
        )
        org = Organization(
            name=org_name.strip(), kind=kind, status=OrgStatus.verified, verified_at=utcnow()
        )
        db.session.add(org)
        db.session.flush()
        record("organization.create", obj=org, to_state=org.status, details={"via": "cli"})
    if Role.for_kind(org.kind) is not role:
        raise ValidationFailed(f"角色与单位类型不符：{org.name} 是{org.kind.label}")
    _check_new_user(email, password, org_name)
    user = User(email=email.strip().lower(), name=name, role=role, organization=org)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record("user.create", obj=user, details={"role": role.value, "via": "cli"})
    return user


def check_password(email: str, password: str) -> User | None:
    """The first factor, with lockout; the caller shows one message for every failure.

    The failure counter lives in the database so every worker sees it: 5 consecutive
    failures (wrong password or wrong second-factor code) lock the account for 30 minutes.
    Each failure and lockout is audited; the caller commits. A user returned here is not
    signed in yet: call ``complete_login`` (after the second factor where one is needed).
    """
    user = find_user_by_email(email or "")
    now = utcnow()
    if user is None:
        _verify_dummy(password)  # same cost as a real check: no user enumeration by timing
        record("auth.login", outcome="failure", details={"reason": "unknown_user"})
        return None
    if user.locked_until and user.locked_until > now:
        _verify_dummy(password)
        record("auth.login", actor=None, obj=user, outcome="locked")
        return None
    if not user.active or not user.check_password(password or ""):
        _count_failure(user, "bad_password" if user.active else "inactive")
        return None
    return user


def _count_failure(user: User, reason: str) -> None:
    user.failed_logins = (user.failed_logins or 0) + 1
    if user.failed_logins >= MAX_FAILED_LOGINS:
        user.locked_until = utcnow() + LOCKOUT
        user.failed_logins = 0
        record(
            "auth.lockout",
            obj=user,
            outcome="locked",
            details={"reason": reason, "until": user.locked_until.isoformat()},
        )
    else:
        record("auth.login", obj=user, outcome="failure", details={"reason": reason})


def is_locked(user: User) -> bool:
    return bool(user.locked_until and user.locked_until > utcnow())


def complete_login(user: User, *, method: str = "password") -> None:
    """Every factor passed: reset the failure counter and audit the sign-in."""
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = utcnow()
    record("auth.login", actor=user, obj=user, details={"method": method})


def authenticate(email: str, password: str) -> User | None:
    """Password-only sign-in for roles without a second factor (kept for callers/tests).

    Returns None for a user who still needs the second factor: use ``check_password``,
    ``verify_second_factor`` and ``complete_login`` for those.
    """
    user = check_password(email, password)
    if user is None or user.role is Role.bureau:
        return None
    complete_login(user)
    return user


def verify_second_factor(user: User, code: str) -> bool:
    """Check a TOTP code (once per time step); failures count towards the lockout."""
    from matchmaking.security import totp

    if is_locked(user):
        record("auth.mfa", obj=user, outcome="locked")
        return False
    step = totp.matching_step(user.totp_secret or "", code, last_step=user.totp_last_step)
    if step is None:
        _count_failure(user, "bad_totp")
        return False
    user.totp_last_step = step
    return True


def enrol_second_factor(user: User, secret: str, code: str, *, actor: User | None = None) -> bool:
    """Store a new TOTP secret once the user proved with a code that the app holds it."""
    from matchmaking.security import totp

    step = totp.matching_step(secret, code)
    if step is None:
        _count_failure(user, "bad_totp_enrolment")
        return False
    replacing = user.totp_secret is not None
    user.totp_secret = secret
    user.totp_last_step = step
    user.session_version = (user.session_version or 1) + 1
    record("auth.totp_change" if replacing else "auth.totp_enrol", actor=actor, obj=user)
    return True


def reset_second_factor(user: User, *, via: str = "cli") -> None:
    """Operator path for a lost phone: the user enrols again at the next sign-in."""
    user.totp_secret = None
    user.totp_last_step = None
    user.session_version = (user.session_version or 1) + 1
    record("auth.totp_reset", obj=user, details={"via": via})


def unlock(user: User) -> None:
    user.failed_logins = 0
    user.locked_until = None
    record("auth.unlock", obj=user, details={"via": "cli"})


def change_password(user: User, current: str, new: str) -> None:
    """Re-authenticate with the current password, then set the new one.

    Every other session of the user stops working (the session version is bumped). A wrong
    current password counts towards the lockout.
    """
    if is_locked(user):
        record("auth.password_change", actor=user, obj=user, outcome="locked")
        raise PermissionDenied("账号已被暂时锁定，请稍后再试", code="locked")
    if not user.check_password(current or ""):
        _count_failure(user, "bad_password_on_change")
        raise ValidationFailed("当前密码不正确", code="bad_password")
    bad = passwords.problems(new, user_inputs=[user.email, user.name, user.organization.name])
    if bad:
        raise ValidationFailed("；".join(bad), code="weak_password")
    if user.check_password(new):
        raise ValidationFailed("新密码不能与当前密码相同", code="same_password")
    user.set_password(new)
    user.failed_logins = 0
    user.session_version = (user.session_version or 1) + 1
    record("auth.password_change", actor=user, obj=user)


@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_hex(16), method="scrypt")


def _verify_dummy(password: str) -> bool:
    return check_password_hash(_dummy_hash(), password or "")


def logout(user: User) -> None:
    """Revoke every session of the user (a copied cookie stops working)."""
    user.session_version = (user.session_version or 1) + 1
    record("auth.logout", actor=user, obj=user)


def issue_token(user: User) -> str:
    token = "jb_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user=user, token_hash=ApiToken.digest(token)))
    record("token.create", actor=None, obj=user, details={"user": user.email})
    return token


def user_for_token(token: str) -> User | None:
    row = db.session.execute(
        select(ApiToken).where(
            ApiToken.token_hash == ApiToken.digest(token), ApiToken.revoked_at.is_(None)
        )
    ).scalar_one_or_none()
    if row is None or not row.user.active:
        return None
    return row.user
