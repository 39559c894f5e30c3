"""Chinese text analysis for the board's search: one segmentation for documents and queries.

Text is NFKC-normalised (full-width letters become ASCII) and lowercased, then split into
runs of CJK characters and ASCII words:

* an ASCII word (``mes``, ``vocs``, ``5g``, ``e6-2400``) is kept whole and never stemmed;
  a word joined by ``-`` ``.`` ``/`` ``_`` ``+`` also yields its parts at the same position;
* a CJK run is segmented by jieba (default mode, with the domain dictionary); every token
  longer than two characters also yields, at the same position, its CJK bigrams and the
  dictionary words of three or more characters inside it, so a dictionary entry never hides
  a shorter searchable term (横机 finds 电脑横机, 玻纤 finds 玻纤池窑). Runs of single
  characters that jieba could not join yield their bigrams too, so an unknown two-character
  word matches whether jieba joined it or not.

Positions count segmentation tokens (sub-terms share their token's position); the index
does not store them (see :func:`search_index.schema.build_schema`). Character offsets
refer to the original text, for highlighting.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jieba
from whoosh.analysis import Token, Tokenizer

DATA_DIR = Path(__file__).parent / "data"
DOMAIN_DICT = DATA_DIR / "domain_dict.txt"
STOPWORDS_FILE = DATA_DIR / "stopwords.txt"

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN_RE = re.compile(rf"(?P<cjk>[{_CJK}]+)|(?P<word>[a-z0-9]+(?:[-_./+][a-z0-9]+)*)")
# Runs are analysed independently of each other (the highlighter relies on it).
RUN_RE = _RUN_RE
_PART_RE = re.compile(r"[a-z0-9]+")
_CJK_RE = re.compile(rf"[{_CJK}]")

_lock = threading.Lock()
_jieba: jieba.Tokenizer | None = None


def default_cache_dir() -> Path:
    """The per-user cache directory for jieba's dictionary cache (never the shared /tmp)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(base) / "search_index" / "jieba"


def _private_dir(path: Path) -> Path:
    # jieba pickles its dictionary into this directory and unpickles it on the next start:
    # nobody else may be able to write there.
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path


# jieba's own frequency for a new word only just lets it stand alone; in context a common
# word wins (织片断头 was cut 织/片断/头). Domain terms get at least this frequency.
_DOMAIN_FREQ_FLOOR = 1000


def _domain_terms() -> list[tuple[str, int | None]]:
    """(term, frequency or None) for every entry of the domain dictionary."""
    terms = []
    for line in DOMAIN_DICT.read_text(encoding="utf-8").splitlines():
        fields = line.split("#", 1)[0].split()
        if fields:
            freq = int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else None
            terms.append((fields[0], freq))
    return terms


def warm_up(cache_dir: str | os.PathLike[str] | None = None) -> jieba.Tokenizer:
    """Load jieba and the domain dictionary once per process and return the tokenizer.

    Call it before a pre-forking server forks, so workers share the loaded dictionary.
    The first call decides the cache directory (created 0700); later calls reuse the
    loaded tokenizer whatever they pass.
    """
    global _jieba
    if _jieba is not None:
        return _jieba
    with _lock:
        if _jieba is None:
            jieba.setLogLevel(logging.WARNING)
            tok = jieba.Tokenizer()
            tok.tmp_dir = str(_private_dir(Path(cache_dir) if cache_dir else default_cache_dir()))
            tok.initialize()
            for term, freq in _domain_terms():
                # ASCII words are cut by our regex, never by jieba: only CJK entries matter.
                if _CJK_RE.search(term) and not re.search(r"[A-Za-z0-9]", term):
                    suggested = tok.suggest_freq(term, False)
                    tok.add_word(term, freq or max(suggested, _DOMAIN_FREQ_FLOOR))
            _jieba = tok
    return _jieba


def _in_dictionary(word: str) -> bool:
    return warm_up().FREQ.get(word, 0) > 0


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """Query filler words (有没有, 企业, 需要, 的 ...), normalised like the text."""
    words = set()
    for line in STOPWORDS_FILE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            words.add(normalize(line)[0])
    return frozenset(words)


def normalize(text: str) -> tuple[str, list[int] | None]:
    """NFKC + lowercase ``text``; return it with a map from its indexes to ``text``'s.

    The map is None when every character stays one character (the common case, full-width
    punctuation included), so offsets carry over.
    """
    norm = unicodedata.normalize("NFKC", text).lower()
    if len(norm) == len(text) and (text.isascii() or unicodedata.is_normalized("NFKC", text)):
        return norm, None
    # Some characters expand (①, ㎡, ligatures): normalise one by one to keep offsets true.
    parts = [_char_norm(ch) for ch in text]
    if all(len(n) == 1 for n in parts):
        return "".join(parts), None  # the index would be the identity
    index: list[int] = []
    for i, n in enumerate(parts):
        index.extend([i] * len(n))
    return "".join(parts), index


@lru_cache(maxsize=8192)
def _char_norm(ch: str) -> str:
    return unicodedata.normalize("NFKC", ch).lower()


@dataclass(frozen=True, slots=True)
class Piece:
    """One emitted term: ``main`` is a segmentation token, otherwise a sub-term of one."""

    text: str
    pos: int
    start: int
    end: int
    main: bool


