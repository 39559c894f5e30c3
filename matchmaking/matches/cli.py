"""`flask matches ...` commands."""

from flask.cli import AppGroup

matches_cli = AppGroup("matches", help="matches commands.")
