"""Tables of benchmark results, for the terminal and for the README."""

from __future__ import annotations

import pathlib

START, END = "<!-- benchmarks:start -->", "<!-- benchmarks:end -->"


def _shape(shape) -> str:
    return " x ".join(f"{n:.0e}".replace("e+0", "e") for n in shape)


def format_tables(entries: list[dict], derivation: dict | None = None) -> str:
    lines = []
    for e in entries:
        lines.append(f"\n{e['case']}, {_shape(e['shape'])}")
        for name, seconds in sorted(e["seconds"].items(), key=lambda kv: kv[1]):
            ratio = e["ratio_to_hand_fused"][name]
            lines.append(f"  {name:34s} {seconds * 1e3:10.3f} ms   {ratio:6.2f}x")
    if derivation:
        lines.append("\nDeriving and compiling")
        for name, d in derivation["families"].items():
            lines.append(
                f"  {name:24s} cold {d['cold_seconds']:6.3f} s   "
                f"warm {d['warm_seconds'] * 1e6:7.1f} us"
            )
        lines.append(
            f"  importing the library {derivation['import_library_seconds']:.3f} s; "
            f"numpy, scipy.special and sympy {derivation['import_numpy_scipy_sympy_seconds']:.3f} s"
        )
    return "\n".join(lines)


def markdown(results: dict) -> str:
    names = []
    for e in results["cases"]:
        for name in e["seconds"]:
            if name not in names:
                names.append(name)
    header = "| case | " + " | ".join(names) + " |"
    rule = "| --- |" + " --- |" * len(names)
    rows = []
    for e in results["cases"]:
        cells = []
        for name in names:
            if name in e["seconds"]:
                ms = e["seconds"][name] * 1e3
                cells.append(f"{e['ratio_to_hand_fused'][name]:.2f}x ({ms:.3g} ms)")
            else:
                cells.append("n/a")
        rows.append(f"| {e['case']}, {_shape(e['shape'])} | " + " | ".join(cells) + " |")
    d = results["derivation"]
    cost = ", ".join(
        f"{name} {v['cold_seconds']:.2f} s / {v['warm_seconds'] * 1e6:.0f} us"
        for name, v in d["families"].items()
    )
    m = results["machine"]
    memory = ", ".join(f"{name} {ratio:.2f}" for name, ratio in results.get("memory", {}).items())
    first = ", ".join(
        f"{name} {seconds:.1f} s"
        for name, seconds in results.get("numba_first_call_seconds", {}).items()
    )
    lines = [
        "Ratios to hand-fused NumPy in the same run (median time in parentheses; lower is "
        f"faster), one thread, {m['cpus']} cores, Python {m['python']}, NumPy {m['numpy']}:",
        "",
        header,
        rule,
        *rows,
        "",
        f"Deriving and compiling, cold (new process) / warm (cached): {cost}. Importing the "
        f"library takes {d['import_library_seconds']:.2f} s (sympy with it; scipy.special "
        "waits for the first compiled loss); importing numpy, scipy.special and sympy "
        f"alone, {d['import_numpy_scipy_sympy_seconds']:.2f} s. Peak memory of one "
        "`loss_and_grad` call on 1e7 samples (scratch arrays and results, over the inputs' "
        f"size): {memory}. The numba backend's first call "
        f"compiles it: {first or 'not measured (numba not installed)'}. Regenerate with "
        "`python -m benchmarks --readme`.",
    ]
    return "\n".join(lines + _second_order_lines(results))


def _second_order_lines(results: dict) -> list[str]:
    """The table of ``grad_and_hess`` against scikit-learn and PyTorch autograd, and the
    boosting rounds per second (see :mod:`benchmarks.second_order`)."""
    entries = results.get("second_order", [])
    if not entries:
        return []
    names = list(dict.fromkeys(name for e in entries for name in e["seconds"]))
    lines = [
        "",
        'Second order: `grad_and_hess(y, z, reduction="none")` (loss, gradient and diagonal '
        "Hessian; with `loss=False` the gradient and the Hessian only) against "
        "scikit-learn's `gradient_hessian` (gradient and Hessian, one thread) and PyTorch "
        "autograd (gradient, then the gradient of its sum), as ratios to "
        "scikit-learn in the same run:",
        "",
        "| case | " + " | ".join(names) + " |",
        "| --- |" + " --- |" * len(names),
    ]
    for e in entries:
        cells = [
            f"{e['ratio'][n]:.2f}x ({e['seconds'][n] * 1e3:.3g} ms)" if n in e["seconds"] else "n/a"
            for n in names
        ]
        lines.append(f"| {e['case']}, {_shape(e['shape'])} | " + " | ".join(cells) + " |")
    overhead = results.get("dask")
    if overhead:
        lines += [
            "",
            f"Over dask arrays, `loss_and_grad` on one chunk of {overhead['samples']:,} samples "
            "(synchronous scheduler) takes "
            f"{overhead['ratio']:.2f}x the time on NumPy arrays.",
        ]
    boosting = results.get("boosting", [])
    if boosting:
        rates = ", ".join(
            f"{b['case']} {b['ratio']:.2f}x ({b['rounds_per_second']['derived']:.1f} / "
            f"{b['rounds_per_second']['built-in']:.1f})"
            for b in boosting
        )
        lines += [
            "",
            f"Boosting, {boosting[0]['rows']:,} rows, one thread: rounds per second with the "
            f"derived objective over the built-in one (derived / built-in): {rates}.",
        ]
    return lines


def update_readme(path: pathlib.Path, results: dict) -> None:
    text = path.read_text()
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    path.write_text(before + START + "\n" + markdown(results) + "\n" + END + after)
