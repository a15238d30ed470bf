"""The audit's reference and its grid: ``-log p(y | links(raw))`` straight from a model's
declaration, differentiated by sympy and evaluated by mpmath (never through the engine's
reduction, rewriting or code generation), and the points it is compared at: every input over
its declared domain, the support's edges and the extremes of float64.

>>> import likelihoods as lk
>>> functions, constants = reference_functions(lk.Exponential())
>>> float(functions[0](2, 0))  # -log p(2 | rate e^0) = 2
2.0
"""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
import sympy

import likelihoods as lk

CLASSES = 3  # the length of vectors over classes in the audit

# Raw outputs of non-identity links: 0, and +-10^k in half decades, for k from -3 up to 3
# (logits, log-rates: +-1e3) or to log10(345) (the log of a scale from 1e-150 to 1e150).
LOGITS = [0.0] + [s * 10.0**e for e in np.arange(-3, 3.01, 0.5) for s in (1, -1)]
LOG_SCALES = (
    [0.0] + [s * 10.0**e for e in np.arange(-3, 2.51, 0.5) for s in (1, -1)] + [345.0, -345.0]
)
# Raw vectors over classes: logits, and probability rows taken as they are.
CLASS_LOGITS = (
    [0.0, 0.0, 0.0],
    [1e3, -1e3, 0.0],
    [-1e3, -1e3, -1e3],
    [30.0, 0.0, -2.0],
    [1e-3, -1e-3, 0.0],
    [700.0, 699.0, -745.0],
)
CLASS_ROWS = (
    [1.0, 0.0, 0.0],
    [0.2, 0.3, 0.5],
    [1e-300, 0.5, 0.5 - 1e-300],
    [1 - 2**-53, 2**-54, 2**-54],
)


def _raw_values(model) -> tuple[list, dict]:
    """The raw symbols and each parameter's value in them (a list over classes for vectors)."""
    raws, values = [], {}
    for name, choice in model.choices.items():
        if not choice.predicted:
            values[name] = choice.value
        elif choice.parameter.domain.event:
            raw = sympy.IndexedBase(f"r_{name}", shape=(CLASSES,))
            raws.extend(raw[k] for k in range(CLASSES))
            values[name] = [
                choice.link.inverse(raw, k) if choice.link.event else choice.link.inverse(raw[k])
                for k in range(CLASSES)
            ]
        else:
            raw = sympy.Symbol(f"r_{name}", real=True)
            raws.append(raw)
            values[name] = choice.link.inverse(raw)
    return raws, values


def _class_density(model, values) -> tuple[sympy.Expr, list]:
    """The log-density with K = CLASSES written out: the target's entries (a row over classes)
    or the target itself, and every vector parameter's entries."""
    if model.target.support.event:
        ys = sympy.symbols(f"y0:{CLASSES}", real=True)
        target = sympy.IndexedBase("t")
    else:
        ys = [sympy.Symbol("y", real=True)]
        target = ys[0]
    vector = {n: v for n, v in values.items() if isinstance(v, list)}
    bases = {n: sympy.IndexedBase(f"_{n}") if n in vector else v for n, v in values.items()}
    density = model.log_density(target, **bases)
    density = density.xreplace({lk.CLASSES: CLASSES}).doit()
    density = density.replace(
        lambda e: isinstance(e, sympy.Indexed),
        lambda e: (
            ys[int(e.indices[0])]
            if str(e.base.label) == "t"
            else vector[str(e.base.label)[1:]][int(e.indices[0])]
        ),
    )
    return density.xreplace({lk.CLASSES: CLASSES}).doit(), list(ys)


def reference_functions(model) -> tuple[list, list[str]]:
    """mpmath callables of (-log p, d(-log p)/d raw_i) in (target, *raw, *constants), and the
    names of the constants (fixed symbolic parameters)."""
    raws, values = _raw_values(model)
    if model.target.support.event or any(isinstance(v, list) for v in values.values()):
        density, targets = _class_density(model, values)
    else:
        y = sympy.Symbol("y", real=True)
        density, targets = model.log_density(y, **values), [y]
    nll = -density
    arguments = [*targets, *raws]
    constants = sorted(
        (s for s in nll.free_symbols if s not in set(arguments)), key=lambda s: s.name
    )
    functions = [
        sympy.lambdify([*arguments, *constants], e, modules="mpmath")
        for e in [nll] + [sympy.diff(nll, r) for r in raws]
    ]
    return functions, [c.name for c in constants]


def _axis(choice) -> list:
    """The values one raw output takes in the audit."""
    domain = choice.parameter.domain
    if domain.sums_to_one:
        rows = CLASS_LOGITS if choice.link.event else CLASS_ROWS
        return [np.array(v) for v in rows]
    if domain.event:  # each entry over its axis in turn, the others moderate and mirrored
        parameter = dataclasses.replace(choice.parameter, domain=domain.entries)
        entries = _axis(lk.Choice(parameter, choice.link))
        middle = entries[len(entries) // 2]
        rows = [[middle] * CLASSES] + [[v, middle, entries[-1 - i]] for i, v in enumerate(entries)]
        return [np.array(row[:CLASSES]) for row in rows[::2]]
    if choice.link.name == "identity":
        return lk.sampling.extremes(domain, choice.parameter.largest)
    if math.isfinite(domain.upper):  # a parameter in a bounded interval: logits
        return LOGITS
    largest = choice.parameter.largest  # onto a half-line: the log of a scale or a rate
    top = math.inf if largest is None else math.log(largest)
    return [v for v in LOG_SCALES if v <= top] + ([top] if largest else [])


def grid(model) -> list[tuple]:
    """Points (target, raw outputs): each output swept over its axis with the others at the
    middle of theirs, at every target value, then a coarse product of all the axes."""
    support = model.target.support
    if support.event:
        targets = [np.eye(CLASSES)[k] for k in range(CLASSES)]
    else:
        targets = lk.sampling.extremes(support)
    axes = [_axis(model.choices[name]) for name in model.predicted]
    moderate = [a[len(a) // 2] for a in axes]
    points = []
    for i, axis in enumerate(axes):
        for value in axis:
            raw = list(moderate)
            raw[i] = value
            points.extend((target, raw) for target in targets)
    for raw in itertools.product(*[a[:: max(1, len(a) // 3)] for a in axes]):
        points.append((targets[-1], list(raw)))
    return points


__all__ = ["reference_functions", "grid", "CLASSES"]
