"""The recipe of the lecture notes, written out step by step for any model, and its renderings.

Each :class:`Step` has a title, one or two sentences and a list of equations ``lhs = rhs``;
:func:`render_text`, :func:`render_latex` and :func:`render_markdown` print a list of steps.
The sentences are assembled from what the engine found (which link, which terms were dropped,
which textbook loss came out), never from a family's name.
"""

from __future__ import annotations

import sympy

from likelihoods import NoiseModel
from likelihoods.declaration import PREDICTIONS
from likelihoods.links import CLASS_INDEX, COLUMN, COMPONENT, OTHER_INDEX

from .canonical import Reduction
from .class_functions import responsibility
from .rendering import Label, Step, _text, equation_text, render_latex, render_markdown, render_text


def build_steps(
    model: NoiseModel,
    r: Reduction,
    gradient: tuple[sympy.Expr, ...],
    loss_name: str | None,
    two_classes=None,
) -> tuple[Step, ...]:
    """The seven steps for ``model`` from its reduction ``r`` and gradient."""
    names = list(model.choices)
    given_text = ", ".join(names)
    given_latex = ", ".join(sympy.latex(model.parameter_symbol(n)) for n in names)
    y = model.target.name
    log_p = Label(f"log p({y} | {given_text})", rf"\log p({y} \mid {given_latex})")
    minus_log_p = Label(f"-log p({y} | {given_text})", rf"-\log p({y} \mid {given_latex})")
    return (
        _noise_model_step(model, r, log_p, given_text),
        _link_step(model, r),
        _nll_step(r, minus_log_p),
        _constants_step(r),
        _loss_step(r, loss_name, two_classes),
        _gradient_step(r, gradient),
        _inference_step(model, given_text),
    )


def _gradient_step(r: Reduction, gradient: tuple[sympy.Expr, ...]) -> Step:
    text = "Differentiate L with respect to each raw output"
    if any(_is_vector(o) and len(o.shape) == 2 for o in r.outputs):
        text += " (component i of a vector, entry (i, l) of a lower-triangular matrix)"
    elif any(_is_vector(o) for o in r.outputs):
        text += " (component i of a vector)"
    equations = [(_partial(o), g) for o, g in zip(r.outputs, gradient)]
    shares = sorted(set().union(*(g.atoms(responsibility) for g in gradient)), key=str)
    if shares:  # printed r_i: its definition follows the gradients
        text += ", with r_i the responsibility of component i, its share of the sample"
        equations += [(Label(f"r[{_text(s.args[2])}]", f"r_{{{sympy.latex(s.args[2])}}}"),
                       responsibility.definition(*s.args)) for s in shares]  # fmt: skip
    return Step("6. Gradient", text + ":", tuple(equations))


def _noise_model_step(model: NoiseModel, r: Reduction, log_p: Label, given_text: str) -> Step:
    y, support = model.target.name, model.target.support
    if support.permutation:
        where = "a ranking of K items: a row of their indices 0, ..., K - 1, best first"
    elif support.event and not support.sums_to_one:
        where = f"a vector of K numbers over the last axis, each in {support.entries.describe()}"
    elif support.event:
        where = (
            "a class label among K classes, written as a row on the probability simplex "
            "(one-hot, or soft: entries in [0, 1] summing to 1)"
        )
    else:
        where = f"a value in {support.describe()}"
    return Step(
        "1. Noise model",
        f"{model.name}: the target {y} is {where}. Its "
        f"log-{'mass' if support.integer or support.sums_to_one else 'density'} given the "
        f"parameters {given_text}:",
        ((log_p, r.log_density),),
    )


def _link_step(model: NoiseModel, r: Reduction) -> Step:
    said, equations = [], []
    for name, choice in model.choices.items():
        symbol = model.parameter_symbol(name)
        if choice.predicted:
            raw = model.raw_symbol(name)
            if choice.link.name == "identity":
                said.append(f"{name} directly (identity link)")
            elif choice.link.matrix:
                said.append(_factor_link_text(model, name))
                k, j = CLASS_INDEX, OTHER_INDEX
                entry = choice.link.inverse(raw, k, j)
                equations.append(
                    (Label(f"{name}[k, j] (k >= j)", rf"{{{sympy.latex(symbol)}}}_{{k j}}"), entry)
                )
            else:
                vector = choice.parameter.domain.event
                said.append(
                    f"{raw}, any real number{'s' if vector else ''}, "
                    f"mapped to {name} by the {choice.link.name} link"
                    + (" entry by entry" if vector and not choice.link.event else "")
                )
                lhs = symbol[CLASS_INDEX] if vector else symbol
                equations.append((lhs, r.parameters[name]))
        elif choice.parameter.domain.matrix:
            said.append(f"nothing for {name}, fixed at {_text(choice.value)} times the identity")
        elif choice.value == symbol:
            said.append(f"nothing for {name}, a fixed constant")
        else:
            said.append(f"nothing for {name}, fixed at {_text(choice.value)}")
            equations.append((symbol, choice.value))
    return Step("2. Link", "The network outputs " + "; ".join(said) + ".", tuple(equations))


