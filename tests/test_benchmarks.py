"""The benchmark suite keeps working: its quick run completes and writes its results (no time
is asserted)."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from benchmarks.second_order import SECOND_CASES, second_order_implementations
from benchmarks.table_cases import ALL_CASES

ROOT = pathlib.Path(__file__).parents[1]


def test_quick_benchmark_run(tmp_path):
    out = tmp_path / "results.json"
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads(out.read_text())
    cases = {entry["case"] for entry in results["cases"]}
    assert len(cases) == len(ALL_CASES) == 11
    for entry in results["cases"]:
        assert entry["ratio_to_hand_fused"]["hand-fused NumPy"] == 1.0
        assert "derive-the-loss" in entry["seconds"]
    assert set(results["derivation"]["families"]) <= set(results["memory"])
    timed = {entry["case"] for entry in results["second_order"]}
    assert timed == {case.name for case in SECOND_CASES}
    assert results["dask"]["ratio"] > 0
    for entry in results["boosting"]:
        assert set(entry["rounds_per_second"]) == {"derived", "built-in"}


def test_only_some_cases(tmp_path):
    out = tmp_path / "results.json"
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--only", "poisson", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Poisson: log link" in run.stdout
    assert "Gaussian" not in run.stdout and "Deriving" not in run.stdout
    assert not out.exists()


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda case: case.name)
def test_every_timed_alternative_computes_the_same_loss_and_gradient(case):
    implementations = case.make(case.quick, np.random.default_rng(3))
    loss, grads = implementations["derive-the-loss"]()
    for name in ("hand-fused NumPy", "PyTorch", "scikit-learn"):
        if name not in implementations:
            continue
        other_loss, other_grads = implementations[name]()
        other_grads = other_grads if isinstance(other_grads, (list, tuple)) else [other_grads]
        grads_ = grads if isinstance(grads, (list, tuple)) else [grads]
        np.testing.assert_allclose(other_loss, loss, rtol=1e-10, err_msg=name)
        for mine, theirs in zip(grads_, other_grads, strict=True):
            np.testing.assert_allclose(theirs, mine, rtol=1e-9, atol=1e-15, err_msg=name)


@pytest.mark.parametrize("case", SECOND_CASES, ids=lambda case: case.name)
def test_every_timed_second_order_alternative_computes_the_same_numbers(case):
    implementations = second_order_implementations(case, 2000, np.random.default_rng(5))
    gradient, hessian = implementations["derive-the-loss"]()
    for name in ("scikit-learn", "PyTorch autograd"):
        if name not in implementations:
            continue
        other_gradient, other_hessian = implementations[name]()
        np.testing.assert_allclose(other_gradient, gradient, rtol=1e-12, atol=1e-15, err_msg=name)
        np.testing.assert_allclose(other_hessian, hessian, rtol=1e-12, atol=1e-15, err_msg=name)
