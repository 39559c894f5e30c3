"""The search page: Chinese full-text search over the public board."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from matchmaking.access import public
from matchmaking.extensions import limiter
from matchmaking.needs import queries
from matchmaking.pagination import int_arg
from matchmaking.search import services

bp = Blueprint("search", __name__)


def _search_limit() -> str:
    return current_app.config["SEARCH_RATE_LIMIT"]


# Shared by the search page and the JSON API's ranked search (one budget per IP).
search_throttle = limiter.shared_limit(
    _search_limit, scope="search", exempt_when=lambda: not request.args.get("q")
)

# Broader terms offered when a search finds nothing.
SUGGESTIONS = ["数字化改造", "节能降耗", "废水", "废气", "检测", "自动化", "新材料"]


@bp.get("/search")
@public
@search_throttle
def results():
    query = services.clean_query(request.args.get("q", ""))
    filters = queries.BoardFilters.from_args(request.args)
    if "status" not in request.args:
        filters.status = None  # searching looks at every public need unless asked otherwise
    sort = request.args.get("sort", "relevance")
    page = int_arg(request.args, "page", 1)
    found = services.search_needs(query, filters, sort, page, 20)
    industries, towns = queries.reference_choices()
    return render_template(
        "search/results.html",
        q=query,
        found=found,
        filters=filters,
        sort=sort,
        industries=industries,
        towns=towns,
        status_filters=queries.STATUS_FILTERS,
        suggestions=SUGGESTIONS,
    )
