"""A bounded LRU of heavy answers: a repeated heavy n is answered at table speed.

p(n) never changes, so nothing expires; the bound keeps memory flat (an entry is two
ints and a dict slot, ~200 bytes: 10,000 entries ~2 MB per worker). Per worker, on its
event loop, so no lock. The app counts hits and misses for /metrics.

The lab's convoy scenario, the probe and the hardening tests measure computation: they
either vary n or start the service with `--answer-cache 0`.
"""

from __future__ import annotations

from collections import OrderedDict

__all__ = ["AnswerCache"]


class AnswerCache:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._answers: OrderedDict[int, int] = OrderedDict()

    def __len__(self) -> int:
        return len(self._answers)

    def get(self, n: int) -> int | None:
        """p(n) if remembered (and now the most recent), else None."""
        prime = self._answers.get(n)
        if prime is not None:
            self._answers.move_to_end(n)
        return prime

    def put(self, n: int, prime: int) -> None:
        if self.capacity <= 0:
            return
        self._answers[n] = prime
        self._answers.move_to_end(n)
        if len(self._answers) > self.capacity:
            self._answers.popitem(last=False)
