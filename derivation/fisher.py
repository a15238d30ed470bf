r"""The Fisher information of the raw outputs: the expectation of the loss' Hessian under the
model's own distribution, derived symbolically.

The Hessian of a loss is a sum of terms c(o) T(y), coefficients in the raw outputs times
statistics of the target (y, y^2, log y, cos(y - mu), ...). Its expectation needs E[T(y)] for
each statistic. They come from the score identities, one per parameter theta of the declared
density (predicted or fixed, from the declared log-density itself):

    E[d log p(y | theta) / d theta] = 0,

each linear in the expectations of the statistics of its score: a count's rate score
y / lambda - 1 gives E[y] = lambda, a normal scale's score gives E[(y - mu)^2] = sigma^2, a
circular concentration's gives E[cos(y - mu)] = I_1(kappa) / I_0(kappa). On a finite support
(a binary target) the expectation is the sum over it. On the real line, a statistic no
identity gives is integrated where the density is a power of a quadratic (rule
``quadratic_power_moment``, a Beta integral: the Student-t's (nu - r^2) / (nu + r^2)^2). A
statistic that none of these gives (a logistic density's 1 / cosh^2, a mixture's
responsibilities) is refused by name.

A kink in the target (|y - mu|) puts a point mass c DiracDelta(g(y)) in the Hessian, zero
almost everywhere but not in expectation: E[c DiracDelta(g(y)) T(y)] = c T(a) p(a) / |g'(a)|
at the root a of g, the density at the kink. So the absolute error's Fisher information in
mu is 1 / b^2 while its Hessian is 0 (rule ``expect_point_masses``).

>>> import likelihoods as lk
>>> from derivation import derive
>>> derive(lk.Exponential()).fisher  # E[y] = 1 / rate in y exp(eta) - eta
((1,),)
"""

from __future__ import annotations

import sympy

from .functions import NAMED, expand_definitions, expit, log1p, xdivy
from .quadratic_integrals import quadratic_power_moment
from .rewriting import stabilize
from .rules.kinks import drop_point_masses, piecewise_as_steps


def expected_hessian(model, r, entries: dict) -> dict:
    """``{(p, q): E[entries[(p, q)]]}`` under ``model``'s distribution (see the module)."""
    y = r.target
    if isinstance(y, sympy.IndexedBase):
        if any(e.has(y) for e in entries.values()):
            raise ValueError(
                f"{model.name}: the expectation of a Hessian that depends on a target vector "
                "is not derived"
            )
        return {key: drop_point_masses(e) for key, e in entries.items()}
    entries = {key: expect_point_masses(e, model, r) for key, e in entries.items()}
    split = {key: _terms(e, y) for key, e in entries.items()}
    needed = {s for terms in split.values() for _, s in terms if s != 1}
    moments = _moments(model, r, needed) if needed else {}
    moments[sympy.S.One] = sympy.S.One
    return {key: _tidy(sum(c * moments[s] for c, s in terms)) for key, terms in split.items()}


def expect_point_masses(expr: sympy.Expr, model, r) -> sympy.Expr:
    """``expr`` with each term c DiracDelta(g(y)) T(y) replaced by its expectation
    c T(a) p(a) / |g'(a)| at the one root a of g (see the module); a delta free of the target
    is dropped (zero almost everywhere in the raw outputs, as in the Hessian)."""
    y = r.target
    if not expr.has(sympy.DiracDelta):
        return expr
    out = sympy.S.Zero
    for term in sympy.Add.make_args(sympy.expand(expr)):
        deltas = [d for d in term.atoms(sympy.DiracDelta) if d.has(y)]
        if not deltas:
            out += drop_point_masses(term)
            continue
        delta = deltas[0] if len(deltas) == 1 else None
        slope = sympy.diff(delta.args[0], y) if delta is not None else y
        if delta is None or len(delta.args) > 1 or slope.has(y) or term.has(delta**2):
            raise _refusal(term, "a point mass that is not a single delta of a linear function")
        roots = sympy.solve(delta.args[0], y)
        if len(roots) != 1:
            raise _refusal(term, "a point mass where the target has no single kink")
        (root,) = roots
        density = sympy.exp(stabilize(r.log_density, final=False).subs(_values(model, r)))
        rest = term / delta
        if any(h.args[0].subs(y, root) == 0 for h in rest.atoms(sympy.Heaviside)):
            raise _refusal(term, "a point mass on the step of another piece")
        rest = rest.subs(y, root)
        out += rest * density.subs(y, root) / sympy.Abs(slope)
    return out


