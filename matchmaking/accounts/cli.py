"""Operator commands for accounts: `flask accounts create-user`, `create-token`."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from matchmaking.accounts import services
from matchmaking.accounts.models import OrgKind, Role
from matchmaking.errors import DomainError
from matchmaking.extensions import db

accounts_cli = AppGroup("accounts", help="Users, organizations and API tokens.")


@accounts_cli.command("create-user")
@click.option("--email", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--org", "org_name", required=True, help="Organization name (created if new).")
@click.option(
    "--kind",
    type=click.Choice([k.value for k in OrgKind]),
    default=None,
    help="Kind of a new organization (default from the role).",
)
@click.option("--name", default="", help="The person's name.")
@click.password_option("--password", prompt="Password", confirmation_prompt="Repeat password")
def create_user(
    email: str, role: str, org_name: str, kind: str | None, name: str, password: str
) -> None:
    """Create a user; its organization is created (verified) if it does not exist."""
    try:
        user = services.create_user(
            email=email,
            password=password,
            role=Role(role),
            org_name=org_name,
            name=name,
            kind=OrgKind(kind) if kind else None,
        )
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(f"created {user.role.value} user {user.email} in {user.organization.name}")
    if user.role is Role.bureau:
        click.echo(
            "this account signs in with a second factor: an authenticator app is set up "
            "(the secret shown once) at its first sign-in"
        )


@accounts_cli.command("create-token")
@click.argument("email")
def create_token(email: str) -> None:
    """Issue an API bearer token; it is printed once, alone on the last line."""
    user = services.find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"no user with e-mail {email}")
    token = services.issue_token(user)
    db.session.commit()
    click.echo(f"token for {user.email} (stored hashed; shown only now):", err=True)
    click.echo(token)


@accounts_cli.command("reset-totp")
@click.argument("email")
def reset_totp(email: str) -> None:
    """Clear a user's second factor (lost phone); they enrol again at the next sign-in."""
    user = services.find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"no user with e-mail {email}")
    services.reset_second_factor(user, via="cli")
    db.session.commit()
    click.echo(f"second factor of {user.email} cleared; every session signed out")


@accounts_cli.command("unlock")
@click.argument("email")
def unlock(email: str) -> None:
    """Lift a lockout after 5 failed sign-ins before the 30 minutes are over."""
    user = services.find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"no user with e-mail {email}")
    services.unlock(user)
    db.session.commit()
    click.echo(f"{user.email} unlocked")
