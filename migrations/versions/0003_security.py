"""security: audit log searchable by object

Revision ID: 0003
Revises: 0002

Security state of users (failed_logins, locked_until, session_version, totp_secret,
totp_last_step, password_changed_at) and the PostgreSQL append-only trigger of
audit_events already exist since 0001; this revision adds the index behind the bureau's
audit search by object.
"""

from alembic import op
import sqlalchemy as sa  # noqa: F401

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index("ix_audit_events_object", ["object_type", "object_id"],
                              unique=False)


def downgrade():
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_object")
