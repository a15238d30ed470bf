"""Values of a declared :class:`~likelihoods.constraints.Domain` for tests and benchmarks,
read from its bounds and kind alone (never from a family's or a domain's name).

* :func:`inside`: random values well inside the domain (one-hot or Dirichlet rows on the
  simplex);
* :func:`edges`: the domain's ends and the numbers just inside them;
* :func:`extremes`: representative values from one end of float64's range to the other, a
  moderate one in the middle (the edges among them).

>>> from likelihoods import constraints
>>> extremes(constraints.positive)
[1e-150, 1e-50, 1e-05, 1.0, 100000.0, 1e+50, 1e+150]
>>> edges(constraints.unit_interval)
[0.0, 5e-324, 0.9999999999999999, 1.0]
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .constraints import Domain

if TYPE_CHECKING:
    import numpy as np

#: The number of classes of vectors over classes.
CLASSES = 5


def inside(domain: Domain, rng: np.random.Generator, shape, label: bool = False) -> np.ndarray:
    """Random values well inside ``domain``; on the simplex one-hot rows if ``label`` (a
    class label), Dirichlet rows with entries well inside (0, 1) otherwise; for another
    vector domain, rows of :data:`CLASSES` entries each drawn inside the entries' domain."""
    import numpy as np  # here: declaring families needs no numpy

    if domain.permutation:  # rows of the items in a random order
        size = (*np.atleast_1d(shape), CLASSES)
        return rng.permuted(np.broadcast_to(np.arange(CLASSES), size), axis=-1)
    if domain.matrix:  # lower-triangular: entries of the interval, a positive diagonal if asked
        size = (*np.atleast_1d(shape), CLASSES, CLASSES)
        matrices = np.tril(inside(domain.entries, rng, size) * 0.5, -1)
        diagonal = inside(domain.diagonal, rng, size[:-1])
        return matrices + diagonal[..., None] * np.eye(CLASSES)
    if domain.event and not domain.sums_to_one:
        return inside(domain.entries, rng, (*np.atleast_1d(shape), CLASSES))
    if domain.event:
        if label:
            return np.eye(CLASSES)[rng.integers(0, CLASSES, size=shape)]
        return rng.dirichlet(np.full(CLASSES, 4.0), size=shape)
    if domain.integer:
        if math.isinf(domain.upper):
            return domain.lower + rng.poisson(4.0, size=shape).astype(float)
        return rng.integers(domain.lower, domain.upper + 1, size=shape).astype(float)
    if domain.period is not None:
        return rng.uniform(domain.lower, domain.upper, size=shape)
    if math.isinf(domain.lower):
        return rng.normal(0.0, 2.0, size=shape)
    if math.isinf(domain.upper):
        return domain.lower + rng.lognormal(0.0, 0.5, size=shape)
    width = domain.upper - domain.lower
    return rng.uniform(domain.lower + 0.05 * width, domain.upper - 0.05 * width, size=shape)


def edges(domain: Domain) -> list[float]:
    """Each finite end of ``domain`` (if it belongs to it) and the nearest number inside."""
    import numpy as np

    out: list[float] = []
    for end, is_open, inward in (
        (domain.lower, domain.lower_open, math.inf),
        (domain.upper, domain.upper_open, -math.inf),
    ):
        if math.isinf(end):
            continue
        step = float(np.sign(inward)) if domain.integer else None
        nearest = end + step if step is not None else float(np.nextafter(end, inward))
        out += [nearest] if is_open else [end, nearest]
    return sorted(set(out))


def extremes(domain: Domain, largest: float | None = None) -> list[float]:
    """Values across ``domain``, from the smallest to the largest magnitude float64 handles
    in a loss (1e-150 .. 1e150, or up to ``largest``), its edges included; a moderate value
    sits in the middle of the list."""
    if domain.event:
        raise ValueError("extremes: a vector domain has rows, not values; use inside()")
    if domain.integer:
        low = domain.lower if not math.isinf(domain.lower) else -1e6
        if math.isinf(domain.upper):
            return [low, low + 1, low + 2, low + 10, low + 1e3, low + 1e6]
        return [float(v) for v in range(int(low), int(domain.upper) + 1)]
    if domain.period is not None:
        return [domain.lower, -1.0, 0.0, 1e-8, domain.upper]
    if math.isinf(domain.lower) and math.isinf(domain.upper):
        return [0.0, 1e-3, -1.0, 2.5, -30.0, 1e3]
    if math.isinf(domain.upper):
        top = 150 if largest is None else math.log10(largest)
        magnitudes = [domain.lower + 10.0**e for e in (-150, -50, -5, 0, 5, 50, 150) if e <= top]
        if largest is not None and largest not in magnitudes:
            magnitudes.append(domain.lower + largest)
        if not domain.lower_open:
            magnitudes = [domain.lower, domain.lower + 1e-300, *magnitudes[2:]]
        return magnitudes
    low, high = domain.lower, domain.upper
    width = high - low
    inner = [1e-300, 1e-16, 1e-3, 0.5, 1 - 1e-3, 1 - 2**-53]
    ends = [[] if domain.lower_open else [low], [] if domain.upper_open else [high]]
    return ends[0] + [low + f * width for f in inner] + ends[1]


__all__ = ["CLASSES", "inside", "edges", "extremes"]
