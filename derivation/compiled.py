"""The NumPy callables a derivation compiles to: loss, gradient, and both in one pass.

Conventions follow PyTorch. ``reduction="mean"`` averages the per-element losses of the
broadcast inputs, ``"sum"`` adds them, ``"none"`` returns them. A ``weight`` (broadcastable to
the loss, non-negative) gives ``sum(w * l) / sum(w)`` for the mean, ``sum(w * l)`` for the sum
and ``w * l`` elementwise. ``grad`` is what autograd returns for the reduced loss (for
``"none"``, the gradient of the weighted sum), one array per raw output, shaped like it:
a raw output that was broadcast gets its gradient summed over the broadcast axes.

Empty inputs give ``nan`` for the mean (0 / 0, as in PyTorch), ``0`` for the sum, an empty
array for ``"none"``, and empty gradients.

The result dtype is float32 when every array input is float32 (Python numbers adapt, as in
NumPy), else float64. Inputs are never modified.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from likelihoods.constraints import Domain

from .validation import as_array, broadcast_shape, check_domain, check_weight

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
        source: str,
        kernels: dict[str, Callable],
        target: Argument,
        inputs: Sequence[Argument],
        constants: Sequence[Argument],
        rebuild: tuple,
    ) -> None:
        self.source = source
        self._kernels = kernels
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

    def __repr__(self) -> str:
        args = ", ".join((self._target.name, *self.inputs))
        extra = "".join(f", {c}=..." for c in self.constants)
        return f"<CompiledLoss ({args}{extra})>"

    def __reduce__(self):
        return self._rebuild

    # --- public calls -------------------------------------------------------------------
    def __call__(
        self, y, *outputs, reduction: str = "mean", weight=None, validate: bool = True, **constants
    ):
        call = self._prepare(y, outputs, constants, reduction, weight, validate)
        (values,) = call.run(self._kernels["loss"])
        return call.reduce(values)

    def grad(
        self, y, *outputs, reduction: str = "mean", weight=None, validate: bool = True, **constants
    ) -> tuple[np.ndarray, ...]:
        """Gradient of the reduced loss with respect to each raw output."""
        call = self._prepare(y, outputs, constants, reduction, weight, validate)
        return call.backward(call.run(self._kernels["grad"]))

    def loss_and_grad(
        self, y, *outputs, reduction: str = "mean", weight=None, validate: bool = True, **constants
    ):
        """``(loss, grad)`` from one pass over the shared subexpressions."""
        call = self._prepare(y, outputs, constants, reduction, weight, validate)
        values, *grads = call.run(self._kernels["loss_and_grad"])
        return call.reduce(values), call.backward(grads)

    # --- argument handling --------------------------------------------------------------
    def _prepare(self, y, outputs, constants, reduction, weight, validate) -> _Call:
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
        specs = (self._target, *self._inputs, *self._constants)
        raw = (y, *outputs, *(constants[c.name] for c in self._constants))
        arrays = [as_array(spec.name, value) for spec, value in zip(specs, raw)]
        dtype = _result_dtype(raw, arrays)
        named = [(spec.name, a) for spec, a in zip(specs, arrays)]
        shape = broadcast_shape(named)
        if validate:
            for spec, array in zip(specs, arrays):
                check_domain(spec.name, array, spec.domain, spec.what)
        w = None
        if weight is not None:
            w = as_array("weight", weight)
            check_weight(w, shape)
            w = w.astype(dtype, copy=False)
        arrays = [a.astype(dtype, copy=False) for a in arrays]
        n_args = 1 + len(self._inputs)
        return _Call(
            positional=arrays[:n_args],
            keywords={c.name: a for c, a in zip(self._constants, arrays[n_args:])},
            shape=shape,
            dtype=dtype,
            reduction=reduction,
            weight=w,
        )


@dataclass
class _Call:
    positional: list[np.ndarray]
    keywords: dict[str, np.ndarray]
    shape: tuple[int, ...]
    dtype: np.dtype
    reduction: str
    weight: np.ndarray | None

    def run(self, kernel: Callable) -> tuple:
        with np.errstate(all="ignore"):  # overflow to inf is a result here, not an accident
            return kernel(*self.positional, **self.keywords)

    def reduce(self, values) -> np.ndarray:
        values = np.asarray(values, dtype=self.dtype)
        if values.shape != self.shape:
            values = np.broadcast_to(values, self.shape)
        w = self.weight
        if self.reduction == "none":
            return np.array(values) if w is None else values * w
        if w is not None:
            values = values * w
        total = values.sum(dtype=self.dtype)
        if self.reduction == "sum":
            return total
        count = values.size if w is None else np.broadcast_to(w, self.shape).sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.dtype.type(total / count) if count else self.dtype.type(np.nan)

    def backward(self, grads) -> tuple[np.ndarray, ...]:
        factor = self._factor()
        out = []
        for g, array in zip(grads, self.positional[1:]):
            g = np.asarray(g, dtype=self.dtype)
            g = g * factor if factor is not None else g
            if g.shape != self.shape:
                g = np.broadcast_to(g, self.shape)
            g = _sum_to_shape(g, array.shape)
            if not g.flags.writeable or any(np.may_share_memory(g, a) for a in self.positional):
                g = np.array(g)  # never hand back a view of an input, or a read-only one
            out.append(g)
        return tuple(out)

    def _factor(self):
        w = self.weight
        if self.reduction != "mean":
            return w
        if w is None:
            size = int(np.prod(self.shape))
            return self.dtype.type(1.0 / size) if size else None
        total = np.broadcast_to(w, self.shape).sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            return w / total


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
