"""The storage-engine contract: capabilities are declared, and a missing one is refused with the engine's name."""

from __future__ import annotations

import pytest

from sleuth.errors import ConfigError
from sleuth.store.base import CAPABILITIES, Searchable
from sleuth.store.embedded.collection import Collection


class SearchOnly(Searchable):
    engine = "Example collection x"


def test_the_embedded_store_offers_every_capability() -> None:
    assert Collection.capabilities == frozenset(CAPABILITIES)
    for name in CAPABILITIES:
        Collection.require(Collection.__new__(Collection), name, "unused")


def test_a_missing_capability_names_the_engine_what_is_missing_and_the_fix() -> None:
    with pytest.raises(ConfigError) as err:
        SearchOnly().require("where", "Drop --where.")
    assert err.value.what == "Example collection x does not offer metadata filters (--where)."
    assert err.value.fix == "Drop --where."


def test_where_filters_on_an_engine_without_them_are_refused_before_searching() -> None:
    ran = []
    with pytest.raises(ConfigError, match="metadata filters"):
        SearchOnly().ranked(lambda k: ran.append(k) or [], 10, ["year>=2020"])
    assert ran == []
    assert SearchOnly().ranked(lambda k: [("d1", 1.0, 7)], 10, []) == [("d1", 1.0, 7)]


def test_an_unknown_capability_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown capability"):
        SearchOnly().require("telepathy", "")
