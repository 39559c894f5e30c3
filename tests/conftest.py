"""Fixtures: an app per test on a migrated database (SQLite, and PostgreSQL when
TEST_DATABASE_URL is set), a client, users of each role, and factories."""

from __future__ import annotations

import contextvars
import os
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask, has_app_context
from flask.testing import FlaskClient

from matchmaking import create_app
from matchmaking.extensions import db
from tests import factories

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])
TEST_SECRET = "test-secret-key-" + "x" * 32


class IsolatedClient(FlaskClient):
    """Each request runs in an empty context, so it pushes its own app context: its own ``g``
    (signed-in user) and its own database session, as in production. Without this, requests
    would reuse the test's app context and share state that a real server never shares."""

    def open(self, *args, **kwargs):
        # End the test's own transaction first: the request then sees what the test wrote,
        # and afterwards the test reads fresh rows (its objects are expired by the commit).
        if has_app_context():  # not inside a redirect that this client follows
            db.session.commit()
        return contextvars.Context().run(super().open, *args, **kwargs)


def _migrate(url: str, instance: str) -> None:
    from flask_migrate import upgrade

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": TEST_SECRET,
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": instance,
        }
    )
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database migrated once per backend per session (the schema comes from migrations)."""
    base = tmp_path_factory.mktemp(f"db-{request.param}")
    if request.param == "sqlite":
        url = f"sqlite:///{base / 'test.db'}"
    else:
        url = _worker_database(os.environ["TEST_DATABASE_URL"])
    _migrate(url, str(base))
    return url


def _worker_database(url: str) -> str:
    """With pytest-xdist each worker gets its own PostgreSQL database next to the given one
    (test → test_gw0, test_gw1), created on first use; without xdist the given one."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    base = sa.engine.make_url(url)
    name = f"{base.database}_{worker}"
    engine = sa.create_engine(
        base.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with engine.connect() as conn:
        exists = conn.execute(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        ).first()
        if not exists:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _reset(app: Flask) -> None:
    """Empty every table but keep the migrated schema and the seeded reference data."""
    keep = {"industries", "towns"}
    with app.app_context():
        db.session.remove()
        tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in keep]
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # TRUNCATE bypasses the append-only trigger of audit_events (test clean-up only).
                names = ", ".join(t.name for t in tables)
                conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for t in tables:
                    conn.execute(t.delete())
        db.engine.dispose()


@pytest.fixture
def app(database_url: str, tmp_path) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": TEST_SECRET,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SEARCH_INDEX_DIR": str(tmp_path / "search"),
            "UPLOAD_DIR": str(tmp_path / "uploads"),
            "WTF_CSRF_ENABLED": False,
            # Tests check results, not speed: a loaded CI machine must not cut searches short.
            "SEARCH_TIME_LIMIT": 10.0,
        }
    )
    app.test_client_class = IsolatedClient
    with app.app_context():
        yield app
        db.session.remove()
    index = app.extensions.get("search_index")
    if index is not None:
        index.close()  # release the searchers' file handles
    _reset(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


@pytest.fixture
def bureau(app: Flask):
    return factories.user("bureau")


@pytest.fixture
def enterprise(app: Flask):
    return factories.user("enterprise")


@pytest.fixture
def other_enterprise(app: Flask):
    return factories.user("enterprise", org_name="桐乡市另一家企业有限公司")


@pytest.fixture
def solver(app: Flask):
    return factories.user("university")


@pytest.fixture
def login(client: FlaskClient):
    """login(user) signs the test client in as that user."""

    def do(user) -> None:
        response = factories.sign_in(client, user)  # with the TOTP step for bureau users
        assert response.status_code == 302, response.get_data(as_text=True)

    return do
