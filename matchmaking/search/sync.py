"""After-commit index maintenance.

A commit that wrote outbox rows marks the app context; when the context ends (after the
response of a request, or at the end of a CLI command), the pending rows are applied. A
failure is logged and left for ``flask search sync``: the user's action has already
succeeded and is never undone by the index.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app, g, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from matchmaking.extensions import db
from matchmaking.search.models import SearchOutbox

log = logging.getLogger(__name__)
_FLAG = "search_outbox_written"


def note_bulk_outbox(session: Session) -> None:
    """For bulk INSERTs into the outbox, which the ORM's flush events do not see."""
    session.info[_FLAG] = True


@event.listens_for(Session, "after_flush")
def _note_outbox(session: Session, _flush_context) -> None:
    if any(isinstance(obj, SearchOutbox) for obj in session.new):
        session.info[_FLAG] = True


@event.listens_for(Session, "after_commit")
def _mark_context(session: Session) -> None:
    if session.info.pop(_FLAG, False) and has_app_context():
        g.search_sync_needed = True


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_FLAG, None)


def sync_after_commit(_exc: BaseException | None = None) -> None:
    if not g.pop("search_sync_needed", False):
        return
    if not current_app.config.get("SEARCH_SYNC_AFTER_COMMIT", True):
        return
    from matchmaking.search.services import apply_pending

    try:
        apply_pending(lock_timeout=current_app.config.get("SEARCH_LOCK_TIMEOUT", 2.0))
    except Exception:  # the index is derived: never fail or undo the user's action
        db.session.rollback()
        log.exception("search index update failed; `flask search sync` will catch up")


def init_app(app: Flask) -> None:
    app.teardown_appcontext(sync_after_commit)
