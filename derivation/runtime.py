"""What a compiled loss does around its generated kernels: arrays and dtypes, broadcasting,
target forms, class weights and label smoothing, reductions, and gradients of the reduced loss.

Only numpy is imported, so this module's source is copied verbatim into the standalone modules
that :meth:`derivation.Derivation.to_python` writes. Checking values against their domains is
not done here (see :mod:`derivation.validation`); ``prepare`` calls a ``check`` hook for that.

Conventions follow PyTorch: ``"mean"`` averages the per-sample losses, ``"sum"`` adds them,
``"none"`` returns them; a ``weight`` gives ``sum(w l) / sum(w)`` for the mean. Gradients are
those of the reduced loss, one per raw output, summed over the axes it was broadcast along.
"""

from __future__ import annotations

import numpy

REDUCTIONS = ("mean", "sum", "none")

#: Samples per block when a kernel runs block by block (512 KiB a float64 array: a kernel's
#: few temporaries of a block stay in the cache; measured best of 2^14 to 2^17 here).
BLOCK = 1 << 16
#: Kernels making at least this many passes over the samples run block by block.
BLOCKED_PASSES = 3


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
    ``over_classes`` flags the outputs that have a last axis over classes. ``check(what,
    arrays, classes, block=None, skip=(), vouched=())`` raises on invalid values: on weights
    (``what`` is ``"weight"`` or ``"class_weight"``) always, on the target and outputs
    (``what`` is their form) if ``check_values``, leaving out the arrays at the positions in
    ``skip``, and looking at only the finite bounds of those in ``vouched``. An
    elementwise kernel's values are checked when it runs, block by block as it goes if it
    runs so (see :meth:`Call.run`). ``check.unbounded``, if there, lists the positions of
    arrays whose only invalid values are NaN and inf.
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
        arguments = [a.astype(dtype, copy=False) for a in (target, *outs)]
        call = Call(
            kernels["elementwise"],
            arguments,
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

    classes = {a.shape[-1] if a.ndim else None for a, c in zip(outs, over_classes) if c}
    if None in classes or len(classes) != 1:
        sizes = ", ".join(f"{n} {a.shape}" for n, a, c in zip(names[1:], outs, over_classes) if c)
        raise ValueError(f"outputs over classes need one common last axis, got {sizes}")
    (k,) = classes
    class_ndim = next(a.ndim for a, c in zip(outs, over_classes) if c)
    form = target_form(target, class_ndim)
    if form == "rows" and target.shape[-1] != k:
        first = next(n for n, c in zip(names[1:], over_classes) if c)
        raise ValueError(
            f"{names[0]}: rows of {target.shape[-1]} classes, but {first} has {k} classes "
            "(last axis)"
        )
    batch = [target.shape[:-1] if form == "rows" else target.shape]
    batch += [a.shape[:-1] if c else a.shape for a, c in zip(outs, over_classes)]
    batch += [a.shape for a in fixed]
    shape = broadcast(names, batch)
    if check is not None and check_values:
        check(form, arrays, k)
    w_class = None
    if class_weight is not None:
        w_class = numpy.asarray(class_weight)
        if w_class.shape != (k,):
            raise ValueError(
                f"class_weight: expected one weight per class, shape ({k},), got shape "
                f"{w_class.shape}"
            )
        if check is not None:
            check("class_weight", [w_class], k)
        w_class = w_class.astype(dtype, copy=False)
    eps = float(label_smoothing)
    if not 0.0 <= eps <= 1.0:
        raise ValueError(f"label_smoothing: expected a number in [0, 1], got {label_smoothing!r}")
    w = _weight(weight, shape, dtype, check)
    outs = [
        numpy.broadcast_to(a.astype(dtype, copy=False), (*shape, k))
        if c
        else a.astype(dtype, copy=False)
        for a, c in zip(outs, over_classes)
    ]
    normalizer = None
    if form == "rows":
        mass = target.astype(dtype, copy=False)
        if eps:
            mass = (1 - eps) * mass + eps / k
        if w_class is not None:
            mass = mass * w_class
        arguments = [mass, *outs]
    else:
        index = numpy.broadcast_to(target.astype(numpy.intp, copy=False), shape)
        picked = w_class[index] if w_class is not None else None
        if eps:
            # y_k = a [k = c] + v_k with a = (1 - eps) w_c and v = eps w / K; the mean
            # divides by the summed weights of the targets' classes, as PyTorch does.
            form = "index_smoothed"
            spread = numpy.full(k, eps / k, dtype) if w_class is None else eps / k * w_class
            head = (1 - eps) * (picked if picked is not None else numpy.ones(shape, dtype))
            arguments = [index, *outs, head.astype(dtype, copy=False), spread]
            if picked is not None:
                normalizer = picked if w is None else picked * w
        else:
            arguments = [index, *outs]
            if picked is not None:
                w = picked if w is None else picked * w
    return Call(
        kernels[form],
        arguments,
        keywords,
        [a.shape for a in arrays[1 : 1 + len(outs)]],
        shape,
        dtype,
        reduction,
        w,
        normalizer,
    )


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


class Call:
    """One call of a loss: the kernel arguments and what the reduction needs. ``shape`` is
    that of the per-sample loss; ``normalizer`` what the mean divides by, if not ``weight``.
    """

    def __init__(
        self,
        kernels,
        arguments,
        keywords,
        output_shapes,
        shape,
        dtype,
        reduction,
        weight,
        normalizer=None,
    ):
        self.kernels, self.arguments, self.keywords = kernels, arguments, keywords
        self.output_shapes, self.shape, self.dtype = output_shapes, shape, dtype
        self.reduction, self.weight, self.normalizer = reduction, weight, normalizer
        self.size = _size(shape)  # the number of samples
        self.check = None  # (hook, arrays as given): values to check as the kernel runs

    def run(self, kernel: str) -> tuple:
        """Call a kernel: it sums the loss itself when only its total is needed, and scales
        the gradient by what the reduction asks for. A kernel of many passes over large
        inputs runs block by block (see :data:`BLOCK`), checking the values of each block
        just before it computes on them, while they are in the cache.

        When only the summed loss is wanted, a kernel may stand for some checks: its
        ``strict_in`` lists the arguments whose NaN or inf makes the total NaN or inf, its
        ``checked_in`` those it checks itself, making the total NaN on a bad value. Those
        are checked (and a bad value named) only if the total is not finite; of the other
        arrays in ``strict_in``, only the finite bounds are looked at."""
        total = self.reduction != "none" and self.weight is None
        scale = self._factor() if kernel != "loss" else None
        f = self.kernels[kernel]
        strict, checked, passes = _traits(f)
        pending, self.check = self.check, None
        skip = vouched = frozenset()
        if pending is not None and total and kernel != "grad" and self.size:
            # An array whose NaN or inf makes the summed loss NaN or inf is vouched for, as
            # to NaN and inf, by a finite total (each of its values is in some sample, unless
            # there are none): that is checked only if the total is not finite, to tell an
            # invalid input from an overflow. Those that cannot be invalid otherwise (real
            # numbers) are not checked at all before.
            vouched = strict
            skip = strict & frozenset(getattr(pending[0], "unbounded", ()))
            # A kernel that checks values as it reads them makes its total NaN on a bad one.
            skip |= checked
        blockwise = passes + 1 >= BLOCKED_PASSES and self._blockwise(passes, pending, skip)
        if pending is not None and not blockwise and len(skip) < len(pending[1]):
            hook, given = pending
            hook("elementwise", given, None, skip=skip, vouched=vouched)
        with numpy.errstate(all="ignore"):  # overflow to inf is a result here, not an accident
            if blockwise:
                results = self._run_blocks(f, kernel, scale, total, pending, skip, vouched)
            else:
                results = f(
                    *self.arguments,
                    _shape=self.shape,
                    _dtype=self.dtype,
                    _scale=scale,
                    _total=total,
                    **self.keywords,
                )
        if (skip or vouched) and not numpy.isfinite(results[0]):
            pending[0]("elementwise", pending[1], None)
        return results

    def _row_length(self) -> int:
        """How many numbers each sample has in the arguments (K for arrays over classes, whose
        last axis follows the samples' shape); 0 if some argument has another shape or is
        not contiguous, so that the samples cannot be cut into blocks."""
        ndim, length = len(self.shape), 1
        for a in self.arguments:
            if not a.flags.c_contiguous or a.shape[:ndim] != self.shape or a.ndim > ndim + 1:
                return 0
            if a.ndim > ndim:
                length = max(length, a.shape[-1])
        return length

    def _blockwise(self, passes, pending, skip) -> bool:
        reads = pending is not None and any(
            numpy.ndim(a) and k not in skip for k, a in enumerate(pending[1])
        )
        if passes + reads < BLOCKED_PASSES:
            return False
        row = self._row_length()
        return (
            row > 0
            and self.size * row >= 2 * BLOCK
            and all(numpy.ndim(v) == 0 for v in self.keywords.values())
            and (pending is None or all(a.shape in (self.shape, ()) for a in pending[1]))
        )

    def _run_blocks(self, f, kernel, scale, total, pending, skip, vouched) -> tuple:
        """The kernel over consecutive blocks of the flattened samples (of about
        :data:`BLOCK` numbers, whole samples), results gathered; ``pending`` (hook, arrays as
        given) checks each block's values first, but for those at the positions in
        ``skip``, and those in ``vouched`` against their finite bounds only. A kernel that
        takes them (``gradients_into``) writes its gradients into the blocks of the results
        (``_out``), which saves copying them there."""
        size = self.size
        ndim = len(self.shape)
        flat = [a.reshape(size, *a.shape[ndim:]) for a in self.arguments]
        step = max(1, BLOCK // self._row_length())
        per_sample = scale is not None and numpy.ndim(scale) > 0
        if per_sample:
            scale = numpy.broadcast_to(scale, self.shape).reshape(-1)
        outputs = None
        into = None
        if kernel != "loss" and getattr(f, "gradients_into", False):
            into = [numpy.empty(size, self.dtype) for _ in self.output_shapes]
        first_gradient = 0 if kernel == "grad" else 1
        given = None if pending is None else [a.reshape(-1) if a.ndim else a for a in pending[1]]
        for start in range(0, size, step):
            part = slice(start, min(start + step, size))
            n = part.stop - part.start
            if given is not None:
                with numpy.errstate(all="warn"):  # the check's own arithmetic, as outside
                    pending[0](
                        "elementwise",
                        [a[part] if a.ndim else a for a in given],
                        None,
                        block=(start, self.shape),
                        skip=skip,
                        vouched=vouched,
                    )
            views = None if into is None else tuple(g[part] for g in into)
            results = f(
                *(a[part] for a in flat),
                _shape=(n,),
                _dtype=self.dtype,
                _scale=scale[part] if per_sample else scale,
                _total=total,
                **({} if views is None else {"_out": views}),
                **self.keywords,
            )
            if outputs is None:
                outputs = [
                    self.dtype.type(0)
                    if (k == 0 and total and numpy.ndim(r) == 0)
                    else into[k - first_gradient]
                    if into is not None and k >= first_gradient
                    else numpy.empty((size, *numpy.shape(r)[1:]), self.dtype)
                    for k, r in enumerate(results)
                ]
            for k, r in enumerate(results):
                if numpy.ndim(r) == 0:
                    outputs[k] += r
                elif views is None or k < first_gradient or r is not views[k - first_gradient]:
                    outputs[k][part] = r  # not written in place: copied
        return tuple(
            o if numpy.ndim(o) == 0 else o.reshape(*self.shape, *o.shape[1:]) for o in outputs
        )

    def loss(self):
        (values,) = self.run("loss")
        return self.reduce(values)

    def grad(self):
        return self.backward(self.run("grad"))

    def loss_and_grad(self):
        values, *grads = self.run("loss_and_grad")
        return self.reduce(values), self.backward(grads)

    def reduce(self, values):
        if self.reduction != "none" and self.weight is None:  # the kernel summed already
            total = self.dtype.type(values)
        else:
            values = numpy.asarray(values, dtype=self.dtype)
            if self.reduction == "none":
                return self._owned(values if self.weight is None else values * self.weight)
            total = (values * self.weight).sum(dtype=self.dtype)
        if self.reduction == "sum":
            return total
        count = self._count()
        if not count:
            return self.dtype.type(numpy.nan)
        if isinstance(count, int):  # a number of samples: nothing to warn about
            return self.dtype.type(total / count)
        with numpy.errstate(over="ignore"):  # summed weights below 1: an overflow is the result
            return self.dtype.type(total / count)

    def _count(self):
        """What the mean divides by: the number of samples, or the summed weights."""
        scale = self.normalizer if self.normalizer is not None else self.weight
        if scale is None:
            return self.size
        return numpy.broadcast_to(scale, self.shape).sum(dtype=self.dtype)

    def backward(self, grads) -> tuple:
        """The kernel's gradients (already scaled), summed back to each output's shape."""
        return tuple(
            self._owned(sum_to_shape(g, shape)) for g, shape in zip(grads, self.output_shapes)
        )

    def _owned(self, g):
        """``g``, or a copy of it if it is read-only or shares memory with an argument."""
        if g.flags.writeable:
            if g.base is None:  # an array of its own memory: shared only if an argument
                if all(g is not a for a in self.arguments):
                    return g
            elif not any(numpy.may_share_memory(g, a) for a in self.arguments):
                return g
        return numpy.array(g)

    def _factor(self):
        w = self.weight
        if self.reduction != "mean":
            return w
        count = self._count()
        if w is None:
            return self.dtype.type(1.0 / count) if count else None
        with numpy.errstate(invalid="ignore", divide="ignore", over="ignore"):
            return (w / count).astype(self.dtype, copy=False)


def _traits(kernel) -> tuple[frozenset, frozenset, int]:
    """A kernel's ``strict_in``, ``checked_in`` (as sets) and ``passes``, read once."""
    try:
        return kernel._traits
    except AttributeError:
        kernel._traits = (
            frozenset(getattr(kernel, "strict_in", ())),
            frozenset(getattr(kernel, "checked_in", ())),
            getattr(kernel, "passes", 0),
        )
        return kernel._traits


def _size(shape) -> int:
    """The number of elements of ``shape`` (``numpy.prod`` costs microseconds per call; this
    module imports nothing but numpy, so not ``math.prod``)."""
    size = 1
    for n in shape:
        size *= n
    return size


def sum_to_shape(g, shape):
    """Sum ``g`` over the axes along which an array of ``shape`` was broadcast."""
    if g.shape != shape:
        lead = g.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(
            lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1
        )
        g = g.sum(axis=axes, keepdims=True).reshape(shape) if axes else g.reshape(shape)
    return g
