r"""Printing stabilised sympy expressions as a NumPy/SciPy module.

One module holds three elementwise kernels over broadcast arrays, ``loss``, ``grad`` and
``loss_and_grad``. Common subexpressions of the loss and the gradient are eliminated together
(``sympy.cse``), so the fused kernel computes what they share once, and the loss-only kernel
computes nothing that only the gradient needs. The module imports only numpy and scipy.special,
so its source can be saved and used without sympy.

>>> import sympy
>>> x, y = sympy.symbols("x y", real=True)
>>> g = sympy.factor_terms(2 * (x - y))  # 2*(x - y), not 2*x - 2*y
>>> source = module_source(["y", "x"], [], (y - x) ** 2, [g])
>>> print(source.split("\n\n\n")[-2])
def loss_and_grad(y, x, *, _shape, _dtype, _scale, _total, _out=None):
    if y.shape != _shape:
        y = numpy.broadcast_to(y, _shape)
    if x.shape != _shape:
        x = numpy.broadcast_to(x, _shape)
    _b1 = numpy.empty(_shape, _dtype) if _out is None else _out[0]
    numpy.subtract(y, x, out=_b1)
    if _total:
        _loss = _sum_of_products(_b1, _b1)
    else:
        _loss = numpy.empty(_shape, _dtype)
        numpy.square(_b1, out=_loss)
    _g0 = _b1
    numpy.multiply(_g0, (-2 if _scale is None else -2 * _scale), out=_g0)
    return (_loss, _g0,)
"""

from __future__ import annotations

import re

import sympy
from sympy.printing.numpy import SciPyPrinter

from likelihoods.links import CLASSES as _CLASSES
from likelihoods.links import COMPONENT as _COMPONENT

from . import functions as F
from .fused import fused_kernel

HEADER = """\
import numpy
import scipy.special
"""

