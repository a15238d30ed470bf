"""Standalone modules for training code: written to a file, imported where sympy cannot be
imported, and compared with the compiled callables."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import likelihoods as lk
from derivation import derive

from support import all_variants, model_id, sample_inputs

RUNNER = textwrap.dedent(
    """
    import importlib.util, json, sys
    sys.modules["sympy"] = None  # any import of sympy now fails
    import numpy as np
    spec = importlib.util.spec_from_file_location("emitted", sys.argv[1])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    data = np.load(sys.argv[2])
    args = [data[k] for k in sorted(data.files, key=int)]
    extra = json.loads(sys.argv[3])
    out = {}
    for reduction in ("mean", "none"):
        loss, grads = module.loss_and_grad(*args, reduction=reduction, **extra)
        out[reduction] = [np.asarray(loss).tolist(), [g.tolist() for g in grads]]
        assert np.array_equal(module.loss(*args, reduction=reduction, **extra), loss)
    print(json.dumps(out))
    """
)


def _run(source, arrays, extra, tmp_path):
    (tmp_path / "emitted.py").write_text(source)
    np.savez(tmp_path / "data.npz", **{str(i): a for i, a in enumerate(arrays)})
    (tmp_path / "runner.py").write_text(RUNNER)
    run = subprocess.run(
        [sys.executable, "runner.py", "emitted.py", "data.npz", json.dumps(extra)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout)


@pytest.mark.parametrize("model", all_variants(), ids=model_id)
def test_emitted_module_matches_the_compiled_callable(model, rng, tmp_path):
    d = derive(model)
    y, raws, _, constants = sample_inputs(model, rng, (20,))
    fn = d.compile()
    kw = {k: constants[k] for k in fn.constants}
    out = _run(d.to_python(), [y, *raws], kw, tmp_path)
    for reduction in ("mean", "none"):
        loss, grads = fn.loss_and_grad(y, *raws, reduction=reduction, **kw)
        np.testing.assert_array_equal(out[reduction][0], loss)
        for g, h in zip(grads, out[reduction][1]):
            np.testing.assert_array_equal(np.asarray(h), g)


def test_emitted_nll_and_class_options(rng, tmp_path):
    d = derive(lk.Categorical())
    z = rng.normal(size=(12, 4))
    labels = rng.integers(0, 4, size=12)
    extra = {"label_smoothing": 0.1, "class_weight": [1.0, 2.0, 0.5, 1.0]}
    out = _run(d.to_python(), [labels, z], extra, tmp_path)
    loss, (g,) = d.compile().loss_and_grad(labels, z, **extra)
    np.testing.assert_array_equal(out["mean"][0], loss)
    np.testing.assert_array_equal(np.asarray(out["mean"][1][0]), g)
    source = derive(lk.Poisson()).to_python(nll=True)
    assert "gammaln" in source and "import sympy" not in source
    bce = derive(lk.Bernoulli()).to_python()  # the stable form travels along
    assert "numpy.log1p(" in bce and "numpy.absolute(" in bce
