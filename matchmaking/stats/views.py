"""The bureau's dashboard. (Filled in by the dashboard issue.)"""

from flask import Blueprint

bp = Blueprint("stats", __name__, url_prefix="/bureau/stats")
