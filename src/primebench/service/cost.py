"""What a heavy job is expected to cost: the compute pool's admission decides by it.

Its own module so that the model, a few lines of arithmetic, is read and tested apart from
the pool's process handling (service/compute.py).
"""

from __future__ import annotations

__all__ = ["CostModel"]


class CostModel:
    """Seconds one job is expected to take: `scale * n ** EXPONENT`, scale learned per job.

    primecount's nth_prime grows close to n^0.6 (measured on one thread: 0.15 s at 10^12,
    0.54 s at 10^13, 2.0 s at 10^14, 8.6 s at 10^15); the scale absorbs the machine, the
    threads and a busy neighbour, as an exponentially weighted mean of what jobs took.
    """

    EXPONENT = 0.6
    WEIGHT = 0.3  # of the newest observation
    # Until jobs have been seen: 0.3 s at 10^12, twice the one-thread figure, as measured
    # with the neighbour core busy (a burst arrives before any of its jobs has finished).
    INITIAL_SCALE = 0.3 / 10 ** (12 * 0.6)

    def __init__(self, initial_scale: float = INITIAL_SCALE) -> None:
        self.scale = initial_scale

    def estimate(self, n: int) -> float:
        return float(self.scale * float(n) ** self.EXPONENT)

    def calibrate(self, n: int, seconds: float) -> None:
        """A start-up measurement: trusted at once, but never lowers the estimate."""
        self.scale = max(self.scale, float(seconds / float(n) ** self.EXPONENT))

    def at_least(self, n: int, seconds: float) -> None:
        """A job of size n is still running after `seconds`: it costs at least that."""
        if seconds > self.estimate(n):
            self.scale = float(seconds / float(n) ** self.EXPONENT)

    def observe(self, n: int, seconds: float) -> None:
        observed = float(seconds / float(n) ** self.EXPONENT)
        self.scale += self.WEIGHT * (observed - self.scale)
