"""The probability that Thompson sampling picks a given arm, without drawing.

An arm's posterior is Beta(alpha, beta); Thompson sampling picks the arm with the highest draw, so
P(arm i) = E[prod over j != i of P(draw_j < draw_i)], an expectation over draw_i. It is computed in
closed form up to two approximations, both deterministic: each Beta is taken as the normal of the
same mean and variance, and the expectation is a fixed midpoint rule over the standard normal.
Against 20,000 Thompson draws the shares agree within about 0.01 to 0.03 (the Betas of small rates
are skewed); in a propensity this error is scaled down by the exploration share. The cost is
arms x nodes calls of erfc, against arms x draws Beta draws by Monte Carlo.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

Posterior = tuple[float, float]
"""(alpha, beta) of a Beta posterior."""

_NODES = 20
_REACH = 5.0
_STEP = 2 * _REACH / _NODES
_Z = [-_REACH + _STEP * (k + 0.5) for k in range(_NODES)]
_RAW = [math.exp(-z * z / 2) for z in _Z]
_W = [w / sum(_RAW) for w in _RAW]
_SQRT2 = math.sqrt(2.0)

FLOOR = 1e-4
"""The least share an arm gets: a drawn arm had a positive chance, and inverse-propensity
weights stay bounded (at most 1 / FLOOR) where the approximation would round a tail to zero."""


@lru_cache(maxsize=65_536)
def normal_of(posterior: Posterior) -> tuple[float, float]:
    """Mean and standard deviation of Beta(alpha, beta)."""
    alpha, beta = posterior
    total = alpha + beta
    return alpha / total, math.sqrt(alpha * beta / (total * total * (total + 1)))


def win_share(posteriors: Sequence[Posterior], index: int) -> float:
    """P(the draw of arm ``index`` is the highest of all arms' draws), at least FLOOR."""
    if len(posteriors) == 1:
        return 1.0
    normals = [normal_of(p) for p in posteriors]
    mean, spread = normals[index]
    others = [(m, s * _SQRT2) for i, (m, s) in enumerate(normals) if i != index]
    total = 0.0
    erfc = math.erfc
    for z, weight in zip(_Z, _W, strict=True):
        x = mean + spread * z
        product = weight
        for other_mean, other_spread in others:
            # P(draw_j < x) = erfc((mean_j - x) / (sd_j * sqrt 2)) / 2
            product *= 0.5 * erfc((other_mean - x) / other_spread)
            if product < 1e-300:
                break
        total += product
    return min(max(total, FLOOR), 1.0)
