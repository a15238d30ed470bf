r"""Second derivatives of a loss with respect to its raw outputs: the Hessian, sample by sample.

Each sample's loss depends on its own raw outputs only, so the Hessian of a summed loss is
block diagonal: one P x P block per sample, of the second derivatives d^2 l / d o_p d o_q.
The block is symmetric; only its upper triangle (p <= q) is derived. A raw output over
classes (a vector z of K entries) contributes K rows and columns: the entry (p, q) is then
an expression in the component index i of o_p and the column index l of o_q, such as the
softmax Hessian p_i ([i = l] - p_l), that is diag(p) - p p^T, symbolic in K.

A second derivative is taken of the gradient as the kernels compute it, so that it comes out
in the same named, stable functions (expit(z) expit(-z), never expit(z) - expit(z)^2), and is
then stabilised in full (:func:`derivation.rewriting.stabilize`). Derivatives taken across a
kink are zero almost everywhere (rule ``drop_point_masses``).

>>> import sympy
>>> y, z = sympy.symbols("y z", real=True)
>>> stable_hessian(sympy.log(1 + sympy.exp(z)) - y * z, (z,))
{(0, 0): expit(-z)*expit(z)}
"""

from __future__ import annotations

import sympy

from likelihoods.links import COLUMN, COMPONENT

from .events import derivative, resolve_sums
from .named import NamedBase
from .rewriting import stabilize
from .rules.kinks import piecewise_as_steps


def second_derivative(
    gradient: sympy.Expr, output, final: bool = True, point_masses: bool = False
) -> sympy.Expr:
    """d gradient / d output (d / d output_l, the column index l, for a vector output),
    stabilised (with the rules of the final stage only if ``final``: those fix an evaluation
    order; keeping the Dirac deltas of kinks if ``point_masses``, as an expectation needs
    them); a ValueError where sympy could not differentiate it in closed form."""
    name = str(output.label) if isinstance(output, sympy.IndexedBase) else output.name
    if isinstance(output, sympy.IndexedBase) and len(output.shape) != 1:
        raise ValueError(
            f"second derivatives with respect to the matrix output {name} are not derived "
            "(only scalar raw outputs and vectors over classes have a Hessian here)"
        )
    without = sorted({type(f).__name__ for f in gradient.atoms(NamedBase) if not f.second_order})
    if without:
        raise ValueError(
            f"the second derivative in {name} is not derived: it runs through "
            f"{', '.join(without)}, whose second derivatives are not printed"
        )
    if point_masses:
        gradient = _with_steps(gradient, name)
    try:
        entry = output[COLUMN] if isinstance(output, sympy.IndexedBase) else output
        value = resolve_sums(sympy.diff(gradient, entry))
    except NotImplementedError as error:
        raise ValueError(f"the second derivative in {name} is not derived: {error}") from None
    if value.has(sympy.Derivative, sympy.Subs):
        raise ValueError(
            f"the second derivative in {name} has no closed form here (sympy left "
            f"{next(iter(value.atoms(sympy.Derivative, sympy.Subs)))} unevaluated)"
        )
    skip = frozenset({"drop_point_masses"} if point_masses else ())
    return sympy.factor_terms(stabilize(value, final=final, skip=skip))


def _with_steps(gradient: sympy.Expr, name: str) -> sympy.Expr:
    """The gradient with its pieces as steps (rule ``piecewise_as_steps``), so that its
    derivative keeps their jumps; a ValueError where a Piecewise is left to hide one."""
    stepped = piecewise_as_steps(gradient)
    if stepped.has(sympy.Piecewise):
        raise ValueError(
            f"the Fisher information is not derived: the gradient in {name} changes form "
            "in a way no step writes (more than two pieces, or a piece at a single point: "
            f"{sympy.sstr(next(iter(stepped.atoms(sympy.Piecewise))))}); use the exact "
            "Hessian (hessian='exact')"
        )
    return stepped


def hessian_entries(
    gradient, outputs, final: bool = True, point_masses: bool = False
) -> dict[tuple[int, int], sympy.Expr]:
    """The upper triangle of the Hessian: ``{(p, q): d gradient[p] / d outputs[q]}`` for
    p <= q, each an expression in the component index i (for a vector o_p) and the column
    index l (for a vector o_q); with the point masses of kinks if ``point_masses``."""
    return {
        (p, q): second_derivative(g, outputs[q], final, point_masses)
        for p, g in enumerate(gradient)
        for q in range(p, len(outputs))
    }


def stable_hessian(loss: sympy.Expr, outputs, final: bool = True) -> dict:
    """The upper triangle of the Hessian of ``loss``, from its gradient in the stable form
    the first-order kernels differentiate (see :func:`derivation.forms.printable`)."""
    prepared = stabilize(loss, final=False)
    gradient = [
        sympy.factor_terms(stabilize(derivative(prepared, o), final=False)) for o in outputs
    ]
    return hessian_entries(gradient, outputs, final)


def mirrored(entry: sympy.Expr) -> sympy.Expr:
    """Entry (q, p) from entry (p, q): the component and column indices exchanged."""
    swap = sympy.Dummy("swap", integer=True, nonnegative=True)
    return entry.xreplace({COMPONENT: swap}).xreplace({COLUMN: COMPONENT}).xreplace({swap: COLUMN})


def on_diagonal(entry: sympy.Expr) -> sympy.Expr:
    """The diagonal of an entry (p, p) over classes, d^2 l / d o_i^2: the column index l
    set to the component index i (an entry of scalar outputs is returned as it is)."""
    return entry.xreplace({COLUMN: COMPONENT})


def as_components(entry: sympy.Expr) -> sympy.Expr:
    """An entry indexed by the column l only (a scalar o_p, a vector o_q), written in the
    component index i, as the kernels print per-class values."""
    if entry.has(COLUMN) and not entry.has(COMPONENT):
        return entry.xreplace({COLUMN: COMPONENT})
    return entry


def symmetric(entries: dict[tuple[int, int], sympy.Expr], count: int) -> tuple:
    """The P x P nested tuple of a Hessian from its upper triangle."""
    return tuple(
        tuple(entries[(p, q)] if p <= q else mirrored(entries[(q, p)]) for q in range(count))
        for p in range(count)
    )


__all__ = [
    "second_derivative",
    "hessian_entries",
    "stable_hessian",
    "mirrored",
    "on_diagonal",
    "as_components",
    "symmetric",
]