#: Helpers the printed code may call, by name; a module defines those its kernels use.
HELPERS = {
    "_xdivy": '''
def _xdivy(x, y):
    """x / y, and 0 where x is 0 (even where y is 0 or inf)."""
    with numpy.errstate(divide="ignore", invalid="ignore"):
        return numpy.where(x == 0, 0 * y, x / y)
''',
    # Not in scipy.special. Below x = 50, 1 - i1e/i0e loses at most log10(2x) < 2 digits;
    # above, the asymptotic series of I0 and I1 in 1/x (Abramowitz & Stegun 9.7.1) give
    # I0 - I1 and I0 as sums of positive terms, 40 of which reach full precision there.
    "_one_minus_i1_over_i0": '''
def _asymptotic_bessel_coefficients(terms=40):
    """Coefficients of e^-x sqrt(2 pi x) (I0(x) - I1(x)) and of e^-x sqrt(2 pi x) I0(x) in 1/x."""
    from fractions import Fraction
    from math import factorial
    gap, i0 = [], []
    for k in range(terms):
        a0, a1 = Fraction(1), Fraction(1)
        for j in range(1, k + 1):
            a0 *= (2 * j - 1) ** 2
            a1 *= (2 * j - 1) ** 2 - 4
        scale = Fraction(1, factorial(k) * 8**k)
        gap.append(float((a0 - a1) * scale))
        i0.append(float(a0 * scale))
    return numpy.array(gap[::-1]), numpy.array(i0[::-1])


_GAP_SERIES, _I0_SERIES = _asymptotic_bessel_coefficients()


def _one_minus_i1_over_i0(x):
    """1 - I1(x)/I0(x) for x >= 0, to a few ulps."""
    x = numpy.asarray(x)
    with numpy.errstate(divide="ignore", invalid="ignore"):
        out = 1 - scipy.special.i1e(x) / scipy.special.i0e(x)
        large = x > 50
        if numpy.any(large):
            z = 1 / x[large]
            out = numpy.array(out, copy=True)
            out[large] = numpy.polyval(_GAP_SERIES, z) / numpy.polyval(_I0_SERIES, z)
    return out
''',
    "_onehot": '''
def _onehot(index, classes, dtype):
    """Rows with a 1 at each class index and 0 elsewhere."""
    return (numpy.arange(classes) == index[..., None]).astype(dtype)
''',
    # What a kernel printed as whole expressions (outputs over classes) hands back: the loss
    # summed or per sample, each gradient scaled (a per-sample scale along the class axis).
    "_finish": """
def _finish(outputs, has_loss, shape, dtype, scale, total, arguments=()):
    outputs = [numpy.asarray(o, dtype) for o in outputs]
    if has_loss:
        loss = outputs[0] if outputs[0].shape == shape else numpy.broadcast_to(outputs[0], shape)
        outputs[0] = loss.sum(dtype=dtype) if total else numpy.array(loss)
    if scale is not None:
        s = numpy.asarray(scale)
        for k in range(1 if has_loss else 0, len(outputs)):
            g = outputs[k]
            factor = s[..., None] if s.ndim and g.ndim > len(shape) else s
            mine = g.flags.writeable and g.shape == numpy.broadcast_shapes(g.shape, factor.shape)
            if mine and not any(numpy.may_share_memory(g, a) for a in arguments):
                g *= factor  # a fresh array of the kernel's: scaled in place
            else:
                outputs[k] = g * factor
    return tuple(outputs)
""",
    # A few scratch arrays per thread, kept between calls: fresh memory costs page faults
    # (about as much as the arithmetic of a cheap loss), reused memory does not. Only the
    # latest shape and dtype are kept.
    "_scratch": '''
import threading

_POOL = threading.local()


def _scratch(shape, dtype, count):
    """``count`` reusable arrays of ``shape`` and ``dtype``, this thread's own."""
    pool = getattr(_POOL, "arrays", None)
    if pool is None or pool[0] != (shape, dtype) or len(pool[1]) < count:
        pool = ((shape, dtype), [numpy.empty(shape, dtype) for _ in range(count)])
        _POOL.arrays = pool
    return pool[1]
''',
    "_zeros": '''
import threading

_ZEROS = threading.local()


def _zeros(shape, dtype):
    """Zeros of ``shape`` and ``dtype`` to compare with (numpy.maximum(x, 0) runs twice as fast
    against an array of zeros as against the number), kept per thread for shapes up to a
    block of samples (see derivation.runtime.BLOCK); the number itself for larger ones."""
    size = 1
    for n in shape:
        size *= n
    if size > 1 << 17:
        return dtype.type(0)
    zeros = getattr(_ZEROS, "array", None)
    if zeros is None or zeros.shape != shape or zeros.dtype != dtype:
        zeros = numpy.zeros(shape, dtype)
        zeros.flags.writeable = False
        _ZEROS.array = zeros
    return zeros
''',
    "_fresh": '''
def _fresh(value, shape, dtype):
    """A helper's result as an array of the kernel's shape and dtype, free to write into."""
    value = numpy.asarray(value, dtype=dtype)
    if value.shape != shape or not value.flags.writeable:
        value = numpy.array(numpy.broadcast_to(value, shape))
    return value
''',
    "_sum_of_products": '''
def _sum_of_products(a, b):
    """sum(a * b) without storing the products."""
    if a.flags.c_contiguous and b.flags.c_contiguous:
        return numpy.dot(a.reshape(-1), b.reshape(-1))
    return numpy.einsum("...,...->", a, b)
''',
    # Not in scipy.special: log(i0e(x)) rounds i0e(x) ~ 1 - |x| near 1 and loses the x^2/4 of
    # log I0(x) below |x| = 1; there the power series of I0(x) - 1 gives it in full.
    "_log_i0e": '''
def _log_i0e(x):
    """log(I0(x) e^-|x|)."""
    x = numpy.abs(numpy.asarray(x))
    with numpy.errstate(divide="ignore"):
        out = numpy.log(scipy.special.i0e(x))
    small = x < 1
    if numpy.any(small):
        q = numpy.square(x[small] / 2)
        term, total = q.copy(), q.copy()
        for k in range(2, 24):  # (x^2/4)^k / k!^2 < 1e-17 (x^2/4)^1 by then
            term *= q / (k * k)
            total += term
        out = numpy.array(out, copy=True)
        out[small] = numpy.log1p(total) - x[small]
    return out
''',
    # numpy.take_along_axis and put_along_axis cost microseconds of bookkeeping per call,
    # which a kernel run block by block pays per block; one entry per row of a contiguous
    # array is picked by flat position instead.
    "_take": '''
def _row_entries(values, index):
    """Positions of values[..., index] in values.reshape(-1) (values C-contiguous, index
    of its shape without the last axis)."""
    k = values.shape[-1]
    return numpy.arange(0, index.size * k, k) + index.reshape(-1)


def _take(values, index):
    """values[..., index] for an array of class indices (one per sample)."""
    if values.shape[:-1] != index.shape:
        values = numpy.broadcast_to(values, index.shape + values.shape[-1:])
    if values.flags.c_contiguous:
        return values.reshape(-1).take(_row_entries(values, index)).reshape(index.shape)
    return numpy.take_along_axis(values, index[..., None], axis=-1)[..., 0]


def _put(values, index, column):
    """values[..., index] = column, in place."""
    if not values.flags.c_contiguous:  # reshape(-1) would copy
        column = numpy.broadcast_to(column, index.shape)
        numpy.put_along_axis(values, index[..., None], column[..., None], axis=-1)
        return
    if numpy.ndim(column):  # a number is set as it is
        column = numpy.broadcast_to(column, index.shape).reshape(-1)
    values.reshape(-1)[_row_entries(values, index)] = column
''',
    "_row_sum": '''
def _row_sum(values):
    """Sums over the last axis, as a product with ones: BLAS reads rows of a few entries ten
    times faster than numpy's reduction over a short last axis, as accurately."""
    values = numpy.asarray(values)
    return values @ numpy.ones(values.shape[-1], values.dtype)
''',
    # logsumexp(z) - max(z) = log1p(sum of exp(z_k - max z) over all but one maximal k): the
    # largest term, exp(0) = 1, is left out of the sum so the small rest keeps its digits.
    "_softmax_parts": '''
def _softmax_parts(z, probabilities):
    """max z, logsumexp(z) - max z and (if asked) softmax(z), over the last axis, from one
    (..., K) array: exp(z - max z), whose largest entry (exactly 1) is left out of the sum
    so that a logsumexp close to max z keeps its digits."""
    at_top = numpy.argmax(z, axis=-1)
    top = _take(z, at_top)
    shifted = numpy.subtract(z, top[..., None])
    numpy.exp(shifted, out=shifted)
    _put(shifted, at_top, 0.0)
    rest = _row_sum(shifted)
    excess = numpy.log1p(rest)
    if not probabilities:
        return top, excess, None
    total = rest + 1.0
    shifted /= total[..., None]
    _put(shifted, at_top, 1.0 / total)
    return top, excess, shifted
''',
    "_replace_column": '''
def _replace_column(values, index, column):
    """``values`` (a fresh array) with the entry of class ``index`` replaced by ``column``."""
    if values.shape[:-1] == index.shape:
        _put(values, index, column)
    else:
        numpy.put_along_axis(values, index[..., None], column[..., None], axis=-1)
    return values
''',
}


