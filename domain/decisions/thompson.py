"""Thompson sampling over moment-matched normals, and the probability that it picks a given arm.

An arm's posterior is Beta(alpha, beta). The policy draws each arm from the normal of the same mean
and variance (Thompson sampling with a Gaussian posterior: one cheap draw per arm instead of two
gamma draws) and picks the highest draw. Because the draws are those normals, the probability that
arm i wins is, without approximation, P(i) = integral of pdf_i(x) x prod over j != i of cdf_j(x).

The integral is a trapezoid sum on one fixed grid of x (``GRID``) for every arm, so the sum over
all arms of log cdf_j(x), computed once, serves each arm's share (divide its own cdf out), and an
arm whose figures change is patched in by its difference (``ArmField``); ``shares`` computes
the shares of many fields (a send's clients) together, in a few numpy calls. Vectorised with numpy
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
from collections.abc import Iterator, Sequence
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


_CHUNK_ROWS = 2_048
"""Rows of GRID width per numpy call in the batched functions: big enough that numpy's per-call
cost is spread over many arms, small enough that the temporaries stay a few megabytes."""


def _chunks(count: int, sizes: Sequence[int] | None = None) -> Iterator[tuple[int, int]]:
    """[start, end) ranges over ``count`` items whose ``sizes`` (rows each; 1 if None) add to at
    most _CHUNK_ROWS per range, unless one item alone is larger."""
    start, rows = 0, 0
    for index in range(count):
        size = 1 if sizes is None else sizes[index]
        if rows and rows + size > _CHUNK_ROWS:
            yield start, index
            start, rows = index, 0
        rows += size
    if start < count:
        yield start, count


def shares_on_grid(means: Vector, spreads: Vector, own_below: Vector, total_below: Vector) -> Vector:
    """P(arm wins) for many arms at once: each arm's normal (``means``/``spreads``), its own row of
    ``log_below`` and the sum of its field's rows (``own_below``/``total_below``, one row per arm).

    Each arm's density is normalised over the grid's nodes, so a narrow arm the grid resolves with
    few nodes still integrates to 1 (an average of its rivals' cdfs over those nodes). Row by row
    the same figures as one arm at a time: only elementwise operations and per-row sums.
    """
    z = (GRID[None, :] - means[:, None]) / np.maximum(spreads, 1e-12)[:, None]
    density = np.exp(-0.5 * z * z)
    mass = density.sum(axis=1)
    narrow = np.flatnonzero(mass == 0.0)
    if len(narrow):  # narrower than a step between two nodes: the nearest node carries it
        density[narrow, np.argmin(np.abs(z[narrow]), axis=1)] = 1.0
        mass[narrow] = 1.0
    found: Vector = np.clip((density * np.exp(total_below - own_below)).sum(axis=1) / mass, FLOOR, 1.0)
    return found


class ArmField:
    """Many arms' normals with the sum of their ``log_below`` rows, so any arm's share costs one row.

    ``patched`` gives the field with some arms changed, from the differences of their rows only,
    computed when first needed: ``shares`` computes the sums of many fields in a few numpy calls.
    """

    def __init__(
        self,
        means: Vector,
        spreads: Vector,
        total_below: Vector | None = None,
        *,
        parent: ArmField | None = None,
        changed: Sequence[int] = (),
    ) -> None:
        self.means = means
        self.spreads = spreads
        self._total = total_below
        self._rows: Vector | None = None
        self._known: dict[int, Vector] = {}
        """Rows computed already (a patched field's own arms)."""
        self._parent = parent
        self._changed = tuple(changed)
        """The arms whose normals differ from the parent's."""

    @property
    def total_below(self) -> Vector:
        if self._total is None:
            _resolve_totals([self])
        assert self._total is not None
        return self._total

    def patched(self, indexes: Sequence[int], means: Vector, spreads: Vector) -> ArmField:
        """This field with arms ``indexes`` given new normals (``means``/``spreads``: all arms)."""
        return ArmField(means, spreads, parent=self, changed=indexes)

    def share(self, index: int) -> float:
        """P(``draw`` over these arms picks arm ``index``), at least FLOOR."""
        return shares([(self, index)])[0]

    def draw(self, rng: random.Random) -> int:
        """The arm with the highest draw, like ``draw`` (normal draws seeded from ``rng``)."""
        noise = np.random.default_rng(rng.getrandbits(64)).standard_normal(len(self.means))
        return int(np.argmax(self.means + self.spreads * noise))


def _resolve_totals(fields: Sequence[ArmField]) -> None:
    """Computes the sums of rows of the fields that have none yet, batched across fields."""
    pending = {id(f): f for f in fields if f._total is None}
    if not pending:
        return
    plain = [f for f in pending.values() if f._parent is None]
    patched = [f for f in pending.values() if f._parent is not None]
    _resolve_totals([f._parent for f in patched if f._parent is not None])
    sizes = [len(f.means) for f in plain]
    for start, end in _chunks(len(plain), sizes):
        group = plain[start:end]
        rows = log_below(np.concatenate([f.means for f in group]), np.concatenate([f.spreads for f in group]))
        offsets = np.cumsum([0, *sizes[start:end]])
        totals = np.add.reduceat(rows, offsets[:-1])
        for field, total, first, last in zip(group, totals, offsets[:-1], offsets[1:], strict=True):
            field._total = total
            if last - first <= _KEPT_ROWS:
                field._rows = rows[first:last]
    changing = []
    for field in patched:
        assert field._parent is not None
        if field._changed:
            changing.append(field)
        else:
            field._total = field._parent.total_below
    counts = [len(f._changed) for f in changing]
    for start, end in _chunks(len(changing), [2 * n for n in counts]):
        group = changing[start:end]
        at = [np.asarray(f._changed) for f in group]
        # The old rows and the new in one call: these are each client's own few cells.
        rows = log_below(
            np.concatenate(
                [f._parent.means[i] for f, i in zip(group, at, strict=True)]  # type: ignore[union-attr]
                + [f.means[i] for f, i in zip(group, at, strict=True)]
            ),
            np.concatenate(
                [f._parent.spreads[i] for f, i in zip(group, at, strict=True)]  # type: ignore[union-attr]
                + [f.spreads[i] for f, i in zip(group, at, strict=True)]
            ),
        )
        offsets = np.cumsum([0, *counts[start:end]])
        half = int(offsets[-1])
        old, new = rows[:half], rows[half:]
        parents = np.stack([f._parent.total_below for f in group])  # type: ignore[union-attr]
        totals = parents - np.add.reduceat(old, offsets[:-1]) + np.add.reduceat(new, offsets[:-1])
        for field, total, first, last in zip(group, totals, offsets[:-1], offsets[1:], strict=True):
            field._total = total
            field._known = dict(zip(field._changed, new[first:last], strict=True))


def shares(arms: Sequence[tuple[ArmField, int]]) -> list[float]:
    """P(``draw`` picks arm ``index`` of its field) for each (field, index), at least FLOOR: the
    shares of many fields (a send's clients) in a few numpy calls, each equal to ``field.share``."""
    found = [1.0] * len(arms)
    contested = [k for k, (field, _) in enumerate(arms) if len(field.means) > 1]
    _resolve_totals([arms[k][0] for k in contested])
    own: dict[int, Vector] = {}
    missing: list[int] = []
    for k in contested:
        field, index = arms[k]
        row = field._rows[index] if field._rows is not None else field._known.get(index)
        if row is None:
            missing.append(k)
        else:
            own[k] = row
    for start, end in _chunks(len(missing)):
        part = missing[start:end]
        rows = log_below(
            np.array([arms[k][0].means[arms[k][1]] for k in part]),
            np.array([arms[k][0].spreads[arms[k][1]] for k in part]),
        )
        own.update(zip(part, rows, strict=True))
    for start, end in _chunks(len(contested)):
        part = contested[start:end]
        figures = shares_on_grid(
            np.array([arms[k][0].means[arms[k][1]] for k in part]),
            np.array([arms[k][0].spreads[arms[k][1]] for k in part]),
            np.stack([own[k] for k in part]),
            np.stack([arms[k][0].total_below for k in part]),
        )
        for k, share in zip(part, figures.tolist(), strict=True):
            found[k] = share
    return found


def win_share(normals: Sequence[Normal], index: int) -> float:
    """P(``draw`` picks arm ``index``), at least FLOOR."""
    return win_shares([(normals, index)])[0]


def win_shares(asked: Sequence[tuple[Sequence[Normal], int]]) -> list[float]:
    """``win_share`` of each (normals, index), batched."""
    fields = [
        (ArmField(np.array([m for m, _ in normals]), np.array([s for _, s in normals])), index)
        for normals, index in asked
    ]
    return shares(fields)
