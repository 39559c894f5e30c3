"""The OpenAPI description of /api/v1, served at /api/v1/openapi.json."""

from __future__ import annotations

_ERROR = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}
_NEED_SUMMARY = {
    "type": "object",
    "required": [
        "id",
        "ref",
        "title",
        "industry",
        "transformation",
        "town",
        "budget_wan",
        "deadline",
        "status",
        "published_at",
    ],
    "properties": {
        "id": {"type": "integer"},
        "ref": {"type": "string"},
        "title": {"type": "string"},
        "industry": {"type": "string"},
        "transformation": {"type": "string", "enum": ["digital", "green"]},
        "town": {"type": ["string", "null"]},
        "budget_wan": {"type": ["number", "null"], "description": "万元; null = 面议"},
        "deadline": {"type": "string", "format": "date"},
        "status": {
            "type": "string",
            "enum": ["published", "closed", "matched", "converted", "lapsed"],
        },
        "published_at": {"type": ["string", "null"], "format": "date-time"},
    },
}
_BOARD_PARAMS = [
    {
        "name": "q",
        "in": "query",
        "description": "中文检索词（≤100 字）；给出时按相关度排序，"
        "每项增加 score 与 highlight（安全的 HTML，仅含 <mark>）",
        "schema": {"type": "string", "maxLength": 100},
    },
    {"name": "industry", "in": "query", "schema": {"type": "integer"}},
    {
        "name": "transformation",
        "in": "query",
        "schema": {"type": "string", "enum": ["digital", "green"]},
    },
    {"name": "town", "in": "query", "schema": {"type": "integer"}},
    {
        "name": "status",
        "in": "query",
        "schema": {
            "type": "string",
            "enum": ["published", "closed", "matched", "converted", "lapsed", "all"],
        },
    },
    {
        "name": "sort",
        "in": "query",
        "schema": {"type": "string", "enum": ["relevance", "newest", "deadline", "budget"]},
    },
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
    {
        "name": "per_page",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": 100},
    },
]

_STATS_SERIES = {
    "type": "object",
    "additionalProperties": {"type": "integer"},
    "description": "年度（北京时间自然年，字符串）→ 数量",
}
_STATS_METRIC = {
    "type": "object",
    "required": ["by_year", "cumulative", "targets"],
    "properties": {
        "by_year": {**_STATS_SERIES, "description": "有数据的每个年度的当年数（不限于规划期）"},
        "cumulative": {**_STATS_SERIES, "description": "规划期内自起始年度起的累计数（至今年）"},
        "targets": {**_STATS_SERIES, "description": "规划设定的累计目标；未设目标的年度不出现"},
    },
}
_STATS_PROGRESS = {
    "type": "object",
    "required": ["plan", "metrics"],
    "properties": {
        "plan": {"type": "string"},
        "metrics": {
            "type": "object",
            "required": ["posted", "matched", "converted"],
            "properties": {m: _STATS_METRIC for m in ("posted", "matched", "converted")},
        },
    },
}
_STATS_BREAKDOWN = {
    "type": "object",
    "properties": {
        "by": {"type": "string", "enum": ["industry", "town", "transformation", "solver"]},
        "metric": {"type": "string", "enum": ["posted", "matched", "converted"]},
        "from": {"type": ["string", "null"], "format": "date"},
        "to": {"type": ["string", "null"], "format": "date"},
        "total": {"type": "integer"},
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "key": {
                        "type": ["string", "null"],
                        "description": "行业/镇街/单位的 id，或 digital/green；null = 未填写",
                    },
                    "label": {"type": "string"},
                    "count": {"type": "integer"},
                    "drill_url": {"type": "string", "description": "该数字背后的需求清单（网页）"},
                },
            },
        },
    },
}
_STATS_ERRORS = {
    "401": {"description": "未登录"},
    "403": {"description": "非科技局用户"},
}

