"""primebench: the N-th prime as a service, and a lab that benchmarks it honestly."""

__version__ = "0.1.0"
__all__ = ["__version__"]
