"""The recipe of the lecture notes, written out step by step for any model, and its renderings.

Each :class:`Step` has a title, one or two sentences and a list of equations ``lhs = rhs``;
:func:`render_text`, :func:`render_latex` and :func:`render_markdown` print a list of steps.
The sentences are assembled from what the engine found (which link, which terms were dropped,
which textbook loss came out), never from a family's name.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy
from sympy.printing.str import StrPrinter

from likelihoods import NoiseModel
from likelihoods.declaration import PREDICTIONS
from likelihoods.links import CLASS_INDEX, COMPONENT

from .canonical import Reduction
from .class_functions import responsibility


@dataclass(frozen=True)
class Label:
    """The left-hand side of an equation that is not a sympy expression, in both spellings."""

    text: str
    latex: str


@dataclass(frozen=True)
class Step:
    """One step of a derivation: ``equations`` is a tuple of ``(lhs, rhs)`` pairs, ``lhs`` a
    :class:`Label` or a sympy expression."""

    title: str
    text: str
    equations: tuple[tuple[Label | sympy.Basic, sympy.Basic], ...] = ()


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
    if any(_is_vector(o) for o in r.outputs):
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
    if support.event:
        where = (
            "a class label among K classes, written as a row on the probability simplex "
            "(one-hot, or soft: entries in [0, 1] summing to 1)"
        )
    else:
        where = f"a value in {support.describe()}"
    return Step(
        "1. Noise model",
        f"{model.name}: the target {y} is {where}. Its "
        f"log-{'mass' if support.integer or support.event else 'density'} given the "
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
            else:
                vector = choice.parameter.domain.event
                said.append(
                    f"{raw}, any real number{'s' if vector else ''}, "
                    f"mapped to {name} by the {choice.link.name} link"
                    + (" entry by entry" if vector and not choice.link.event else "")
                )
                lhs = symbol[CLASS_INDEX] if vector else symbol
                equations.append((lhs, r.parameters[name]))
        elif choice.value == symbol:
            said.append(f"nothing for {name}, a fixed constant")
        else:
            said.append(f"nothing for {name}, fixed at {_text(choice.value)}")
            equations.append((symbol, choice.value))
    return Step("2. Link", "The network outputs " + "; ".join(said) + ".", tuple(equations))


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
        loss_text += (
            f" With K = 2 classes, a class index {two_classes.target} in {{0, 1}} and "
            f"{two_classes.note}, it reads L2 below{named}."
        )
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
    variable = output[COMPONENT] if _is_vector(output) else output
    return Label(
        f"dL/d{_text(variable)}", r"\frac{\partial L}{\partial %s}" % sympy.latex(variable)
    )


class _TextPrinter(StrPrinter):
    """sympy's str form, with conditionals written as words."""

    def _print_responsibility(self, expr):
        return f"r[{self._print(expr.args[2])}]"

    def _print_Piecewise(self, expr):
        parts = [
            f"{self._print(e)} if {self._print(c)}" for e, c in expr.args if c is not sympy.true
        ]
        rest = [self._print(e) for e, c in expr.args if c is sympy.true]
        return ", ".join(parts) + (f", else {rest[0]}" if rest else "")


def _text(expr) -> str:
    return expr.text if isinstance(expr, Label) else _TextPrinter().doprint(expr)


def _latex(expr) -> str:
    return expr.latex if isinstance(expr, Label) else sympy.latex(expr)


def equation_text(lhs, rhs) -> str:
    """``lhs = rhs`` in plain text (just ``rhs`` when ``lhs`` is None)."""
    return _text(rhs) if lhs is None else f"{_text(lhs)} = {_text(rhs)}"


def render_text(title: str, steps: tuple[Step, ...]) -> str:
    lines = [title, "=" * len(title)]
    for step in steps:
        lines += ["", step.title, *_wrap(step.text, "   ")]
        for lhs, rhs in step.equations:
            lines.append(f"       {equation_text(lhs, rhs)}")
    return "\n".join(lines) + "\n"


def _wrap(text: str, indent: str, width: int = 92) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width, initial_indent=indent, subsequent_indent=indent)


def _latex_lines(step: Step) -> list[str]:
    return [f"{_latex(lhs)} &= {_latex(rhs)}" for lhs, rhs in step.equations]


def render_latex(title: str, steps: tuple[Step, ...], standalone: bool = False) -> str:
    """LaTeX (needs amsmath): a fragment, or with ``standalone`` a whole document."""
    out = [r"\subsection*{%s}" % _escape(title)]
    for step in steps:
        out.append(r"\paragraph{%s} %s" % (_escape(step.title), _escape(step.text)))
        if step.equations:
            out.append("\\begin{align*}\n" + " \\\\\n".join(_latex_lines(step)) + "\n\\end{align*}")
    body = "\n".join(out) + "\n"
    if not standalone:
        return body
    return (
        "\\documentclass{article}\n\\usepackage{amsmath}\n\\usepackage[margin=2cm]{geometry}\n"
        "\\begin{document}\n" + body + "\\end{document}\n"
    )


def render_markdown(title: str, steps: tuple[Step, ...]) -> str:
    out = [f"## {title}"]
    for step in steps:
        out += ["", f"**{step.title}.** {step.text}"]
        for line in _latex_lines(step):
            out += ["", "$$", line.replace("&=", "="), "$$"]
    return "\n".join(out) + "\n"


def _escape(text: str) -> str:
    for char in "\\_%&#{}":
        text = text.replace(char, "\\" + char)
    return text.replace("|", r"$|$")


__all__ = [
    "Step",
    "Label",
    "build_steps",
    "equation_text",
    "render_text",
    "render_latex",
    "render_markdown",
]
