"""Fixtures for the search layer: a private jieba cache, the labelled index, empty indexes."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest

from search_index import NeedDocument, SearchIndex, warm_up

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import search_quality  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _jieba(tmp_path_factory: pytest.TempPathFactory) -> None:
    # Load jieba once per session, with its cache in a private temporary directory.
    warm_up(tmp_path_factory.mktemp("jieba-cache"))


@pytest.fixture(scope="session")
def labelled_docs() -> list[NeedDocument]:
    return search_quality.load_needs()


@pytest.fixture(scope="session")
def labelled_index(
    tmp_path_factory: pytest.TempPathFactory, labelled_docs: list[NeedDocument]
) -> Iterator[SearchIndex]:
    """The labelled set, indexed once per session; tests must not write to it."""
    index = search_quality.build_ours(labelled_docs, tmp_path_factory.mktemp("labelled"))
    yield index
    index.close()


@pytest.fixture()
def index(tmp_path: Path) -> Iterator[SearchIndex]:
    """An empty index in a fresh directory."""
    ix = SearchIndex(tmp_path / "search")
    ix.ensure()
    yield ix
    ix.close()


_BASE = NeedDocument(
    id=1,
    ref="TX-2024-001",
    title="标题",
    keywords="",
    description="",
    industry="毛衫服装",
    transformation="digital",
    town="濮院镇",
    budget_wan=50.0,
    deadline=date(2030, 1, 1),
    published_at=datetime(2024, 1, 1, 9, 0),
    status="published",
    version="v1",
)


@pytest.fixture()
def make_doc() -> Callable[..., NeedDocument]:
    """A factory: make_doc(id=3, title=...) with sensible defaults for the rest."""

    def make(**fields: object) -> NeedDocument:
        return replace(_BASE, **fields)  # type: ignore[arg-type]

    return make
