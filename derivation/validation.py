"""Checking numeric input against declared domains, with messages that say what was expected,
what came, and where.

>>> import numpy as np
>>> from likelihoods.constraints import positive
>>> check_domain("sigma", np.array([1.0, 0.0]), positive, "a scale")
Traceback (most recent call last):
...
ValueError: sigma: expected a scale in (0, inf), got 0.0 at index (1,)
"""

from __future__ import annotations

import math

import numpy as np

from likelihoods.constraints import Domain, unit_interval


def as_array(name: str, value: object) -> np.ndarray:
    """``np.asarray(value)``, refusing anything that is not real numbers."""
    try:
        array = np.asarray(value)
    except Exception as error:  # ragged lists and the like
        raise ValueError(f"{name}: expected an array of real numbers, got {value!r}") from error
    if array.dtype.kind not in "biuf":
        raise ValueError(
            f"{name}: expected an array of real numbers, got dtype {array.dtype} ({value!r:.60})"
        )
    return array


def check_domain(
    name: str,
    array: np.ndarray,
    domain: Domain,
    what: str,
    block: tuple[int, tuple[int, ...]] | None = None,
    nonfinite_shown: bool = False,
) -> None:
    """Raise ``ValueError`` unless every element of ``array`` is finite and inside ``domain``.

    ``block = (offset, shape)`` says a 1-d ``array`` is the flattened samples from ``offset``
    on of an array of ``shape``, so that an offending element is reported at its index there
    (a 0-d ``array``, a scalar beside them, has no index). ``nonfinite_shown`` says that a
    NaN or inf in ``array`` is sure to be seen elsewhere (it makes a loss non-finite that is
    looked at): then an infinite bound is not looked at, only the finite ones."""
    if array.size == 0:
        return
    if nonfinite_shown and array.dtype.kind == "f":
        # the least and the greatest value only where they have a finite bound to respect
        low = array.min() if math.isfinite(domain.lower) else None
        high = array.max() if math.isfinite(domain.upper) else None
        inside = _within(domain, low, high)  # a NaN among them fails it
    elif array.dtype.kind == "f" and math.isinf(domain.lower) and math.isinf(domain.upper):
        # The real line: only NaN and inf are out, and they make x.x non-finite (so does an
        # overflow of finite values, which the elementwise check below clears). A dot product
        # reads the array once, without a temporary.
        flat = array.reshape(-1) if array.flags.c_contiguous else array.ravel()
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is not an error
            inside = math.isfinite(np.dot(flat, flat))
    elif array.dtype.kind == "f":
        low, high = array.min(), array.max()  # NaN propagates through both
        inside = math.isfinite(low) and math.isfinite(high) and _within(domain, low, high)
    else:
        inside = _within(domain, array.min(), array.max())
    if inside and domain.integer and array.dtype.kind == "f":
        inside = _all_integers(array)
    if inside:
        return
    bad = ~_elementwise(domain, array)
    if not bad.any():
        return
    index = tuple(int(i) for i in np.argwhere(bad)[0]) if array.ndim else ()
    value = (array[index] if array.ndim else array[()]).item()
    if block is not None and index:
        offset, shape = block
        index = tuple(int(i) for i in np.unravel_index(offset + index[0], shape))
    where = f" at index {index}" if index else ""
    raise ValueError(f"{name}: expected {what} in {domain.describe()}, got {value!r}{where}")


def _all_integers(array: np.ndarray, chunk: int = 1 << 15) -> bool:
    """Whether every element is a whole number, in chunks small enough for the cache (one
    pass over the data, no array-sized temporary)."""
    flat = array.reshape(-1)
    scratch = np.empty(min(chunk, flat.size), flat.dtype)
    for start in range(0, flat.size, chunk):
        part = flat[start : start + chunk]
        whole = scratch[: part.size]
        np.floor(part, out=whole)
        if not np.array_equal(whole, part):
            return False
    return True


def _within(domain: Domain, low, high) -> bool:
    """Whether the least value ``low`` and the greatest ``high`` are inside ``domain`` (a
    bound given as None is not looked at)."""
    above = low is None or low > domain.lower or (low == domain.lower and not domain.lower_open)
    below = high is None or high < domain.upper or (high == domain.upper and not domain.upper_open)
    return bool(above and below)


