"""``derive(model)``: the whole recipe for one noise model, cached.

>>> import sympy
>>> from likelihoods import NoiseModel, Parameter, Target, constraints
>>> class Coin(NoiseModel):  # a binary target, P(y = 1) through the logit link
...     target = Target("y", constraints.binary)
...     parameters = (Parameter("p", constraints.unit_interval, default="logit", raw="z"),)
...     def log_density(self, y, p):
...         return y * sympy.log(p) + (1 - y) * sympy.log(1 - p)
>>> d = derive(Coin())
>>> d.loss
-y*z + softplus(z)
>>> d.gradient
(-y + expit(z),)
>>> derive(Coin()) is d
True
"""

from __future__ import annotations

import functools
import threading

import sympy

from likelihoods import NoiseModel
from likelihoods.constraints import Domain, lower_triangular
from likelihoods.constraints import real as _REAL
from likelihoods.textbook import NamedLoss

from .canonical import Reduction, reduce_model
from .compiled import Argument, CompiledLoss
from .declared import check_loss
from .emit import python_module
from .events import derivative
from .fisher import expected_hessian, require_arguments
from .forms import printable, target_forms
from .naming import textbook_name
from .rewriting import stabilize
from .second_kernels import ModuleBuilder
from .second_order import hessian_entries, symmetric
from .steps import Step, build_steps, render_latex, render_markdown, render_text
from .two_classes import TwoClassView, two_class_view


