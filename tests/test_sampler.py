"""Batch sampler: determinism from (seed, update index), epoch coverage, boundary crossing, replacement."""

from __future__ import annotations

from collections import Counter

import pytest

from looplab.errors import ConfigError
from looplab.sampler import EpochSampler, updates_per_epoch

ITEMS = [f"item-{i}" for i in range(15)]


def draws(sampler: EpochSampler, updates: int) -> list[str]:
    return [item for update in range(updates) for item in sampler.batch(update)]


@pytest.mark.parametrize("mode", ["epoch", "with_replacement"])
def test_batches_are_a_function_of_seed_and_update_index(mode: str) -> None:
    original = EpochSampler(ITEMS, 4, mode, seed=7)  # type: ignore[arg-type]
    expected = [original.batch(update) for update in range(20)]
    resumed = EpochSampler(ITEMS, 4, mode, seed=7)  # type: ignore[arg-type]
    assert [resumed.batch(update) for update in reversed(range(20))] == expected[::-1]
    other = EpochSampler(ITEMS, 4, mode, seed=8)  # type: ignore[arg-type]
    assert [other.batch(update) for update in range(20)] != expected


@pytest.mark.parametrize("batch_size", [1, 2, 3, 4, 5, 7, 15])
def test_every_epoch_covers_each_item_exactly_once(batch_size: int) -> None:
    sampler = EpochSampler(ITEMS, batch_size, "epoch", seed=3)
    drawn = draws(sampler, 60)
    complete = len(drawn) // len(ITEMS)
    for epoch in range(complete):
        assert sorted(drawn[epoch * 15 : (epoch + 1) * 15]) == sorted(ITEMS)
        assert tuple(drawn[epoch * 15 : (epoch + 1) * 15]) == sampler.epoch_order(epoch)
    assert sampler.epoch_order(0) != sampler.epoch_order(1)  # reshuffled each epoch


def test_a_batch_crossing_an_epoch_boundary_continues_into_the_next_order() -> None:
    sampler = EpochSampler(ITEMS, 4, "epoch", seed=1)
    assert sampler.batch(3) == (*sampler.epoch_order(0)[12:15], sampler.epoch_order(1)[0])
    assert sampler.batch(4) == sampler.epoch_order(1)[1:5]
    assert [sampler.epoch_of(u) for u in range(9)] == [0, 0, 0, 0, 1, 1, 1, 1, 2]  # first draws 0, 4, …, 32


@pytest.mark.parametrize(("batch_size", "epochs"), [(1, 1), (2, 2), (3, 3), (4, 4), (5, 5)])
def test_fifteen_updates_of_fifteen_items_are_b_epochs(batch_size: int, epochs: int) -> None:
    sampler = EpochSampler(ITEMS, batch_size, "epoch", seed=0)
    drawn = draws(sampler, 15)
    assert len(drawn) == 15 * epochs
    assert Counter(drawn) == dict.fromkeys(ITEMS, epochs)
    assert updates_per_epoch(15, batch_size) * epochs == 15
    assert sampler.epoch_of(15) == epochs


def test_b_not_dividing_the_count_gives_fractional_updates_per_epoch() -> None:
    assert updates_per_epoch(15, 4) == 3.75
    assert updates_per_epoch(15, 2) == 7.5
    sampler = EpochSampler(ITEMS, 2, "epoch", seed=0)
    assert Counter(draws(sampler, 7)).total() == 14  # one item short of a full epoch after 7 updates
    assert sampler.epoch_of(7) == 0 and sampler.batch(7)[1] == sampler.epoch_order(1)[0]


def test_a_batch_larger_than_the_items_spans_epochs() -> None:
    sampler = EpochSampler(ITEMS[:3], 5, "epoch", seed=0)
    assert sampler.batch(0) == (*sampler.epoch_order(0), *sampler.epoch_order(1)[:2])


def test_with_replacement_draws_uniformly_and_independently() -> None:
    sampler = EpochSampler(ITEMS[:10], 5, "with_replacement", seed=11)
    counts = Counter(draws(sampler, 4000))
    assert set(counts) == set(ITEMS[:10])
    assert all(1800 <= n <= 2200 for n in counts.values())  # 2000 expected; sd ~42
    repeats = sum(len(set(sampler.batch(u))) < 5 for u in range(4000))
    assert 0.62 < repeats / 4000 < 0.74  # P(some repeat among 5 of 10) = 1 - 10·9·8·7·6/10^5 = 0.6976


def test_invalid_settings_fail_at_construction() -> None:
    with pytest.raises(ConfigError, match="no items"):
        EpochSampler([], 1)
    with pytest.raises(ConfigError, match="at least 1"):
        EpochSampler(ITEMS, 0)
    with pytest.raises(ConfigError, match="Unknown sampler"):
        EpochSampler(ITEMS, 1, "bootstrap")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="update_index"):
        EpochSampler(ITEMS, 1).batch(-1)
