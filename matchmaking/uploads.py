"""Attachment storage: PDF files kept outside the web root under random names.

A file is accepted only if its name ends in .pdf, its first bytes are the PDF signature and
it is no larger than ``UPLOAD_MAX_BYTES`` (default 10 MB; the request itself is capped by
``MAX_CONTENT_LENGTH``). It is stored as ``UPLOAD_DIR/<key[:2]>/<key>`` where the key is
random, so neither the uploader's file name nor a guessable id ever reaches the file system.
Files are only served by views that first checked the object's ``can_view(user)``, always as
a download (``Content-Disposition: attachment``) with ``X-Content-Type-Options: nosniff``.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import secrets
from dataclasses import dataclass
from typing import IO

from flask import Response, current_app, send_file

from matchmaking.errors import ValidationFailed

PDF_MAGIC = b"%PDF-"
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
_KEY_RE = re.compile(r"^[0-9a-f]{32}$")
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class StoredFile:
    name: str  # the uploader's file name, cleaned, for display and download only
    key: str  # random; the name on disk
    size: int


def max_bytes() -> int:
    return int(current_app.config.get("UPLOAD_MAX_BYTES") or DEFAULT_MAX_BYTES)


def _path(key: str) -> str:
    if not _KEY_RE.match(key or ""):
        raise ValueError("invalid storage key")
    return os.path.join(current_app.config["UPLOAD_DIR"], key[:2], key)


def clean_name(filename: str) -> str:
    """The display name: no directories, no control characters, at most 200 characters."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c >= " " and c not in '"<>|:*?')
    name = name.strip(" .") or "附件.pdf"
    if len(name) > 200:
        name = name[:190] + ".pdf"
    return name


def store_pdf(stream: IO[bytes], filename: str) -> StoredFile:
    """Check and store one PDF; raises ValidationFailed with a Chinese message."""
    if not (filename or "").lower().endswith(".pdf"):
        raise ValidationFailed("附件只能是 PDF 文件（.pdf）", code="bad_attachment_type")
    head = stream.read(len(PDF_MAGIC))
    if head != PDF_MAGIC:
        raise ValidationFailed("附件不是有效的 PDF 文件", code="bad_attachment_type")
    limit = max_bytes()
    key = secrets.token_hex(16)
    path = _path(key)
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    tmp = path + ".part"
    size = len(head)
    try:
        with open(tmp, "xb") as out:
            out.write(head)
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise ValidationFailed(
                        f"附件不能超过 {limit // (1024 * 1024)} MB", code="attachment_too_large"
                    )
                out.write(chunk)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return StoredFile(name=clean_name(filename), key=key, size=size)


def delete(key: str | None) -> None:
    """Remove a stored file (a replaced attachment, or one whose transaction failed)."""
    if not key:
        return
    with contextlib.suppress(FileNotFoundError, ValueError):
        os.remove(_path(key))


def exists(key: str | None) -> bool:
    try:
        return bool(key) and os.path.isfile(_path(key))  # type: ignore[arg-type]
    except ValueError:
        return False


def send(key: str, download_name: str) -> Response:
    """Serve a stored file as a download. The caller has checked the user's right to it."""
    # Read whole (files are small and size-limited) so no file handle outlives the request.
    with open(_path(key), "rb") as fh:
        data = io.BytesIO(fh.read())
    response = send_file(
        data,
        mimetype="application/pdf",
        as_attachment=True,
        download_name=download_name or "附件.pdf",
        conditional=False,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
