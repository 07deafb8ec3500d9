"""Batch sampler: which training items go into the trials of each update (the sampler half of `Batching`).

A batch is a pure function of `(seed, update_index)`, so a resumed run draws the same batches as the
original without replaying any sampler state.

- `epoch`: the items are shuffled once per epoch by `random.Random(f"{seed}:epoch:{epoch}")` and drawn
  without replacement. Draws are numbered globally (draw `d = update_index * B + j`); draw `d` takes
  position `d % n` of epoch `d // n`'s order. A batch that crosses an epoch boundary therefore finishes
  the old epoch's order and continues into the next one's, so every epoch covers each item exactly once.
- `with_replacement`: the B items of an update are drawn independently and uniformly, by
  `random.Random(f"{seed}:update:{update_index}")`; an item may appear twice in one batch.

When B does not divide the number of items n, an epoch ends in the middle of a batch:
`updates_per_epoch(n, B) = n / B` is fractional, and batch boundaries line up with epoch boundaries again
only every `lcm(n, B) / B` updates (`lcm(n, B) / n` epochs). With 15 items, B = 1, 3 or 5 gives 15 updates
= 1, 3 or 5 epochs; B = 4 gives 15 updates = 60 draws = exactly 4 epochs; B = 2 gives 15 updates = 30 draws
= exactly 2 epochs, but 7 updates end one draw into the second epoch. With B > n a batch spans more than
one epoch and then holds an item more than once.

The order depends on the order of `item_ids`, which tasks give in a stable order.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Literal

from looplab.errors import ConfigError

SamplerMode = Literal["epoch", "with_replacement"]


def updates_per_epoch(n_items: int, batch_size: int) -> float:
    """Updates that draw n_items items (one epoch's worth); fractional when B does not divide n."""
    if n_items < 1 or batch_size < 1:
        raise ConfigError(
            f"updates_per_epoch needs n_items >= 1 and batch_size >= 1, got {n_items}, {batch_size}"
        )
    return n_items / batch_size


class EpochSampler:
    """Seeded batches of item ids: one tuple of `batch_size` ids per update index."""

    def __init__(
        self, item_ids: Sequence[str], batch_size: int, mode: SamplerMode = "epoch", seed: int = 0
    ) -> None:
        if not item_ids:
            raise ConfigError("The sampler has no items to draw from; the task's train split is empty.")
        if batch_size < 1:
            raise ConfigError(f"Batch size must be at least 1, got {batch_size} (loop.batching.size).")
        if mode not in ("epoch", "with_replacement"):
            raise ConfigError(f"Unknown sampler {mode!r}; choose 'epoch' or 'with_replacement'.")
        self.item_ids: tuple[str, ...] = tuple(item_ids)
        self.batch_size = batch_size
        self.mode: SamplerMode = mode
        self.seed = seed
        # A cache of pure results (the order of an epoch), not state: batches never depend on call order.
        self._orders: dict[int, tuple[str, ...]] = {}

    @property
    def updates_per_epoch(self) -> float:
        return updates_per_epoch(len(self.item_ids), self.batch_size)

    def epoch_order(self, epoch: int) -> tuple[str, ...]:
        """The shuffled order of the items in `epoch` (epoch mode)."""
        order = self._orders.get(epoch)
        if order is None:
            shuffled = list(self.item_ids)
            random.Random(f"{self.seed}:epoch:{epoch}").shuffle(shuffled)
            order = tuple(shuffled)
            if len(self._orders) > 64:
                self._orders.clear()
            self._orders[epoch] = order
        return order

    def epoch_of(self, update_index: int) -> int:
        """The epoch the batch of `update_index` starts in (its first draw); it may end in the next one.

        For `with_replacement` this is the same count of draws divided by n: how many passes' worth of
        items were drawn before this update, not a guarantee of coverage.
        """
        _check_index(update_index)
        return update_index * self.batch_size // len(self.item_ids)

    def batch(self, update_index: int) -> tuple[str, ...]:
        """The item ids of the trials of update `update_index` (0-based)."""
        _check_index(update_index)
        if self.mode == "with_replacement":
            rng = random.Random(f"{self.seed}:update:{update_index}")
            return tuple(rng.choices(self.item_ids, k=self.batch_size))
        n_items = len(self.item_ids)
        first = update_index * self.batch_size
        drawn: list[str] = []
        for draw in range(first, first + self.batch_size):
            drawn.append(self.epoch_order(draw // n_items)[draw % n_items])
        return tuple(drawn)


def _check_index(update_index: int) -> None:
    if update_index < 0:
        raise ValueError(f"update_index must be >= 0, got {update_index}")
