"""What a kernel says of non-finite inputs holds: each argument it lists in ``strict_in``
makes every per-sample loss NaN or infinite when it is NaN or infinite, whatever the others
hold (the runtime skips their checks on the strength of it)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import likelihoods as lk
from derivation import derive

from support import all_variants, elementwise_domains, is_elementwise, model_id


def _edges(domain: lk.constraints.Domain) -> list[float]:
    """Values of ``domain`` at and near its ends and at extreme magnitudes, from its
    declaration, with NaN and the infinities (a claim about one argument must hold whatever
    the others hold)."""
    points = [0.0, 0.5, 1.0, -1.0, 2.0, 1e-300, -1e-300, 1e300, -1e300, 709.0, -745.0]
    if domain.lower > -math.inf:
        points.append(domain.lower)
    if domain.upper < math.inf:
        points.append(domain.upper)
    inside = [
        v for v in points if (v > domain.lower or v == domain.lower and not domain.lower_open)
    ]
    inside = [
        v for v in inside if (v < domain.upper or v == domain.upper and not domain.upper_open)
    ]
    if domain.integer:
        inside = [v for v in inside if v == math.floor(v)]
    return inside + [math.nan, math.inf, -math.inf]


@pytest.mark.parametrize("model", [m for m in all_variants() if is_elementwise(m)], ids=model_id)
def test_a_nonfinite_value_the_loss_is_said_to_carry_makes_every_sample_loss_nonfinite(model):
    # The kernels list the arguments whose NaN or inf makes the summed loss NaN or inf
    # (``strict_in``); a finite total then stands for their check. Evaluate each per-sample
    # loss at NaN and +-inf there, against every combination of edge values of the others.
    fn = derive(model).compile()
    kernel = fn._form("elementwise")[1]["loss"]
    domains = elementwise_domains(model)
    # (none listed is sound too: the runtime then checks every argument, as for a beta's
    # shapes through exp, whose -inf gives 0)
    strict_in = kernel.traits["strict_in"]
    kw = {c: 1.5 for c in fn.constants}
    for position in strict_in:
        grids = [_edges(d) for d in domains]
        grids[position] = [math.nan, math.inf, -math.inf]
        mesh = [a.ravel() for a in np.meshgrid(*grids, indexing="ij")]
        with np.errstate(all="ignore"):
            (per_sample,) = kernel(
                *mesh,
                _shape=mesh[0].shape,
                _dtype=np.dtype(np.float64),
                _scale=None,
                _total=False,
                **kw,
            )
        finite = np.isfinite(per_sample)
        assert not finite.any(), [tuple(a[finite][:1]) for a in mesh]
