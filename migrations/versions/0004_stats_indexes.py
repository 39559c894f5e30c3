"""stats indexes: covering indexes for the bureau's dashboard queries

The dashboard counts needs by their first publishing time, first signing date and first
conversion date, grouped by industry, town, transformation and solver. These indexes let
both SQLite and PostgreSQL answer those counts from the index alone:

- needs (first_published_at, industry_id, town_id, transformation): posted counts for a
  period and their breakdowns (range scan, no table access);
- matches (need_id, signed_on, status, solver_org_id) and
  matches (need_id, completed_on, status, confirmed_at, solver_org_id): the per-need MIN()
  of the signing and conversion dates, read in need order without a sort, and the lookup of
  the match that set that date;
- bids (need_id, status, created_at): "has a bid" and "first bid" per need;
- needs (status, first_published_at): the 流榜-risk list (needs on the board for 30 days).

The models declare them too, so autogenerate sees no drift; the dashboard depends on them
for speed only, not for correctness.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 02:10:00
"""
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

INDEXES = [
    ("ix_needs_stats_published", "needs",
     ["first_published_at", "industry_id", "town_id", "transformation"]),
    ("ix_matches_stats_signed", "matches", ["need_id", "signed_on", "status", "solver_org_id"]),
    ("ix_matches_stats_completed", "matches",
     ["need_id", "completed_on", "status", "confirmed_at", "solver_org_id"]),
    ("ix_bids_stats_need_status_created", "bids", ["need_id", "status", "created_at"]),
    ("ix_needs_stats_status_published", "needs", ["status", "first_published_at"]),
]


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade():
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
