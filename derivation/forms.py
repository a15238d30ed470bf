"""The forms in which a compiled loss takes its target, and the kernels for each.

A target on the real line, the integers or an interval comes one number per sample: one form,
``"elementwise"``. A target on the probability simplex (a class label) comes in three:

* ``"rows"``: a row y of K entries per sample (one-hot, or soft), used as a *target mass* u
  that need not sum to 1, so that per-class weights and label smoothing apply to it
  (u = w * ((1 - eps) y + eps / K)); the loss is the form without the identity sum_k y_k = 1;
* ``"index"``: a class index c per sample, the one-hot row y_k = [k = c] substituted and the
  sums over classes evaluated (z_c rather than sum_k y_k z_k);
* ``"index_smoothed"``: a class index with label smoothing and class weights, the row
  a [k = c] + v_k with a per-sample mass a = (1 - eps) w_c and a per-class v = eps w / K.

A target vector off the simplex (a point in R^K) comes in one form, ``"vector"``: a row of K
numbers per sample; a ranking in one, ``"ranking"``: a row of K item indices.

Each form is differentiated with respect to every raw output (component i of a vector output)
after the stability rules, and printed as its own NumPy module.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import sympy

from likelihoods.links import CLASS_INDEX, CLASSES, RANKED, PermutationBase

from . import codegen
from .canonical import Reduction
from .events import derivative, index_target, substitute_target
from .identifiers import code_names
from .kernel_printer import KernelPrinter
from .nonfinite import nonfinite_inputs
from .rewriting import stabilize

#: Extra kernel arguments of the smoothed index form.
INDEX_MASS = sympy.Symbol("_index_mass", nonnegative=True)
SPREAD_MASS = sympy.IndexedBase("_spread_mass", shape=(CLASSES,), real=True)


@dataclass(frozen=True)
class Form:
    """One way of passing the target: its expression and its extra kernel arguments."""

    name: str
    expression: sympy.Expr
    target: sympy.Symbol | sympy.IndexedBase
    extra: tuple[sympy.Symbol | sympy.IndexedBase, ...] = ()


def target_forms(r: Reduction, nll: bool) -> dict[str, Form]:
    """The forms of the loss (or of the full NLL) of a reduced model."""
    y = r.target
    if not isinstance(y, sympy.IndexedBase):
        return {"elementwise": Form("elementwise", r.nll if nll else r.loss, y)}
    general = r.general_nll if nll else r.general_loss
    if isinstance(y, PermutationBase):  # rows of item indices, R of them ranked
        return {"ranking": Form("ranking", general, y, (RANKED,))}
    if y not in r.simplex:  # a vector of real numbers, not a class label
        return {"vector": Form("vector", general, y)}
    index = sympy.Symbol(str(y.label), integer=True, nonnegative=True)
    row = INDEX_MASS * sympy.KroneckerDelta(CLASS_INDEX, index) + SPREAD_MASS[CLASS_INDEX]
    return {
        "rows": Form("rows", general, y),
        "index": Form("index", index_target(general, y, index), index),
        "index_smoothed": Form(
            "index_smoothed",
            substitute_target(general, y, row),
            index,
            (INDEX_MASS, SPREAD_MASS),
        ),
    }


@functools.lru_cache(maxsize=256)
def printable(form: Form, outputs: tuple, constants: tuple[str, ...] = ()) -> dict:
    """The stabilised loss and gradient of ``form`` and how its kernels are called: keyword
    arguments of :func:`derivation.codegen.kernels_source`, ``keyword_args`` the code names
    of ``constants``. The target, outputs and constants are renamed to the identifiers
    generated code can use (see :mod:`derivation.identifiers`).

    This is the stage the kernels are built from: the loss is stabilised by the rules that
    come before differentiation, differentiated in that form (so that gradients come out in
    named, stable functions: softplus' derivative is expit, not a ratio of exponentials), and
    both are then stabilised in full. Cached: :attr:`Derivation.stabilized` and the kernels
    share one result. The dictionary returned is not to be changed."""
    prepared = stabilize(form.expression, final=False)
    # factor_terms pulls out what the terms share (2*mu - 2*y -> 2*(mu - y)), so the fused
    # kernel sees the residual the loss already computed.
    gradient = [sympy.factor_terms(stabilize(derivative(prepared, o))) for o in outputs]
    loss = stabilize(prepared)
    renaming, call = code_renaming(form, outputs, constants, [loss, *gradient])
    loss, gradient = loss.xreplace(renaming), [g.xreplace(renaming) for g in gradient]
    return {**call, "loss": loss, "gradient": gradient}


def code_renaming(form: Form, outputs: tuple, constants: tuple[str, ...], exprs) -> tuple:
    """``(renaming, call)``: the symbols of ``exprs`` renamed to the identifiers generated
    code can use (see :mod:`derivation.identifiers`), and how the kernels are called (``args``,
    ``keyword_args``, ``event_args``, ``class_index_target``)."""
    declared = [form.target, *outputs]
    codes = code_names([*map(_name, declared), *constants])
    renaming = {
        s: _renamed(s, codes[_name(s)])
        for e in exprs
        for s in e.atoms(sympy.Symbol, sympy.IndexedBase)
        if _name(s) in codes and codes[_name(s)] != _name(s)
    }
    arguments = [*(renaming.get(a, a) for a in declared), *form.extra]
    names = [_name(a) for a in arguments]
    return renaming, {
        "args": names,
        "keyword_args": [codes[c] for c in constants],
        "event_args": tuple(
            n for a, n in zip(arguments, names) if isinstance(a, sympy.IndexedBase)
        ),
        "class_index_target": form.target if form.name.startswith("index") else None,
    }


def _name(symbol) -> str:
    return str(symbol.label) if isinstance(symbol, sympy.IndexedBase) else symbol.name


def _renamed(symbol, name: str):
    """``symbol`` under another name, with the same assumptions (and shape)."""
    if isinstance(symbol, sympy.IndexedBase):
        return sympy.IndexedBase(name, shape=symbol.shape, **symbol.assumptions0)
    return sympy.Symbol(name, **symbol.assumptions0)


def build(
    form: Form,
    outputs: tuple,
    constants: list[str],
    header: str,
    filename: str,
    backend: str = "numpy",
    domains: list | None = None,
) -> tuple[str, dict]:
    """Stabilise, differentiate and print ``form``; return ``(source, kernels)``. The
    ``domains`` of the target and the raw outputs, if given, let a backend that checks values
    in its loop do so (see :mod:`derivation.numba_backend`)."""
    parts = printable(form, outputs, tuple(constants))
    if backend == "numba":
        if parts["event_args"]:
            raise ValueError(
                "the numba backend compiles elementwise models only; a target over classes "
                "needs backend='numpy'"
            )
        from . import numba_backend  # numba is imported only when asked for

        # a NaN or inf the loss cannot hide needs no test in the loop
        vouched = frozenset(nonfinite_inputs(parts["args"], parts["loss"], KernelPrinter()))
        source = header + numba_backend.module_source(
            parts["args"],
            parts["keyword_args"],
            parts["loss"],
            parts["gradient"],
            domains,
            vouched,
        )
    else:
        source = codegen.module_source(header=header, **parts)
    namespace = codegen.load(source, filename)
    return source, {k: namespace[k] for k in ("loss", "grad", "loss_and_grad")}


__all__ = [
    "Form",
    "target_forms",
    "printable",
    "code_renaming",
    "build",
    "INDEX_MASS",
    "SPREAD_MASS",
]
