"""Second-order calls of a compiled loss: ``hessian``, ``grad_and_hess``, ``fisher`` and
``grad_and_fisher``, with the reductions, weights, validation and dtype rules of ``grad``.

Each sample's Hessian block is scaled as its gradient is (by 1/N for the mean, by the sample
weights), so that it is the Hessian of the reduced loss: block diagonal over the samples. With
``diagonal=True`` (the default) the result is one array per raw output, shaped like it, the
second derivatives d^2 L / d o_p^2 (over classes, (..., K) of d^2 L / d z_i^2); a raw output
that was broadcast gets its entries summed over the broadcast axes, as its gradient does. With
``diagonal=False`` it is the nested P x P tuple of whole blocks: entry (p, q) is shaped like
the broadcast of outputs p and q, with (..., K) for one output over classes and (..., K, K)
for two; entry (q, p) is entry (p, q) transposed over classes (the same array otherwise).
"""

from __future__ import annotations

import numpy as np

from .runtime_call import sum_to_shape


class SecondOrderCalls:
    """The second-order methods of :class:`derivation.CompiledLoss` (see the module)."""

    def hessian(self, y, *outputs, diagonal: bool = True, **options):
        """The Hessian of the reduced loss with respect to the raw outputs, sample by sample
        (the module docstring gives its layout); ``options`` are those of ``grad``.

        >>> import likelihoods as lk
        >>> from derivation import derive
        >>> fn = derive(lk.Exponential()).compile()  # y exp(eta) - eta
        >>> fn.hessian([1.0, 2.0], [0.0, -700.0], reduction="sum")  # y exp(eta)
        (array([1.00000000e+000, 1.97193531e-304]),)
        """
        call = self._second_call(y, outputs, options)
        kernel = "hess_diagonal" if diagonal else "hess"
        return _entries(call, call.run(kernel), diagonal)

    def grad_and_hess(self, y, *outputs, diagonal: bool = True, loss: bool = True, **options):
        """``(loss, grad, hessian)`` in one pass over the shared subexpressions; with
        ``loss=False``, ``(grad, hessian)`` only, without the loss' own work (what a booster
        asks for each round)."""
        return self._with_gradient("hess", y, outputs, diagonal, loss, options)

    def fisher(self, y, *outputs, diagonal: bool = True, **options):
        """The Fisher information of the raw outputs: the expected Hessian of the loss under
        the model's own distribution at these outputs (see
        :attr:`derivation.Derivation.fisher`), laid out and scaled as :meth:`hessian`. It
        does not depend on ``y``, which is validated all the same."""
        call = self._second_call(y, outputs, options)
        kernel = "fisher_diagonal" if diagonal else "fisher"
        return _entries(call, call.run(kernel), diagonal)

    def grad_and_fisher(self, y, *outputs, diagonal: bool = True, loss: bool = True, **options):
        """``(loss, grad, fisher)`` in one pass (``(grad, fisher)`` with ``loss=False``)."""
        return self._with_gradient("fisher", y, outputs, diagonal, loss, options)

    def _with_gradient(self, kind, y, outputs, diagonal, loss, options):
        call = self._second_call(y, outputs, options)
        kernel = f"grad_and_{kind}" if loss else f"grad_with_{kind}"
        results = call.run(kernel + ("_diagonal" if diagonal else ""))
        count = len(call.output_shapes)
        first = 1 if loss else 0
        grads = call.backward(results[first : first + count])
        entries = _entries(call, results[first + count :], diagonal)
        return (call.reduce(results[0]), grads, entries) if loss else (grads, entries)

    def _second_call(self, y, outputs, options):
        known = {"reduction", "weight", "validate", "class_weight", "label_smoothing"}
        keywords = {k: options.pop(k) for k in list(options) if k in known}
        defaults = {"reduction": "mean", "weight": None, "validate": True}
        defaults |= {"class_weight": None, "label_smoothing": 0.0}
        merged = {**defaults, **keywords}
        call = self._prepare(
            y,
            outputs,
            options,  # what is left: the fixed parameters' values
            merged["reduction"],
            merged["weight"],
            merged["validate"],
            merged["class_weight"],
            merged["label_smoothing"],
        )
        call.over_classes = self._over_classes
        return call


def _entries(call, results, diagonal: bool):
    """The kernel's entries summed back to the outputs' shapes, as the module says."""
    shapes, over = call.output_shapes, call.over_classes
    if diagonal:
        return tuple(call._owned(sum_to_shape(h, s)) for h, s in zip(results, shapes))
    count = len(shapes)
    upper, values = {}, iter(results)
    for p in range(count):
        for q in range(p, count):
            joint = _joint_shape(shapes[p], shapes[q], over[p], over[q])
            upper[p, q] = call._owned(sum_to_shape(np.asarray(next(values)), joint))
    # entry (q, p) of two outputs over classes is entry (p, q) with its class axes swapped
    return tuple(
        tuple(
            upper[p, q]
            if p <= q
            else upper[q, p].swapaxes(-1, -2)
            if over[p] and over[q]
            else upper[q, p]
            for q in range(count)
        )
        for p in range(count)
    )


def _joint_shape(first, second, first_classes: int, second_classes: int) -> tuple:
    """The shape of a block entry: the two outputs' sample axes broadcast, then a class axis
    for each output over classes."""
    samples = np.broadcast_shapes(
        first[: len(first) - first_classes], second[: len(second) - second_classes]
    )
    classes = (*first[len(first) - first_classes :], *second[len(second) - second_classes :])
    return (*samples, *classes)


__all__ = ["SecondOrderCalls"]