def _elementwise(domain: Domain, array: np.ndarray) -> np.ndarray:
    ok = np.isfinite(array) if array.dtype.kind == "f" else np.ones(array.shape, bool)
    ok &= (array > domain.lower) | ((array == domain.lower) & (not domain.lower_open))
    ok &= (array < domain.upper) | ((array == domain.upper) & (not domain.upper_open))
    if domain.integer:
        ok &= np.floor(array) == array
    return ok


def check_rows(name: str, array: np.ndarray, what: str) -> None:
    """Rows over the last axis on the probability simplex: entries in [0, 1], sums of 1 (to
    8 K float32 epsilons, so that rows computed in float32 pass in either precision)."""
    check_domain(name, array, unit_interval, f"{what} entries")
    if array.size == 0:
        return
    sums = array.sum(axis=-1, dtype=np.float64)
    off = np.abs(sums - 1) > 8 * array.shape[-1] * np.finfo(np.float32).eps
    if off.any():
        index = tuple(int(i) for i in np.argwhere(off)[0]) if off.ndim else ()
        raise ValueError(
            f"{name}: expected {what} rows summing to 1 over the last axis, got a row summing to "
            f"{float(sums[index])!r} at index {index}"
        )


def check_lower_triangular(name: str, array: np.ndarray, domain: Domain, what: str) -> None:
    """Matrices over the last two axes, zero above the diagonal, their entries in the
    domain's interval (the diagonal in (0, inf) if it must be positive)."""
    if array.ndim < 2 or array.shape[-1] != array.shape[-2]:
        raise ValueError(
            f"{name}: expected {what} of shape (..., K, K) (square over the last two axes), got "
            f"shape {array.shape}"
        )
    check_domain(name, array, domain.entries, f"{what} entries")
    size = array.shape[-1]
    upper = np.triu(np.ones((size, size), bool), 1)
    nonzero = upper & (array != 0)
    if nonzero.any():
        index = tuple(int(i) for i in np.argwhere(nonzero)[0])
        raise ValueError(
            f"{name}: expected {what} in {domain.describe()}, got {array[index].item()!r} above "
            f"the diagonal at index {index}"
        )
    diagonal = np.diagonal(array, axis1=-2, axis2=-1)
    if domain.positive_diagonal and diagonal.size and not diagonal.min() > 0:
        bad = np.argwhere(~(diagonal > 0))[0]
        index = (*(int(i) for i in bad), int(bad[-1]))
        raise ValueError(
            f"{name}: expected {what} with a diagonal in (0, inf), got {array[index].item()!r} "
            f"at index {index}"
        )


def check_permutation(name: str, array: np.ndarray, what: str, items: int | None = None) -> None:
    """Rows over the last axis of distinct item indices in 0, ..., items - 1 (a full ranking
    when as long as that, the top ones otherwise; ``items`` is the row's length if not
    given): a repeated or out-of-range item is named with its row."""
    size = items if items is not None else (array.shape[-1] if array.ndim else 0)
    items = Domain(f"items below {size}", 0.0, size - 1.0, False, False, integer=True)
    check_domain(name, array, items, f"{what} entries (item indices)")
    if array.size == 0:
        return
    ordered = np.sort(array, axis=-1)
    repeated = ordered[..., 1:] == ordered[..., :-1]
    if repeated.any():
        at = tuple(int(i) for i in np.argwhere(repeated)[0])
        row, item = at[:-1], ordered[at].item()
        raise ValueError(
            f"{name}: expected {what} rows of distinct items of 0, ..., {size - 1}, got item "
            f"{item!r} twice in the row at index {row}"
        )


def check_class_index(name: str, array: np.ndarray, classes: int) -> None:
    """Integer class indices in {0, ..., classes - 1}."""
    domain = Domain(f"classes below {classes}", 0.0, classes - 1.0, False, False, integer=True)
    check_domain(name, array, domain, f"class indices for {classes} classes")


__all__ = [
    "as_array",
    "check_domain",
    "check_rows",
    "check_class_index",
    "check_lower_triangular",
    "check_permutation",
]
