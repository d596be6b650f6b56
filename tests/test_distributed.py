"""Search and prediction on a local Dask cluster; thread limits; pickle round trips.

The cluster (two worker processes, loopback only) is started once for the module and
stopped by the fixture.
"""

import pickle

import cloudpickle
import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold, cross_validate

from sklearn_mtl import (
    IndependentTaskClassifier,
    LabelProductClassifier,
    MultiTaskClassifier,
    StructuredLabelEncoder,
    TaskChainClassifier,
    compare,
)
from sklearn_mtl.datasets import make_multitask_classification
from sklearn_mtl.distributed import (
    ThreadLimits,
    limit_worker_threads,
    predict_partitions,
    set_threads,
    usable_cores,
)

distributed = pytest.importorskip("distributed")
dd = pytest.importorskip("dask.dataframe")
da = pytest.importorskip("dask.array")

pytestmark = pytest.mark.distributed


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
        dashboard_address=None, worker_dashboard_address=None,
    )
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


@pytest.fixture(scope="module")
def data():
    X, Y = make_multitask_classification(
        80, n_features=6, n_classes={"car": 2, "color": 3}, gates={"color": ("car", 1)},
        missing_rate=0.1, random_state=0,
    )
    return X.astype(np.float32), Y


def _net(**params):
    return MultiTaskClassifier(hidden_layer_sizes=(8,), max_epochs=2, lr=1e-2, random_state=0,
                               **params)


def test_grid_search_on_dask_matches_in_process(client, data):
    X, Y = data
    grid = {"lr": [1e-2, 3e-2]}
    cv = KFold(2, shuffle=True, random_state=0)
    local = GridSearchCV(_net(), grid, cv=cv).fit(X, Y)
    with distributed.get_task_stream(client) as stream:
        with joblib.parallel_config(backend="dask"):
            remote = GridSearchCV(_net(), grid, cv=cv, n_jobs=-1).fit(X, Y)
    # the 4 fits ran on both workers
    assert len({task["worker"] for task in stream.data}) == 2
    for key in local.cv_results_:
        if key.startswith(("split", "mean_test", "std_test", "rank_test", "param")):
            np.testing.assert_array_equal(local.cv_results_[key], remote.cv_results_[key])
    assert local.best_params_ == remote.best_params_
    pd.testing.assert_frame_equal(local.predict(X), remote.predict(X))


def test_cross_validate_on_dask_matches_in_process(client, data):
    X, Y = data
    local = cross_validate(_net(), X, Y, cv=KFold(3), return_train_score=True)
    with joblib.parallel_config(backend="dask"):
        remote = cross_validate(_net(), X, Y, cv=KFold(3), return_train_score=True,
                                n_jobs=-1)
    for key in ("test_score", "train_score"):
        np.testing.assert_array_equal(local[key], remote[key])


def test_compare_on_dask_matches_in_process(client, data):
    X, Y = data
    models = {
        "mtl": _net(),
        "independent": IndependentTaskClassifier(LogisticRegression(max_iter=200)),
    }
    local, details = compare(models, X, Y, cv=3, progress=False, return_details=True)
    with joblib.parallel_config(backend="dask"):
        remote, remote_details = compare(
            models, X, Y, cv=3, progress=False, return_details=True, n_jobs=-1
        )
    scores = [c for c in local.columns if not c[0].endswith("_time")]
    pd.testing.assert_frame_equal(local[scores], remote[scores])
    np.testing.assert_array_equal(
        details["predictions"]["mtl"].codes, remote_details["predictions"]["mtl"].codes
    )
    assert len(remote_details["estimators"]["mtl"]) == 3


def test_compare_on_dask_error_score(client, data):
    X, Y = data

    class Broken(IndependentTaskClassifier):
        def fit(self, X, Y):
            raise RuntimeError("boom")

    broken = {"broken": Broken(LogisticRegression())}
    with joblib.parallel_config(backend="dask"):
        with pytest.warns(RuntimeWarning, match="'broken' failed on fold 0 .*boom"):
            table = compare(broken, X, Y, cv=2, progress=False, error_score=0.0, n_jobs=-1)
        assert table.loc["broken", ("exact_match", "mean")] == 0.0
        with pytest.raises(RuntimeError, match="boom") as info:
            compare(broken, X, Y, cv=2, progress=False, n_jobs=-1)
    assert any("'broken' on fold 0" in note for note in getattr(info.value, "__notes__", []))