def require_arguments(model, entries, known: set[str]) -> None:
    """Refuse Fisher entries ``((p, q), expression)`` that need a symbol outside ``known``
    (the arguments of a compiled loss): a fixed parameter the loss drops (a circular kappa
    is a positive factor of its loss but appears in its Fisher information)."""
    used = {
        s.name
        for _, e in entries
        for s in e.free_symbols
        if isinstance(s, sympy.Symbol) and not s.is_integer
    }
    dropped = sorted(used - known)
    if dropped:
        raise ValueError(
            f"{model.name}: the Fisher information depends on {', '.join(dropped)}, which the "
            "loss drops as a constant or a positive factor; compile(nll=True) keeps it as a "
            "keyword argument"
        )


def _terms(expr: sympy.Expr, y: sympy.Symbol) -> list[tuple[sympy.Expr, sympy.Expr]]:
    """``expr`` as a sum of ``(coefficient, statistic)``: the statistic holds all of y (1 for a
    term free of it). Named functions of y are written out first (xlogy(a, y) = a log y)."""
    written = piecewise_as_steps(expr).replace(
        lambda e: isinstance(e, (*NAMED, log1p)) and e.has(y), lambda e: expand_definitions(e)
    )
    if written.has(sympy.Piecewise) and any(p.has(y) for p in written.atoms(sympy.Piecewise)):
        raise _refusal(expr, "a statistic that changes form with the target (a piecewise one)")
    expanded = sympy.expand(written, log=False)
    out: dict[sympy.Expr, sympy.Expr] = {}
    for term in sympy.Add.make_args(expanded):
        # exp(c log y) is y^c, as the score of a power of y writes it
        term = term.replace(
            lambda e: isinstance(e, sympy.exp) and _log_multiple(e.args[0], y) is not None,
            lambda e: y ** _log_multiple(e.args[0], y),
        )
        coefficient, statistic = term.as_independent(y, as_Add=False)
        out[statistic] = out.get(statistic, sympy.S.Zero) + coefficient
    return [(c, s) for s, c in out.items() if c != 0]


def _log_multiple(exponent: sympy.Expr, y: sympy.Symbol):
    """c where ``exponent`` is c log(y) with c free of y, else None."""
    c = sympy.cancel(exponent / sympy.log(y))
    return None if c.has(y) else c


def _moments(model, r, needed: set) -> dict:
    """E[T] for each statistic T in ``needed``: summed over a finite support, else solved
    from the score identities; a ValueError naming those neither gives."""
    y = r.target
    support = model.target.support
    if support.integer and support.upper - support.lower <= 1:  # {0, 1}: sum it
        density = sympy.exp(r.log_density).subs(_values(model, r))
        values = range(int(support.lower), int(support.upper) + 1)
        return {s: sum(s.subs(y, v) * density.subs(y, v) for v in values) for s in needed}
    equations, unknowns = [], {s: sympy.Dummy("E") for s in needed}
    values = _values(model, r)
    # the declared log-density in stable, named functions (log I_0 as log_i0e), whose
    # derivatives are named too
    log_density = stabilize(r.log_density, final=False)
    for name in model.choices:
        symbol = model.parameter_symbol(name)
        if isinstance(symbol, sympy.IndexedBase):
            continue
        score = sympy.diff(log_density, symbol).subs(values)
        terms = _terms(score, y)
        for _, s in terms:
            if s != 1 and s not in unknowns:
                unknowns[s] = sympy.Dummy("E")
        equations.append(sum(c * (1 if s == 1 else unknowns[s]) for c, s in terms))
    variables = list(unknowns.values())
    solutions = sympy.linsolve(equations, variables) if equations else sympy.S.EmptySet
    answer = dict(zip(variables, next(iter(solutions)))) if solutions else {}
    moments = {s: answer.get(unknowns[s]) for s in needed}
    for s in [s for s, m in moments.items() if m is None or m.has(*unknowns.values())]:
        moments[s] = _integrated(s, model, r, values)
    return moments


