"""Pure number theory: the N-th prime by three engines.

No I/O, no asyncio, no state beyond what a caller holds.
"""

from primebench.primes.engines import Engine, EngineName, prepare
from primebench.primes.table import PrimeTable

__all__ = ["Engine", "EngineName", "PrimeTable", "prepare"]
