"""The recipe of the lecture notes, written out step by step for any model, and its renderings.

Each :class:`Step` has a title, one or two sentences and a list of equations ``lhs = rhs``;
:func:`render_text`, :func:`render_latex` and :func:`render_markdown` print a list of steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from likelihoods import NoiseModel
from likelihoods.links import COMPONENT

from .canonical import Reduction


@dataclass(frozen=True)
class Step:
    """One step of a derivation: ``equations`` is a tuple of ``(lhs, rhs)`` sympy pairs."""

    title: str
    text: str
    equations: tuple[tuple[sympy.Basic, sympy.Basic], ...] = ()


def build_steps(
    model: NoiseModel,
    r: Reduction,
    gradient: tuple[sympy.Expr, ...],
    loss_name: str | None,
    two_classes=None,
) -> tuple[Step, ...]:
    """The seven steps for ``model`` from its reduction ``r`` and gradient."""
    y = r.target
    params = [model.parameter_symbol(n) for n in model.choices]
    given = sympy.Symbol(", ".join(p.name for p in params))
    p_of_y = sympy.Function("p")(y, given)
    support = model.target.support.describe()
    steps = [
        Step(
            "1. Noise model",
            f"{model.name}: the target {y} takes values in {support}; its log-density is",
            ((sympy.log(p_of_y), r.log_density),),
        ),
    ]

    link_eqs, link_text = [], []
    for name, choice in model.choices.items():
        symbol = model.parameter_symbol(name)
        if choice.predicted:
            raw = model.raw_symbol(name)
            if choice.link.name != "identity":
                link_eqs.append((symbol, r.parameters[name]))
            link_text.append(f"{name} from raw output {raw} ({choice.link.name} link)")
        else:
            link_text.append(
                f"{name} fixed" + ("" if choice.value == symbol else f" at {choice.value}")
            )
            if choice.value != symbol:
                link_eqs.append((symbol, choice.value))
    steps.append(
        Step(
            "2. Link",
            "The network predicts " + "; ".join(link_text) + ".",
            tuple(link_eqs),
        )
    )
    nll_symbol = sympy.Symbol("-log p")
    steps.append(
        Step(
            "3. Negative log-likelihood",
            "Substitute the parameters, negate, and expand the logarithms:",
            ((nll_symbol, r.nll),),
        )
    )
    loss_symbol = sympy.Symbol("L")
    dropped = []
    if r.constant != 0:
        dropped.append(f"the additive term C = {sympy.sstr(r.constant)}, free of the raw outputs")
    if r.scale != 1:
        dropped.append(
            f"the positive factor s = {sympy.sstr(r.scale)}, free of the outputs and the target"
        )
    steps.append(
        Step(
            "4. Drop constants",
            (
                ("Dropped " + " and ".join(dropped) + ". " if dropped else "Nothing to drop. ")
                + "Neither moves the minimiser over the raw outputs: -log p = s L + C."
            ),
            tuple(
                eq
                for eq in ((sympy.Symbol("C"), r.constant), (sympy.Symbol("s"), r.scale))
                if eq[1] not in (0, 1)
            ),
        )
    )
    loss_text = (
        f"The per-sample loss{': ' + loss_name if loss_name else ''}; the training loss is "
        "its mean over the samples."
    )
    loss_equations = [(loss_symbol, r.loss)]
    if two_classes is not None:
        named = f": {two_classes.textbook.name}" if two_classes.textbook else ""
        loss_text += (
            f" With K = 2 classes and a class index {two_classes.target} in {{0, 1}}, where "
            f"{two_classes.note}, it reads as below{named}."
        )
        loss_equations.append((sympy.Symbol("L_{K=2}"), two_classes.loss))
    steps.append(Step("5. Loss", loss_text, tuple(loss_equations)))
    steps.append(
        Step(
            "6. Gradient",
            "With respect to each raw output:",
            tuple(
                (sympy.Derivative(loss_symbol, _component(o)), g)
                for o, g in zip(r.outputs, gradient)
            ),
        )
    )
    prediction = model.point_prediction(**dict(zip(model.choices, params)))
    steps.append(
        Step(
            "7. Inference",
            f"The point prediction is the {model.prediction} of the fitted distribution; the "
            "whole distribution, with the fitted parameters, is available as well.",
            ((sympy.Symbol("y_hat"), prediction),),
        )
    )
    return tuple(steps)


def _component(output):
    """The variable a gradient is taken with respect to: z_i for a vector output z."""
    return output[COMPONENT] if isinstance(output, sympy.IndexedBase) else output


def render_text(title: str, steps: tuple[Step, ...]) -> str:
    lines = [title, "=" * len(title)]
    for step in steps:
        lines += ["", step.title, "   " + step.text]
        for lhs, rhs in step.equations:
            lines.append(f"       {sympy.sstr(lhs)} = {sympy.sstr(rhs)}")
    return "\n".join(lines) + "\n"


def _latex_lines(step: Step) -> list[str]:
    return [f"{sympy.latex(lhs)} &= {sympy.latex(rhs)}" for lhs, rhs in step.equations]


def render_latex(title: str, steps: tuple[Step, ...]) -> str:
    out = [f"% {title}"]
    for step in steps:
        out.append(r"\paragraph{%s} %s" % (step.title, _escape(step.text)))
        if step.equations:
            out.append("\\begin{align*}\n" + " \\\\\n".join(_latex_lines(step)) + "\n\\end{align*}")
    return "\n".join(out) + "\n"


def render_markdown(title: str, steps: tuple[Step, ...]) -> str:
    out = [f"## {title}"]
    for step in steps:
        out += ["", f"**{step.title}.** {step.text}"]
        for line in _latex_lines(step):
            out += ["", "$$", line.replace("&=", "="), "$$"]
    return "\n".join(out) + "\n"


def _escape(text: str) -> str:
    for char in "_%&#":
        text = text.replace(char, "\\" + char)
    return text


__all__ = ["Step", "build_steps", "render_text", "render_latex", "render_markdown"]
