"""Pages for bids (揭榜申报) and questions. (Filled in by the bids issue.)"""

from flask import Blueprint

bp = Blueprint("bids", __name__)