SPEC: dict = {
    "openapi": "3.1.0",
    "info": {"title": "桐乡市技术需求揭榜平台 API", "version": "1"},
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {"Error": _ERROR, "NeedSummary": _NEED_SUMMARY},
    },
    "paths": {
        "/api/v1/needs": {
            "get": {
                "summary": "公开榜单（分页、筛选）",
                "parameters": _BOARD_PARAMS,
                "responses": {
                    "200": {
                        "description": "OK",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "total": {"type": "integer"},
                                        "page": {"type": "integer"},
                                        "per_page": {"type": "integer"},
                                        "items": {
                                            "type": "array",
                                            "items": {"$ref": "#/components/schemas/NeedSummary"},
                                        },
                                    },
                                }
                            }
                        },
                    }
                },
            }
        },
        "/api/v1/needs/{id}": {
            "get": {
                "summary": "一条公开需求的公开字段",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
                ],
                "responses": {
                    "200": {"description": "OK"},
                    "404": {
                        "description": "不存在或未公开",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                        },
                    },
                },
            }
        },
        "/api/v1/stats/progress": {
            "get": {
                "summary": "规划目标进度（科技局）：按年度、累计与目标",
                "security": [{"bearer": []}],
                "parameters": [
                    {
                        "name": "plan",
                        "in": "query",
                        "schema": {"type": "string"},
                        "description": "规划名称；省略时为包含今年的规划",
                    }
                ],
                "responses": {
                    "200": {
                        "description": "OK",
                        "content": {"application/json": {"schema": _STATS_PROGRESS}},
                    },
                    "404": {"description": "没有该规划"},
                    **_STATS_ERRORS,
                },
            }
        },
        "/api/v1/stats/breakdown": {
            "get": {
                "summary": "分类统计（科技局）：按行业、镇街、改造类型或揭榜单位",
                "security": [{"bearer": []}],
                "parameters": [
                    {
                        "name": "by",
                        "in": "query",
                        "required": True,
                        "schema": {
                            "type": "string",
                            "enum": ["industry", "town", "transformation", "solver"],
                        },
                    },
                    {
                        "name": "metric",
                        "in": "query",
                        "schema": {
                            "type": "string",
                            "enum": ["posted", "matched", "converted"],
                            "default": "posted",
                        },
                        "description": "solver 只适用于 matched、converted",
                    },
                    {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"}},
                    {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"}},
                ],
                "responses": {
                    "200": {
                        "description": "OK",
                        "content": {"application/json": {"schema": _STATS_BREAKDOWN}},
                    },
                    "400": {
                        "description": "维度、指标或日期无效",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                        },
                    },
                    **_STATS_ERRORS,
                },
            }
        },
        "/api/v1/me": {
            "get": {
                "summary": "当前用户",
                "security": [{"bearer": []}],
                "responses": {"200": {"description": "OK"}, "401": {"description": "未登录"}},
            }
        },
    },
}


# --- bids and matches (揭榜申报, 对接记录): the same rules and audit as the pages -------------
def _op(
    summary: str,
    *,
    params: tuple[str, ...] = ("id",),
    body: dict | None = None,
    ok: str = "200",
    query: list | None = None,
) -> dict:
    op: dict = {
        "summary": summary,
        "security": [{"bearer": []}],
        "parameters": [
            {"name": p, "in": "path", "required": True, "schema": {"type": "integer"}}
            for p in params
        ]
        + (query or []),
        "responses": {
            ok: {"description": "OK"},
            "400": {"description": "输入无效", "content": _ERR},
            "401": {"description": "未登录", "content": _ERR},
            "403": {"description": "无权操作", "content": _ERR},
            "404": {"description": "不存在或无权查看", "content": _ERR},
            "409": {"description": "状态不允许（如重复申报、未登记转化）", "content": _ERR},
        },
    }
    if body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object", **body}}},
        }
    return op


_ERR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
_BID_BODY = {
    "required": ["approach", "team_lead", "duration_months"],
    "properties": {
        "approach": {"type": "string"},
        "team_lead": {"type": "string"},
        "team_members": {"type": "string"},
        "prior_results": {"type": "string"},
        "duration_months": {"type": "integer", "minimum": 1, "maximum": 120},
        "price_wan": {"type": ["number", "null"], "description": '万元；null 或 "面议" = 面议'},
    },
}
_REASON = {"properties": {"reason": {"type": "string"}}}
_MATCH_QUERY = [
    {"name": n, "in": "query", "schema": {"type": t}}
    for n, t in (
        ("status", "string"),
        ("industry", "integer"),
        ("town", "integer"),
        ("solver", "integer"),
        ("year", "integer"),
        ("page", "integer"),
        ("per_page", "integer"),
    )
]

