"""Keeping the search index in step with the database (filled in below)."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the after-commit index writer."""
