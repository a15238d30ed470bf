"""The parts of a compiled loss around its kernels: its arguments, its kernels built on
first use, and the check hook that validates a call's values."""

from __future__ import annotations

import math
from dataclasses import dataclass

from likelihoods.constraints import Domain, nonnegative

from .second_kernels import KINDS
from .validation import (
    check_class_index,
    check_domain,
    check_lower_triangular,
    check_permutation,
    check_rows,
)


@dataclass(frozen=True)
class Argument:
    """A positional or keyword argument of a compiled loss, with what it must hold."""

    name: str
    domain: Domain
    what: str


class LazyKernels:
    """The kernels of one target form, built on first use: the first-order module's, and
    each second-order kind's module (see :mod:`derivation.second_kernels`) when one of its
    kernels is first asked for."""

    def __init__(self, loss, form: str) -> None:
        self._loss, self._name = loss, form
        self._kernels: dict = {}

    def __getitem__(self, kernel: str):
        if kernel not in self._kernels:  # each module built once, under the loss's lock
            kind = next((k for k in KINDS if kernel.endswith((k, f"{k}_diagonal"))), None)
            built = self._loss._form(self._name, kind)[1]
            self._kernels.update(built)
        return self._kernels[kernel]


class Checker:
    """The check hook (the protocol in :mod:`derivation.runtime`): domains, NaN and inf."""

    def __init__(self, specs: tuple[Argument, ...]) -> None:
        self._specs = specs
        #: Positions of the arguments whose only invalid values are NaN and inf.
        self.unbounded = tuple(
            k
            for k, spec in enumerate(specs)
            if spec.domain.lower == -math.inf
            and spec.domain.upper == math.inf
            and not (spec.domain.integer or spec.domain.event)
        )

    def __call__(self, what: str, arrays, classes, block=None, skip=(), vouched=()) -> None:
        if what == "weight":
            check_domain("weight", arrays[0], nonnegative, "a sample weight")
            return
        if what == "class_weight":
            check_domain("class_weight", arrays[0], nonnegative, "a class weight")
            return
        target_spec, *rest = self._specs
        for k, (spec, array) in enumerate(zip(rest, arrays[1:]), 1):
            if k in skip:
                continue
            if spec.domain.sums_to_one:
                check_rows(spec.name, array, spec.what)
            elif spec.domain.matrix:
                check_lower_triangular(spec.name, array, spec.domain, spec.what)
            elif spec.domain.event:
                check_domain(spec.name, array, spec.domain.entries, spec.what)
            else:
                check_domain(spec.name, array, spec.domain, spec.what, block, k in vouched)
        if what == "rows":
            check_rows(target_spec.name, arrays[0], target_spec.what)
        elif what == "ranking":
            check_permutation(target_spec.name, arrays[0], target_spec.what, classes)
        elif what == "vector":
            domain = target_spec.domain.entries
            check_domain(target_spec.name, arrays[0], domain, f"{target_spec.what} entries")
        elif what == "index":
            check_class_index(target_spec.name, arrays[0], classes)
        elif 0 not in skip:
            target = target_spec.name, arrays[0], target_spec.domain, target_spec.what
            check_domain(*target, block, 0 in vouched)


__all__ = ["Argument", "LazyKernels", "Checker"]
