"""What a compiled loss does around its generated kernels: arrays and dtypes, broadcasting,
target forms, class weights and label smoothing, reductions, and gradients of the reduced loss.

Only numpy is imported (besides :mod:`derivation.runtime_call`, which imports only numpy too),
so the source of both is copied into the standalone modules that
:meth:`derivation.Derivation.to_python` writes. Checking values against their domains is
not done here (see :mod:`derivation.validation`); ``prepare`` calls a ``check`` hook for that.

The check hook, the one protocol between this module and :mod:`derivation.validation`:
``check(what, arrays, classes, block=None, skip=(), vouched=())`` raises a ``ValueError``
naming an invalid value. ``what`` is ``"weight"`` or ``"class_weight"`` (checked always),
or the target's form (``"elementwise"``, ``"rows"``, ``"index"``: the target and outputs,
``arrays`` as given, ``classes`` the K of a target over classes); an elementwise call's
values are checked when its kernel runs, block by block if it runs so (``block`` is then
``(start, shape)``), leaving out the arrays at the positions in ``skip`` and looking at only
the finite bounds of those in ``vouched`` (see :meth:`Call.run`). ``check.unbounded``, if
there, lists the positions of arrays whose only invalid values are NaN and inf.

Conventions follow PyTorch: ``"mean"`` averages the per-sample losses, ``"sum"`` adds them,
``"none"`` returns them; a ``weight`` gives ``sum(w l) / sum(w)`` for the mean. Gradients are
those of the reduced loss, one per raw output, summed over the axes it was broadcast along.
"""

from __future__ import annotations

import numpy

from .runtime_call import BLOCK, BLOCKED_PASSES, Call, sum_to_shape  # noqa: F401 (re-exported)

REDUCTIONS = ("mean", "sum", "none")


def result_dtype(values, arrays) -> numpy.dtype:
    """float32 if the float arrays are float32 (Python floats do not promote), else float64."""
    sizes = [
        a.dtype.itemsize
        for v, a in zip(values, arrays)
        if a.dtype.kind == "f" and not isinstance(v, float)
    ]
    if sizes and max(sizes) <= 4:  # float16 and float32 promote to float32
        return numpy.dtype(numpy.float32)
    return numpy.dtype(numpy.float64)


def broadcast(names, shapes) -> tuple[int, ...]:
    """The common shape of ``shapes``, or a ValueError listing them all, by ``names``."""
    first = shapes[0]
    if all(shape == first for shape in shapes):
        return first
    try:
        return numpy.broadcast_shapes(*shapes)
    except ValueError:
        listed = ", ".join(f"{name} {shape}" for name, shape in zip(names, shapes))
        raise ValueError(f"shapes do not broadcast together: {listed}") from None


def target_form(target: numpy.ndarray, class_ndim: int) -> str:
    """How a class target was given: ``"rows"`` with as many dimensions as the outputs over
    classes (as PyTorch decides; whatever the dtype), ``"index"`` with fewer; with more (the
    outputs broadcast over leading axes), rows if float and indices otherwise."""
    if target.ndim == class_ndim or (target.ndim > class_ndim and target.dtype.kind == "f"):
        return "rows"
    return "index"