class Derivation:
    """The derivation of a loss from a noise model (see the package docstring).

    Attributes: ``model``; ``target`` and ``outputs`` (sympy symbols); ``nll`` (the full
    per-sample negative log-likelihood, links substituted, logarithms expanded); ``loss`` (the
    canonical loss); ``scale`` and ``constant`` with ``nll == scale * loss + constant``;
    ``gradient`` (derivatives of ``loss`` with respect to ``outputs``); ``steps``.
    """

    def __init__(self, model: NoiseModel, reduction: Reduction) -> None:
        self.model = model
        self._r = reduction
        self.gradient: tuple[sympy.Expr, ...] = tuple(
            derivative(reduction.loss, o) for o in reduction.outputs
        )
        check_loss(model, reduction.loss, reduction.outputs, self.gradient)
        self._compiled: dict[tuple[bool, str], CompiledLoss] = {}
        self._lock = threading.Lock()
        self._steps: tuple[Step, ...] | None = None

    target = property(lambda self: self._r.target)
    outputs = property(lambda self: self._r.outputs)
    nll = property(lambda self: self._r.nll)
    loss = property(lambda self: self._r.loss)
    scale = property(lambda self: self._r.scale)
    constant = property(lambda self: self._r.constant)
    parameters = property(lambda self: dict(self._r.parameters))

    @property
    def steps(self) -> tuple[Step, ...]:
        """The seven steps of the recipe (noise model, link, NLL, constants, loss, gradient,
        inference)."""
        if self._steps is None:
            named = self.textbook
            label = f"{named.name} ({named.also})" if named else None
            self._steps = build_steps(self.model, self._r, self.gradient, label, self.two_classes)
        return self._steps

    @functools.cached_property
    def two_classes(self) -> TwoClassView | None:
        """For a target over K classes (or a ranking of K items): the loss with K = 2 (see
        :mod:`derivation.two_classes`), or ``None``."""
        return two_class_view(self.model, self._r)

    def stabilized(self, nll: bool = False) -> dict[str, tuple[sympy.Expr, tuple]]:
        """The loss (or the full NLL) and its gradient as the kernels compute them, per target
        form (see :mod:`derivation.forms`): after the stability rules, differentiated in
        stable form, with the generated code's argument names. ``{form: (loss, gradient)}``."""
        constants = self.compile(nll=nll).constants
        return {
            name: (parts["loss"], tuple(parts["gradient"]))
            for name, form in target_forms(self._r, nll).items()
            for parts in [printable(form, self._r.outputs, constants)]
        }

    @functools.cached_property
    def hessian(self) -> tuple[tuple[sympy.Expr, ...], ...]:
        """The second derivatives of ``loss`` with respect to ``outputs``, a symmetric P x P
        nested tuple (see :mod:`derivation.second_order`; over classes, entries in the
        component index i and the column index l). A ValueError where they are not derived."""
        return symmetric(self._hessian_entries, len(self.outputs))

    @functools.cached_property
    def _hessian_entries(self) -> dict:
        return hessian_entries(self.gradient, self.outputs, final=False)

    @functools.cached_property
    def fisher(self) -> tuple[tuple[sympy.Expr, ...], ...]:
        """The expectation of :attr:`hessian` under the model (see :mod:`derivation.fisher`):
        the Fisher information of the raw outputs, in the units of ``loss`` (the NLL's is
        ``scale`` times it). Positive semi-definite; a ValueError where it is not derived."""
        return symmetric(self._fisher, len(self.outputs))

    @functools.cached_property
    def _fisher(self) -> dict:
        entries = hessian_entries(self.gradient, self.outputs, final=False, point_masses=True)
        return expected_hessian(self.model, self._r, entries)

    def fisher_entries(self, nll: bool = False, constants: tuple[str, ...] | None = None):
        """The upper triangle of the Fisher information as the kernels compute it:
        ``((p, q), expression)`` pairs, stabilised, of the NLL if ``nll``; a ValueError if it
        needs a fixed parameter outside ``constants`` (one the loss drops)."""
        factor = self.scale if nll else 1
        entries = tuple((key, stabilize(factor * e)) for key, e in self._fisher.items())
        if constants is not None:
            require_arguments(self.model, entries, {*map(_name, self.outputs), *constants})
        return entries

    @functools.cached_property
    def textbook(self) -> NamedLoss | None:
        """The textbook loss this one equals (see :mod:`derivation.naming`), or ``None``."""
        return textbook_name(self.loss, self.target, self.outputs)

    def audit(self, nll: bool = True, progress: bool = True):
        """Sweep every input over its declared domain, the support's edges and the extremes
        and compare the compiled loss (the full NLL unless ``nll`` is false) and every
        gradient with mpmath computed from the declared log-density; an
        :class:`~derivation.audit_report.AuditReport` (see :mod:`derivation.audit`)."""
        from .audit import audit

        return audit(self.model, nll=nll, progress=progress)

    # --- renderings ---------------------------------------------------------------------
    @property
    def title(self) -> str:
        return f"{self.model!r}: from noise model to loss"

    def __str__(self) -> str:
        return render_text(self.title, self.steps)

    def __repr__(self) -> str:
        return f"<Derivation of {self.model!r}: loss {sympy.sstr(self.loss)}>"

    def to_latex(self, standalone: bool = False) -> str:
        """The steps as LaTeX (align* environments, amsmath); ``standalone`` gives a whole
        document."""
        return render_latex(self.title, self.steps, standalone=standalone)

    def to_markdown(self) -> str:
        return render_markdown(self.title, self.steps)

    def to_python(self, nll: bool = False) -> str:
        """Source of a standalone module (numpy and scipy.special only) with ``loss``,
        ``grad`` and ``loss_and_grad``, the same kernels as :meth:`compile`."""
        return python_module(self, nll=nll)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def __reduce__(self):
        return (derive, (self.model,))

    # --- compilation --------------------------------------------------------------------
    def compile(self, nll: bool = False, backend: str = "numpy") -> CompiledLoss:
        """NumPy callables of ``loss`` (or of the full ``nll``) and its gradient; cached.

        ``backend="numba"`` compiles the same expressions into one fused loop run in parallel
        over the cores, for elementwise models (numba must be installed; the first call
        compiles, which takes seconds).
        """
        if backend not in BACKENDS:
            raise ValueError(f"backend: expected one of {BACKENDS}, got {backend!r}")
        key = (nll, backend)
        with self._lock:
            if key not in self._compiled:
                self._compiled[key] = self._compile(nll, backend)
            return self._compiled[key]

    def _compile(self, nll: bool, backend: str = "numpy") -> CompiledLoss:
        model, r = self.model, self._r
        forms = target_forms(r, nll)
        expression = next(iter(forms.values())).expression

        constants = _constants(model, r, expression)

        target = Argument(_name(r.target), model.target.support, f"{model.name}'s target")
        inputs = []
        for name in model.predicted:
            choice = model.choices[name]
            if choice.link.name == "identity":
                inputs.append(Argument(name, choice.parameter.domain, f"{model.name}'s {name}"))
            else:
                inputs.append(
                    Argument(_name(model.raw_symbol(name)), _raw_domain(choice), "a raw output")
                )
        header = f'"""Loss and gradient of {model!r}, generated by derive-the-loss."""\n\n'
        names = [c.name for c in constants]
        label = f"<derive-the-loss {model!r}{' nll' if nll else ''}"
        domains = (target.domain, *(a.domain for a in inputs))
        fisher = functools.partial(self.fisher_entries, nll, tuple(names))
        builders = {
            key: ModuleBuilder(
                form, r.outputs, tuple(names), header, f"{label} {key}", backend, domains, fisher
            )
            for key, form in forms.items()
        }
        if backend != "numpy" and any(a.domain.event for a in inputs):
            raise ValueError(
                f"the {backend} backend compiles elementwise models only; {model.name} needs "
                "backend='numpy'"
            )
        compiled = CompiledLoss(
            builders=builders,
            target=target,
            inputs=inputs,
            constants=constants,
            rebuild=(_compiled_for, (model, nll, backend)),
        )
        if backend != "numpy":
            compiled.source_for(compiled.forms[0])  # an unsupported function is refused now
        return compiled


