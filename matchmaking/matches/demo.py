"""Demo bids and matches on top of the demo needs. (Filled in by the bids issue.)"""

from __future__ import annotations

from typing import Any


def seed(context: dict[str, Any]) -> None:
    """``context``: bureau (User), owners (enterprise Users), solvers (solver Users),
    needs (the demo Needs in creation order)."""
