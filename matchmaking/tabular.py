"""Reading .jsonl, .csv and .xlsx files as numbered rows of strings (for the importers)."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any


class TabularError(Exception):
    """The file as a whole cannot be read (format, encoding, header)."""


@dataclass
class RowError:
    """One problem of one row, named for the person who fixes the file."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"第 {self.line} 行 [{self.field}]：{self.message}"


class RowProblems(list[RowError]):
    """The problems found in one row."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line

    def add(self, field: str, message: str) -> None:
        self.append(RowError(self.line, field, message))


def checked_rows(
    rows: Iterable[tuple[int, dict[str, str]]], required: Iterable[str], errors: list[RowError]
) -> Iterator[tuple[int, dict[str, str], RowProblems]]:
    """The readable rows of a file, each with an empty list for its problems.

    Unreadable rows go into ``errors``; a file that lacks required columns gets one error and
    yields nothing more. Importers validate every row, collect all problems, and import
    nothing if there are any (all or nothing).
    """
    header_checked = False
    for line, row in rows:
        if "__error__" in row:
            errors.append(RowError(line, "-", row["__error__"]))
            continue
        if not header_checked:
            missing = [c for c in required if c not in row]
            if missing:
                errors.append(RowError(line, ",".join(missing), "缺少必需的列"))
                return
            header_checked = True
        yield line, row, RowProblems(line)


def finish_import(errors: list[RowError], summary: str) -> None:
    """The end of an import command: commit and say what was done, or name every bad row,
    roll back and exit non-zero."""
    import click

    from matchmaking.extensions import db

    if errors:
        db.session.rollback()
        for err in errors:
            click.echo(str(err), err=True)
        click.echo(f"发现 {len(errors)} 处错误，未导入任何数据。", err=True)
        raise SystemExit(1)
    db.session.commit()
    click.echo(summary)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return " ".join(_text(v) for v in value)
    return str(value).strip()


def read_rows(path: str) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number in the file, row) with every value as a stripped string."""
    ext = os.path.splitext(path)[1].lower()
    if ext == ".jsonl":
        yield from _jsonl(path)
    elif ext == ".csv":
        yield from _csv(path)
    elif ext == ".xlsx":
        yield from _xlsx(path)
    else:
        raise TabularError(f"不支持的文件类型 {ext or '(无扩展名)'}：请使用 .jsonl、.csv 或 .xlsx")


def count_rows(path: str) -> int | None:
    ext = os.path.splitext(path)[1].lower()
    if ext in (".jsonl", ".csv"):
        with open(path, "rb") as fh:
            lines = sum(1 for line in fh if line.strip())
        return lines - (1 if ext == ".csv" else 0)
    return None


def _jsonl(path: str) -> Iterator[tuple[int, dict[str, str]]]:
    with open(path, encoding="utf-8-sig") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, {"__error__": f"不是有效的 JSON：{exc.msg}"}
                continue
            if not isinstance(obj, dict):
                yield number, {"__error__": "每行须为一个 JSON 对象"}
                continue
            yield number, {str(k).strip(): _text(v) for k, v in obj.items()}


def _csv(path: str) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            if not reader.fieldnames:
                raise TabularError("CSV 文件缺少表头")
            for row in reader:
                yield (
                    reader.line_num,
                    {(k or "").strip(): _text(v) for k, v in row.items() if k is not None},
                )
    except UnicodeDecodeError as exc:
        raise TabularError("CSV 文件须为 UTF-8 编码（可在 Excel 中另存为“CSV UTF-8”）") from exc


def _xlsx(path: str) -> Iterator[tuple[int, dict[str, str]]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise TabularError(f"无法读取 Excel 文件：{exc}") from exc
    try:
        rows = wb.active.iter_rows(values_only=True)
        header = next(rows, None)
        if not header:
            raise TabularError("Excel 文件缺少表头")
        names = [_text(h) for h in header]
        for number, values in enumerate(rows, start=2):
            if values is None or all(v is None or _text(v) == "" for v in values):
                continue
            yield number, {n: _text(v) for n, v in zip(names, values, strict=False) if n}
    finally:
        wb.close()
