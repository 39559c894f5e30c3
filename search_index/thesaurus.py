"""Query-time synonym expansion from ``data/thesaurus.txt``.

A query is a list of :class:`TermGroup`: what the user typed for one concept, plus the
synonyms found for it. A group is satisfied by its original words or by any expansion;
expansions are scored below the original (:data:`EXPANSION_BOOST`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .analysis import DATA_DIR, QueryUnit, query_units

THESAURUS_FILE = DATA_DIR / "thesaurus.txt"
EXPANSION_BOOST = 0.4
# A phrase of up to this many query units can match one thesaurus entry (废气 处理 → 废气处理).
_MAX_SPAN = 3

Units = tuple[QueryUnit, ...]


@dataclass(frozen=True, slots=True)
class TermGroup:
    """One concept of a query: the typed units and the synonym unit sequences."""

    label: str
    original: Units
    expansions: tuple[Units, ...] = ()
    expansion_labels: tuple[str, ...] = ()


def _key(units: Units) -> str:
    return "".join(u.text for u in units)


class Thesaurus:
    """Synonym groups keyed by the analysed form of each member."""

    def __init__(self, groups: list[list[str]]) -> None:
        self._members: dict[str, tuple[str, Units]] = {}
        self._groups_of: dict[str, list[int]] = {}
        self._groups: list[list[str]] = []
        for raw in groups:
            keys: list[str] = []
            for term in raw:
                units = tuple(query_units(term, drop_stopwords=False))
                if not units:
                    continue
                key = _key(units)
                self._members.setdefault(key, (term, units))
                keys.append(key)
            if len(keys) > 1:
                gid = len(self._groups)
                self._groups.append(list(dict.fromkeys(keys)))
                for key in dict.fromkeys(keys):
                    self._groups_of.setdefault(key, []).append(gid)

    @classmethod
    def from_file(cls, path: Path = THESAURUS_FILE) -> Thesaurus:
        """Load groups, one per line, members separated by whitespace; # starts a comment."""
        groups = []
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                groups.append(line.split())
        return cls(groups)

    def __len__(self) -> int:
        return len(self._groups)

    def synonyms(self, key: str) -> list[str]:
        """Keys of every other member of the groups that contain ``key``."""
        out: dict[str, None] = {}
        for gid in self._groups_of.get(key, ()):
            for other in self._groups[gid]:
                if other != key:
                    out[other] = None
        return list(out)

    def group_units(self, units: list[QueryUnit]) -> list[TermGroup]:
        """Group query units into concepts, longest thesaurus match first, and expand them."""
        groups: list[TermGroup] = []
        i = 0
        while i < len(units):
            for span in range(min(_MAX_SPAN, len(units) - i), 0, -1):
                original = tuple(units[i : i + span])
                key = _key(original)
                if span == 1 or key in self._groups_of:
                    break
            syns = self.synonyms(key)
            groups.append(
                TermGroup(
                    label=key,
                    original=original,
                    expansions=tuple(self._members[s][1] for s in syns),
                    expansion_labels=tuple(self._members[s][0] for s in syns),
                )
            )
            i += span
        return groups


@lru_cache(maxsize=1)
def default_thesaurus() -> Thesaurus:
    """The thesaurus shipped in ``data/thesaurus.txt`` (loaded once per process)."""
    return Thesaurus.from_file()


def analyze_query(text: str, thesaurus: Thesaurus | None = None) -> list[TermGroup]:
    """Segment ``text`` like the index does, drop filler words, and expand synonyms."""
    return (thesaurus or default_thesaurus()).group_units(query_units(text))
