"""The OpenAPI description of /api/v1, served at /api/v1/openapi.json."""

from __future__ import annotations

_ERROR = {
    "type": "object",
    "properties": {"error": {"type": "object", "properties": {
        "code": {"type": "string"}, "message": {"type": "string"}}}},
}
_NEED_SUMMARY = {
    "type": "object",
    "required": ["id", "ref", "title", "industry", "transformation", "town", "budget_wan",
                 "deadline", "status", "published_at"],
    "properties": {
        "id": {"type": "integer"},
        "ref": {"type": "string"},
        "title": {"type": "string"},
        "industry": {"type": "string"},
        "transformation": {"type": "string", "enum": ["digital", "green"]},
        "town": {"type": ["string", "null"]},
        "budget_wan": {"type": ["number", "null"], "description": "万元; null = 面议"},
        "deadline": {"type": "string", "format": "date"},
        "status": {"type": "string",
                   "enum": ["published", "closed", "matched", "converted", "lapsed"]},
        "published_at": {"type": ["string", "null"], "format": "date-time"},
    },
}
_BOARD_PARAMS = [
    {"name": "q", "in": "query", "description": "中文检索词（≤100 字）；给出时按相关度排序，"
     "每项增加 score 与 highlight（安全的 HTML，仅含 <mark>）",
     "schema": {"type": "string", "maxLength": 100}},
    {"name": "industry", "in": "query", "schema": {"type": "integer"}},
    {"name": "transformation", "in": "query",
     "schema": {"type": "string", "enum": ["digital", "green"]}},
    {"name": "town", "in": "query", "schema": {"type": "integer"}},
    {"name": "status", "in": "query", "schema": {
        "type": "string",
        "enum": ["published", "closed", "matched", "converted", "lapsed", "all"]}},
    {"name": "sort", "in": "query",
     "schema": {"type": "string", "enum": ["relevance", "newest", "deadline", "budget"]}},
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
    {"name": "per_page", "in": "query",
     "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
]

SPEC: dict = {
    "openapi": "3.1.0",
    "info": {"title": "桐乡市技术需求揭榜平台 API", "version": "1"},
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {"Error": _ERROR, "NeedSummary": _NEED_SUMMARY},
    },
    "paths": {
        "/api/v1/needs": {"get": {
            "summary": "公开榜单（分页、筛选）",
            "parameters": _BOARD_PARAMS,
            "responses": {"200": {"description": "OK", "content": {"application/json": {
                "schema": {"type": "object", "properties": {
                    "total": {"type": "integer"}, "page": {"type": "integer"},
                    "per_page": {"type": "integer"},
                    "items": {"type": "array",
                              "items": {"$ref": "#/components/schemas/NeedSummary"}}}}}}}},
        }},
        "/api/v1/needs/{id}": {"get": {
            "summary": "一条公开需求的公开字段",
            "parameters": [{"name": "id", "in": "path", "required": True,
                            "schema": {"type": "integer"}}],
            "responses": {
                "200": {"description": "OK"},
                "404": {"description": "不存在或未公开", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Error"}}}},
            },
        }},
        "/api/v1/me": {"get": {"summary": "当前用户", "security": [{"bearer": []}],
                               "responses": {"200": {"description": "OK"},
                                             "401": {"description": "未登录"}}}},
    },
}