class KernelPrinter(SciPyPrinter):
    """SciPy printer that knows the named functions of :mod:`derivation.functions` and prints
    floats with all their digits.

    Vectors over classes live on the last array axis. An expression is printed either per
    sample (shape ``(...)``) or per class (shape ``(..., K)``, inside a sum over classes or for
    a gradient component): there, ``z[k]`` is the whole array ``z``, a per-sample array ``a``
    becomes ``a[..., None]``, ``z[c]`` for a class-index target ``c`` picks one entry per
    sample, and ``KroneckerDelta(k, c)`` is a one-hot mask.
    """

    def __init__(self, settings=None, arrays=(), class_index_target=None):
        super().__init__(settings or {"fully_qualified_modules": True, "inline": True})
        self._arrays = set(arrays)  # names of per-sample arrays (args, temporaries)
        self._target_index = class_index_target
        self._class_indices: set[sympy.Symbol] = set()
        # vectors whose max, lse_excess and softmax come from one _softmax_parts call:
        # name -> whether the probabilities are needed
        self.parts: dict[str, bool] = {}

    def print_output(self, expr: sympy.Expr, per_class: bool) -> str:
        saved = self._class_indices
        self._class_indices = {_COMPONENT} if per_class else set()
        try:
            return self._print(expr)
        finally:
            self._class_indices = saved

    def _per_sample(self, code: str) -> str:
        return f"({code})[..., None]" if self._class_indices else code

    def _print_Symbol(self, expr):
        if expr == _CLASSES:
            return "_K"
        name = super()._print_Symbol(expr)
        return f"{name}[..., None]" if self._class_indices and expr.name in self._arrays else name

    def _print_IndexedBase(self, expr):
        return str(expr.label)

    def _print_Indexed(self, expr):
        (index,) = expr.indices
        name = str(expr.base.label)
        if index in self._class_indices:
            return name
        if self._target_index is not None and index == self._target_index:
            return self._per_sample(f"_take({name}, {index.name})")
        raise ValueError(f"cannot print {expr}: index {index} is not a class index")

    def _print_Sum(self, expr):
        body, index = expr.function, expr.limits[0][0]
        saved = self._class_indices
        self._class_indices = saved | {index}
        try:
            code = f"_row_sum({self._print(body)})"
        finally:
            self._class_indices = saved
        return self._per_sample(code)

    def _print_KroneckerDelta(self, expr):
        a, b = expr.args
        index = b if a in self._class_indices else a
        return f"_onehot({index.name}, _K, _dtype)"

    def _print_logsumexp(self, expr):
        return self._per_sample(f"scipy.special.logsumexp({self._print(expr.args[0])}, axis=-1)")

    def _part(self, z: sympy.Expr, k: int) -> str:
        name = self._print(z)
        self.parts[name] = self.parts.get(name, False) or k == 2
        return f"_parts_{name}[{k}]"

    def _print_amax(self, expr):
        return self._per_sample(self._part(expr.args[0], 0))

    def _print_lse_excess(self, expr):
        return self._per_sample(self._part(expr.args[0], 1))

    def _print_softmax(self, expr):
        z, index = expr.args
        probabilities = self._part(z, 2)
        if index in self._class_indices:
            return probabilities
        return self._per_sample(f"_take({probabilities}, {self._print(index)})")

    def _print_replace_column(self, expr):
        values, index, column = expr.args
        saved = self._class_indices
        self._class_indices = set()
        try:
            at_target = self._print(column)
        finally:
            self._class_indices = saved
        code = self._print(values)
        if isinstance(values, (sympy.Indexed, sympy.Symbol)):
            code = f"numpy.array({code})"  # never write into an argument
        return f"_replace_column({code}, {index.name}, {at_target})"

    def _print_log_softmax(self, expr):
        return f"scipy.special.log_softmax({self._print(expr.args[0])}, axis=-1)"

    def _print_Float(self, expr):
        return repr(float(expr))

    def _print_NumberSymbol(self, expr):  # pi, E, EulerGamma, ...: only numpy is imported
        return repr(float(expr))

    _print_Pi = _print_Exp1 = _print_EulerGamma = _print_GoldenRatio = _print_NumberSymbol

    def _print_softplus(self, expr):
        return f"numpy.logaddexp(0, {self._print(expr.args[0])})"

    def _print_expit(self, expr):
        return f"scipy.special.expit({self._print(expr.args[0])})"

    def _print_xlogy(self, expr):
        return "scipy.special.xlogy({}, {})".format(*map(self._print, expr.args))

    def _print_xlog1py(self, expr):
        return "scipy.special.xlog1py({}, {})".format(*map(self._print, expr.args))

    def _print_xdivy(self, expr):
        return "_xdivy({}, {})".format(*map(self._print, expr.args))

    def _print_gammaln(self, expr):
        return f"scipy.special.gammaln({self._print(expr.args[0])})"

    def _print_log_i0e(self, expr):
        return f"_log_i0e({self._print(expr.args[0])})"

    def _print_one_minus_i1_over_i0(self, expr):
        return f"_one_minus_i1_over_i0({self._print(expr.args[0])})"

    def _print_UnevaluatedExpr(self, expr):
        return f"({self._print(expr.args[0])})"


