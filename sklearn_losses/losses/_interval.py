"""The interval a loss's targets or predictions must lie in (its domain).

A loss states its domain once, as scikit-learn's ``sklearn._loss`` does
(``interval_y_true``, ``interval_y_pred``); the estimators' target check, their
``positive_only`` tag and the metrics' input check are all derived from it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Interval:
    """An interval of real numbers, open or closed at each end.

    Parameters
    ----------
    low, high : float
        The bounds; ``-inf`` and ``inf`` for unbounded sides.
    low_inclusive, high_inclusive : bool
        Whether each bound belongs to the interval.

    Examples
    --------
    >>> from sklearn_losses.losses import Interval
    >>> positive = Interval(0.0, float("inf"), False, False)
    >>> positive.includes([0.5, 2.0]), positive.includes([0.0, 2.0])
    (True, False)
    >>> positive.describe()
    'strictly positive'
    """

    low: float
    high: float
    low_inclusive: bool
    high_inclusive: bool

    def __post_init__(self):
        if self.low > self.high:
            raise ValueError(f"low={self.low} must not exceed high={self.high}.")

    def includes(self, values) -> bool:
        """Whether every value lies in the interval.

        Parameters
        ----------
        values : array-like
            The values to test.

        Returns
        -------
        bool
            True when all values are inside (NaN is outside).

        Examples
        --------
        >>> from sklearn_losses.losses import Interval
        >>> Interval(0.0, 1.0, True, True).includes([0.0, 1.0])
        True
        """
        values = np.asarray(values)
        low = values >= self.low if self.low_inclusive else values > self.low
        high = values <= self.high if self.high_inclusive else values < self.high
        return bool(np.all(low & high))

    @property
    def is_real_line(self) -> bool:
        """True for the whole real line (no restriction)."""
        return self.low == -math.inf and self.high == math.inf

    def describe(self) -> str:
        """The interval in words, for error messages.

        Returns
        -------
        str
            ``"non-negative"``, ``"strictly positive"`` or the interval's bounds.

        Examples
        --------
        >>> from sklearn_losses.losses import Interval
        >>> Interval(0.0, float("inf"), True, False).describe()
        'non-negative'
        >>> Interval(0.0, 1.0, True, False).describe()
        'in [0, 1)'
        """
        if self.is_real_line:
            return "real"
        if self.low == 0 and self.high == math.inf:
            return "non-negative" if self.low_inclusive else "strictly positive"
        left = "[" if self.low_inclusive else "("
        right = "]" if self.high_inclusive else ")"
        return f"in {left}{self.low:g}, {self.high:g}{right}"


#: every real number: the domain of a loss that states none
REAL_LINE = Interval(-math.inf, math.inf, False, False)
#: ``[0, inf)``: counts, rates, amounts
NON_NEGATIVE = Interval(0.0, math.inf, True, False)
#: ``(0, inf)``: what a log link predicts; Gamma targets
POSITIVE = Interval(0.0, math.inf, False, False)
