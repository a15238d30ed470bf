"""Run the benchmark suite: ``python -m benchmarks [--quick] [--readme] [--out FILE]``, or
time some cases only, printing and writing nothing else: ``--only TEXT``."""

from __future__ import annotations

import os

# One thread for every library, BLAS included, before numpy is imported.
for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")
# numba's parallel loops (the one implementation on all cores) must not leave their threads
# spinning after a call: here that took the core from the next implementation timed (hand-
# fused NumPy for MSE at 1e6 ran 0.45 ms alone, 3 to 7 ms after a numba call).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import json  # noqa: E402
import pathlib  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402

from .cases import NUMBA_FIRST_CALL  # noqa: E402
from .costs import derivation_costs  # noqa: E402
from .dask_overhead import dask_overhead  # noqa: E402
from .memory import peak_ratios  # noqa: E402
from .report import format_tables, update_readme  # noqa: E402
from .second_order import boosting_rounds, format_second_order, time_second_order  # noqa: E402
from .table_cases import ALL_CASES as CASES  # noqa: E402
from .timing import interleaved  # noqa: E402

HERE = pathlib.Path(__file__).parent


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, few repeats")
    parser.add_argument("--readme", action="store_true", help="rewrite README's section")
    parser.add_argument("--out", default=str(HERE / "results.json"), help="results file")
    parser.add_argument(
        "--only", metavar="TEXT", help="time only the cases whose name contains TEXT; no file"
    )
    args = parser.parse_args(argv)
    if args.only and args.readme:
        parser.error("--readme needs every case; leave out --only")

    rng = np.random.default_rng(20261122)
    results = {"machine": _machine(), "quick": args.quick, "cases": []}
    for case in CASES:
        if args.only and args.only.lower() not in case.name.lower():
            continue
        sizes = (case.quick,) if args.quick else case.sizes
        for shape in sizes:
            implementations = case.make(shape, rng)
            # a round at 1e6 takes about half a second: many are cheap where noise is largest
            rounds = 3 if args.quick else (101 if np.prod(shape) <= 10**6 else 9)
            times = interleaved(implementations, rounds)
            base = times["hand-fused NumPy"]
            entry = {
                "case": case.name,
                "shape": list(shape),
                "seconds": times,
                "ratio_to_hand_fused": {name: t / base for name, t in times.items()},
            }
            results["cases"].append(entry)
            print(format_tables([entry]), flush=True)
    if args.only:
        return 0
    results["second_order"] = time_second_order(args.quick, rng)
    results["boosting"] = boosting_rounds(args.quick, rng)
    print(format_second_order(results["second_order"], results["boosting"]), flush=True)
    results["dask"] = dask_overhead(args.quick, rng)
    if results["dask"]:
        d = results["dask"]
        print(f"\ndask over NumPy, one chunk of {d['samples']:.0e}: {d['ratio']:.2f}x")
    results["derivation"] = derivation_costs(quick=args.quick)
    print(format_tables([], results["derivation"]))
    results["numba_first_call_seconds"] = dict(NUMBA_FIRST_CALL)
    for name, seconds in NUMBA_FIRST_CALL.items():
        print(f"  numba backend, first call (compiling) of {name}: {seconds:.2f} s")
    results["memory"] = peak_ratios(10**4 if args.quick else 10**7)
    for name, ratio in results["memory"].items():
        print(f"  peak memory of loss_and_grad, {name:24s} {ratio:.2f} x the inputs")
    pathlib.Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print(f"results written to {args.out}")
    if args.readme:
        update_readme(HERE.parent / "README.md", results)
        print("README performance section rewritten")
    return 0


def _machine() -> dict:
    return {
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }


if __name__ == "__main__":
    raise SystemExit(main())