def _integrated(statistic, model, r, values) -> sympy.Expr:
    """E[statistic] as an integral over the real line (rule ``quadratic_power_moment``),
    where the score identities do not give it; a ValueError where that rule does not apply."""
    support = model.target.support
    if support.lower == -sympy.oo and support.upper == sympy.oo and not support.integer:
        log_density = sympy.sympify(r.log_density).subs(values)
        moment = quadratic_power_moment(statistic, log_density, r.target)
        if moment is not None:
            return moment
    raise _refusal(
        statistic,
        "no score identity of the declared density gives it, nor an integral of a power of "
        "a quadratic",
        model,
    )


def _values(model, r) -> dict:
    """Each scalar parameter's symbol -> its value in raw outputs (or its fixed value)."""
    return {  # in the named functions the Hessian is written in (expit, softplus)
        model.parameter_symbol(name): stabilize(sympy.sympify(r.parameters[name]), final=False)
        for name in model.choices
        if not isinstance(model.parameter_symbol(name), sympy.IndexedBase)
    }


#: The size (in sympy.count_ops) up to which an expectation is factored; the families' own
#: take at most about 200, a logit-linked beta precision's over 1,700 (minutes to factor).
_FACTOR_BUDGET = 400


def _tidy(expr) -> sympy.Expr:
    """The expectation with what cancels cancelled: written in named functions, each function
    of the raw outputs made a symbol (expit(-x) as 1 - expit(x), exp(2b) as exp(b)^2), the
    rational function of those factored and the functions put back (the kernels apply the
    stability rules to it again)."""
    expr = sympy.expand_power_exp(stabilize(sympy.sympify(expr), final=False))
    expr = expr.replace(
        lambda e: isinstance(e, expit) and e.args[0].could_extract_minus_sign(),
        lambda e: 1 - expit(-e.args[0]),
    )
    expr = expr.replace(lambda e: isinstance(e, xdivy), lambda e: e.args[0] / e.args[1])
    symbols, powers = {}, {}
    for e in expr.atoms(sympy.Function, sympy.Pow):
        if isinstance(e, sympy.exp):
            c, base = e.args[0].as_coeff_Mul()
            if c.is_Integer:
                symbols.setdefault(sympy.exp(base), sympy.Dummy("f"))
                powers[e] = symbols[sympy.exp(base)] ** c
                continue
        if not isinstance(e, sympy.Pow) or not e.exp.is_Integer:
            symbols.setdefault(e, sympy.Dummy("f"))
    rational = expr.xreplace({**symbols, **powers})
    # factoring is exponential in the worst case: a large expectation is left as it is
    small = sympy.count_ops(rational) <= _FACTOR_BUDGET
    factored = sympy.factor(rational) if small else sympy.factor_terms(rational)
    return stabilize(factored.xreplace({v: k for k, v in symbols.items()}), final=False)


def _refusal(statistic, why: str, model=None) -> ValueError:
    owner = f"{model.name}: " if model is not None else ""
    return ValueError(
        f"{owner}the Fisher information is not derived: sympy cannot take the expectation of "
        f"{sympy.sstr(statistic)} ({why}); use the exact Hessian (hessian='exact')"
    )


__all__ = ["expected_hessian", "expect_point_masses", "require_arguments"]
