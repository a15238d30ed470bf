"""A loss over K classes, or over rankings of K items, read with K = 2: the view the
derivation prints beside the loss, and names (cross-entropy becomes the binary one, a
two-item ranking the logistic loss of the score difference).

>>> import likelihoods as lk
>>> from derivation import derive
>>> derive(lk.PlackettLuce()).two_classes.textbook.name
'binary cross-entropy with logits'
"""

from __future__ import annotations

import dataclasses

import sympy

from likelihoods import NoiseModel
from likelihoods.links import CLASSES, RANKED, PermutationBase
from likelihoods.textbook import NamedLoss

from .canonical import Reduction, expand_nll
from .events import two_classes
from .functions import expand_definitions
from .naming import textbook_name


@dataclasses.dataclass(frozen=True)
class TwoClassView:
    """A loss over K classes read with K = 2 (see :attr:`Derivation.two_classes`); ``lead``
    says what the target and the raw outputs become."""

    loss: sympy.Expr
    target: sympy.Symbol
    outputs: tuple[sympy.Symbol, ...]
    textbook: NamedLoss | None
    note: str
    lead: str = ""


def two_class_view(model: NoiseModel, r: Reduction) -> TwoClassView | None:
    """The K = 2 view of a loss over classes or rankings, or ``None`` for other targets."""
    if isinstance(r.target, PermutationBase):
        return _two_items(model, r)
    if not isinstance(r.target, sympy.IndexedBase) or r.target not in r.simplex:
        return None
    c = sympy.Symbol(str(r.target.label), integer=True, nonnegative=True)
    pairs = {r.target: (1 - c, c)}
    scalars, notes = [], []
    for name, output in zip(model.predicted, r.outputs):
        link = model.choices[name].link
        if isinstance(output, sympy.IndexedBase):
            u = sympy.Symbol("u" if not scalars else f"u{len(scalars)}", real=True)
            pairs[output] = link.two_classes(u)
            notes.append(link.two_classes_note.replace("eta", str(output.label)))
            scalars.append(u)
        else:
            scalars.append(output)
    loss = expand_nll(two_classes(r.loss, pairs))
    named = textbook_name(loss, c, tuple(scalars))
    lead = f"With K = 2 classes, a class index {c} in {{0, 1}} and {'; '.join(notes)}"
    return TwoClassView(loss, c, tuple(scalars), named, "; ".join(notes), lead)


def _two_items(model: NoiseModel, r: Reduction) -> TwoClassView | None:
    """Two items: c in {0, 1} the one ranked first, the first item's raw score 0 and the
    second's u (a ranking's probabilities ignore a common shift of the scores); a function
    of a binary c is (1 - c) L(0) + c L(1)."""
    (output,) = [o for o in r.outputs if isinstance(o, sympy.IndexedBase)] or [None]
    if (
        output is None
        or len(r.outputs) != 1
        or model.choices[model.predicted[0]].link.name != "identity"
    ):
        return None
    c, u = (
        sympy.Symbol(str(r.target.label), integer=True, nonnegative=True),
        sympy.Symbol("u", real=True),
    )
    written = expand_definitions(r.loss).xreplace({CLASSES: 2, RANKED: 2}).doit()  # both ranked
    cases = []
    for first in (0, 1):
        entries = {0: sympy.Integer(first), 1: sympy.Integer(1 - first)}
        case = written.replace(
            lambda e: isinstance(e, sympy.Indexed) and e.base.label == r.target.label,
            lambda e, entries=entries: entries[int(e.indices[0])],
        ).replace(
            lambda e: isinstance(e, sympy.Indexed) and e.base.label == output.label,
            lambda e: (sympy.Integer(0), u)[int(e.indices[0])],
        )
        cases.append(case)
    loss = expand_nll(sympy.expand((1 - c) * cases[0] + c * cases[1]))
    note = f"u = {output.label}_1 - {output.label}_0 (a common shift of the scores changes nothing)"
    lead = f"With K = 2 items, {c} in {{0, 1}} the item ranked first and {note}"
    return TwoClassView(loss, c, (u,), textbook_name(loss, c, (u,)), note, lead)


__all__ = ["TwoClassView", "two_class_view"]