def eliminate_common_subexpressions(
    exprs: list[sympy.Expr],
) -> tuple[list[tuple[sympy.Symbol, sympy.Expr]], list[sympy.Expr]]:
    """``sympy.cse`` over all of ``exprs`` at once, with reciprocals put back in place.

    A temporary ``t = 1/x`` turns every ``a/x`` into ``a*t``, two roundings instead of one:
    ``r/sigma`` would no longer be exactly 1 where ``r == sigma``.
    """
    # Temporaries are per sample: nothing that depends on a class index is pulled out. (K
    # itself is not ignored: every vector's shape holds it.)
    indices = {_COMPONENT}
    for e in exprs:
        for s in e.atoms(sympy.Sum):
            indices.update(limit[0] for limit in s.limits)
    replacements, reduced = sympy.cse(
        exprs,
        symbols=sympy.numbered_symbols("_t"),
        optimizations="basic",
        order="none",
        ignore=tuple(indices),
    )
    inline: dict[sympy.Symbol, sympy.Expr] = {}
    kept = []
    for symbol, value in replacements:
        value = value.xreplace(inline)
        if value.is_Pow and value.exp == -1:
            inline[symbol] = value
        else:
            kept.append((symbol, value))
    return kept, [e.xreplace(inline) for e in reduced]


