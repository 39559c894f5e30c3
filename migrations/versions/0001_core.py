"""core: accounts, needs, audit, search outbox

Revision ID: 0001
Revises:
Create Date: 2026-11-27 01:37:12.119161

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None

# Reference data as the policy names it (a copy: migrations never import application code).
SEED_INDUSTRIES = [
    "毛衫服装", "化纤", "玻纤", "纺织印染", "汽车汽配", "新材料", "化工", "建材", "装备制造",
    "电子信息", "生物医药", "其他",
]
SEED_TOWNS = [
    "梧桐街道", "凤鸣街道", "龙翔街道", "高桥街道", "濮院镇", "屠甸镇", "洲泉镇",
    "大麻镇", "崇福镇", "河山镇", "乌镇镇", "石门镇",
]

# Rows younger than 184 days can never be deleted; older rows only by the purge command,
# which sets matchmaking.audit_purge for its own transaction.
AUDIT_TRIGGER_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND current_setting('matchmaking.audit_purge', true) = 'on'
       AND OLD.created_at < now() - interval '184 days' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$ LANGUAGE plpgsql
"""


def upgrade():
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_email', sa.String(length=254), nullable=True),
    sa.Column('actor_org_id', sa.Integer(), nullable=True),
    sa.Column('actor_role', sa.String(length=20), nullable=True),
    sa.Column('ip', sa.String(length=45), nullable=True),
    sa.Column('request_id', sa.String(length=40), nullable=True),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('object_type', sa.String(length=30), nullable=True),
    sa.Column('object_id', sa.Integer(), nullable=True),
    sa.Column('from_state', sa.String(length=20), nullable=True),
    sa.Column('to_state', sa.String(length=20), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('details', sa.Text(), nullable=True),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events')),
    sa.UniqueConstraint('hash', name=op.f('uq_audit_events_hash'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_created_at'), ['created_at'], unique=False)

    op.create_table('industries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_industries')),
    sa.UniqueConstraint('name', name=op.f('uq_industries_name'))
    )
    op.create_table('towns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_towns')),
    sa.UniqueConstraint('name', name=op.f('uq_towns_name'))
    )
    op.create_table('organizations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.Enum('enterprise', 'university', 'institute', 'bureau', name='org_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=True),
    sa.Column('town_id', sa.Integer(), nullable=True),
    sa.Column('contact_name', sa.String(length=50), nullable=False),
    sa.Column('contact_phone', sa.String(length=30), nullable=False),
    sa.Column('status', sa.Enum('unverified', 'verified', 'rejected', name='org_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('reject_reason', sa.Text(), nullable=True),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['town_id'], ['towns.id'], name=op.f('fk_organizations_town_id_towns')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organizations')),
    sa.UniqueConstraint('name', name=op.f('uq_organizations_name')),
    sa.UniqueConstraint('uscc', name=op.f('uq_organizations_uscc'))
    )
    op.create_table('organization_industries',
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('industry_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['industry_id'], ['industries.id'], name=op.f('fk_organization_industries_industry_id_industries')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_organization_industries_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('organization_id', 'industry_id', name=op.f('pk_organization_industries'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('phone', sa.String(length=30), nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=False),
    sa.Column('role', sa.Enum('enterprise', 'solver', 'bureau', name='user_role', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('password_changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('session_version', sa.Integer(), nullable=False),
    sa.Column('totp_secret', sa.String(length=64), nullable=True),
    sa.Column('totp_last_step', sa.Integer(), nullable=True),
    sa.CheckConstraint('failed_logins >= 0', name=op.f('ck_users_failed_logins_nonneg')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_users_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_organization_id'), ['organization_id'], unique=False)

    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('needs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=40), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('background', sa.Text(), nullable=False),
    sa.Column('difficulty', sa.Text(), nullable=False),
    sa.Column('indicators', sa.Text(), nullable=False),
    sa.Column('expected_outcome', sa.Text(), nullable=False),
    sa.Column('budget_wan', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('industry_id', sa.Integer(), nullable=False),
    sa.Column('town_id', sa.Integer(), nullable=True),
    sa.Column('transformation', sa.Enum('digital', 'green', name='transformation', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('keywords', sa.String(length=200), nullable=False),
    sa.Column('ip_terms', sa.Text(), nullable=False),
    sa.Column('confidential', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'submitted', 'returned', 'published', 'closed', 'matched', 'converted', 'lapsed', 'withdrawn', name='need_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('return_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status <> 'returned' OR return_reason IS NOT NULL", name=op.f('ck_needs_returned_has_reason')),
    sa.CheckConstraint("status IN ('draft','submitted','returned','withdrawn') OR first_published_at IS NOT NULL", name=op.f('ck_needs_public_has_published_at')),
    sa.CheckConstraint('budget_wan IS NULL OR budget_wan >= 0', name=op.f('ck_needs_budget_nonneg')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_needs_created_by_id_users')),
    sa.ForeignKeyConstraint(['industry_id'], ['industries.id'], name=op.f('fk_needs_industry_id_industries')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_needs_organization_id_organizations')),
    sa.ForeignKeyConstraint(['town_id'], ['towns.id'], name=op.f('fk_needs_town_id_towns')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_needs')),
    sa.UniqueConstraint('ref', name=op.f('uq_needs_ref'))
    )
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.create_index('ix_needs_first_published_at', ['first_published_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_needs_industry_id'), ['industry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_needs_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index('ix_needs_status_deadline', ['status', 'deadline'], unique=False)
        batch_op.create_index(batch_op.f('ix_needs_town_id'), ['town_id'], unique=False)

    op.create_table('search_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['need_id'], ['needs.id'], name=op.f('fk_search_outbox_need_id_needs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_outbox'))
    )
    with op.batch_alter_table('search_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_search_outbox_pending', ['applied_at', 'id'], unique=False)


    industries = sa.table("industries", sa.column("name", sa.String), sa.column("active", sa.Boolean),
                          sa.column("position", sa.Integer))
    towns = sa.table("towns", sa.column("name", sa.String), sa.column("active", sa.Boolean),
                     sa.column("position", sa.Integer))
    op.bulk_insert(industries, [{"name": n, "active": True, "position": i}
                                for i, n in enumerate(SEED_INDUSTRIES)])
    op.bulk_insert(towns, [{"name": n, "active": True, "position": i}
                           for i, n in enumerate(SEED_TOWNS)])

    if op.get_bind().dialect.name == "postgresql":
        # The audit log is append-only in the database itself, not only in the application.
        op.execute(AUDIT_TRIGGER_FUNCTION)
        op.execute(
            "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
    with op.batch_alter_table('search_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_search_outbox_pending')

    op.drop_table('search_outbox')
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_needs_town_id'))
        batch_op.drop_index('ix_needs_status_deadline')
        batch_op.drop_index(batch_op.f('ix_needs_organization_id'))
        batch_op.drop_index(batch_op.f('ix_needs_industry_id'))
        batch_op.drop_index('ix_needs_first_published_at')

    op.drop_table('needs')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_organization_id'))

    op.drop_table('users')
    op.drop_table('organization_industries')
    op.drop_table('organizations')
    op.drop_table('towns')
    op.drop_table('industries')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_created_at'))
        batch_op.drop_index(batch_op.f('ix_audit_events_actor_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_action'))

    op.drop_table('audit_events')
