"""One call of a compiled loss: its kernel run whole or block by block, the reduction, and the
gradients of the reduced loss (see :class:`Call`; :func:`derivation.runtime.prepare` makes
it). Only numpy is imported: standalone modules copy this source too.
"""

from __future__ import annotations

import numpy

#: Samples per block when a kernel runs block by block (512 KiB a float64 array: a kernel's
#: few temporaries of a block stay in the cache; measured best of 2^14 to 2^17 here).
BLOCK = 1 << 16
#: Kernels making at least this many passes over the samples run block by block.
BLOCKED_PASSES = 3


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

        When only the summed loss is wanted, a kernel may stand for some checks (its
        :data:`TRAITS`): its ``strict_in`` lists the arguments whose NaN or inf makes the
        total NaN or inf, its ``checked_in`` those it checks itself, making the total NaN on a
        bad value. Those are checked (and a bad value named) only if the total is not finite;
        of the other arrays in ``strict_in``, only the finite bounds are looked at."""
        total = self.reduction != "none" and self.weight is None
        scale = self._factor() if kernel != "loss" else None
        f = self.kernels[kernel]
        strict, checked, passes, _ = _traits(f)
        pending, self.check = self.check, None
        skip = vouched = frozenset()
        if pending is not None and total and has_loss(kernel) and self.size:
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
        first_gradient = 1 if has_loss(kernel) else 0
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
                if kernel != "loss" and _traits(f)[3]:  # the next blocks write into these
                    into = [numpy.empty(size, self.dtype) for _ in results[first_gradient:]]
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


#: What a generated kernel may say of itself, in one ``traits`` dict (each key optional):
#: ``passes`` (int), the passes it makes over the samples (kernels of many run block by
#: block); ``strict_in`` (positions), the arguments whose NaN or inf makes the summed loss NaN
#: or inf; ``checked_in`` (positions), those it checks itself as it reads them, making the
#: total NaN on a bad value; ``gradients_into`` (bool), whether it writes its gradients into
#: the arrays of ``_out``.
TRAITS = {"passes": 0, "strict_in": (), "checked_in": (), "gradients_into": False}


def _traits(kernel) -> tuple[frozenset, frozenset, int, bool]:
    """A kernel's :data:`TRAITS`: ``strict_in``, ``checked_in`` (as sets), ``passes`` and
    ``gradients_into``, read once."""
    try:
        return kernel._traits
    except AttributeError:
        said = getattr(kernel, "traits", {})
        unknown = set(said) - set(TRAITS)
        if unknown:
            raise TypeError(f"kernel {kernel.__name__}: unknown traits {sorted(unknown)}") from None
        traits = {**TRAITS, **said}
        kernel._traits = (
            frozenset(traits["strict_in"]),
            frozenset(traits["checked_in"]),
            traits["passes"],
            traits["gradients_into"],
        )
        return kernel._traits


def has_loss(kernel: str) -> bool:
    """Whether a kernel's first result is the loss: ``loss``, ``loss_and_grad`` and the
    ``grad_and_*`` kernels of second-order quantities."""
    return kernel in ("loss", "loss_and_grad") or kernel.startswith("grad_and_")


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
