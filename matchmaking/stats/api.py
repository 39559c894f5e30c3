"""The dashboard's JSON (/api/v1/stats/...), bureau only, by session or bearer token.

The dashboard's charts are drawn from these same endpoints.
"""

from __future__ import annotations

from flask import jsonify, request, url_for

from matchmaking.access import roles
from matchmaking.accounts.models import Role
from matchmaking.api.views import api_blueprint, error
from matchmaking.errors import ValidationFailed
from matchmaking.stats import services, targets

api_bp = api_blueprint("stats_api", __name__)


@api_bp.get("/stats/progress")
@roles(Role.bureau)
def progress():
    name = request.args.get("plan", "").strip()
    plan = targets.find_plan(name) if name else targets.default_plan()
    if plan is None:
        if name:
            return error("not_found", f"没有名为“{name[:60]}”的规划", 404)
        return error("not_found", "尚未设置任何规划目标", 404)
    return jsonify(services.progress(plan).as_json())


@api_bp.get("/stats/breakdown")
@roles(Role.bureau)
def breakdown():
    args = request.args
    try:
        by = services.check_dimension(args.get("by", ""))
        metric = services.check_measure(args.get("metric", "posted"), plan_metric=True)
        period = services.Period.parse(args.get("from"), args.get("to"))
        total = services.Selection(metric, period, by).count()  # also checks by × metric
        rows = services.breakdown(by, period, (metric,))
    except ValidationFailed as exc:
        return error(exc.code, exc.message, 400)
    items = [
        {
            "key": r.key,
            "label": r.label,
            "count": r.counts[metric],
            "drill_url": url_for(
                "stats.drill", measure=metric, by=by, key=r.link_key, **period.args()
            ),
        }
        for r in rows
    ]
    return jsonify(
        by=by,
        metric=metric,
        **{
            "from": period.start and period.start.isoformat(),
            "to": period.end and period.end.isoformat(),
        },
        total=total,
        items=items,
    )
