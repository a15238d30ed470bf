"""The base of the engine's named special functions (see :mod:`derivation.functions`)."""

from __future__ import annotations

import sympy


# (Named "...Base": sympy's printers look up a print method by the names of a function's
# classes only for the class itself and those whose name ends in "Base".)
class NamedBase(sympy.Function):
    """A function with an elementary ``definition`` of its arguments, declared in one place
    with everything the engine needs of it:

    * ``definition`` (its elementary form) and ``fdiff`` (its derivative, in named form);
    * ``lowerings``: its code per backend, ``{0}``, ``{1}``... for the printed arguments
      (``"numpy"``; ``"numba"``, and ``"numba_vector"`` where a loop LLVM vectorises needs
      another); a backend it has none for refuses it;
    * ``primitives`` (optional): its form in primitives, which fused and scalar kernels
      compute instead, so that what two functions share is computed once;
    * ``ufunc``: the NumPy ufunc fused kernels call with ``out=``, if any, with
      ``keeps_nonfinite``, the arguments whose NaN or inf it always passes on;
    * ``vectorises``: whether a numba loop calling it can still be vectorised;
    * ``second_order``: whether its second derivatives are derived and printed (a
      Hessian through a function without them is refused, see
      :mod:`derivation.second_order`).
    """

    lowerings: dict[str, str] = {}
    primitives = None
    ufunc: str | None = None
    keeps_nonfinite: tuple[int, ...] = ()
    vectorises = False
    second_order = True

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


__all__ = ["NamedBase"]