def _constants(model: NoiseModel, r, expression: sympy.Expr) -> list[Argument]:
    """The keyword arguments of a compiled loss: the symbols of its fixed parameters that
    the expression uses; a symbol that is neither one nor the target or an output is
    refused by name."""
    constants = []
    for name, choice in model.choices.items():
        if choice.predicted:
            continue
        own = choice.value == model.parameter_symbol(name)
        for symbol in sorted(choice.value.free_symbols, key=sympy.default_sort_key):
            domain = choice.parameter.domain if own else _REAL
            constants.append(Argument(symbol.name, domain, f"{model.name}'s fixed {name}"))
    used = {
        s.name for s in expression.free_symbols if isinstance(s, sympy.Symbol) and not s.is_integer
    }
    constants = [c for c in constants if c.name in used]
    known = {_name(r.target), *(_name(o) for o in r.outputs), *(c.name for c in constants)}
    strays = sorted(used - known)
    if strays:
        raise ValueError(f"{model.name}: the loss contains unknown symbols {strays}")
    return constants


def _name(symbol) -> str:
    return str(symbol.label) if isinstance(symbol, sympy.IndexedBase) else symbol.name


def _raw_domain(choice):
    """Unconstrained raw outputs: real numbers, over classes when the parameter is a vector
    (or its link reads a vector), lower-triangular matrices of them for a factor."""
    domain = choice.parameter.domain
    if domain.matrix and not choice.link.raw_vector:
        return lower_triangular
    return _REAL_CLASSES if domain.event else _REAL


def _compiled_for(model: NoiseModel, nll: bool, backend: str = "numpy") -> CompiledLoss:
    return derive(model).compile(nll=nll, backend=backend)


#: The code generators a derivation compiles with.
BACKENDS = ("numpy", "numba")


@functools.cache
def _derive(model: NoiseModel) -> Derivation:
    return Derivation(model, reduce_model(model))


def derive(model: NoiseModel) -> Derivation:
    """Derive the loss of ``model``; equal models share one cached :class:`Derivation`."""
    if not isinstance(model, NoiseModel):
        raise TypeError(f"derive: expected a likelihoods.NoiseModel instance, got {model!r}")
    return _derive(model)


#: Raw outputs over classes: any real numbers, on a last axis.
_REAL_CLASSES = Domain("real vectors", event=True)

__all__ = ["Derivation", "derive"]