def _sub_terms(word: str) -> list[tuple[str, int, int]]:
    """Bigrams and 3+ character dictionary words strictly inside ``word`` (relative offsets)."""
    n = len(word)
    out = [(word[i : i + 2], i, i + 2) for i in range(n - 1)]
    for size in range(3, n):
        for i in range(n - size + 1):
            sub = word[i : i + size]
            if _in_dictionary(sub):
                out.append((sub, i, i + size))
    return out


def segment(text: str) -> Iterator[Piece]:
    """Segment ``text`` into pieces; offsets refer to ``text`` itself, positions start at 0."""
    if not text:
        return
    norm, index = normalize(text)
    tok = warm_up()
    pos = -1

    def span(a: int, b: int) -> tuple[int, int]:
        if index is None:
            return a, b
        return index[a], index[b - 1] + 1

    for m in _RUN_RE.finditer(norm):
        if m.lastgroup == "word":
            word = m.group()
            pos += 1
            yield Piece(word, pos, *span(m.start(), m.end()), True)
            if len(word) > 1 and not word.isalnum():
                for p in _PART_RE.finditer(word):
                    a, b = m.start() + p.start(), m.start() + p.end()
                    yield Piece(p.group(), pos, *span(a, b), False)
            continue
        base = m.start()
        prev_single: tuple[str, int, int] | None = None  # last single-character token
        for word, a, b in tok.tokenize(m.group(), mode="default", HMM=True):
            pos += 1
            yield Piece(word, pos, *span(base + a, base + b), True)
            if len(word) == 1:
                if prev_single is not None:
                    c, ppos, pa = prev_single
                    yield Piece(c + word, ppos, *span(base + pa, base + b), False)
                prev_single = (word, pos, a)
                continue
            prev_single = None
            if len(word) > 2:
                for sub, sa, sb in _sub_terms(word):
                    yield Piece(sub, pos, *span(base + a + sa, base + a + sb), False)


class ChineseTokenizer(Tokenizer):
    """Whoosh tokenizer over :func:`segment`: lowercased, unstemmed, token positions.

    It pickles as configuration only (Whoosh stores the schema in the index), and uses the
    process-wide jieba tokenizer loaded by :func:`warm_up`.
    """

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def __call__(  # type: ignore[override]
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: object,
    ) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            t.original = t.text = normalize(value)[0]
            t.boost = 1.0
            if positions:
                t.pos = start_pos
            if chars:
                t.startchar, t.endchar = start_char, start_char + len(value)
            yield t
            return
        for piece in segment(value):
            t.text = piece.text
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = piece.text
            if positions:
                t.pos = start_pos + piece.pos
            if chars:
                t.startchar = start_char + piece.start
                t.endchar = start_char + piece.end
            yield t


def ChineseAnalyzer() -> ChineseTokenizer:  # noqa: N802 - named like Whoosh's analyzers
    """The analyzer used for every text field of the board's index."""
    return ChineseTokenizer()


@dataclass(frozen=True, slots=True)
class QueryUnit:
    """One searchable unit of a query: a term, and for long terms the words covering it.

    A document matches the unit if it contains ``text``, or all words of ``cover``
    (so 涤纶长丝 also finds a need that writes 涤纶 … 长丝 apart).
    """

    text: str
    cover: tuple[str, ...] = ()


def _cover(word: str) -> tuple[str, ...]:
    """Words that together cover ``word``: longest dictionary words, else bigrams.

    A last lone character stays a single character: where the text splits the word, jieba
    emits that character as a token of its own (资源化 → 资源 / 化).
    """
    n = len(word)
    out: list[str] = []
    i = 0
    while i < n:
        if n - i == 1:
            out.append(word[i])
            break
        for j in range(n if i else n - 1, i + 1, -1):
            if j - i == 2 or _in_dictionary(word[i:j]):
                out.append(word[i:j])
                i = j
                break
    return tuple(dict.fromkeys(out))


def query_units(text: str, *, drop_stopwords: bool = True) -> list[QueryUnit]:
    """Segment a query exactly like document text and turn it into query units.

    Filler words are dropped; runs of single CJK characters are joined (as the index joins
    them into bigrams); CJK words of 3+ characters and joined ASCII words get a cover.
    """
    mains = [p for p in segment(text) if p.main]
    stop = stopwords() if drop_stopwords else frozenset()
    units: list[QueryUnit] = []
    run: list[Piece] = []

    def flush_run() -> None:
        if not run:
            return
        joined = "".join(p.text for p in run)
        if len(run) == 1 or len(run) == 2:
            units.append(QueryUnit(joined))
        else:
            bigrams = tuple(joined[i : i + 2] for i in range(len(joined) - 1))
            units.append(QueryUnit(joined, bigrams))
        run.clear()

    for p in mains:
        if p.text in stop:
            flush_run()
            continue
        single_cjk = len(p.text) == 1 and bool(_CJK_RE.match(p.text))
        if single_cjk and (not run or (run[-1].pos == p.pos - 1 and run[-1].end == p.start)):
            run.append(p)
            continue
        flush_run()
        if single_cjk:
            run.append(p)
        elif _CJK_RE.match(p.text) and len(p.text) > 2:
            units.append(QueryUnit(p.text, _cover(p.text)))
        elif not p.text.isalnum():
            units.append(QueryUnit(p.text, tuple(_PART_RE.findall(p.text))))
        else:
            units.append(QueryUnit(p.text))
    flush_run()
    # The same unit typed twice adds nothing but a stricter minimum-should-match.
    return list(dict.fromkeys(units))
