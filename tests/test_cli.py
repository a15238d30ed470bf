"""The derive-loss command: exit codes and output."""

from __future__ import annotations

import subprocess
import sys

import pytest

import likelihoods as lk
from derivation.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_no_arguments_prints_an_overview(capsys):
    code, out, _ = run(capsys)
    assert code == 0
    assert "mean squared error" in out and "binary cross-entropy with logits" in out
    for name in lk.REGISTRY:
        assert name in out
    assert "derive-loss --list" in out


@pytest.mark.parametrize(
    "fmt, marker", [("text", "5. Loss"), ("latex", r"\begin{align*}"), ("markdown", "$$")]
)
def test_one_model_in_each_format(capsys, fmt, marker):
    code, out, _ = run(capsys, "Gaussian", "--sigma", "log", "--format", fmt)
    assert code == 0 and marker in out
    assert "eta" in out


def test_fixed_number(capsys):
    code, out, _ = run(capsys, "Laplace", "--b", "0.5")
    assert code == 0 and "mean absolute error" in out


def test_list(capsys):
    code, out, _ = run(capsys, "--list")
    assert code == 0
    for name in [*lk.REGISTRY, *lk.LINKS]:
        assert name in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["Foo"], "unknown model 'Foo'; expected one of"),
        (["Gaussian", "--tau", "1"], "its parameters are --mu, --sigma"),
        (["Gaussian", "--sigma"], "needs a value"),
        (["Gaussian", "--sigma", "probit"], "unknown link 'probit'"),
        (["Gaussian", "--sigma", "0"], "expected a value in (0, inf)"),
        (["--list", "Gaussian"], "--list takes no model"),
    ],
)
def test_bad_arguments_exit_non_zero(capsys, argv, message):
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert message in err


def test_bad_format_and_help():
    bad = subprocess.run(
        [sys.executable, "-m", "derivation.cli", "Gaussian", "--format", "pdf"],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "invalid choice: 'pdf'" in bad.stderr
    helped = subprocess.run(
        [sys.executable, "-m", "derivation.cli", "--help"], capture_output=True, text=True
    )
    assert helped.returncode == 0 and "--format" in helped.stdout and "--list" in helped.stdout


def test_emit_python(capsys):
    code, out, _ = run(capsys, "Poisson", "--emit", "python")
    assert code == 0
    assert "def loss_and_grad(y, eta" in out and "import sympy" not in out
    compile(out, "emitted.py", "exec")
    code, out, _ = run(capsys, "Gaussian", "--emit", "python", "--nll")
    assert code == 0 and "*, sigma" in out


def test_nll_needs_emit(capsys):
    code, _, err = run(capsys, "Gaussian", "--nll")
    assert code == 2 and "--nll goes with --emit python" in err
