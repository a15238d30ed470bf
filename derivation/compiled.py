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

import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from likelihoods.constraints import Domain, nonnegative, real

from .validation import (
    as_array,
    broadcast_shape,
    check_class_index,
    check_domain,
    check_rows,
    check_weight,
)

REDUCTIONS = ("mean", "sum", "none")


@dataclass(frozen=True)
class Argument:
    """A positional or keyword argument of a compiled loss, with what it must hold."""

    name: str
    domain: Domain
    what: str


class CompiledLoss:
    """A compiled loss ``fn(y, *outputs, reduction="mean", weight=None)``.

    ``fn.inputs`` names the raw outputs in positional order; ``fn.constants`` names fixed
    symbolic parameters that the expression still contains, passed as keyword arguments
    (``fn(y, mu, sigma=2.0)``); ``fn.source`` is the generated NumPy module.
    ``validate=False`` skips the input checks (domains, NaN, inf), for speed on data already
    known to be valid: invalid data then gives undefined numbers instead of a ``ValueError``.

    >>> import likelihoods as lk
    >>> from derivation import derive
    >>> fn = derive(lk.Gaussian()).compile()
    >>> float(fn([3.0, 4.0], [2.0, 5.0]))
    1.0
    >>> fn.grad([3.0, 4.0], [2.0, 5.0])
    (array([-1.,  1.]),)
    """

    def __init__(
        self,
        *,
        builders: dict[str, Callable[[], tuple[str, dict]]],
        target: Argument,
        inputs: Sequence[Argument],
        constants: Sequence[Argument],
        rebuild: tuple,
    ) -> None:
        self._builders = builders
        self._built: dict[str, tuple[str, dict]] = {}
        self._lock = threading.Lock()
        self._target = target
        self._inputs = tuple(inputs)
        self._constants = tuple(constants)
        self._rebuild = rebuild

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

    def _form(self, form: str) -> tuple[str, dict]:
        with self._lock:
            if form not in self._built:
                self._built[form] = self._builders[form]()
            return self._built[form]

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
        call = self._prepare(
            y, outputs, constants, reduction, weight, validate, class_weight, label_smoothing
        )
        (values,) = call.run("loss")
        return call.reduce(values)

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
        call = self._prepare(
            y, outputs, constants, reduction, weight, validate, class_weight, label_smoothing
        )
        return call.backward(call.run("grad"))

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
        call = self._prepare(
            y, outputs, constants, reduction, weight, validate, class_weight, label_smoothing
        )
        values, *grads = call.run("loss_and_grad")
        return call.reduce(values), call.backward(grads)

    # --- argument handling --------------------------------------------------------------
    def _prepare(
        self, y, outputs, constants, reduction, weight, validate, class_weight, label_smoothing
    ) -> _Call:
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction: expected one of {REDUCTIONS}, got {reduction!r}")
        if len(outputs) != len(self._inputs):
            raise TypeError(
                f"expected {len(self._inputs)} raw output(s) ({', '.join(self.inputs)}) after "
                f"the target, got {len(outputs)}"
            )
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
        target = as_array(self._target.name, y)
        outs = [as_array(spec.name, value) for spec, value in zip(self._inputs, outputs)]
        fixed = [as_array(c.name, constants[c.name]) for c in self._constants]
        dtype = _result_dtype(
            [y, *outputs, *(constants[c.name] for c in self._constants)], [target, *outs, *fixed]
        )
        if self._target.domain.event:
            return self._prepare_classes(
                target,
                outs,
                fixed,
                dtype,
                reduction,
                weight,
                validate,
                class_weight,
                label_smoothing,
            )
        if class_weight is not None or label_smoothing:
            raise TypeError(
                "class_weight and label_smoothing apply to targets over classes; "
                f"{self._target.what} is one number per sample"
            )
        specs = (self._target, *self._inputs, *self._constants)
        arrays = [target, *outs, *fixed]
        shape = broadcast_shape([(spec.name, a) for spec, a in zip(specs, arrays)])
        if validate:
            for spec, array in zip(specs, arrays):
                check_domain(spec.name, array, spec.domain, spec.what)
        w = _weight(weight, shape, dtype)
        arrays = [a.astype(dtype, copy=False) for a in arrays]
        n = 1 + len(self._inputs)
        return _Call(
            kernels=self._form("elementwise")[1],
            arguments=arrays[:n],
            keywords={c.name: a for c, a in zip(self._constants, arrays[n:])},
            output_shapes=[a.shape for a in outs],
            shape=shape,
            dtype=dtype,
            reduction=reduction,
            weight=w,
        )

    def _prepare_classes(
        self, target, outs, fixed, dtype, reduction, weight, validate, class_weight, label_smoothing
    ) -> _Call:
        events = [(spec, a) for spec, a in zip(self._inputs, outs) if spec.domain.event]
        for spec, a in events:
            if a.ndim == 0:
                raise ValueError(f"{spec.name}: expected a last axis over classes, got a scalar")
        classes = {a.shape[-1] for _, a in events}
        if len(classes) != 1:
            sizes = ", ".join(f"{spec.name} {a.shape[-1]}" for spec, a in events)
            raise ValueError(f"the outputs disagree on the number of classes: {sizes}")
        (k,) = classes
        event_ndim = events[0][1].ndim
        name = self._target.name
        # As many dimensions as the outputs over classes: rows (as PyTorch decides); fewer:
        # indices; more (outputs broadcast over leading axes): rows if float, else indices.
        if target.ndim == event_ndim or (target.ndim > event_ndim and target.dtype.kind == "f"):
            form = "rows"
            if target.shape[-1] != k:
                raise ValueError(
                    f"{name}: rows of {target.shape[-1]} classes, but {events[0][0].name} has "
                    f"{k} classes (last axis)"
                )
            target_batch = target.shape[:-1]
        else:
            form = "index"
            target_batch = target.shape
        named = [(name, np.empty(target_batch, np.bool_))]
        for spec, a in zip(self._inputs, outs):
            named.append((spec.name, np.empty(a.shape[:-1] if spec.domain.event else a.shape)))
        named += [(c.name, a) for c, a in zip(self._constants, fixed)]
        shape = broadcast_shape(named)
        if validate:
            for spec, a in zip(self._inputs, outs):
                if spec.domain.event:
                    if spec.domain.lower == -math.inf:
                        check_domain(spec.name, a, real, spec.what)
                    else:
                        check_rows(spec.name, a, spec.what)
                else:
                    check_domain(spec.name, a, spec.domain, spec.what)
            for c, a in zip(self._constants, fixed):
                check_domain(c.name, a, c.domain, c.what)
            if form == "rows":
                check_rows(name, target, self._target.what)
            else:
                check_class_index(name, target, k)
        if form == "index" and target.dtype.kind != "i":
            target = target.astype(np.intp)
        w_class = None
        if class_weight is not None:
            w_class = as_array("class_weight", class_weight)
            if w_class.shape != (k,):
                raise ValueError(
                    f"class_weight: expected one weight per class, shape ({k},), got shape "
                    f"{w_class.shape}"
                )
            check_domain("class_weight", w_class, nonnegative, "a class weight")
            w_class = w_class.astype(dtype, copy=False)
        eps = _label_smoothing(label_smoothing)
        w = _weight(weight, shape, dtype)
        outs_cast = [
            np.broadcast_to(a.astype(dtype, copy=False), (*shape, k))
            if spec.domain.event
            else a.astype(dtype, copy=False)
            for spec, a in zip(self._inputs, outs)
        ]
        keywords = {c.name: a.astype(dtype, copy=False) for c, a in zip(self._constants, fixed)}
        normalizer = None
        if form == "rows":
            mass = target.astype(dtype, copy=False)
            if eps:
                mass = (1 - eps) * mass + eps / k
            if w_class is not None:
                mass = mass * w_class
            arguments = [mass, *outs_cast]
        else:
            index = np.broadcast_to(target, shape)
            picked = w_class[index] if w_class is not None else None
            if eps:
                form = "index_smoothed"
                spread = np.full(k, eps / k, dtype) if w_class is None else eps / k * w_class
                head = (1 - eps) * (picked if picked is not None else np.ones(shape, dtype))
                arguments = [index, *outs_cast, head.astype(dtype, copy=False), spread]
                if picked is not None:
                    normalizer = picked if w is None else picked * w
            else:
                arguments = [index, *outs_cast]
                if picked is not None:
                    w = picked if w is None else picked * w
        return _Call(
            kernels=self._form(form)[1],
            arguments=arguments,
            keywords=keywords,
            output_shapes=[a.shape for a in outs],
            shape=shape,
            dtype=dtype,
            reduction=reduction,
            weight=w,
            normalizer=normalizer,
        )