def prepare(
    kernels,
    names,
    target,
    outputs,
    constants,
    over_classes,
    reduction="mean",
    weight=None,
    class_weight=None,
    label_smoothing=0.0,
    check=None,
    check_values: bool = True,
) -> Call:
    """Turn the arguments of a loss call into a :class:`Call`.

    ``kernels`` maps a target form to its ``loss``/``grad``/``loss_and_grad`` kernels;
    ``names`` are the target's, the outputs' and the constants' names (for messages);
    ``over_classes`` flags the outputs that have a last axis over classes; ``check`` is the
    check hook of the module docstring, called on the values if ``check_values``.
    """
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction: expected one of {REDUCTIONS}, got {reduction!r}")
    raw = [target, *outputs, *constants.values()]
    arrays = [numpy.asarray(v) for v in raw]
    dtype = result_dtype(raw, arrays)
    target, outs, fixed = arrays[0], arrays[1 : 1 + len(outputs)], arrays[1 + len(outputs) :]
    keywords = {k: a.astype(dtype, copy=False) for k, a in zip(constants, fixed)} if fixed else {}
    if not any(over_classes):
        if class_weight is not None or label_smoothing:
            raise TypeError(
                "class_weight and label_smoothing apply to targets over classes; this target "
                "is one number per sample"
            )
        shape = broadcast(names, [a.shape for a in arrays])
        call = Call(
            kernels["elementwise"],
            [a.astype(dtype, copy=False) for a in (target, *outs)],
            keywords,
            [a.shape for a in outs],
            shape,
            dtype,
            reduction,
            _weight(weight, shape, dtype, check),
        )
        if check is not None and check_values:
            call.check = (check, arrays)
        return call
    classes = _ClassCall(names, arrays, outs, fixed, over_classes, dtype, tuple(kernels))
    if check is not None and check_values:
        check(classes.form, arrays, classes.k)
    if classes.form in _NOT_CLASSES and (class_weight is not None or label_smoothing):
        raise TypeError(
            "class_weight and label_smoothing apply to targets over classes; this target is "
            + _NOT_CLASSES[classes.form]
        )
    eps = float(label_smoothing)
    if not 0.0 <= eps <= 1.0:
        raise ValueError(f"label_smoothing: expected a number in [0, 1], got {label_smoothing!r}")
    return classes.call(kernels, keywords, reduction, weight, class_weight, eps, check)


#: Target forms of calls with outputs over components that are no class labels, and what
#: their target is.
_NOT_CLASSES = {
    "elementwise": "one number per sample (its outputs have a last axis over components)",
    "vector": "a vector of real numbers per sample",
    "ranking": "a ranking per sample",
}


