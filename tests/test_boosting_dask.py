"""The derived objective in distributed XGBoost: ``xgboost.dask`` on a LocalCluster of two
worker processes started here, which receive the objective by pickling."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special

import likelihoods as lk
from derivation import derive

xgboost = pytest.importorskip("xgboost")
pytest.importorskip("dask.distributed")
dask_array = pytest.importorskip("dask.array")


def test_the_derived_objective_trains_on_a_dask_cluster_as_binary_logistic(dask_client, rng):
    from xgboost import dask as dxgb

    n = 2000
    x = rng.normal(size=(n, 4))
    y = (rng.random(n) < scipy.special.expit(2 * x[:, 0] - x[:, 1])).astype(float)
    fn = derive(lk.Bernoulli()).compile()
    start = np.full(n, fn.initial_raw(y)[0])
    chunks = n // 2  # one block per worker
    parts = [dask_array.from_array(a, chunks=chunks) for a in (x, y, start)]
    data = dxgb.DaskDMatrix(dask_client, parts[0], parts[1], base_margin=parts[2])
    params = {"tree_method": "hist", "max_depth": 3, "eta": 0.3, "verbosity": 0}

    def margins(**objective):
        trained = dxgb.train(
            dask_client, params | objective.pop("params", {}), data, 30, **objective
        )
        return dxgb.predict(dask_client, trained["booster"], data, output_margin=True).compute()

    ours = margins(obj=fn.xgboost_objective())
    theirs = margins(params={"objective": "binary:logistic"})
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-5)
    assert np.std(ours) > 0.5
    assert len(dask_client.scheduler_info()["workers"]) == 2
