"""Pages for matches (对接记录). (Filled in by the bids issue.)"""

from flask import Blueprint

bp = Blueprint("matches", __name__)
