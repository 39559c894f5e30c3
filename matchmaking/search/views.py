"""The search page. (Filled in by the search issue.)"""

from flask import Blueprint

bp = Blueprint("search", __name__)
