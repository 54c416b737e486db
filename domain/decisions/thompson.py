"""Thompson sampling over moment-matched normals, and the probability that it picks a given arm.

An arm's posterior is Beta(alpha, beta). The policy draws each arm from the normal of the same mean
and variance (Thompson sampling with a Gaussian posterior: one cheap draw per arm instead of two
gamma draws) and picks the highest draw. Because the draws are those normals, the probability that
arm i wins is, without approximation, P(i) = integral of pdf_i(x) x prod over j != i of cdf_j(x).

The integral is a trapezoid sum on one fixed grid of x (``GRID``) for every arm, so the sum over
all arms of log cdf_j(x), computed once, serves each arm's share (divide its own cdf out), and an
arm whose figures change is patched in by its difference (``ArmField``). Vectorised with numpy
(docs/decisions.md): a channel's 168 weekday x hour cells cost one array expression, not
168 x nodes calls of erfc. The grid's step (0.0075) is below the spread of an arm of a few hundred
pseudo-attempts (clients' cells have tens), fine for the trapezoid rule on these smooth integrands;
a narrower arm's density is normalised over the nodes it covers (``share_on_grid``). The shares
match Monte Carlo counts (tests/unit/domain/decisions/test_thompson.py). The grid reaches 5
spreads beyond the widest arm of 10 or more pseudo-attempts (the policy's least). The log cdf comes
from one precomputed table, interpolated.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

Posterior = tuple[float, float]
"""(alpha, beta) of a Beta posterior."""
Normal = tuple[float, float]
"""(mean, standard deviation)."""
Vector = NDArray[np.float64]

GRID: Vector = np.linspace(-1.0, 2.0, 401)
_STEP = float(GRID[1] - GRID[0])
_SQRT2 = math.sqrt(2.0)

_KEPT_ROWS = 16
"""A field of at most this many arms keeps its rows (a channel ranking); a cell grid does not."""

FLOOR = 1e-4
"""The least share an arm gets: a drawn arm had a positive chance, and inverse-propensity
weights stay bounded (at most 1 / FLOOR) where the sum rounds a far tail to zero."""


@lru_cache(maxsize=65_536)
def normal_of(posterior: Posterior) -> Normal:
    """Mean and standard deviation of Beta(alpha, beta)."""
    alpha, beta = posterior
    total = alpha + beta
    return alpha / total, math.sqrt(alpha * beta / (total * total * (total + 1)))


def normals_of(posteriors: Sequence[Posterior]) -> list[Normal]:
    return [normal_of(p) for p in posteriors]


def draw(normals: Sequence[Normal], rng: random.Random) -> int:
    """The arm with the highest draw (ties, of measure zero, to the first)."""
    gauss = rng.gauss
    values = [mean + spread * gauss(0.0, 1.0) for mean, spread in normals]
    return max(range(len(values)), key=values.__getitem__)


_U: Vector = np.linspace(-37.0, 9.0, 46_001)
"""Standardised x of the log-cdf table: below it erfc underflows, above it the cdf is 1 to 1e-19."""
_LOG_CDF: Vector = np.array([math.log(0.5 * math.erfc(-u / _SQRT2)) for u in _U.tolist()])
"""log of the standard normal cdf, interpolated linearly (error below 2e-7: step 0.001)."""


_U_FIRST, _U_STEP, _U_LAST = float(_U[0]), float(_U[1] - _U[0]), len(_U) - 2
_LOG_CDF_RISE: Vector = np.diff(_LOG_CDF)


def log_below(means: Vector, spreads: Vector) -> Vector:
    """log P(draw_j < x) for each arm j (rows) and each x of GRID (columns)."""
    z = (GRID[None, :] - means[:, None]) / np.maximum(spreads, 1e-12)[:, None]
    # The table is uniform: its index is arithmetic, no search (np.interp's binary one is slower).
    position = np.clip((z - _U_FIRST) / _U_STEP, 0.0, _U_LAST + 1.0)
    index = np.minimum(position.astype(np.intp), _U_LAST)
    found: Vector = _LOG_CDF[index] + (position - index) * _LOG_CDF_RISE[index]
    return found


def share_on_grid(mean: float, spread: float, own_below: Vector, total_below: Vector) -> float:
    """P(arm wins) from its normal, its own row of ``log_below`` and the sum of all arms' rows.

    The arm's density is normalised over the grid's nodes, so a narrow arm the grid resolves with
    few nodes still integrates to 1 (an average of its rivals' cdfs over those nodes).
    """
    spread = max(spread, 1e-12)
    z = (GRID - mean) / spread
    density = np.exp(-0.5 * z * z)
    mass = float(density.sum())
    if mass == 0.0:  # narrower than a step between two nodes: the nearest node carries it
        density[int(np.argmin(np.abs(z)))], mass = 1.0, 1.0
    total = float((density * np.exp(total_below - own_below)).sum()) / mass
    return min(max(total, FLOOR), 1.0)


class ArmField:
    """Many arms' normals with the sum of their ``log_below`` rows, so any arm's share costs one row.

    ``patched`` gives the field with some arms changed, from the differences of their rows only.
    """

    def __init__(self, means: Vector, spreads: Vector, total_below: Vector | None = None) -> None:
        self.means = means
        self.spreads = spreads
        self._total = total_below
        self._rows: Vector | None = None
        self._known: dict[int, Vector] = {}
        """Rows computed already (a patched field's own arms)."""

    @property
    def total_below(self) -> Vector:
        if self._total is None:
            rows = log_below(self.means, self.spreads)
            if len(rows) <= _KEPT_ROWS:
                self._rows = rows
            self._total = rows.sum(axis=0)
        return self._total

    def patched(self, indexes: Sequence[int], means: Vector, spreads: Vector) -> ArmField:
        """This field with arms ``indexes`` given new normals (``means``/``spreads``: all arms)."""
        if not indexes:
            return ArmField(means, spreads, self._total)
        at = np.asarray(indexes)
        # One call for the old rows and the new: these are the client's own few cells.
        rows = log_below(
            np.concatenate((self.means[at], means[at])), np.concatenate((self.spreads[at], spreads[at]))
        )
        count = len(indexes)
        field = ArmField(
            means, spreads, self.total_below - rows[:count].sum(axis=0) + rows[count:].sum(axis=0)
        )
        field._known = dict(zip(indexes, rows[count:], strict=True))
        return field

    def share(self, index: int) -> float:
        """P(``draw`` over these arms picks arm ``index``), at least FLOOR."""
        if len(self.means) == 1:
            return 1.0
        mean, spread = float(self.means[index]), float(self.spreads[index])
        total = self.total_below
        own = self._row(index)
        return share_on_grid(mean, spread, own, total)

    def _row(self, index: int) -> Vector:
        if self._rows is not None:
            row: Vector = self._rows[index]
            return row
        found = self._known.get(index)
        if found is None:
            found = log_below(self.means[index : index + 1], self.spreads[index : index + 1])[0]
        return found

    def draw(self, rng: random.Random) -> int:
        """The arm with the highest draw, like ``draw`` (normal draws seeded from ``rng``)."""
        noise = np.random.default_rng(rng.getrandbits(64)).standard_normal(len(self.means))
        return int(np.argmax(self.means + self.spreads * noise))


def win_share(normals: Sequence[Normal], index: int) -> float:
    """P(``draw`` picks arm ``index``), at least FLOOR."""
    if len(normals) == 1:
        return 1.0
    means = np.array([m for m, _ in normals])
    spreads = np.array([s for _, s in normals])
    return ArmField(means, spreads).share(index)
