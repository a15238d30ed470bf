"""The accuracy audit of every family (``derivation.audit``) as one table: per model, the
values compared, the median error in ulps, the worst relative error, how many are within 4
ulps or 1e-13, how many beyond that within the inputs' conditioning, and how many fail.

    python -m benchmarks.accuracy [--readme] [--full]

The models are every family's default and each parameter through its domain's default link
or the identity (``--full``: every link that fits, as ``DERIVE_FULL_AUDIT=1`` in the tests);
a model the tests list as a known failure is shown with its reason, not swept. ``--readme``
also rewrites the README's accuracy table."""

from __future__ import annotations

import math
import pathlib
import sys

import likelihoods as lk
from derivation.audit import acceptable, error_in_ulps, sweep

sys.path.insert(0, str(pathlib.Path(__file__).parents[1] / "tests"))
from test_oracle import KNOWN_MODELS  # noqa: E402  (the known failures and their reasons)

START, END = "<!-- accuracy:start -->", "<!-- accuracy:end -->"


def _models(full: bool) -> list[lk.NoiseModel]:
    out = []
    for cls in lk.REGISTRY.values():
        for model in [cls()] + [
            cls(**{p.name: link})
            for p in cls.parameters
            for link, candidate in lk.LINKS.items()
            if candidate.fits(p.domain)
            and (full or link in ("identity", lk.DEFAULT_LINK.get(p.domain.name)))
        ]:
            if model not in out:
                out.append(model)
    return out


def row(model: lk.NoiseModel) -> str:
    name = repr(model).replace("'", "")
    known = KNOWN_MODELS.get(f"{name}-nll")
    if known:
        return f"| {name} | known to fail: {known} | | | | | |"
    try:
        swept = sweep(model, nll=True)
    except ValueError as refusal:  # a model the grid cannot sweep says why
        return f"| {name} | not swept: {str(refusal).removeprefix('audit: ')} | | | | | |"
    records = [r for r in swept if r.expected is not None]
    finite = [r for r in records if not math.isinf(float(r.expected))]
    ulps = sorted(error_in_ulps(r.got, r.expected) for r in finite)
    relative = [
        float(abs(r.got - r.expected) / abs(r.expected))
        for r in finite
        if abs(r.expected) >= 2.2250738585072014e-308  # normal floats: relative is meaningful
    ]
    passed = [r.ok() for r in records]
    strict = sum(1 for r, ok in zip(records, passed) if ok and acceptable(r.got, r.expected))
    worst = max(relative, default=0.0)
    return (
        f"| {name} | {len(records)} | {ulps[len(ulps) // 2]:.2g} | {worst:.2g} | {strict} | "
        f"{sum(passed) - strict} | {len(records) - sum(passed)} |"
    )


def table(full: bool = False) -> str:
    lines = [
        "| model | values compared | median error, ulps | worst relative error | "
        "within 4 ulps or 1e-13 | beyond, within the inputs' conditioning | failed |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for model in _models(full):
        lines.append(row(model))
        print(lines[-1], flush=True)
    return "\n".join(lines)


if __name__ == "__main__":
    text = table(full="--full" in sys.argv)
    if "--readme" in sys.argv:
        readme = pathlib.Path(__file__).parents[1] / "README.md"
        before, rest = readme.read_text().split(START, 1)
        _, after = rest.split(END, 1)
        readme.write_text(before + START + "\n" + text + "\n" + END + after)
