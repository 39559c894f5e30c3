"""Error pages: generic, in Chinese, with the request id, never a traceback."""

from __future__ import annotations

from flask import Flask, Response, g, jsonify, render_template, request
from flask.globals import request_ctx
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from matchmaking.errors import DomainError
from matchmaking.extensions import db

MESSAGES = {
    400: "请求无效。如果您刚提交了表单，请返回刷新页面后重试。",
    401: "请先登录。",
    403: "您无权访问此页面。",
    404: "页面不存在，或您无权查看。",
    405: "不支持该请求方式。",
    409: "操作与当前状态冲突，请刷新后重试。",
    413: "提交的内容过大。",
    429: "请求过于频繁，请稍后再试。",
    500: "服务器出现错误，我们已记录。请稍后再试。",
    503: "服务暂时不可用，请稍后再试。",
}


def _respond(status: int, message: str | None = None, code: str | None = None):
    message = message or MESSAGES.get(status, "请求无法完成。")
    if request_ctx.url_adapter is None:
        # No URL adapter (e.g. an untrusted Host header): the page template cannot build
        # links, so answer in plain text rather than fail again.
        return Response(
            f"{status} {message} 请求编号：{g.get('request_id', '')}\n",
            status=status,
            mimetype="text/plain",
        )
    if request.path.startswith("/api/"):
        return jsonify(
            error={
                "code": code or str(status),
                "message": message,
                "request_id": g.get("request_id"),
            }
        ), status
    return render_template(
        "error.html", status=status, message=message, request_id=g.get("request_id")
    ), status


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return _respond(
            400, "页面已过期或请求来源无效（CSRF 校验失败），请刷新页面后重试。", "csrf"
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return _respond(exc.code or 500)

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        db.session.rollback()
        return _respond(exc.status, exc.message, exc.code)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        db.session.rollback()
        app.logger.exception("unhandled error (request %s)", g.get("request_id"))
        return _respond(500)
