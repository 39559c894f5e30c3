"""`flask stats ...` commands."""

from flask.cli import AppGroup

stats_cli = AppGroup("stats", help="stats commands.")