class _ClassCall:
    """The shapes of a call over K classes (or components): ``k``, the target's ``form``
    (rows or class indices; ``"elementwise"`` for a target of one number per sample whose
    outputs have a last axis of K components, ``"vector"`` for a target in R^K) and the
    samples' ``shape``; and the kernel arguments for it. ``over_classes`` gives each output's
    axes over classes: 0, 1 (a vector) or 2 (a K x K matrix)."""

    def __init__(self, names, arrays, outs, fixed, over_classes, dtype, forms) -> None:
        classes = {a.shape[-1] if a.ndim else None for a, c in zip(outs, over_classes) if c}
        square = all(
            a.ndim >= 2 and a.shape[-2] == a.shape[-1] for a, c in zip(outs, over_classes) if c == 2
        )
        if None in classes or len(classes) != 1 or not square:
            sizes = ", ".join(
                f"{n} {a.shape}" for n, a, c in zip(names[1:], outs, over_classes) if c
            )
            raise ValueError(f"outputs over classes need one common last axis, got {sizes}")
        (self.k,) = classes
        self.target = target = arrays[0]
        self.given_outs = outs
        class_ndim = next(a.ndim for a, c in zip(outs, over_classes) if c)
        self.form = next((f for f in ("elementwise", "vector", "ranking") if f in forms), None)
        self.form = self.form or target_form(target, class_ndim)
        ranked = self.form == "ranking" and target.ndim and 0 < target.shape[-1] <= self.k
        if (
            self.form in ("vector", "ranking")
            and not ranked
            and (target.ndim == 0 or target.shape[-1] != self.k)
        ):
            first = next(n for n, c in zip(names[1:], over_classes) if c)
            raise ValueError(
                f"{names[0]}: expected vectors of {self.k} entries on the last axis (as {first}), "
                f"got shape {target.shape}"
            )
        if self.form == "rows" and target.shape[-1] != self.k:
            first = next(n for n, c in zip(names[1:], over_classes) if c)
            raise ValueError(
                f"{names[0]}: rows of {target.shape[-1]} classes, but {first} has {self.k} "
                "classes (last axis)"
            )
        batch = [target.shape[:-1] if self.form in ("rows", "vector", "ranking") else target.shape]
        batch += [a.shape[: a.ndim - c] for a, c in zip(outs, over_classes)]
        batch += [a.shape for a in fixed]
        self.shape = broadcast(names, batch)
        self.dtype = dtype
        self.outs = [
            numpy.broadcast_to(a.astype(dtype, copy=False), (*self.shape, *(self.k,) * c))
            if c
            else a.astype(dtype, copy=False)
            for a, c in zip(outs, over_classes)
        ]

    def call(self, kernels, keywords, reduction, weight, class_weight, eps, check) -> Call:
        """The :class:`Call` of the kernel for the target's form."""
        w_class = self.class_weights(class_weight, check)
        w = _weight(weight, self.shape, self.dtype, check)
        form, arguments, w, normalizer = self.arguments(self.target, w_class, eps, w)
        output_shapes = [a.shape for a in self.given_outs]
        return Call(
            kernels[form],
            arguments,
            keywords,
            output_shapes,
            self.shape,
            self.dtype,
            reduction,
            w,
            normalizer,
        )

    def class_weights(self, class_weight, check):
        """``class_weight`` checked and in the call's dtype, or None."""
        if class_weight is None:
            return None
        w_class = numpy.asarray(class_weight)
        if w_class.shape != (self.k,):
            raise ValueError(
                f"class_weight: expected one weight per class, shape ({self.k},), got shape "
                f"{w_class.shape}"
            )
        if check is not None:
            check("class_weight", [w_class], self.k)
        return w_class.astype(self.dtype, copy=False)

    def arguments(self, target, w_class, eps, w):
        """``(form, arguments, weight, normalizer)``: the kernel's form and arguments, the
        sample weights (times the target classes' weights for class indices) and what the
        mean divides by if not the weights."""
        k, shape, dtype, outs = self.k, self.shape, self.dtype, self.outs
        if self.form in ("elementwise", "vector"):
            return self.form, [target.astype(dtype, copy=False), *outs], w, None
        if self.form == "ranking":  # item indices, broadcast like the scores
            ranked = target.shape[-1]
            ranking = numpy.broadcast_to(target.astype(numpy.intp, copy=False), (*shape, ranked))
            return "ranking", [_completed(ranking, k), *outs, ranked], w, None
        if self.form == "rows":
            mass = target.astype(dtype, copy=False)
            if eps:
                mass = (1 - eps) * mass + eps / k
            if w_class is not None:
                mass = mass * w_class
            return "rows", [mass, *outs], w, None
        index = numpy.broadcast_to(target.astype(numpy.intp, copy=False), shape)
        picked = w_class[index] if w_class is not None else None
        if not eps:
            if picked is not None:
                w = picked if w is None else picked * w
            return "index", [index, *outs], w, None
        # y_k = a [k = c] + v_k with a = (1 - eps) w_c and v = eps w / K; the mean divides by
        # the summed weights of the targets' classes, as PyTorch does.
        spread = numpy.full(k, eps / k, dtype) if w_class is None else eps / k * w_class
        head = (1 - eps) * (picked if picked is not None else numpy.ones(shape, dtype))
        normalizer = None if picked is None else (picked if w is None else picked * w)
        arguments = [index, *outs, head.astype(dtype, copy=False), spread]
        return "index_smoothed", arguments, w, normalizer


def _completed(ranking, k):
    """Rankings of the top R of k items as full permutations, in C order: the unranked items
    after the ranked ones, in increasing order (only the pools they are in matter)."""
    ranked = ranking.shape[-1]
    if ranked == k:  # in C order, so that a ranking gives the same sums whatever its layout
        return ranking if ranking.flags.c_contiguous else numpy.ascontiguousarray(ranking)
    key = numpy.broadcast_to(numpy.arange(ranked, ranked + k), (*ranking.shape[:-1], k)).copy()
    numpy.put_along_axis(key, ranking, numpy.arange(ranked), -1)
    return numpy.argsort(key, axis=-1, kind="stable")


def _weight(weight, shape, dtype, check):
    if weight is None:
        return None
    w = numpy.asarray(weight)
    try:
        fits = numpy.broadcast_shapes(w.shape, shape) == shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"weight: shape {w.shape} does not broadcast to the loss shape {shape}")
    if check is not None:
        check("weight", [w], None)
    return w.astype(dtype, copy=False)
