"""What a declared log-density must be before the engine works on it, and what its derived
loss must be: each refusal names the model and what is wrong with its declaration, where the
model is derived, rather than failing later inside the engine or the generated code.

>>> import sympy
>>> from likelihoods import NoiseModel, Parameter, Target, constraints
>>> class Linear(NoiseModel):
...     target = Target("y", constraints.real)
...     parameters = (Parameter("mu", constraints.real, default="identity"),)
...     def log_density(self, y, mu):
...         return mu * y
>>> from derivation import derive
>>> derive(Linear())  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: Linear: the loss -mu*y is unbounded below in mu (a polynomial of odd degree ...
"""

from __future__ import annotations

import sympy
from sympy.core.function import AppliedUndef

from likelihoods import NoiseModel
from likelihoods.links import CLASSES, RANKED

#: Values a log-density may not hold anywhere: they make every loss NaN or infinite.
_NOT_FINITE = (sympy.nan, sympy.zoo, sympy.oo, -sympy.oo, sympy.I)


def check_log_density(model: NoiseModel, declared: object) -> sympy.Expr:
    """``declared`` (what ``model.log_density`` returned) if it is a finite, real sympy
    expression that depends on a predicted parameter; a ``TypeError`` or ``ValueError`` naming
    the model otherwise."""
    where = f"{model.name}.log_density"
    if not isinstance(declared, sympy.Expr) or isinstance(declared, sympy.logic.boolalg.Boolean):
        raise TypeError(
            f"{where}: expected a sympy expression (log p(y | params)), got "
            f"{type(declared).__name__} {declared!r}"
        )
    for value in _NOT_FINITE:
        if declared.has(value):
            raise ValueError(
                f"{where}: the log-density holds {value} (it is {declared}); a log-density "
                "is finite and real wherever the density is positive"
            )
    undefined = sorted(map(str, declared.atoms(AppliedUndef)))
    if undefined:
        raise ValueError(
            f"{where}: {undefined[0]} is an undefined function; declare it with a definition "
            "(a sympy expression) instead"
        )
    _check_class_sums(where, declared)
    symbols = {model.parameter_symbol(n) for n in model.predicted}
    if not declared.has(*symbols):
        raise ValueError(
            f"{where}: the log-density {declared} does not depend on the predicted "
            f"parameters ({', '.join(model.predicted)}), so there is nothing to fit"
        )
    return declared


def _check_class_sums(where: str, declared: sympy.Expr) -> None:
    """Refuse a sum over the classes that does not run over all of them: the kernels sum
    whole rows of the class axis (a term free of the index may be summed over any range, and
    log sum_{j=k}^{K-1} exp(g(j)) from an index k is a suffix log-sum-exp over positions)."""
    suffixes = {
        log.args[0]
        for log in declared.atoms(sympy.log)
        if isinstance(log.args[0], sympy.Sum)
        and isinstance(log.args[0].function, sympy.exp)
        and log.args[0].limits[0][1].is_Symbol
        and log.args[0].limits[0][2] == CLASSES - 1
    }
    for s in declared.atoms(sympy.Sum):
        for index, low, high in s.limits:
            if s in suffixes:
                continue
            if s.function.has(index) and (low, high) not in ((0, CLASSES - 1), (0, RANKED - 1)):
                raise ValueError(
                    f"{where}: the sum {s} runs over {index} from {low} to {high}; a sum over "
                    f"the classes must run over all of them, {index} from 0 to {CLASSES - 1} "
                    "(a partial sum is not supported)"
                )


def check_loss(model: NoiseModel, loss: sympy.Expr, outputs: tuple, gradient: tuple) -> None:
    """Refuse a loss whose gradient sympy cannot write (a function without a derivative, such
    as floor), that keeps a partial sum over positions the kernels cannot compute, or that
    sympy shows is unbounded below over the raw outputs."""
    for s in loss.atoms(sympy.Sum):
        index, low, high = s.limits[0]
        if s.function.has(index) and (low, high) not in ((0, CLASSES - 1), (0, RANKED - 1)):
            raise ValueError(
                f"{model.name}: through its links the loss holds the sum {s} over {index} from "
                f"{low}; a sum over the later positions is computed only as log sum exp(g), "
                f"and this one is not of that form (a link on the summed values: try another)"
            )
    for output, g in zip(outputs, gradient):
        if g.has(sympy.Derivative, sympy.Subs):
            (unknown,) = sorted(map(str, g.atoms(sympy.Derivative)))[:1] or [str(g)]
            raise ValueError(
                f"{model.name}: the loss {loss} has no derivative in {_label(output)} "
                f"that sympy can write ({unknown}); a gradient needs a differentiable density"
            )
    for name, output in zip(model.predicted, outputs):
        if not _spans_real_line(model, name):
            continue
        polynomial = _polynomial(loss, output)
        if polynomial is not None and polynomial.degree() % 2 == 1:
            raise ValueError(
                f"{model.name}: the loss {loss} is unbounded below in {_label(output)} (a "
                "polynomial of odd degree in it, which ranges over the real line), so no fit "
                "exists; is log_density a normalised log-density?"
            )


def _spans_real_line(model: NoiseModel, name: str) -> bool:
    choice = model.choices[name]
    return choice.link.name != "identity" or choice.parameter.domain.is_real_line


def _polynomial(loss: sympy.Expr, output) -> sympy.Poly | None:
    if isinstance(output, sympy.IndexedBase) or not loss.has(output):
        return None
    try:
        polynomial = sympy.Poly(loss, output)
    except sympy.PolynomialError:
        return None
    coefficients_free = all(not c.has(output) for c in polynomial.coeffs())
    return polynomial if coefficients_free and polynomial.degree() > 0 else None


def _label(output) -> str:
    return str(output.label) if isinstance(output, sympy.IndexedBase) else output.name


__all__ = ["check_log_density", "check_loss"]
