"""pipelines/lib/gc_policy.py: long-lived objects are built with the collector paused and left out of
its walks while they are used; afterwards they are ordinary objects again."""

from __future__ import annotations

import gc
import weakref

import pytest

from pipelines.lib import gc_policy


class Node:
    def __init__(self):
        self.me = self  # a reference cycle: only the cyclic collector frees it


def test_long_lived_objects_are_built_unwalked_and_kept_out_of_collections_until_the_block_ends():
    states = []

    def build():
        states.append(gc.isenabled())
        node = Node()
        return weakref.ref(node)

    assert gc.isenabled()
    with gc_policy.long_lived(build) as ref:
        assert states == [False]  # built with the collector paused
        assert gc.isenabled() and gc.get_freeze_count() > 0
        gc.collect()
        assert ref() is not None  # frozen: no collection walks it, garbage or not
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert ref() is None  # an ordinary object again: the cycle is freed


def test_a_failed_build_leaves_the_collector_as_it_was():
    def build():
        raise RuntimeError("no definitions")

    with pytest.raises(RuntimeError, match="no definitions"), gc_policy.long_lived(build):
        pass
    assert gc.isenabled() and gc.get_freeze_count() == 0
