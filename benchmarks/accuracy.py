"""Print the worst error of every family's loss and gradients against the high-precision
oracle of ``tests/oracle.py``: ``python -m benchmarks.accuracy [--readme]`` (about half a
minute); with ``--readme``, also rewrite the README's accuracy table."""

from __future__ import annotations

import math
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parents[1] / "tests"))

from oracle import error_in_ulps, sweep  # noqa: E402

from support import all_variants, model_id  # noqa: E402


def table() -> str:
    lines = [
        "| model | values compared | median error, ulps | worst relative error | "
        "within 4 ulps or 1e-13 | beyond, within the inputs' conditioning |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for model in all_variants():
        records = [r for r in sweep(model, nll=True) if r.expected is not None]
        finite = [r for r in records if not math.isinf(float(r.expected))]
        ulps = sorted(error_in_ulps(r.got, r.expected) for r in finite)
        relative = [
            float(abs(r.got - r.expected) / abs(r.expected))
            for r in finite
            if abs(r.expected) >= 2.2250738585072014e-308  # normal floats: relative is meaningful
        ]
        strict = sum(1 for r in records if r.ok() and _strict(r))
        lines.append(
            f"| {model_id(model)} | {len(records)} | {ulps[len(ulps) // 2]:.2g} | "
            f"{max(relative, default=0.0):.2g} | {strict} | "
            f"{sum(1 for r in records if r.ok()) - strict} |"
        )
    return "\n".join(lines)


def _strict(record) -> bool:
    from oracle import acceptable

    return acceptable(record.got, record.expected)


START, END = "<!-- accuracy:start -->", "<!-- accuracy:end -->"

if __name__ == "__main__":
    text = table()
    print(text)
    if "--readme" in sys.argv:
        readme = pathlib.Path(__file__).parents[1] / "README.md"
        before, rest = readme.read_text().split(START, 1)
        _, after = rest.split(END, 1)
        readme.write_text(before + START + "\n" + text + "\n" + END + after)