def _factor_link_text(model: NoiseModel, name: str) -> str:
    choice = model.choices[name]
    raw = model.raw_symbol(name)
    if choice.link.raw_vector:
        return (
            f"{raw}, a vector of real numbers, mapped to the diagonal factor {name} by the "
            f"{choice.link.name} link (exp of each entry on the diagonal)"
        )
    return (
        f"{raw}, a lower-triangular matrix of real numbers, mapped to the factor {name} by "
        f"the {choice.link.name} link (its diagonal through exp, its strict lower triangle as "
        "it is), so every real lower-triangular matrix gives a valid covariance "
        f"{name} {name}^T"
    )


def _nll_step(r: Reduction, minus_log_p: Label) -> Step:
    identities = (
        " The target row sums to 1 (sum_k y_k = 1), which is used."
        if r.simplex and r.general_nll != r.nll
        else ""
    )
    return Step(
        "3. Negative log-likelihood",
        "Substitute the link into the log-density, negate it, and expand the logarithms of "
        f"products and quotients into sums.{identities}",
        ((minus_log_p, r.nll),),
    )


def _constants_step(r: Reduction) -> Step:
    dropped, equations = [], []
    if r.constant != 0:
        dropped.append(
            "the term C contains no raw output, so it shifts every sample's loss by an amount "
            "the network cannot change"
        )
        equations.append((sympy.Symbol("C"), r.constant))
    if r.scale != 1:
        dropped.append(
            "the factor s is positive and contains neither the raw outputs nor the target, so "
            "it rescales every sample alike"
        )
        equations.append((sympy.Symbol("s"), r.scale))
    if dropped:
        text = (
            "Write -log p = s L + C: "
            + "; ".join(dropped)
            + ". Neither moves the minimiser, so both are dropped."
        )
    else:
        text = "Every term depends on the raw outputs and there is no constant factor: L is -log p."
    return Step("4. Drop constants", text, tuple(equations))


def _loss_step(r: Reduction, loss_name: str | None, two_classes) -> Step:
    loss_text = "The per-sample loss"
    loss_text += f" is the {loss_name}" if loss_name else " has no common textbook name"
    loss_text += "; the training loss is its mean over the samples."
    loss_equations = [(sympy.Symbol("L"), r.loss)]
    if two_classes is not None:
        named = f": the {two_classes.textbook.name}" if two_classes.textbook else ""
        loss_text += f" {two_classes.lead}, it reads L2 below{named}."
        loss_equations.append((Label("L2", "L_{K=2}"), two_classes.loss))
    return Step("5. Loss", loss_text, tuple(loss_equations))


def _inference_step(model: NoiseModel, given_text: str) -> Step:
    y = model.target.name
    prediction = model.point_prediction(**{n: model.parameter_symbol(n) for n in model.choices})
    return Step(
        "7. Inference",
        f"The point prediction is {PREDICTIONS[model.prediction]}"
        f" of the predicted distribution. The whole distribution p({y} | {given_text}) is "
        "there too, for intervals, sampling, or decisions under other costs.",
        ((Label(f"{y}_hat", rf"\hat{{{y}}}"), prediction),),
    )


def _is_vector(output) -> bool:
    return isinstance(output, sympy.IndexedBase)


def _partial(output) -> Label:
    if _is_vector(output) and len(output.shape) == 2:
        variable = output[COMPONENT, COLUMN]
    else:
        variable = output[COMPONENT] if _is_vector(output) else output
    return Label(
        f"dL/d{_text(variable)}", r"\frac{\partial L}{\partial %s}" % sympy.latex(variable)
    )


__all__ = [
    "Step",
    "Label",
    "build_steps",
    "equation_text",
    "render_text",
    "render_latex",
    "render_markdown",
]
