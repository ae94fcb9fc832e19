"""The one array type of the indicators: float64 vectors, NaN where a value is not defined yet."""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
from numpy.typing import NDArray

FloatArray: TypeAlias = NDArray[np.float64]
IndexArray: TypeAlias = NDArray[np.int64]

__all__ = ["FloatArray", "IndexArray"]
