"""The bureau's audit log pages. (Filled in by the security issue.)"""

from flask import Blueprint

bp = Blueprint("audit", __name__, url_prefix="/bureau/audit")
