"""Safe highlighting: escaped text with matched terms wrapped in ``<mark>``.

The output is HTML that is safe to render as-is (``|safe`` in Jinja): every character of
the source text goes through :func:`html.escape`, and the only markup added is ``<mark>``
and ``</mark>`` around spans of matched terms.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Collection, Iterator

from .analysis import RUN_RE, normalize, segment

SNIPPET_CHARS = 120


def _pieces(text: str, terms: Collection[str]) -> Iterator[tuple[int, int]]:
    """Spans of the analysed pieces of ``text`` that are in ``terms``.

    The analyser segments each run (of CJK characters, or of letters and digits) of the
    normalised text on its own, so only runs that contain some term as a substring are
    segmented: the same spans as segmenting the whole text, without running jieba over a
    long description whose matches sit in one clause. Spans are mapped back through the
    normalisation (℃ becomes two characters, °c), so they point into ``text``.
    """
    norm, index = normalize(text)
    if not any(t in norm for t in terms):
        return
    for m in RUN_RE.finditer(norm):
        run = m.group()
        if any(t in run for t in terms):
            base = m.start()
            for start, end, piece in _run_pieces(run):
                if piece in terms:
                    a, b = base + start, base + end
                    yield (a, b) if index is None else (index[a], index[b - 1] + 1)


@functools.lru_cache(maxsize=20_000)
def _run_pieces(run: str) -> tuple[tuple[int, int, str], ...]:
    """The analysed pieces of one run. Segmenting depends on the text alone, and the same
    titles and descriptions come back in result after result, so this is cached (about
    40% of a search request went to re-segmenting them)."""
    return tuple((p.start, p.end, p.text) for p in segment(run))


def _spans(text: str, terms: Collection[str]) -> list[tuple[int, int]]:
    """Merged character spans of ``text`` whose analysed form is one of ``terms``."""
    hits = sorted(_pieces(text, terms))
    merged: list[tuple[int, int]] = []
    for a, b in hits:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def _render(text: str, spans: list[tuple[int, int]], lo: int, hi: int) -> str:
    out: list[str] = []
    at = lo
    for a, b in spans:
        a, b = max(a, lo), min(b, hi)
        if a >= b:
            continue
        out.append(html.escape(text[at:a]))
        out.append("<mark>" + html.escape(text[a:b]) + "</mark>")
        at = b
    out.append(html.escape(text[at:hi]))
    return "".join(out)


def highlight_all(text: str, terms: Collection[str]) -> str:
    """All of ``text``, escaped, with matched terms marked."""
    return _render(text, _spans(text, terms), 0, len(text))


def snippet(text: str, terms: Collection[str], size: int = SNIPPET_CHARS) -> str:
    """An escaped window of about ``size`` characters holding the most matched terms.

    Without any match, the start of the text. Cut ends are shown with an ellipsis.
    """
    text = " ".join(text.split())  # newlines and runs of spaces would break the layout
    if not text:
        return ""
    spans = _spans(text, terms)
    lo = 0
    if spans and len(text) > size:
        best = -1
        for a, _ in spans:
            start = max(0, min(a - size // 5, len(text) - size))
            count = sum(1 for x, y in spans if x >= start and y <= start + size)
            if count > best:
                best, lo = count, start
    hi = min(len(text), lo + size)
    body = _render(text, spans, lo, hi)
    return ("…" if lo > 0 else "") + body + ("…" if hi < len(text) else "")
