"""Values derived from a scheme (or one of its leaves) alone, worked out once per object.

A loaded scheme is immutable (frozen pydantic models), so its input columns, leaf lists and
the like need not be rebuilt on every call that scores a month's values with it. The store is
keyed by the object's identity and dropped when the object is collected; an edited copy
(`model_copy`) is a new object with a store of its own. Nothing derived from values is kept here.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

_STORES: dict[int, tuple[weakref.ref, dict[str, Any]]] = {}


def _drop(key: int, ref: weakref.ref) -> None:
    hit = _STORES.get(key)
    if hit is not None and hit[0] is ref:
        del _STORES[key]


def once(obj: object, name: str, make: Callable[[], T]) -> T:
    """`make()` the first time `name` is asked of `obj`, the same value afterwards."""
    key = id(obj)
    hit = _STORES.get(key)
    if hit is None or hit[0]() is not obj:
        ref = weakref.ref(obj, lambda r, key=key: _drop(key, r))
        hit = (ref, {})
        _STORES[key] = hit
    store = hit[1]
    if name not in store:
        store[name] = make()
    return store[name]
