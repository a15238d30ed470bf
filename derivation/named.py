"""The base of the engine's named special functions (see :mod:`derivation.functions`)."""

from __future__ import annotations

import sympy


class Named(sympy.Function):
    """A function with an elementary ``definition`` of its arguments."""

    @classmethod
    def definition(cls, *args: sympy.Expr) -> sympy.Expr:
        raise NotImplementedError

    def _eval_is_real(self):
        return all(a.is_real for a in self.args) or None

    def _latex(self, printer, exp=None):
        body = (
            self._latex_body(printer)
            if hasattr(self, "_latex_body")
            else r"\operatorname{%s}\left(%s\right)"
            % (type(self).__name__.replace("_", r"\_"), ", ".join(map(printer._print, self.args)))
        )
        return r"\left(%s\right)^{%s}" % (body, exp) if exp else body


__all__ = ["Named"]
