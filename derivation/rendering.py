"""Rendering a derivation's steps as text, LaTeX and Markdown (see :mod:`derivation.steps`
for how the steps are assembled).

>>> import sympy
>>> equation_text(sympy.Symbol("L"), sympy.Piecewise((1, sympy.Symbol("x") > 0), (0, True)))
'L = 1 if x > 0, else 0'
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy
from sympy.printing.str import StrPrinter


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


class _TextPrinter(StrPrinter):
    """sympy's str form, with conditionals written as words."""

    def _print_responsibility(self, expr):
        return f"r[{self._print(expr.args[2])}]"

    def _print_Piecewise(self, expr):
        parts = [
            f"{self._print(e)} if {self._print(c)}" for e, c in expr.args if c is not sympy.true
        ]
        rest = [self._print(e) for e, c in expr.args if c is sympy.true]
        text = ", ".join(parts) + (f", else {rest[0]}" if rest else "")
        return text if self._print_level <= 1 else f"({text})"  # a factor: in parentheses

    def _print_Equality(self, expr):
        return f"{self._print(expr.lhs)} = {self._print(expr.rhs)}"


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
    return text.replace("|", r"$|$").replace("^", r"\^{}")


__all__ = [
    "Step",
    "Label",
    "equation_text",
    "render_text",
    "render_latex",
    "render_markdown",
]
