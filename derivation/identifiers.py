"""The names generated code gives a family's target, outputs and fixed parameters.

Generated modules own their namespace: their own locals, temporaries and helpers all start
with an underscore, and they import a few modules. A declared name that is a Python keyword,
a builtin or one of those modules is written with underscores appended until it is none of
these and no other argument's name (one that starts with an underscore takes a ``v`` in
front first); every other name is kept, so the generated source reads like the declaration.

>>> code_names(["y", "lambda", "numpy", "lambda_", "_x"])
{'y': 'y', 'lambda': 'lambda__', 'numpy': 'numpy_', 'lambda_': 'lambda_', '_x': 'v_x'}
"""

from __future__ import annotations

import builtins
import keyword
from collections.abc import Iterable

#: Modules generated code imports by these names (numba's parallel loops are compiled from
#: code of numba's own that calls numpy ``np``).
MODULES = frozenset({"numpy", "np", "scipy", "math", "numba", "llvmlite", "threading"})


def is_free(name: str) -> bool:
    """Whether generated code can use ``name`` as it is."""
    return not (
        keyword.iskeyword(name)
        or keyword.issoftkeyword(name)
        or hasattr(builtins, name)
        or name in MODULES
        or name.startswith("_")
    )


def code_names(names: Iterable[str]) -> dict[str, str]:
    """Each declared name -> the identifier generated code uses for it (distinct ones)."""
    names = list(names)
    out: dict[str, str] = {}
    for name in names:
        if not name.isidentifier():
            raise ValueError(f"expected a Python identifier, got {name!r}")
        code = f"v{name}" if name.startswith("_") else name
        while not is_free(code) or code in out.values() or (code != name and code in names):
            code += "_"
        out[name] = code
    return out


__all__ = ["code_names", "is_free", "MODULES"]
