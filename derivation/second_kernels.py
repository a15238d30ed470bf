"""The kernels of second-order quantities: the Hessian of the loss (kind ``"hess"``) or the
Fisher information (kind ``"fisher"``), alone or with the loss and the gradient in one pass.

For each target form (see :mod:`derivation.forms`) one module is printed per kind, on first
use, with six kernels: ``{kind}`` (the upper triangle of each sample's block, entry by
entry), ``{kind}_diagonal`` (its diagonal), ``grad_and_{kind}`` and
``grad_and_{kind}_diagonal`` returning ``(loss, *gradient, *entries)``, and
``grad_with_{kind}`` and ``grad_with_{kind}_diagonal`` returning ``(*gradient, *entries)``
(what a booster asks for: the loss' own work, a log1p for a logit, skipped). Entries are scaled by
the reduction as gradients are (they are second derivatives of the reduced loss). The loss
and the gradient are the very expressions of the first-order kernels.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from . import codegen
from .forms import Form, build, code_renaming, printable
from .fused import fused_kernel
from .kernel_printer import KernelPrinter
from .second_order import as_components, on_diagonal, stable_hessian
from .subexpressions import eliminate_common_subexpressions

#: The second-order quantities a compiled loss computes.
KINDS = ("hess", "fisher")


@functools.lru_cache(maxsize=128)
def second_parts(form: Form, outputs: tuple, constants: tuple[str, ...], fisher=None) -> dict:
    """What the kernels of one kind print: the first-order parts of
    :func:`derivation.forms.printable` with ``full`` (the upper triangle, row by row) and
    ``diagonal`` entries, renamed as the code names them. ``fisher``, if given, holds the
    entries ``((p, q), expression)`` of the Fisher information in place of the Hessian's."""
    parts = printable(form, outputs, constants)
    entries = dict(fisher) if fisher is not None else stable_hessian(form.expression, outputs)
    renaming, _ = code_renaming(form, outputs, constants, list(entries.values()))
    count = len(outputs)
    full = [as_components(entries[(p, q)]) for p in range(count) for q in range(p, count)]
    diagonal = [as_components(on_diagonal(entries[(p, p)])) for p in range(count)]
    return {
        **parts,
        "full": [e.xreplace(renaming) for e in full],
        "diagonal": [e.xreplace(renaming) for e in diagonal],
    }


def build_second(
    form: Form,
    outputs: tuple,
    constants: list[str],
    header: str,
    filename: str,
    kind: str,
    fisher=None,
) -> tuple[str, dict]:
    """Print and load the module of ``kind`` for ``form``: ``(source, kernels)``."""
    parts = second_parts(form, outputs, tuple(constants), fisher)
    source = header + module_source(parts, kind)
    namespace = codegen.load(source, filename)
    return source, {name: namespace[name] for name in kernel_names(kind)}


def kernel_names(kind: str) -> tuple[str, ...]:
    return (
        kind,
        f"{kind}_diagonal",
        f"grad_and_{kind}",
        f"grad_and_{kind}_diagonal",
        f"grad_with_{kind}",
        f"grad_with_{kind}_diagonal",
    )


#: Per kernel of :func:`kernel_names`: whether it returns the gradient, and the loss.
_RETURNS = ((False, False),) * 2 + ((True, True),) * 2 + ((True, False),) * 2


def module_source(parts: dict, kind: str) -> str:
    """The four kernels of ``kind`` and the helpers they call, as one module."""
    args, keyword_args = parts["args"], parts["keyword_args"]
    loss, gradient = parts["loss"], parts["gradient"]
    wanted = [
        (name, entries, returns)
        for name, entries, returns in zip(
            kernel_names(kind), (parts["full"], parts["diagonal"]) * 3, _RETURNS
        )
    ]
    if parts["event_args"]:
        count, entries = len(gradient), len(parts["full"])
        replacements, reduced = eliminate_common_subexpressions(
            [loss, *gradient, *parts["full"], *parts["diagonal"]]
        )
        first, full, diagonal = (
            reduced[: count + 1],
            reduced[count + 1 :][:entries],
            reduced[1 + count + entries :],
        )
        wanted = [(n, (full, diagonal)[k % 2], r) for k, (n, _, r) in enumerate(wanted)]
        kernels = [
            codegen.kernel_source(
                name,
                args,
                keyword_args,
                replacements,
                (first[1 - with_loss :] if with_gradient else []) + list(entries),
                event_args=parts["event_args"],
                class_index_target=parts["class_index_target"],
                has_loss=with_loss,
            )
            for name, entries, (with_gradient, with_loss) in wanted
        ]
    else:
        printer = KernelPrinter()
        kernels = [
            fused_kernel(
                name,
                args,
                keyword_args,
                loss,
                [*gradient, *entries] if with_gradient else list(entries),
                printer,
                want_loss=with_loss,
            )
            for name, entries, (with_gradient, with_loss) in wanted
        ]
    helpers = codegen.helpers_called(kernels) + (["_finish"] if parts["event_args"] else [])
    units = codegen.helper_units()
    sections = [codegen.HEADER.strip(), *(units[h].strip() for h in helpers), *kernels]
    return "\n\n\n".join(sections) + "\n"


@dataclass(frozen=True)
class ModuleBuilder:
    """Builds the modules of one target form of a compiled loss: ``builder()`` the
    first-order one (:func:`derivation.forms.build`), ``builder(kind)`` that of a
    second-order kind; ``fisher()`` gives the Fisher information's entries when needed."""

    form: Form
    outputs: tuple
    constants: tuple[str, ...]
    header: str
    label: str
    backend: str
    domains: tuple
    fisher: Callable[[], tuple]

    def __call__(self, kind: str | None = None) -> tuple[str, dict]:
        if kind is None:
            args = (self.header, f"{self.label}>", self.backend, list(self.domains))
            return build(self.form, self.outputs, list(self.constants), *args)
        entries = self.fisher() if kind == "fisher" else None
        label = f"{self.label} {kind}>"
        return build_second(
            self.form, self.outputs, list(self.constants), self.header, label, kind, entries
        )


__all__ = [
    "KINDS",
    "ModuleBuilder",
    "stable_hessian",
    "second_parts",
    "build_second",
    "kernel_names",
]
