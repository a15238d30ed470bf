"""Generated code owns its namespace: any identifier a family declares works, as a target, a
predicted parameter, a raw output or a fixed one, on every backend and in standalone modules;
what is not an identifier, or names two things, is refused where it is declared."""

from __future__ import annotations

import importlib.util
import inspect

import numpy as np
import pytest
import scipy.stats as st
import sympy

from derivation import derive
from likelihoods import NoiseModel, Parameter, Target, constraints

#: Names that generated code uses itself or that Python reserves.
AWKWARD = ["lambda", "numpy", "np", "out", "y2", "scale", "i", "total", "float", "_t0", "g0"]


def _normal(target_name: str, location: str, scale: str, raw: str | None = None):
    """A Gaussian family with the given names, declared on the spot."""

    class Renamed(NoiseModel):
        target = Target(target_name, constraints.real)
        parameters = (
            Parameter(location, constraints.real, default="identity"),
            Parameter(scale, constraints.positive, default="fixed", raw=raw),
        )

        def log_density(self, y, **p):
            mu, sigma = p[location], p[scale]
            return -((y - mu) ** 2) / (2 * sigma**2) - sympy.log(sigma)

    return Renamed


def _expected(y, mu, sigma):
    return -st.norm.logpdf(y, mu, sigma) - 0.5 * np.log(2 * np.pi)


def _check(target, location, scale, backend):
    rng = np.random.default_rng(3)
    y, mu, log_sigma = rng.normal(size=30), rng.normal(size=30), rng.normal(size=30)
    family = _normal(target, location, scale)
    fixed = derive(family()).compile(nll=True, backend=backend)
    got = fixed(y, mu, reduction="none", **{scale: 1.5})
    np.testing.assert_allclose(got, _expected(y, mu, 1.5), rtol=1e-13)
    predicted = derive(family(**{scale: "log"})).compile(nll=True, backend=backend)
    got = predicted(y, mu, log_sigma, reduction="none")
    np.testing.assert_allclose(got, _expected(y, mu, np.exp(log_sigma)), rtol=1e-13)


@pytest.mark.parametrize("name", AWKWARD)
def test_every_identifier_works_as_every_argument(name):
    for names in [(name, "mu", "s"), ("y", name, "s"), ("y", "mu", name)]:
        _check(*names, backend="numpy")


@pytest.mark.parametrize("names", [("scale", "np", "g0"), ("i", "lambda", "total")])
def test_the_numba_backend_owns_its_namespace(names):
    pytest.importorskip("numba")
    _check(*names, backend="numba")


@pytest.mark.parametrize("name", AWKWARD)
def test_standalone_modules_take_any_identifier(name, tmp_path):
    family = _normal("y", "mu", name)
    source = derive(family()).to_python(nll=True)
    path = tmp_path / "standalone.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("standalone", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    (keyword,) = [
        p.name
        for p in inspect.signature(module.loss).parameters.values()
        if p.kind == p.KEYWORD_ONLY
    ]
    assert name.strip("_") in keyword  # the declared name, made usable
    y, mu = np.array([0.5, -1.0]), np.array([0.0, 2.0])
    got = module.loss(y, mu, reduction="none", **{keyword: 2.0})
    np.testing.assert_allclose(got, _expected(y, mu, 2.0), rtol=1e-13)


@pytest.mark.parametrize("bad", ["2x", "a-b", "", "x y", 3])
def test_a_name_that_is_not_an_identifier_is_refused_where_declared(bad):
    with pytest.raises(ValueError, match="expected a Python identifier"):
        Parameter(bad, constraints.real)
    with pytest.raises(ValueError, match="expected a Python identifier"):
        Target(bad, constraints.real)
    with pytest.raises(ValueError, match="raw: expected a Python identifier"):
        Parameter("mu", constraints.real, raw=bad)


def test_a_name_used_twice_is_refused_where_declared():
    with pytest.raises(ValueError, match="'mu' is used twice"):
        _normal("mu", "mu", "s")
    assert _normal("y", "mu", "t", raw="s")().predicted == ("mu",)  # distinct: fine
    with pytest.raises(ValueError, match="'s' is used twice"):
        _normal("y", "s", "t", raw="s")