def kernel_source(
    name: str,
    args: list[str],
    keyword_args: list[str],
    replacements: list[tuple[sympy.Symbol, sympy.Expr]],
    outputs: list[sympy.Expr],
    event_args: tuple[str, ...] = (),
    class_index_target: sympy.Symbol | None = None,
    has_loss: bool = True,
) -> str:
    """Source of ``def name(*args, *, keyword_args)`` returning the tuple of ``outputs``,
    keeping only the ``replacements`` (temporaries) that the outputs need. ``event_args`` are
    the arguments with a class axis; an output with a free component index is per class."""
    needed = set().union(*(o.free_symbols for o in outputs))
    kept = []
    for symbol, value in reversed(replacements):
        if symbol in needed:
            kept.append((symbol, value))
            needed |= value.free_symbols
    per_sample = [a for a in [*args, *keyword_args] if a not in event_args]
    printer = KernelPrinter(
        arrays=per_sample + [str(sym) for sym, _ in kept],
        class_index_target=class_index_target,
    )
    signature = ", ".join(args) + ", *, _shape, _dtype, _scale, _total"
    signature += "".join(f", {k}" for k in keyword_args)
    lines = [f"def {name}({signature}):"]
    if event_args:
        lines.append(f"    _K, _dtype = {event_args[0]}.shape[-1], {event_args[0]}.dtype")
    assignments = [
        (str(sym), printer.print_output(v, per_class=False)) for sym, v in reversed(kept)
    ]
    printed = [printer.print_output(o, per_class=_COMPONENT in o.free_symbols) for o in outputs]
    lines += [
        f"    _parts_{z} = _softmax_parts({z}, {probabilities})"
        for z, probabilities in printer.parts.items()
    ]
    body = [
        f"    return _finish(({', '.join(printed)},), {has_loss}, _shape, _dtype, _scale, _total, "
        f"({', '.join(args)},))"
    ]
    # A temporary may be needed only by a sum's bounds, which the printed code leaves out.
    for name_, code in reversed(assignments):
        if any(re.search(rf"\b{name_}\b", line) for line in body):
            body.insert(0, f"    {name_} = {code}")
    # Passes over the (..., K) arrays, for the runtime to run the kernel block by block:
    # _softmax_parts makes four (argmax, shift and exp, sum, normalise), an output per class
    # one more.
    passes = 4 * len(printer.parts) + sum(_COMPONENT in o.free_symbols for o in outputs)
    return "\n".join(lines + body) + f"\n\n\n{name}.passes = {passes}"


