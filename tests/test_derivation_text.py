"""The printed derivation: seven steps for every family, names recognised by expression,
LaTeX that compiles, Markdown for GitHub and Jupyter."""

from __future__ import annotations

import shutil
import subprocess

import pytest

import likelihoods as lk
from derivation import derive

from support import all_variants, model_id
from test_custom_models import Cauchy, StudentT

TITLES = [
    "1. Noise model",
    "2. Link",
    "3. Negative log-likelihood",
    "4. Drop constants",
    "5. Loss",
    "6. Gradient",
    "7. Inference",
]


@pytest.mark.parametrize("model", all_variants() + [StudentT(), Cauchy()], ids=model_id)
def test_seven_steps_for_every_family(model):
    d = derive(model)
    assert [s.title for s in d.steps] == TITLES
    noise, link, nll, dropped, loss, gradient, inference = d.steps
    assert all(s.text for s in d.steps)
    assert noise.equations[0][1] == model.log_density(
        d.target, **{n: model.parameter_symbol(n) for n in model.choices}
    )
    assert nll.equations[0][1] == d.nll
    assert loss.equations[0][1] == d.loss
    gradients, definitions = (
        gradient.equations[: len(d.gradient)],
        gradient.equations[len(d.gradient) :],
    )
    assert [g for _, g in gradients] == list(d.gradient)
    # what the gradients name (a mixture's responsibilities r_i) is defined after them
    assert all(label.text.startswith("r[") for label, _ in definitions)
    assert model.prediction in inference.text
    text = str(d)
    for title in TITLES:
        assert title in text
    if d.constant != 0 or d.scale != 1:
        assert "dropped" in dropped.text


NAMES = {
    lk.Gaussian(): "mean squared error",
    lk.Laplace(): "mean absolute error",
    lk.Bernoulli(): "binary cross-entropy with logits",
    lk.Bernoulli(p="identity"): "binary cross-entropy",
    lk.Categorical(): "cross-entropy with logits",
    lk.Categorical(p="identity"): "cross-entropy",
    lk.Poisson(): "Poisson negative log-likelihood (log input)",
    lk.Poisson(rate="identity"): "Poisson negative log-likelihood",
    lk.HeteroscedasticGaussian(): "Gaussian negative log-likelihood",
    lk.Gaussian(sigma="identity"): "Gaussian negative log-likelihood",
    lk.VonMises(): None,
    StudentT(): None,
    Cauchy(): None,
}


@pytest.mark.parametrize("model, name", NAMES.items(), ids=[model_id(m) for m in NAMES])
def test_textbook_names_are_recognised_by_expression(model, name):
    d = derive(model)
    assert (d.textbook.name if d.textbook else None) == name
    if name:
        assert f"is the {name}" in d.steps[4].text


def test_point_predictions_are_stated():
    assert "mean" in derive(lk.Gaussian()).steps[6].text
    assert "median" in derive(lk.Laplace()).steps[6].text
    assert "1 if p > 1/2, else 0" in str(derive(lk.Bernoulli()))  # the 0.5 threshold
    assert "argmax(p)" in str(derive(lk.Categorical()))


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="no LaTeX installation")
def test_latex_compiles(tmp_path):
    # One document holding every variant's derivation, built by a real LaTeX.
    body = "\n".join(derive(m).to_latex() for m in all_variants() + [StudentT()])
    standalone = derive(lk.Gaussian()).to_latex(standalone=True)
    head, tail = standalone.split("\\begin{document}\n")
    document = head + "\\begin{document}\n" + body + "\\end{document}\n"
    (tmp_path / "all.tex").write_text(document)
    run = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "all.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout[-2000:]
    assert (tmp_path / "all.pdf").stat().st_size > 10_000


def test_latex_uses_align_and_one_line_per_equation():
    latex = derive(lk.HeteroscedasticGaussian()).to_latex()
    assert latex.count("\\begin{align*}") == latex.count("\\end{align*}") == 7
    assert r"\frac{\partial L}{\partial \eta_{\sigma}}" in latex


@pytest.mark.parametrize("model", [lk.Gaussian(), lk.Categorical()], ids=model_id)
def test_markdown_for_github_and_jupyter(model):
    d = derive(model)
    markdown = d.to_markdown()
    assert markdown == d._repr_markdown_()
    assert markdown.count("$$") % 2 == 0 and markdown.count("$$") >= 14
    for title in TITLES:
        assert f"**{title}.**" in markdown
    assert "&=" not in markdown