@dataclass
class _Call:
    kernels: dict[str, Callable]
    arguments: list[np.ndarray]
    keywords: dict[str, np.ndarray]
    output_shapes: list[tuple[int, ...]]
    shape: tuple[int, ...]  # of the per-sample loss
    dtype: np.dtype
    reduction: str
    weight: np.ndarray | None
    normalizer: np.ndarray | None = None  # per-sample weights the mean divides by, if not weight

    def run(self, kernel: str) -> tuple:
        with np.errstate(all="ignore"):  # overflow to inf is a result here, not an accident
            return self.kernels[kernel](*self.arguments, **self.keywords)

    def reduce(self, values) -> np.ndarray:
        values = np.asarray(values, dtype=self.dtype)
        if values.shape != self.shape:
            values = np.broadcast_to(values, self.shape)
        w = self.weight
        if self.reduction == "none":
            out = values if w is None else values * w
            return self._owned(out)
        if w is not None:
            values = values * w
        total = values.sum(dtype=self.dtype)
        if self.reduction == "sum":
            return total
        count = self._count()
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.dtype.type(total / count) if count else self.dtype.type(np.nan)

    def _count(self):
        """What the mean divides by: the number of samples, or the summed weights."""
        scale = self.normalizer if self.normalizer is not None else self.weight
        if scale is None:
            return int(np.prod(self.shape))
        return np.broadcast_to(scale, self.shape).sum(dtype=self.dtype)

    def backward(self, grads) -> tuple[np.ndarray, ...]:
        factor = self._factor()
        out = []
        for g, shape in zip(grads, self.output_shapes):
            g = np.asarray(g, dtype=self.dtype)
            full = (
                self.shape + g.shape[len(self.shape) :] if g.ndim > len(self.shape) else self.shape
            )
            if factor is not None:
                scale = np.asarray(factor)
                g = g * (scale[..., None] if g.ndim > len(self.shape) and scale.ndim else scale)
            if g.shape != full:
                g = np.broadcast_to(g, full)
            out.append(self._owned(_sum_to_shape(g, shape)))
        return tuple(out)

    def _owned(self, g: np.ndarray) -> np.ndarray:
        """``g``, or a copy of it if it is read-only or shares memory with an argument."""
        if g.flags.writeable and not any(np.may_share_memory(g, a) for a in self.arguments):
            return g
        return np.array(g)

    def _factor(self):
        w = self.weight
        if self.reduction != "mean":
            return w
        count = self._count()
        with np.errstate(invalid="ignore", divide="ignore"):
            if w is None:
                return self.dtype.type(1.0 / count) if count else None
            return (w / count).astype(self.dtype, copy=False)


def _weight(weight, shape, dtype) -> np.ndarray | None:
    if weight is None:
        return None
    w = as_array("weight", weight)
    check_weight(w, shape)
    return w.astype(dtype, copy=False)


def _label_smoothing(value) -> float:
    eps = float(value)
    if not 0.0 <= eps <= 1.0:
        raise ValueError(f"label_smoothing: expected a number in [0, 1], got {value!r}")
    return eps


def _sum_to_shape(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``g`` over the axes along which an array of ``shape`` was broadcast."""
    if g.shape != shape:
        lead = g.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(
            lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1
        )
        g = g.sum(axis=axes, keepdims=True).reshape(shape) if axes else g.reshape(shape)
    return g


def _result_dtype(raw: Sequence[object], arrays: Sequence[np.ndarray]) -> np.dtype:
    """float32 if the float arrays are float32 (Python numbers do not promote), else float64."""
    floats = [a for r, a in zip(raw, arrays) if a.dtype.kind == "f" and not isinstance(r, float)]
    if floats and np.result_type(*floats).itemsize <= 4:
        return np.dtype(np.float32)
    return np.dtype(np.float64)


__all__ = ["CompiledLoss", "Argument", "REDUCTIONS"]
