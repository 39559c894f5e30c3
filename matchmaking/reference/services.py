"""Reference data maintenance (bureau only), audited as configuration changes."""

from __future__ import annotations

from sqlalchemy import func, select

from matchmaking.accounts.models import User
from matchmaking.audit.services import record
from matchmaking.errors import PermissionDenied, ValidationFailed
from matchmaking.extensions import db
from matchmaking.reference.models import SEED_INDUSTRIES, SEED_TOWNS, Industry, Town

KINDS = {"industry": Industry, "town": Town}


def seed() -> int:
    """Insert the policy's industries and towns that are missing; returns how many."""
    added = 0
    for model, names in ((Industry, SEED_INDUSTRIES), (Town, SEED_TOWNS)):
        existing = set(db.session.execute(select(model.name)).scalars())
        for position, name in enumerate(names):
            if name not in existing:
                db.session.add(model(name=name, position=position, active=True))
                added += 1
    if added:
        record("reference.seed", details={"added": added})
    return added


def add_entry(kind: str, name: str, actor: User) -> Industry | Town:
    if not actor.is_bureau:
        raise PermissionDenied("只有科技局可以维护基础数据")
    model = KINDS[kind]
    name = (name or "").strip()
    if not name or len(name) > 40:
        raise ValidationFailed("名称须为 1–40 个字")
    if db.session.execute(select(model.id).where(model.name == name)).first():
        raise ValidationFailed(f"“{name}”已存在")
    position = (db.session.execute(select(func.max(model.position))).scalar() or 0) + 1
    entry = model(name=name, position=position, active=True)
    db.session.add(entry)
    db.session.flush()
    record("reference.add", actor=actor, obj=entry, details={"name": name})
    return entry


def set_active(entry: Industry | Town, active: bool, actor: User) -> None:
    if not actor.is_bureau:
        raise PermissionDenied("只有科技局可以维护基础数据")
    if entry.active == active:
        return
    entry.active = active
    record(
        "reference.enable" if active else "reference.disable",
        actor=actor,
        obj=entry,
        details={"name": entry.name},
    )


def rename(entry: Industry | Town, name: str, actor: User) -> None:
    if not actor.is_bureau:
        raise PermissionDenied("只有科技局可以维护基础数据")
    name = (name or "").strip()
    if not name or len(name) > 40:
        raise ValidationFailed("名称须为 1–40 个字")
    model = type(entry)
    if db.session.execute(select(model.id).where(model.name == name, model.id != entry.id)).first():
        raise ValidationFailed(f"“{name}”已存在")
    old = entry.name
    entry.name = name
    record("reference.rename", actor=actor, obj=entry, details={"from": old, "to": name})
