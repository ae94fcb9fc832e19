"""The read's collector setting: raised for the read, given back whatever happens."""

from __future__ import annotations

import gc

import pytest

from cryptopulse.replay.source import fewer_collections


def test_the_youngest_generation_is_collected_less_often_during_the_read_only() -> None:
    before = gc.get_threshold()
    with fewer_collections(50_000):
        assert gc.get_threshold() == (50_000, *before[1:])
    assert gc.get_threshold() == before


def test_the_setting_is_given_back_when_the_read_fails() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), fewer_collections():
        raise RuntimeError("the server went away")
    assert gc.get_threshold() == before