SPEC["paths"].update(
    {
        "/api/v1/bids": {"get": _op("本单位的揭榜申报（揭榜方）", params=())},
        "/api/v1/bids/{id}": {
            "get": _op("一份揭榜申报（申报单位、发榜企业、科技局可见）"),
            "patch": _op(
                "修改申报（截止前、企业决定前；揭榜方）",
                body={"properties": _BID_BODY["properties"]},
            ),
        },
        "/api/v1/bids/{id}/attachment": {"get": _op("下载申报附件（PDF）")},
        "/api/v1/bids/{id}/withdraw": {"post": _op("撤回申报（揭榜方）", body=_REASON)},
        "/api/v1/bids/{id}/shortlist": {"post": _op("列入入围（发榜企业）")},
        "/api/v1/bids/{id}/accept": {"post": _op("选中申报并建立对接记录（发榜企业）", ok="201")},
        "/api/v1/bids/{id}/decline": {"post": _op("标记为未选中（发榜企业）", body=_REASON)},
        "/api/v1/needs/{id}/bids": {
            "get": _op(
                "需求的全部申报（发榜企业、科技局）",
                query=[{"name": "all", "in": "query", "schema": {"type": "string", "enum": ["1"]}}],
            ),
            "post": _op("提交揭榜申报（已认证的高校、科研院所，截止前）", body=_BID_BODY, ok="201"),
        },
        "/api/v1/needs/{id}/questions": {
            "get": {
                "summary": "申报数与已答复的问题（公开，不含提问单位）",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
                ],
                "responses": {"200": {"description": "OK"}},
            },
            "post": _op(
                "向发榜企业提问（揭榜方）",
                body={"required": ["body"], "properties": {"body": {"type": "string"}}},
                ok="201",
            ),
        },
        "/api/v1/questions/{id}/answer": {
            "post": _op(
                "答复问题（发榜企业）",
                body={"required": ["answer"], "properties": {"answer": {"type": "string"}}},
            )
        },
        "/api/v1/matches": {
            "get": _op(
                "对接记录（科技局全部、企业本单位需求、揭榜方本单位）",
                params=(),
                query=_MATCH_QUERY,
            )
        },
        "/api/v1/matches/{id}": {"get": _op("一条对接记录")},
        "/api/v1/matches/{id}/contract": {"get": _op("下载合同文件（PDF）")},
        "/api/v1/matches/{id}/sign": {
            "post": _op(
                "登记签约（发榜企业）",
                body={
                    "required": ["signed_on", "contract_amount_wan"],
                    "properties": {
                        "signed_on": {"type": "string", "format": "date"},
                        "contract_amount_wan": {"type": "number"},
                        "contract_reg_no": {"type": "string"},
                    },
                },
            )
        },
        "/api/v1/matches/{id}/milestones": {
            "post": _op(
                "记录进展（对接双方）",
                body={
                    "required": ["occurred_on", "note"],
                    "properties": {
                        "occurred_on": {"type": "string", "format": "date"},
                        "note": {"type": "string"},
                    },
                },
                ok="201",
            )
        },
        "/api/v1/matches/{id}/conversion": {
            "post": _op(
                "登记转化结果（发榜企业）",
                body={
                    "required": ["completed_on", "result_summary"],
                    "properties": {
                        "completed_on": {"type": "string", "format": "date"},
                        "result_summary": {"type": "string"},
                    },
                },
            )
        },
        "/api/v1/matches/{id}/confirm": {"post": _op("确认转化（科技局）")},
        "/api/v1/matches/{id}/return": {
            "post": _op("退回转化登记（科技局）", body={"required": ["reason"], **_REASON})
        },
        "/api/v1/matches/{id}/terminate": {
            "post": _op("终止对接（对接双方）", body={"required": ["reason"], **_REASON})
        },
    }
)
