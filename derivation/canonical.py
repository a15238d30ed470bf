"""Steps 2 and 3 of the recipe: substitute the links, form the negative log-likelihood, expand
its logarithms and reduce it to the canonical loss.

The reduction rule, stated once for every family:

* an additive term that contains no raw model output is dropped (it moves the loss but not its
  minimiser; it may depend on the target, like the log y! of a count model);
* a factor common to all remaining terms that contains neither a raw output nor the target,
  and that sympy can prove positive under the declared domains (1/(2 sigma^2), 1/b, kappa,
  1/2), is divided out (it rescales the loss and its gradient but moves no minimiser; a factor
  that depends on the target would reweight samples, so it stays).

So ``nll = scale * loss + constant`` holds exactly, with ``scale`` positive and free of target
and outputs, and ``constant`` free of outputs. Both are kept and reported.

>>> import sympy
>>> from likelihoods import NoiseModel, Parameter, Target, constraints
>>> class Noise(NoiseModel):  # a density declared on the spot
...     target = Target("y", constraints.real)
...     parameters = (
...         Parameter("mu", constraints.real, default="identity"),
...         Parameter("s", constraints.positive, default="fixed"),
...     )
...     def log_density(self, y, mu, s):
...         return -((y - mu) ** 2) / (2 * s**2) - sympy.log(s * sympy.sqrt(2 * sympy.pi))
>>> r = reduce_model(Noise())
>>> r.loss, r.scale, r.constant
((-mu + y)**2, 1/(2*s**2), log(s) + log(2)/2 + log(pi)/2)
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from likelihoods import NoiseModel
from likelihoods.links import CLASS_INDEX

from .declared import check_log_density
from .events import (
    apply_simplex_identities,
    factor_out_of_sums,
    log_of_component_sum,
    name_logsumexp,
)
from .functions import softplus
from .piecewise import split_piecewise
from .ranking_functions import name_suffix_logsumexp
from .rules.exponentials import combine_exponentials
from .triangular_functions import diagonal_factor, lower_factor, scaled_identity


@dataclass(frozen=True)
class Reduction:
    """Everything steps 1-3 produce for one model (see :func:`reduce_model`)."""

    target: sympy.Symbol
    outputs: tuple[sympy.Symbol, ...]
    parameters: dict[str, sympy.Expr]  # parameter name -> its value in raw outputs
    log_density: sympy.Expr  # in the parameter symbols, as declared
    nll: sympy.Expr  # -log p with links substituted and logarithms expanded
    loss: sympy.Expr
    scale: sympy.Expr
    constant: sympy.Expr
    # The loss before the simplex identities (sum_k y_k = 1) are used: the form that stays
    # right when the target row is reweighted per class or smoothed. Equal to ``loss`` when
    # nothing lives on the simplex.
    general_loss: sympy.Expr
    general_nll: sympy.Expr
    simplex: tuple[sympy.IndexedBase, ...]  # the vectors that sum to 1


def reduce_model(model: NoiseModel) -> Reduction:
    """Form the NLL of ``model`` through its links and split it as ``scale * loss + constant``."""
    y = model.target_symbol()
    outputs = tuple(model.raw_symbol(name) for name in model.predicted)
    symbols = {name: model.parameter_symbol(name) for name in model.choices}
    declared = check_log_density(model, model.log_density(y, **symbols))
    values, scalars, vectors, matrices = {}, {}, {}, {}
    for name, choice in model.choices.items():
        if choice.parameter.domain.matrix:
            matrices[symbols[name]] = _factor(model, name)
            values[name] = matrices[symbols[name]][1]
        elif choice.predicted and choice.parameter.domain.event:
            raw = model.raw_symbol(name)
            vectors[symbols[name]] = lambda index, link=choice.link, raw=raw: (
                link.inverse(raw, index) if link.event else link.inverse(raw[index])
            )
            values[name] = vectors[symbols[name]](CLASS_INDEX)  # component k
        else:
            value = (
                choice.link.inverse(model.raw_symbol(name)) if choice.predicted else choice.value
            )
            scalars[symbols[name]] = values[name] = value
    raw_nll = _substitute_factors(-declared, matrices).xreplace(scalars)
    for base, component in vectors.items():
        raw_nll = raw_nll.replace(
            lambda e, b=base: isinstance(e, sympy.Indexed) and e.base == b,
            lambda e, f=component: f(e.indices[0]),
        )
    # Vectors on the simplex: the target, and probability vectors taken as they are.
    simplex = tuple(
        b
        for b, domain, raw in [(y, model.target.support, True)]
        + [
            (
                model.raw_symbol(n),
                model.choices[n].parameter.domain,
                not model.choices[n].link.event,
            )
            for n in model.predicted
        ]
        if domain.sums_to_one and raw
    )
    # Terms are grouped by the functions of the outputs they multiply, so that the NLL holds
    # (y - 1) log(1 - p) rather than y log(1 - p) - log(1 - p), inf - inf at p = y = 1.
    general = _collect_output_functions(split_piecewise(expand_nll(raw_nll), outputs, y), outputs)
    nll = apply_simplex_identities(general, list(simplex))
    loss, scale, constant = split_constants(nll, outputs, y)
    general_loss = split_constants(general, outputs, y)[0] if simplex else loss
    return Reduction(
        y, outputs, values, declared, nll, loss, scale, constant, general_loss, general, simplex
    )


def _factor(model: NoiseModel, name: str):
    """``(entry, factor)`` of a matrix parameter: entry(a, b) in raw outputs, and the whole
    factor as :mod:`derivation.triangular_functions` takes it (the raw matrix itself under
    the identity link, c I for a fixed number c)."""
    choice = model.choices[name]
    if not choice.predicted:
        c = choice.value
        return (lambda a, b: c * sympy.KroneckerDelta(a, b)), scaled_identity(c)
    raw, link = model.raw_symbol(name), choice.link
    if link.name == "identity":
        return (lambda a, b: raw[a, b]), raw
    x = sympy.Dummy("x", real=True)
    kind = diagonal_factor if link.raw_vector else lower_factor
    factor = kind(raw, sympy.Lambda(x, link.diagonal(x)), sympy.Symbol(name))
    return (lambda a, b: link.inverse(raw, a, b)), factor


def _substitute_factors(expr: sympy.Expr, matrices: dict) -> sympy.Expr:
    """Each matrix parameter's entries L[a, b] by their values, then L itself (an argument of
    a function of the whole factor) by the factor."""
    for base, (entry, factor) in matrices.items():
        expr = expr.replace(
            lambda e, b=base: isinstance(e, sympy.Indexed) and e.base == b,
            lambda e, f=entry: f(*e.indices),
        ).xreplace({base: factor})
    return expr


def expand_nll(expr: sympy.Expr) -> sympy.Expr:
    """Expand logarithms of products, quotients and powers, distribute products over sums and
    name ``log(1 + exp(x))`` as ``softplus(x)``.

    A sum inside a log is brought over a common denominator when its numerator then holds no
    sum, so that the log of a composed link (``log(1 - e^z / (1 + e^z))``) becomes a
    difference of simple logs (``-log(1 + e^z)``), while ``log(1 + (y - mu)**2 / g**2)`` is
    kept as it is: combined, or expanded as a polynomial, it would cancel in floating point.
    """
    expr = log_of_component_sum(expr, expand_nll)
    expr = expr.replace(lambda e: isinstance(e, sympy.log), _simpler_log)
    expr = sympy.expand_log(expr, force=True)
    expr = expand_products(combine_exponentials(expr), deep=True)
    expr = name_suffix_logsumexp(name_logsumexp(factor_out_of_sums(expr)))
    return name_softplus(expr)


def expand_products(expr: sympy.Expr, deep: bool = False) -> sympy.Expr:
    """Products distributed over sums (never powers of sums: (y - mu)**2 stays), outside the
    branches of a Piecewise: a branch keeps its products as declared, so that a residual
    times a scale, tau*(y - mu), is not turned into tau*y - tau*mu, which cancels."""
    pieces = {p: sympy.Dummy() for p in expr.atoms(sympy.Piecewise)}
    expr = sympy.expand(
        expr.xreplace(pieces),
        deep=deep,
        mul=True,
        multinomial=False,
        power_exp=False,
        power_base=False,
        log=False,
    )
    return expr.xreplace({d: p for p, d in pieces.items()})


def _simpler_log(log: sympy.log) -> sympy.Expr:
    # Combine over a common denominator only when the numerator then holds no sum, so that
    # the combined argument expands into logs of simple factors.
    argument = log.args[0]
    combined = sympy.together(argument)
    numerator, _ = combined.as_numer_denom()
    return sympy.log(combined if argument.is_Add and not numerator.atoms(sympy.Add) else argument)


def name_softplus(expr: sympy.Expr) -> sympy.Expr:
    """log(1 + exp(x)) -> softplus(x), wherever it occurs."""
    x = sympy.Wild("x")
    return expr.replace(sympy.log(1 + sympy.exp(x)), softplus(x))


def split_constants(
    nll: sympy.Expr, outputs: tuple[sympy.Symbol, ...], target: sympy.Symbol
) -> tuple[sympy.Expr, sympy.Expr, sympy.Expr]:
    """Split ``nll`` into ``(loss, scale, constant)`` by the rule of the module docstring."""
    kept, dropped = [], []
    for term in sympy.Add.make_args(nll):
        (kept if term.has(*outputs) else dropped).append(term)
    constant = sympy.Add(*dropped)
    content, primitive = sympy.Add(*kept).primitive()  # rational content: x/2 + z -> 1/2, x + 2z
    common, rest = sympy.factor_terms(primitive).as_independent(*outputs, target, as_Add=False)
    factor = content * common
    if factor.is_negative:
        factor, rest = -factor, -rest
    if factor.is_positive:
        scale, loss = factor, rest
    else:
        scale, loss = sympy.Integer(1), sympy.Add(*kept)
    loss = expand_products(loss)
    return _collect_output_functions(loss, outputs), scale, constant


def _collect_output_functions(expr: sympy.Expr, outputs: tuple[sympy.Symbol, ...]) -> sympy.Expr:
    """Group terms by the functions of the outputs they multiply, e.g.
    ``-y log p + y log(1 - p) - log(1 - p)`` -> ``-y log p + (y - 1) log(1 - p)``."""
    atoms = sorted(
        (f for f in expr.atoms(sympy.Function) if f.has(*outputs)),
        key=sympy.default_sort_key,
    )
    return sympy.collect(expr, atoms) if atoms else expr


__all__ = ["Reduction", "reduce_model", "expand_nll", "name_softplus", "split_constants"]
