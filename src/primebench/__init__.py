"""primebench: the N-th prime as a service, and a lab that benchmarks it honestly."""

import os

__version__ = "0.1.0"
__all__ = ["__version__"]

# The hot path from its .py source instead of its compiled module (primebench/compiled.py)
if os.environ.get("PRIMEBENCH_PURE_PYTHON") == "1":
    from primebench.compiled import prefer_source

    prefer_source()
