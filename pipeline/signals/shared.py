"""Intermediate tables that several signals of one run share (the power matrix, the change
points, the trucks' stops) are built once per `compute_evidence` run.

Outside a run — a test or an analyst calling one signal — nothing is kept, so a changed
table is always read afresh. Inside a run the stg tables do not change, and a key names
everything the table depends on.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable

_store: dict | None = None


@contextmanager
def run_scope():
    """Keep shared tables for the duration of one run."""
    global _store
    _store = {}
    try:
        yield
    finally:
        _store = None


def shared(key: tuple, build: Callable[[], Any]) -> Any:
    """`build()` once per run for `key` (every time outside a run)."""
    if _store is None:
        return build()
    if key not in _store:
        _store[key] = build()
    return _store[key]