def test_limit_worker_threads(client):
    plan = limit_worker_threads(client)
    cores = client.run(usable_cores)
    # two single-threaded workers share this machine's cores
    assert plan == {a: max(1, cores[a] // 2) for a in cores}
    assert client.run(torch.get_num_threads) == plan
    assert limit_worker_threads(client, n_threads=1) == dict.fromkeys(cores, 1)
    assert set(client.run(torch.get_num_threads).values()) == {1}
    env = client.run(lambda: __import__("os").environ["OMP_NUM_THREADS"])
    assert set(env.values()) == {"1"}


def test_thread_limits_plugin(client):
    client.register_plugin(ThreadLimits(n_threads=2))
    try:
        assert set(client.run(torch.get_num_threads).values()) == {2}
    finally:
        client.unregister_worker_plugin(ThreadLimits.name)
        limit_worker_threads(client, n_threads=1)


def test_set_threads_rejects_bad_counts():
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="n_threads must be a positive integer"):
            set_threads(bad)


def test_predict_partitions_dataframe(client, data):
    X, Y = data
    Xf = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    clf = _net().fit(Xf, Y)
    ddf = dd.from_pandas(Xf, npartitions=3)
    lazy = predict_partitions(clf, ddf)
    assert lazy.npartitions == 3
    pd.testing.assert_frame_equal(lazy.compute(), clf.predict(Xf), check_index_type=False)
    # a partition left empty by a filter predicts nothing (not an error)
    some = predict_partitions(clf, ddf[ddf["f0"] > 0.5]).compute()
    pd.testing.assert_frame_equal(some, clf.predict(Xf[Xf["f0"] > 0.5]).set_axis(
        Xf.index[Xf["f0"] > 0.5]), check_index_type=False)
    assert len(predict_partitions(clf, ddf[ddf["f0"] > 100]).compute()) == 0
    shuffled = Xf.sample(frac=1.0, random_state=0)  # the partitions keep their own index
    pd.testing.assert_frame_equal(
        predict_partitions(clf, dd.from_pandas(shuffled, npartitions=2, sort=False)).compute(),
        clf.predict(shuffled).set_axis(shuffled.index), check_index_type=False,
    )
    proba = predict_partitions(clf, ddf, method="predict_proba", task="color").compute()
    assert proba.columns.tolist() == list(clf.schema_["color"].classes)
    np.testing.assert_allclose(proba.to_numpy(), clf.predict_proba(Xf, task="color"), rtol=1e-6)


def test_predict_partitions_array(client, data):
    X, Y = data
    clf = _net().fit(X, Y.to_numpy())
    darr = da.from_array(X, chunks=(25, X.shape[1]))
    np.testing.assert_array_equal(predict_partitions(clf, darr).compute(), clf.predict(X))
    with pytest.raises(ValueError, match="pass task=<name>"):
        predict_partitions(clf, darr, method="predict_proba").compute()
    with pytest.raises(ValueError, match="chunked along rows only"):
        predict_partitions(clf, da.from_array(X, chunks=(25, 2)))
    with pytest.raises(ValueError, match="must be a dask DataFrame or dask array"):
        predict_partitions(clf, X)
    with pytest.raises(ValueError, match="method must be"):
        predict_partitions(clf, darr, method="score")


# ------------------------------------------------------------------------ pickle
ESTIMATORS = [
    _net(),
    IndependentTaskClassifier(LogisticRegression(max_iter=200)),
    TaskChainClassifier(LogisticRegression(max_iter=200)),
    LabelProductClassifier(LogisticRegression(max_iter=200)),
]


@pytest.mark.parametrize("dumps, loads", [(pickle.dumps, pickle.loads),
                                          (cloudpickle.dumps, pickle.loads)])
@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_pickle_round_trip(estimator, dumps, loads, data):
    X, Y = data
    unfitted = loads(dumps(estimator))
    assert repr(unfitted.get_params()) == repr(estimator.get_params())
    fitted = clone(estimator).fit(X, Y)
    restored = loads(dumps(fitted))
    pd.testing.assert_frame_equal(restored.predict(X), fitted.predict(X))
    for a, b in zip(restored.predict_proba(X), fitted.predict_proba(X)):
        np.testing.assert_array_equal(a, b)
    # the unpickled unfitted estimator trains to the same model
    pd.testing.assert_frame_equal(unfitted.fit(X, Y).predict(X), fitted.predict(X))


def test_pickle_encoder(data):
    _, Y = data
    enc = StructuredLabelEncoder().fit(Y)
    restored = pickle.loads(cloudpickle.dumps(enc))
    np.testing.assert_array_equal(restored.transform(Y).codes, enc.transform(Y).codes)
