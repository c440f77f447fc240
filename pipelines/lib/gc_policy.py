"""How a long command uses Python's cyclic garbage collector (docs/scale.md, "What the fourth round cut").

A refresh builds hundreds of thousands of objects that live until it ends: the Dagster definitions
made from dbt's manifest, the instance, the resources. Python's collector walks every tracked object
in each full collection: while they were built it ran five full collections (1.3 s of a 7.8 s load
on this project's machines), every later full collection walked them again (0.3-0.4 s each), and
the interpreter's finalization walked them once more at exit (1.6 s). None of them is garbage.

`long_lived(build)` builds them with the collector paused and then freezes them (`gc.freeze()`: moved
to a generation no collection walks) until the block that uses them ends; `exiting()` freezes whatever
is left as the process exits, so finalization does not walk it. Both leave reference counting, and so
the closing of what goes out of scope, as it is; everything that must be closed (the warehouse, the
Dagster instance) is closed explicitly before.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")


@contextmanager
def long_lived(build: Callable[[], T]) -> Iterator[T]:
    """`build()` with the collector paused, then everything that exists frozen for the block (which
    gets what `build` returned); unfrozen after it, collectable again as in a process that goes on."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        try:
            made = build()
        finally:
            gc.freeze()
            if enabled:
                gc.enable()
        yield made
    finally:
        gc.unfreeze()


def exiting() -> None:
    """The process is about to exit: skip finalization's walk over every object left."""
    gc.freeze()
