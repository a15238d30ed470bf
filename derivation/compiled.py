"""The NumPy callables a derivation compiles to: loss, gradient, and both in one pass.

Conventions follow PyTorch. ``reduction="mean"`` averages the per-sample losses (every element
of the broadcast inputs for an elementwise model, every row for a model over classes),
``"sum"`` adds them, ``"none"`` returns them. A ``weight`` (broadcastable to the loss,
non-negative) gives ``sum(w * l) / sum(w)`` for the mean, ``sum(w * l)`` for the sum and
``w * l`` per sample. ``grad`` is what autograd returns for the reduced loss (for ``"none"``,
the gradient of the weighted sum), one array per raw output, shaped like it: a raw output that
was broadcast gets its gradient summed over the broadcast axes.

A target on the probability simplex (a class label) is given either as class indices, usually
with one dimension fewer than the outputs over classes, or as rows of K probabilities (one-hot
or soft) on the last axis, with as many dimensions, whatever their dtype. (With outputs
broadcast over leading axes, a target with more dimensions is rows if it is float and
indices if it is integer.) Two
options, named and defined as in ``torch.nn.CrossEntropyLoss``, apply to it:
``class_weight`` (PyTorch's ``weight``, one non-negative number per class) and
``label_smoothing`` (eps in [0, 1]: the target becomes (1 - eps) y + eps / K). With class
weights and class-index targets the mean divides by the summed weights of the targets'
classes; with probability rows it divides by the number of rows, as PyTorch does.

Empty inputs give ``nan`` for the mean (0 / 0, as in PyTorch), ``0`` for the sum, an empty
array for ``"none"``, and empty gradients.

The result dtype is float32 when every float array input is float32 (Python numbers adapt,
as in NumPy), else float64. Inputs are never modified.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import numpy as np

from .boosting import BoostingCalls
from .compiled_parts import Argument, Checker, LazyKernels
from .dask_calls import dask_call, is_dask
from .identifiers import code_names
from .runtime import REDUCTIONS, Call, prepare
from .second_calls import SecondOrderCalls
from .validation import as_array


class CompiledLoss(SecondOrderCalls, BoostingCalls):
    """A compiled loss ``fn(y, *outputs, reduction="mean", weight=None)``.

    ``fn.inputs`` names the raw outputs in positional order; ``fn.constants`` names fixed
    symbolic parameters that the expression still contains, passed as keyword arguments
    (``fn(y, mu, sigma=2.0)``); ``fn.source`` is the generated NumPy module.
    ``validate=False`` skips the input checks (domains, NaN, inf), for speed on data already
    known to be valid: invalid data then gives undefined numbers instead of a ``ValueError``.

    >>> from likelihoods import NoiseModel, Parameter, Target, constraints
    >>> from derivation import derive
    >>> class Noise(NoiseModel):
    ...     target = Target("y", constraints.real)
    ...     parameters = (Parameter("mu", constraints.real, default="identity"),)
    ...     def log_density(self, y, mu):
    ...         return -((y - mu) ** 2) / 2
    >>> fn = derive(Noise()).compile()
    >>> float(fn([3.0, 4.0], [2.0, 5.0]))
    1.0
    >>> fn.grad([3.0, 4.0], [2.0, 5.0])
    (array([-1.,  1.]),)
    """

    def __init__(
        self,
        *,
        builders: dict[str, Callable[[str | None], tuple[str, dict]]],
        target: Argument,
        inputs: Sequence[Argument],
        constants: Sequence[Argument],
        rebuild: tuple,
    ) -> None:
        self._builders = builders
        self._built: dict[tuple, tuple[str, dict]] = {}
        self._lock = threading.Lock()
        self._target = target
        self._inputs = tuple(inputs)
        self._constants = tuple(constants)
        self._rebuild = rebuild
        # What every call needs, made once.
        self._specs = (target, *self._inputs, *self._constants)
        self._names = [spec.name for spec in self._specs]
        # the kernels' keyword arguments, by the names generated code gives them
        self._codes = code_names(self._names)
        # each output's axes over classes: 0, 1 (a vector) or 2 (a matrix)
        self._over_classes = tuple(
            2 if spec.domain.matrix else int(spec.domain.event) for spec in self._inputs
        )
        self._kernels = {form: LazyKernels(self, form) for form in builders}
        self._checker = Checker(self._specs)

    @property
    def inputs(self) -> tuple[str, ...]:
        return tuple(a.name for a in self._inputs)

    @property
    def constants(self) -> tuple[str, ...]:
        return tuple(a.name for a in self._constants)

    @property
    def forms(self) -> tuple[str, ...]:
        """The target forms this loss accepts (see :mod:`derivation.forms`)."""
        return tuple(self._builders)

    @property
    def source(self) -> str:
        """The generated module of the first form (the only one for elementwise targets)."""
        return self.source_for(self.forms[0])

    def source_for(self, form: str) -> str:
        return self._form(form)[0]

    def _form(self, form: str, kind: str | None = None) -> tuple[str, dict]:
        """``(source, kernels)`` of ``form``'s first-order module, or of its module of the
        second-order ``kind`` (see :mod:`derivation.second_kernels`); built once."""
        with self._lock:
            if (form, kind) not in self._built:
                self._built[form, kind] = self._builders[form](kind)
            return self._built[form, kind]

    def __repr__(self) -> str:
        args = ", ".join((self._target.name, *self.inputs))
        extra = "".join(f", {c}=..." for c in self.constants)
        return f"<CompiledLoss ({args}{extra})>"

    def __reduce__(self):
        return self._rebuild

    # --- public calls -------------------------------------------------------------------
    def __call__(
        self,
        y,
        *outputs,
        reduction: str = "mean",
        weight=None,
        validate: bool = True,
        class_weight=None,
        label_smoothing: float = 0.0,
        **constants,
    ):
        return self._first_order(
            "loss",
            y,
            outputs,
            constants,
            reduction,
            weight,
            validate,
            class_weight,
            label_smoothing,
        )

    def grad(
        self,
        y,
        *outputs,
        reduction: str = "mean",
        weight=None,
        validate: bool = True,
        class_weight=None,
        label_smoothing: float = 0.0,
        **constants,
    ) -> tuple[np.ndarray, ...]:
        """Gradient of the reduced loss with respect to each raw output."""
        return self._first_order(
            "grad",
            y,
            outputs,
            constants,
            reduction,
            weight,
            validate,
            class_weight,
            label_smoothing,
        )

    def loss_and_grad(
        self,
        y,
        *outputs,
        reduction: str = "mean",
        weight=None,
        validate: bool = True,
        class_weight=None,
        label_smoothing: float = 0.0,
        **constants,
    ):
        """``(loss, grad)`` from one pass over the shared subexpressions."""
        return self._first_order(
            "loss_and_grad",
            y,
            outputs,
            constants,
            reduction,
            weight,
            validate,
            class_weight,
            label_smoothing,
        )

    def _first_order(self, what, y, outputs, constants, reduction, weight, *rest):
        """The call ``what`` ("loss", "grad" or "loss_and_grad"): on NumPy arrays, or lazily
        over dask arrays (see :mod:`derivation.dask_calls`)."""
        if _any_dask(y, outputs, weight):
            validate, class_weight, label_smoothing = rest
            options = {"reduction": reduction, "weight": weight, "validate": validate}
            options |= {"class_weight": class_weight, "label_smoothing": label_smoothing}
            return dask_call(self, what, y, outputs, {**options, **constants})
        return getattr(self._prepare(y, outputs, constants, reduction, weight, *rest), what)()

    # --- argument handling --------------------------------------------------------------
    def _prepare(
        self, y, outputs, constants, reduction, weight, validate, class_weight, label_smoothing
    ) -> Call:
        if len(outputs) != len(self._inputs):
            raise TypeError(
                f"expected {len(self._inputs)} raw output(s) ({', '.join(self.inputs)}) after "
                f"the target, got {len(outputs)}"
            )
        if constants or self._constants:
            unknown = sorted(set(constants) - set(self.constants))
            if unknown:
                raise TypeError(
                    f"unexpected keyword argument {unknown[0]!r}; this loss takes "
                    f"{', '.join(self.constants) or 'no fixed parameters'}"
                )
            missing = [c.name for c in self._constants if c.name not in constants]
            if missing:
                raise TypeError(
                    f"missing keyword argument {missing[0]!r}: the fixed parameter is symbolic, "
                    f"give its value"
                )
            constants = {self._codes[c.name]: constants[c.name] for c in self._constants}
        values = (y, *outputs, *constants.values())
        for spec, value in zip(self._specs, values):
            if type(value) is not np.ndarray or value.dtype.kind not in "biuf":
                as_array(spec.name, value)  # real numbers only, or a ValueError naming it
        return prepare(
            self._kernels,
            self._names,
            y,
            outputs,
            constants,
            self._over_classes,
            reduction,
            weight,
            class_weight,
            label_smoothing,
            check=self._checker,
            check_values=validate,  # weights are checked either way: they are not data
        )


def _any_dask(y, outputs, weight) -> bool:
    return is_dask(y) or is_dask(weight) or any(is_dask(o) for o in outputs)


__all__ = ["CompiledLoss", "Argument", "REDUCTIONS"]