def kernels_source(
    args: list[str],
    keyword_args: list[str],
    loss: sympy.Expr,
    gradient: list[sympy.Expr],
    event_args: tuple[str, ...] = (),
    class_index_target: sympy.Symbol | None = None,
    prefix: str = "",
) -> tuple[list[str], str]:
    """The ``loss``, ``grad`` and ``loss_and_grad`` kernels (named with ``prefix``), and the
    names of the :data:`HELPERS` they call.

    Common subexpressions are eliminated once, over the loss and the gradient together; the
    loss-only and gradient-only kernels keep just the temporaries they need, so all three
    evaluate every output with the very same operations (bitwise equal results). Each kernel
    takes ``_shape``, ``_dtype``, ``_scale`` and ``_total`` (see
    :func:`derivation.fused.fused_kernel`); elementwise expressions are fused with reused
    buffers, expressions over classes printed whole.
    """
    replacements, (value, *grads) = eliminate_common_subexpressions([loss, *gradient])
    options = {"event_args": event_args, "class_index_target": class_index_target}
    wanted = (
        ("loss", value, []),
        ("grad", None, grads),
        ("loss_and_grad", value, grads),
    )
    if event_args:
        kernels = [
            kernel_source(
                f"{prefix}{name}",
                args,
                keyword_args,
                replacements,
                [loss_ for loss_ in [part] if loss_ is not None] + list(gradient_),
                has_loss=part is not None,
                **options,
            )
            for name, part, gradient_ in wanted
        ]
    else:
        printer = KernelPrinter()
        # fused kernels find shared subexpressions themselves, after lowering
        kernels = [
            fused_kernel(
                f"{prefix}{name}", args, keyword_args, loss, list(gradient), printer, *want
            )
            for name, want in (
                ("loss", (True, False)),
                ("grad", (False, True)),
                ("loss_and_grad", (True, True)),
            )
        ]
    code, helpers = list(kernels), set()
    while True:  # the helpers the kernels call, and those these call
        called = {h for h in HELPERS if h not in helpers and any(f"{h}(" in c for c in code)}
        if not called:
            break
        helpers |= called
        code += [HELPERS[h] for h in called]
    helpers = [h for h in HELPERS if h in helpers]
    if event_args:
        helpers.append("_finish")
    return helpers, "\n\n\n".join(kernels)


def module_source(
    args: list[str],
    keyword_args: list[str],
    loss: sympy.Expr,
    gradient: list[sympy.Expr],
    header: str = "",
    event_args: tuple[str, ...] = (),
    class_index_target: sympy.Symbol | None = None,
) -> str:
    """A module with the ``loss``, ``grad`` and ``loss_and_grad`` kernels of
    :func:`kernels_source` and the helpers they need."""
    helpers, kernels = kernels_source(
        args, keyword_args, loss, gradient, event_args, class_index_target
    )
    parts = [header + HEADER.strip(), *(HELPERS[h].strip() for h in helpers), kernels]
    return "\n\n\n".join(parts) + "\n"


def load(source: str, filename: str) -> dict:
    """Execute generated ``source`` and return its namespace (registered with linecache so
    tracebacks show the generated lines)."""
    import linecache

    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace: dict = {"__name__": filename}
    exec(compile(source, filename, "exec"), namespace)
    return namespace


# Every named function must be printable; fail at import, not at first compile.
assert all(hasattr(KernelPrinter, f"_print_{f.__name__}") for f in F.NAMED)

__all__ = [
    "KernelPrinter",
    "eliminate_common_subexpressions",
    "kernel_source",
    "kernels_source",
    "module_source",
    "load",
    "HEADER",
    "HELPERS",
]
