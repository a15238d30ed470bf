"""A high-precision oracle for every family and link: the declared log-density, composed with
the link written out in sympy and differentiated by sympy, evaluated by mpmath at 50 digits,
against the compiled float64 callables, over a grid spanning each input's float64 range.

The reference never goes through the engine's reduction, rewriting or code generation: it is
``-log p(y | links(raw))`` straight from the model's declaration. Used by
``tests/test_oracle.py`` (which asserts) and ``benchmarks/accuracy.py`` (which prints the
table of worst errors per family for the README).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import mpmath
import numpy as np
import sympy

import likelihoods as lk
from derivation import derive

DIGITS = 50  # significant digits asked of every reference value
WORK_DIGITS = 520  # working precision: log(1 + e^-1000) needs some 435 digits to see e^-1000
FLOAT64_MAX = mpmath.mpf(np.finfo(np.float64).max)
CLASSES = 3

# Raw outputs of non-identity links: 0, and +-10^k in half decades, for k from -3 up to 3
# (logits, log-rates: +-1e3) or to log10(345) (the log of a scale from 1e-150 to 1e150).
LOGITS = [0.0] + [s * 10.0**e for e in np.arange(-3, 3.01, 0.5) for s in (1, -1)]
LOG_SCALES = (
    [0.0] + [s * 10.0**e for e in np.arange(-3, 2.51, 0.5) for s in (1, -1)] + [345.0, -345.0]
)


def _reference_functions(model):
    """mpmath callables of (-log p, d(-log p)/d raw_i) in (y, *raw) from the declaration."""
    y = sympy.Symbol("y", real=True)
    raws, values = [], {}
    for name, choice in model.choices.items():
        if choice.predicted:
            if choice.parameter.domain.event:
                raw = sympy.IndexedBase(f"r_{name}", shape=(CLASSES,))
                raws.extend(raw[k] for k in range(CLASSES))
                values[name] = [
                    choice.link.inverse(raw, k) if choice.link.event else raw[k]
                    for k in range(CLASSES)
                ]
            else:
                raw = sympy.Symbol(f"r_{name}", real=True)
                raws.append(raw)
                values[name] = choice.link.inverse(raw)
        else:
            values[name] = choice.value
    if model.target.support.event:
        ys = sympy.symbols(f"y0:{CLASSES}", real=True)
        vector = {n: v for n, v in values.items() if isinstance(v, list)}
        density = (
            model.log_density(
                sympy.IndexedBase("t"), **{n: sympy.IndexedBase(f"_{n}") for n in values}
            )
            .xreplace({lk.CLASSES: CLASSES})
            .doit()
        )
        density = (
            density.replace(
                lambda e: isinstance(e, sympy.Indexed),
                lambda e: (
                    ys[int(e.indices[0])]
                    if str(e.base.label) == "t"
                    else vector[str(e.base.label)[1:]][int(e.indices[0])]
                ),
            )
            .xreplace({lk.CLASSES: CLASSES})
            .doit()
        )
        arguments = [*ys, *raws]
    else:
        density = model.log_density(y, **values)
        arguments = [y, *raws]
    nll = -density
    constants = sorted(
        (s for s in nll.free_symbols if s not in set(arguments)), key=lambda s: s.name
    )
    functions = [
        sympy.lambdify([*arguments, *constants], e, modules="mpmath")
        for e in [nll] + [sympy.diff(nll, r) for r in raws]
    ]
    return functions, [c.name for c in constants]


def _grid(model):
    """Points (target, raw outputs, constants) covering each input's range."""
    support = model.target.support
    if support.event:
        targets = [np.eye(CLASSES)[k] for k in range(CLASSES)]
    else:
        targets = lk.sampling.extremes(support)
    axes = []
    for name in model.predicted:
        choice = model.choices[name]
        domain = choice.parameter.domain
        if domain.event:
            if choice.link.event:
                axes.append(
                    [
                        np.array(v)
                        for v in (
                            [0.0, 0.0, 0.0],
                            [1e3, -1e3, 0.0],
                            [-1e3, -1e3, -1e3],
                            [30.0, 0.0, -2.0],
                            [1e-3, -1e-3, 0.0],
                            [700.0, 699.0, -745.0],
                        )
                    ]
                )
            else:
                axes.append(
                    [
                        np.array(v)
                        for v in (
                            [1.0, 0.0, 0.0],
                            [0.2, 0.3, 0.5],
                            [1e-300, 0.5, 0.5 - 1e-300],
                            [1 - 2**-53, 2**-54, 2**-54],
                        )
                    ]
                )
        elif choice.link.name == "identity":
            axes.append(lk.sampling.extremes(domain, choice.parameter.largest))
        elif math.isfinite(domain.upper):  # a parameter in a bounded interval: logits
            axes.append(LOGITS)
        else:  # onto a half-line: the log of a scale, a rate or a concentration
            largest = choice.parameter.largest
            top = math.inf if largest is None else math.log(largest)
            axes.append([v for v in LOG_SCALES if v <= top] + ([top] if largest else []))
    moderate = [[a[len(a) // 2]] for a in axes]
    points = []
    for i, axis in enumerate(axes):  # one output swept at a time, the others moderate
        for value in axis:
            raw = [m[0] for m in moderate]
            raw[i] = value
            for target in targets:
                points.append((target, raw))
    for raw in itertools.product(*[a[:: max(1, len(a) // 3)] for a in axes]):
        points.append((targets[-1], list(raw)))
    return points


def sweep(model, nll: bool = True) -> list[Record]:
    """A :class:`Record` for every output at every grid point; ``expected`` is an mpmath
    number (possibly beyond float64's range), or None where the reference is undefined."""
    functions, constant_names = _reference_functions(model)
    fn = derive(model).compile(nll=nll)
    # Symbolic fixed parameters at 1.5 (the NLL holds all of them; the loss maybe fewer).
    constants = {c: 1.5 for c in derive(model).compile(nll=True).constants}
    passed = {c: constants[c] for c in fn.constants}
    d = derive(model)
    records = []
    with mpmath.workdps(WORK_DIGITS):
        for target, raw in _grid(model):
            arrays = [np.array([target]), *(np.array([r]) for r in raw)]
            loss, grads = fn.loss_and_grad(*arrays, reduction="sum", **passed)
            flat_target = list(np.atleast_1d(target))
            flat_raw = [v for r in raw for v in np.atleast_1d(r)]
            args = [mpmath.mpf(float(v)) for v in flat_target + flat_raw]
            args += [mpmath.mpf(constants.get(c, 1.5)) for c in constant_names]
            expected = _safe(functions[0], args)
            reference = (functions[0], args, None)
            if not nll:
                subs = {d.target: flat_target[0]} if not model.target.support.event else {}
                subs.update({model.parameter_symbol(c): constants[c] for c in constants})
                scale = mpmath.mpf(str(sympy.N(d.scale.subs(subs), WORK_DIGITS)))
                constant = _constant(model, d, flat_target, constants)
                expected = (expected - constant) / scale if expected is not None else None
            records.append(Record("loss", (target, raw), float(loss), expected, reference))
            got = [v for g in grads for v in np.atleast_1d(g[0])]
            for k, g in enumerate(got):
                e = _safe(functions[1 + k], args)
                if not nll and e is not None:
                    e = e / scale
                reference = (functions[1 + k], args, None if nll else scale)
                records.append(Record(f"d/draw[{k}]", (target, raw), float(g), e, reference))
    return records


@dataclass
class Record:
    """One compared value: what it is, the inputs, the float64 result, the reference value,
    and what is needed to evaluate the reference's sensitivity to its inputs."""

    what: str
    point: tuple
    got: float
    expected: object
    reference: tuple

    def ok(self) -> bool:
        """Within 4 ulps or 1e-13 (see :func:`acceptable`), or, where the problem itself is
        ill-conditioned, within what rounding each input by 4 ulps would move the result."""
        if self.expected is None:
            return True
        if acceptable(self.got, self.expected):
            return True
        if math.isnan(self.got) or abs(self.expected) > FLOAT64_MAX:
            return False
        return abs(mpmath.mpf(self.got) - self.expected) <= self.conditioning()

    def conditioning(self):
        """4 eps times sum_i |x_i df/dx_i|: the spread of f over inputs rounded by 4 ulps."""
        f, args, divisor = self.reference
        total = mpmath.mpf(0)
        with mpmath.workdps(WORK_DIGITS):
            for i, x in enumerate(args):
                if x == 0:
                    continue

                def along(t, i=i):
                    moved = list(args)
                    moved[i] = t
                    return f(*moved)

                try:
                    total += abs(x * mpmath.diff(along, x))
                except (ZeroDivisionError, ValueError):
                    return mpmath.mpf(0)
        if divisor is not None:
            total /= abs(divisor)
        return 4 * mpmath.mpf(2) ** -52 * total


def _constant(model, d, flat_target, constants):
    c = d.constant
    if isinstance(d.target, sympy.IndexedBase):
        return mpmath.mpf(0) if c == 0 else None
    c = c.subs({d.target: sympy.Float(flat_target[0], DIGITS)})
    c = c.subs({model.parameter_symbol(k): v for k, v in constants.items()})
    return mpmath.mpf(str(sympy.N(c, WORK_DIGITS)))


def _safe(f, args):
    try:
        value = f(*args)
    except (ZeroDivisionError, ValueError, OverflowError):
        return None  # undefined at this point (e.g. log 0 times 0 as a limit)
    return value if mpmath.isfinite(value) or mpmath.isinf(value) else None


def error_in_ulps(got: float, expected) -> float:
    """|got - expected| in units of the last place of float(expected); inf for a wrong
    infinity or a NaN."""
    if math.isnan(got):
        return math.inf
    if abs(expected) > FLOAT64_MAX:
        return 0.0 if math.isinf(got) and (got > 0) == (expected > 0) else math.inf
    exp_float = float(expected)
    spacing = np.spacing(abs(exp_float)) if exp_float != 0 else 5e-324
    return float(abs(mpmath.mpf(got) - expected) / mpmath.mpf(float(spacing)))


def acceptable(got: float, expected) -> bool:
    """Within 4 ulps or 1e-13 relative where finite; the right infinity where not."""
    if math.isnan(got):
        return False
    if abs(expected) > FLOAT64_MAX:
        return math.isinf(got) and (got > 0) == (expected > 0)
    if math.isinf(got):
        return False
    error = abs(mpmath.mpf(got) - expected)
    return error <= max(
        4 * mpmath.mpf(float(np.spacing(abs(float(expected))))), mpmath.mpf("1e-13") * abs(expected)
    )
