"""Parameter checks shared by the array functions, the streaming states and the specs.

A bad period must fail where it is written, with its name and value, not as an index error
(or worse, a silently empty result) deep inside numpy.
"""

from __future__ import annotations

import math


def check_period(value: object, name: str = "period") -> int:
    """Return ``value`` if it is an int of at least 1, else raise ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected {name} to be an integer, was {value!r}")
    if value < 1:
        raise ValueError(f"expected {name} >= 1, was {value}")
    return value


def check_multiplier(value: object, name: str = "k") -> float:
    """Return ``value`` as a float if it is a finite number above 0, else raise ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected {name} to be a number, was {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"expected {name} to be finite and > 0, was {value}")
    return float(value)


__all__ = ["check_multiplier", "check_period"]
