import pytest

from matchmaking import create_app
from matchmaking.config import ConfigError


def test_refuses_to_start_without_a_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("MATCHMAKING_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError):
        create_app({"INSTANCE_PATH": str(tmp_path), "ENV_NAME": "production"})


def test_refuses_a_short_secret_key(tmp_path):
    with pytest.raises(ConfigError):
        create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "short"})


def test_database_url_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/db")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k" * 40})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"


def test_default_is_sqlite_under_instance(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k" * 40})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/matchmaking.db"
    assert app.config["SEARCH_INDEX_DIR"] == f"{tmp_path}/search"
