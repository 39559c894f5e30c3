"""bids questions matches milestones targets

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 01:40:17.201725

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

# 桐政办发〔2022〕63号: needs posted (发榜) and conversions (揭榜对接转化), cumulative from 2022.
# Years the policy names no figure for (2024) get no target rather than an invented one.
PLAN = "2022—2025年“两化”改造实施方案"
PLAN_TARGETS = {
    "posted": {2022: 39, 2023: 58, 2025: 97},
    "converted": {2022: 20, 2023: 30, 2025: 60},
}


def upgrade():
    op.create_table('targets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan', sa.String(length=60), nullable=False),
    sa.Column('plan_start_year', sa.Integer(), nullable=False),
    sa.Column('metric', sa.Enum('posted', 'matched', 'converted', name='metric', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.CheckConstraint('value >= 0', name=op.f('ck_targets_value_nonneg')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_targets')),
    sa.UniqueConstraint('plan', 'metric', 'year', name='uq_targets_plan_metric_year')
    )
    op.create_table('bids',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('approach', sa.Text(), nullable=False),
    sa.Column('team_lead', sa.String(length=50), nullable=False),
    sa.Column('team_members', sa.Text(), nullable=False),
    sa.Column('duration_months', sa.Integer(), nullable=False),
    sa.Column('price_wan', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('prior_results', sa.Text(), nullable=False),
    sa.Column('attachment_name', sa.String(length=200), nullable=True),
    sa.Column('attachment_key', sa.String(length=64), nullable=True),
    sa.Column('attachment_size', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('submitted', 'shortlisted', 'accepted', 'declined', 'withdrawn', name='bid_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('decline_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status <> 'accepted' OR decided_at IS NOT NULL", name=op.f('ck_bids_accepted_has_time')),
    sa.CheckConstraint("status <> 'declined' OR decided_at IS NOT NULL", name=op.f('ck_bids_declined_has_time')),
    sa.CheckConstraint("status <> 'withdrawn' OR withdrawn_at IS NOT NULL", name=op.f('ck_bids_withdrawn_has_time')),
    sa.CheckConstraint('duration_months > 0 AND duration_months <= 120', name=op.f('ck_bids_duration_range')),
    sa.CheckConstraint('price_wan IS NULL OR price_wan >= 0', name=op.f('ck_bids_price_nonneg')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_bids_created_by_id_users')),
    sa.ForeignKeyConstraint(['need_id'], ['needs.id'], name=op.f('fk_bids_need_id_needs')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_bids_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bids'))
    )
    with op.batch_alter_table('bids', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bids_need_id'), ['need_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bids_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index('uq_bids_live_per_org', ['need_id', 'organization_id'], unique=True, sqlite_where=sa.text("status IN ('submitted', 'shortlisted', 'accepted')"), postgresql_where=sa.text("status IN ('submitted', 'shortlisted', 'accepted')"))

    op.create_table('questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('asked_by_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_questions_answered_by_id_users')),
    sa.ForeignKeyConstraint(['asked_by_id'], ['users.id'], name=op.f('fk_questions_asked_by_id_users')),
    sa.ForeignKeyConstraint(['need_id'], ['needs.id'], name=op.f('fk_questions_need_id_needs')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_questions_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questions'))
    )
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questions_need_id'), ['need_id'], unique=False)

    op.create_table('matches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('bid_id', sa.Integer(), nullable=True),
    sa.Column('solver_org_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('negotiating', 'signed', 'converted', 'terminated', name='match_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('signed_on', sa.Date(), nullable=True),
    sa.Column('contract_amount_wan', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('contract_reg_no', sa.String(length=60), nullable=True),
    sa.Column('contract_file_name', sa.String(length=200), nullable=True),
    sa.Column('contract_file_key', sa.String(length=64), nullable=True),
    sa.Column('result_summary', sa.Text(), nullable=True),
    sa.Column('completed_on', sa.Date(), nullable=True),
    sa.Column('conversion_recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('conversion_return_reason', sa.Text(), nullable=True),
    sa.Column('terminated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('termination_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status <> 'converted' OR (completed_on IS NOT NULL AND confirmed_at IS NOT NULL)", name=op.f('ck_matches_converted_is_confirmed')),
    sa.CheckConstraint("status <> 'terminated' OR terminated_at IS NOT NULL", name=op.f('ck_matches_terminated_has_time')),
    sa.CheckConstraint('conversion_recorded_at IS NULL OR completed_on IS NOT NULL', name=op.f('ck_matches_recorded_conversion_has_date')),
    sa.CheckConstraint("status NOT IN ('signed', 'converted') OR signed_on IS NOT NULL", name=op.f('ck_matches_signed_has_date')),
    sa.CheckConstraint('contract_amount_wan IS NULL OR contract_amount_wan >= 0', name=op.f('ck_matches_amount_nonneg')),
    sa.ForeignKeyConstraint(['bid_id'], ['bids.id'], name=op.f('fk_matches_bid_id_bids')),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['users.id'], name=op.f('fk_matches_confirmed_by_id_users')),
    sa.ForeignKeyConstraint(['need_id'], ['needs.id'], name=op.f('fk_matches_need_id_needs')),
    sa.ForeignKeyConstraint(['solver_org_id'], ['organizations.id'], name=op.f('fk_matches_solver_org_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_matches')),
    sa.UniqueConstraint('bid_id', name=op.f('uq_matches_bid_id'))
    )
    with op.batch_alter_table('matches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_matches_need_id'), ['need_id'], unique=False)
        batch_op.create_index('ix_matches_signed_on', ['signed_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_matches_solver_org_id'), ['solver_org_id'], unique=False)
        batch_op.create_index('ix_matches_status_completed_on', ['status', 'completed_on'], unique=False)

    op.create_table('milestones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('match_id', sa.Integer(), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_milestones_created_by_id_users')),
    sa.ForeignKeyConstraint(['match_id'], ['matches.id'], name=op.f('fk_milestones_match_id_matches'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_milestones'))
    )
    with op.batch_alter_table('milestones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_milestones_match_id'), ['match_id'], unique=False)


    targets = sa.table("targets", sa.column("plan", sa.String), sa.column("plan_start_year", sa.Integer),
                       sa.column("metric", sa.String), sa.column("year", sa.Integer),
                       sa.column("value", sa.Integer))
    op.bulk_insert(targets, [
        {"plan": PLAN, "plan_start_year": 2022, "metric": metric, "year": year, "value": value}
        for metric, by_year in PLAN_TARGETS.items() for year, value in by_year.items()
    ])


def downgrade():
    with op.batch_alter_table('milestones', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_milestones_match_id'))

    op.drop_table('milestones')
    with op.batch_alter_table('matches', schema=None) as batch_op:
        batch_op.drop_index('ix_matches_status_completed_on')
        batch_op.drop_index(batch_op.f('ix_matches_solver_org_id'))
        batch_op.drop_index('ix_matches_signed_on')
        batch_op.drop_index(batch_op.f('ix_matches_need_id'))

    op.drop_table('matches')
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questions_need_id'))

    op.drop_table('questions')
    with op.batch_alter_table('bids', schema=None) as batch_op:
        batch_op.drop_index('uq_bids_live_per_org', sqlite_where=sa.text("status IN ('submitted', 'shortlisted', 'accepted')"), postgresql_where=sa.text("status IN ('submitted', 'shortlisted', 'accepted')"))
        batch_op.drop_index(batch_op.f('ix_bids_organization_id'))
        batch_op.drop_index(batch_op.f('ix_bids_need_id'))

    op.drop_table('bids')
    op.drop_table('targets')
