"""Search and prediction on a local Dask cluster; thread limits; pickle round trips.

The cluster (two worker processes, loopback only) is started once for the module and
stopped by the fixture.
"""

import os
import pickle
import sys

import cloudpickle
import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.compose import make_column_transformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

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
    # One network, not the default ensemble of eight: these tests are about Dask,
    # partitions and pickling, not the recipe, and one network fits several times faster.
    params = {"ensemble_size": 1, **params}
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


def _counts_in_tasks(client):
    """torch's and OpenMP's thread counts seen by a task on each worker: in the thread
    a fit runs in, not the worker's event-loop thread (where client.run runs)."""

    def in_task():
        import torch
        from threadpoolctl import threadpool_info

        openmp = {i["num_threads"] for i in threadpool_info() if i["internal_api"] == "openmp"}
        return torch.get_num_threads(), openmp

    return {
        address: client.submit(in_task, workers=[address], allow_other_workers=False,
                               pure=False).result()
        for address in client.run(usable_cores)
    }


def _assert_counts(seen, plan):
    assert set(seen) == set(plan)
    for address, (torch_threads, openmp) in seen.items():
        assert torch_threads == plan[address], (address, seen)
        assert openmp <= {plan[address]}, (address, seen)


def test_limit_worker_threads(client):
    _counts_in_tasks(client)  # the task threads exist (a cluster that has run tasks)
    plan = limit_worker_threads(client)
    cores = client.run(usable_cores)
    # two single-threaded workers share this machine's cores
    assert plan == {a: max(1, cores[a] // 2) for a in cores}
    _assert_counts(_counts_in_tasks(client), plan)
    # the task threads that exist take the new count from their next task on
    assert limit_worker_threads(client, n_threads=3) == dict.fromkeys(cores, 3)
    _assert_counts(_counts_in_tasks(client), dict.fromkeys(cores, 3))
    assert limit_worker_threads(client, n_threads=1) == dict.fromkeys(cores, 1)
    _assert_counts(_counts_in_tasks(client), dict.fromkeys(cores, 1))
    # a task that changes its thread's count leaves the next task the limit all the same
    for address in cores:
        client.submit(torch.set_num_threads, 3, workers=[address],
                      allow_other_workers=False, pure=False).result()
    for _ in range(3):
        _assert_counts(_counts_in_tasks(client), dict.fromkeys(cores, 1))
    assert set(client.run(torch.get_num_threads).values()) == {1}
    env = client.run(lambda: __import__("os").environ["OMP_NUM_THREADS"])
    assert set(env.values()) == {"1"}


def test_thread_limits_plugin(client):
    workers = client.run(usable_cores)
    _counts_in_tasks(client)  # the task threads exist before the plugin
    client.register_plugin(ThreadLimits(n_threads=2))
    try:
        assert set(client.run(torch.get_num_threads).values()) == {2}
        _assert_counts(_counts_in_tasks(client), dict.fromkeys(workers, 2))
    finally:
        client.unregister_worker_plugin(ThreadLimits.name)
        limit_worker_threads(client, n_threads=1)
    _assert_counts(_counts_in_tasks(client), dict.fromkeys(workers, 1))


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


def _shops():
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"x0": rng.normal(size=60), "shop": rng.choice(["ann", "bob"], 60)})
    Y = pd.DataFrame({"car": np.where(X["x0"] > 0, "yes", "no"), "big": X["shop"] == "ann"})
    # OneHotEncoder refuses categories it never saw (handle_unknown="error")
    pipe = make_pipeline(
        make_column_transformer((OneHotEncoder(), ["shop"]), remainder="passthrough"),
        LogisticRegression(),
    )
    return X, Y, pipe


def _never_computed(ddf):
    """``ddf`` whose partitions raise when computed."""

    def boom(part):
        raise RuntimeError("a partition was computed")

    return ddf.map_partitions(boom, meta=ddf._meta)


@pytest.fixture
def object_strings_stay():
    # with pandas < 3, dask turns object columns into pyarrow strings by default
    # (dataframe.convert-string); these tests compare with pandas' object columns
    import dask

    with dask.config.set({"dataframe.convert-string": False}):
        yield


def test_predict_partitions_never_predicts_placeholder_rows(client, object_strings_stay):
    # Dask's stand-in rows ('a', <NA>, '__UNKNOWN_CATEGORIES__') are no data to predict
    X, Y, pipe = _shops()
    ddf = dd.from_pandas(X, npartitions=3)
    model = IndependentTaskClassifier(pipe).fit(X, Y)
    pd.testing.assert_frame_equal(predict_partitions(model, ddf).compute(), model.predict(X),
                                  check_index_type=False)
    Xc = X.astype({"shop": "category"})
    unknown = dd.from_pandas(Xc, npartitions=3)
    unknown["shop"] = unknown["shop"].cat.as_unknown()  # as read_parquet may give them
    pd.testing.assert_frame_equal(predict_partitions(model, unknown).compute(),
                                  model.predict(Xc), check_index_type=False)
    # an estimator of the package: the form comes from its tasks, nothing is computed
    lazy = predict_partitions(model, _never_computed(ddf))
    assert lazy.columns.tolist() == ["car", "big"]
    assert lazy.dtypes.to_dict() == model.predict(X).dtypes.to_dict()


def test_predict_partitions_infers_the_form_from_real_rows(client, object_strings_stay):
    X, Y, pipe = _shops()
    ddf = dd.from_pandas(X, npartitions=3)
    plain = clone(pipe).fit(X, Y["car"])  # a scikit-learn model: predicts real rows
    later = ddf[ddf.index.to_series() >= 25]  # the first partition is empty
    pd.testing.assert_series_equal(
        predict_partitions(plain, later).compute(),
        pd.Series(plain.predict(X.iloc[25:]), index=X.index[25:]), check_index_type=False,
    )
    proba = predict_partitions(plain, ddf, method="predict_proba").compute()
    assert proba.columns.tolist() == ["no", "yes"]
    np.testing.assert_allclose(proba.to_numpy(), plain.predict_proba(X))
    # no row anywhere: nothing to predict the form from
    with pytest.raises(ValueError, match="data has no row.*Pass meta="):
        predict_partitions(plain, ddf[ddf["x0"] > 100])
    # a failure on the real rows is the estimator's own error, with a note
    with pytest.raises(NotFittedError) as info:
        predict_partitions(LogisticRegression(), ddf)
    if sys.version_info >= (3, 11):  # exceptions take notes from Python 3.11 on
        assert any("meta=" in note for note in info.value.__notes__)


def test_predict_partitions_meta(client, data, object_strings_stay):
    X, Y, pipe = _shops()
    ddf = dd.from_pandas(X, npartitions=3)
    plain = clone(pipe).fit(X, Y["car"])
    # given, the form is neither predicted nor computed
    lazy = predict_partitions(plain, _never_computed(ddf), meta=("car", object))
    assert lazy.name == "car" and lazy.dtype == object
    out = predict_partitions(plain, ddf, meta=pd.Series(dtype=object, name="car")).compute()
    np.testing.assert_array_equal(out.to_numpy(), plain.predict(X))
    assert out.name == "car"
    proba = predict_partitions(plain, ddf, method="predict_proba",
                               meta={"no": "float64", "yes": "float64"}).compute()
    np.testing.assert_allclose(proba.to_numpy(), plain.predict_proba(X))
    with pytest.raises(ValueError, match="meta must describe the pandas output"):
        predict_partitions(plain, ddf, meta=42)
    # a dask array: an empty array of the output's dtype and trailing shape
    Xa, Ya = data
    clf = _net().fit(Xa, Ya)
    darr = da.from_array(Xa, chunks=(25, Xa.shape[1]))
    n_colors = len(clf.schema_["color"].classes)
    proba = predict_partitions(clf, darr, method="predict_proba", task="color",
                               meta=np.empty((0, n_colors), dtype=np.float32))
    assert proba.dtype == np.float32 and proba.shape[1] == n_colors
    np.testing.assert_allclose(proba.compute(), clf.predict_proba(Xa, task="color"), rtol=1e-6)
    for bad in (pd.DataFrame(), np.float32(1.0)):
        with pytest.raises(ValueError, match="meta must be a NumPy array"):
            predict_partitions(clf, darr, meta=bad)


# ------------------------------------------------------------------------ pickle
ESTIMATORS = [
    _net(ensemble_size="auto"),  # the default ensemble: its members pickle too
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


def test_predict_partitions_names_a_bad_row_in_the_data(data):
    # it was numbered in its partition ("row 7" of a partition of 27 rows)
    X, Y = data
    Xf = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    bad = Xf.copy()
    bad.iloc[34, 1] = np.inf
    darr = da.from_array(bad.to_numpy(), chunks=(25, X.shape[1]))
    with pytest.raises(ValueError, match=r"row 34, column 1 holds inf"):
        predict_partitions(_net().fit(X, Y), darr).compute(scheduler="sync")
    bad.index = np.arange(len(bad)) + 1000  # its row is named by its label too (numpy's int)
    with pytest.raises(ValueError, match=r"row 7 of partition 1 \(index label 1034\), "
                                         "column 'f1' holds inf"):
        predict_partitions(_net().fit(Xf, Y), dd.from_pandas(bad, npartitions=3)
                           ).compute(scheduler="sync")
    # a value that is no number, in a table the network's own preprocessing reads
    shop = np.where(X[:, 0] > 0, "a", "b")
    clf = _net().fit(Xf.assign(shop=shop), Y)
    text = bad.astype({"f1": object}).assign(shop="a")
    text.iloc[34, 1] = "?"
    with pytest.raises(ValueError, match=r"row 7 of partition 1 \(index label 1034\), "
                                         "column 'f1' holds '\\?'"):
        predict_partitions(clf, dd.from_pandas(text, npartitions=3)).compute(scheduler="sync")


def test_predict_partitions_names_a_bad_row_of_an_array_of_unknown_chunks(data):
    # a filter leaves the array's chunk sizes unknown (nan): the row was "row nan"
    X, Y = data
    bad = X.copy()
    bad[34, 1] = np.inf
    darr = da.from_array(bad, chunks=(25, X.shape[1]))
    filtered = darr[darr[:, 0] > -np.inf]  # every row, in chunks of unknown size
    assert np.isnan(filtered.chunks[0][1])
    with pytest.raises(ValueError, match=r"row 9 of block 1, column 1 holds inf"):
        predict_partitions(_net().fit(X, Y), filtered).compute(scheduler="sync")


def test_predict_partitions_refuses_images_split_across_blocks():
    # blocks split along the channels gave dask's "Dimension 1 has 3 blocks,
    # adjust_chunks specified with 1 blocks"; along the height, half images
    rng = np.random.RandomState(0)
    images = rng.normal(size=(24, 3, 16, 16)).astype(np.float32)
    Y = pd.DataFrame({"car": np.where(images[:, 0].mean(axis=(1, 2)) > 0, "yes", "no")})
    clf = MultiTaskClassifier(trunk="conv2d", max_epochs=1, random_state=0).fit(images, Y)
    for chunks, axis, count in [((12, 1, 16, 16), 1, 3), ((12, 3, 8, 16), 2, 2)]:
        with pytest.raises(ValueError, match=rf"chunked along rows only; got {count} chunks "
                                             rf"along axis {axis}\. Use data\.rechunk\("
                                             r"\{1: -1, 2: -1, 3: -1\}\)"):
            predict_partitions(clf, da.from_array(images, chunks=chunks))
    whole = da.from_array(images, chunks=(10, 3, 16, 16))
    np.testing.assert_array_equal(
        predict_partitions(clf, whole).compute(scheduler="sync"), clf.predict(images))


def test_parquet_shards_refuse_ambiguous_columns_clearly(tmp_path):
    # a string was read letter by letter ("features names column(s) ['w', 'i', ...]"),
    # a column named twice failed in pyarrow ('Field "width" exists 2 times in schema')
    from sklearn_mtl.sharded import ParquetShards

    pytest.importorskip("pyarrow")
    pd.DataFrame({"width": np.arange(4.0), "height": np.ones(4), "label": ["a", "b"] * 2}
                 ).to_parquet(tmp_path / "part.parquet")
    with pytest.raises(TypeError, match=r"features must be a list .* Pass \['width'\]"):
        ParquetShards(tmp_path, features="width", targets=["label"])
    with pytest.raises(TypeError, match=r"targets must be a list .* Pass \['label'\]"):
        ParquetShards(tmp_path, features=["width"], targets="label")
    for features, targets in ((["width", "width"], ["label"]), (["width", "height"], ["width"])):
        with pytest.raises(ValueError, match=r"Column\(s\) \['width'\] are named twice"):
            ParquetShards(tmp_path, features=features, targets=targets)
    for bad in (0, -1, None, 2.5):
        with pytest.raises(ValueError, match="batch_rows must be a positive integer"):
            ParquetShards(tmp_path, features=["width"], batch_rows=bad)
    assert ParquetShards(tmp_path, features=["width"], batch_rows=np.int64(2)).batch_rows == 2


def test_parquet_shards_name_a_file_that_lacks_the_columns(tmp_path):
    # predictions written inside the data's folder were found by the next
    # ParquetShards(folder): pyarrow's "No match for FieldRef.Name(f0) in id: int64 ..."
    from sklearn_mtl.sharded import ParquetShards, predict_shards

    pytest.importorskip("pyarrow")
    rng = np.random.RandomState(0)
    for i in range(2):
        part = pd.DataFrame(rng.normal(size=(20, 2)), columns=["f0", "f1"])
        part["car"] = np.where(part["f0"] > 0, "yes", "no")
        part["id"] = np.arange(20) + 20 * i
        part.to_parquet(tmp_path / f"part-{i}.parquet")
    shards = ParquetShards(tmp_path, features=["f0", "f1"], targets=["car"])
    clf = _net().fit(shards)
    predict_shards(clf, shards, tmp_path / "predictions", keep=["id"])
    again = ParquetShards(tmp_path, features=["f0", "f1"], targets=["car"])
    lacks = r"predictions.part-00000\.parquet' lacks column\(s\) \['f0', 'f1'\]"
    with pytest.raises(ValueError, match=lacks):
        _net().fit(again)
    with pytest.raises(ValueError, match=lacks):
        predict_shards(clf, again, tmp_path / "elsewhere")


def _colors():
    X, Y = make_multitask_classification(
        60, n_features=4, n_classes={"car": 2, "color": 3}, random_state=0,
    )
    Xf = pd.DataFrame(X.astype(np.float32), columns=["f0", "f1", "f2", "f3"])
    Y = pd.DataFrame({"car": Y["car"].map({0: "no", 1: "yes"}),
                      "color": Y["color"].map({0: "red", 1: "green", 2: "blue"})})
    return Xf, Y


def test_predict_partitions_proba_of_a_pipeline_ending_in_the_network():
    # the columns came from the Pipeline's classes_ (one array a task): "all arrays must
    # be same length" for a 2-class task of 2 tasks, columns 0, 1, 2 for a 3-class one
    from sklearn.preprocessing import StandardScaler

    Xf, Y = _colors()
    pipe = make_pipeline(StandardScaler(), _net()).fit(Xf, Y)
    ddf = dd.from_pandas(Xf, npartitions=3)
    for task in ("car", "color"):
        proba = predict_partitions(pipe, ddf, method="predict_proba", task=task)
        out = proba.compute(scheduler="sync")
        assert out.columns.tolist() == list(pipe[-1].schema_[task].classes)
        np.testing.assert_allclose(out.to_numpy(), pipe.predict_proba(Xf, task=task),
                                   rtol=1e-6)
    empty = predict_partitions(pipe, ddf[ddf["f0"] > 100], method="predict_proba",
                               task="color").compute(scheduler="sync")
    assert empty.columns.tolist() == ["blue", "green", "red"] and len(empty) == 0
    assert set(empty.dtypes) == {np.dtype("float32")}


def test_predict_partitions_checks_task_before_computing():
    # task= with "predict" was ignored (every task came back); an unknown task, or none
    # for a model of several tasks, was found by computing the first partition
    Xf, Y = _colors()
    clf = _net().fit(Xf, Y)
    ddf = _never_computed(dd.from_pandas(Xf, npartitions=2))
    with pytest.raises(ValueError, match=r"task applies to method='predict_proba' only; "
                                         r"got task='car' with method='predict'"):
        predict_partitions(clf, ddf, task="car")
    with pytest.raises(ValueError, match=r"Unknown task 'colour'; the tasks are "
                                         r"\['car', 'color'\]"):
        predict_partitions(clf, ddf, method="predict_proba", task="colour")
    with pytest.raises(ValueError, match=r"pass task=<name> \(one of \['car', 'color'\]\)"):
        predict_partitions(clf, ddf, method="predict_proba")


def test_predict_partitions_refuses_one_value_a_row():
    # a 1-D dask array failed in dask ("Dimension 1 has 4 blocks, adjust_chunks
    # specified with 1 blocks"); a dask Series was told to predict in memory
    Xf, Y = _colors()
    clf = _net().fit(Xf[["f0"]].to_numpy(), Y)
    with pytest.raises(ValueError, match=r"one sample per row.*got a 1-dimensional dask "
                                         r"Array\. For a single feature, pass data\[:, None\]"):
        predict_partitions(clf, da.from_array(Xf["f0"].to_numpy(), chunks=15))
    with pytest.raises(ValueError, match=r"got a 1-dimensional dask Series\. For a single "
                                         r"feature, pass data\.to_frame\(\)"):
        predict_partitions(clf, dd.from_pandas(Xf["f0"], npartitions=2))
    column = da.from_array(Xf[["f0"]].to_numpy(), chunks=(15, 1))
    pd.testing.assert_frame_equal(
        pd.DataFrame(predict_partitions(clf, column).compute(scheduler="sync"),
                     columns=["car", "color"]),
        pd.DataFrame(clf.predict(Xf[["f0"]].to_numpy())), check_dtype=False)


def test_predict_partitions_refuses_an_unfitted_model_up_front():
    # with meta= the error came from a worker at compute(), with no row at all none came
    Xf, Y = _colors()
    ddf = dd.from_pandas(Xf, npartitions=2)
    meta = {"car": object, "color": object}
    for model in (_net(), make_pipeline(_net())):
        with pytest.raises(NotFittedError, match="MultiTaskClassifier instance is not fitted"):
            predict_partitions(model, ddf[ddf["f0"] > 100], meta=meta)
        with pytest.raises(NotFittedError, match="MultiTaskClassifier instance is not fitted"):
            predict_partitions(model, _never_computed(ddf), meta=meta)


def test_thread_limits_check_n_threads_and_warn_without_workers():
    # n_threads=0 failed on each worker (a plugin logged its setup failing), or was
    # accepted where no worker was connected; no worker at all set nothing silently
    for bad in (0, -2, 1.5, "2", True):
        with pytest.raises(ValueError, match=r"n_threads must be a positive integer or "
                                             rf"None .*got {bad!r}\."):
            ThreadLimits(n_threads=bad)
    assert ThreadLimits(n_threads=np.int64(2)).n_threads == 2
    cluster = distributed.LocalCluster(n_workers=0, processes=False, dashboard_address=None)
    client = distributed.Client(cluster)
    try:
        with pytest.raises(ValueError, match=r"n_threads must be a positive integer or None"):
            limit_worker_threads(client, n_threads=0)
        with pytest.warns(RuntimeWarning, match=r"found no worker connected.*"
                                                r"client\.wait_for_workers.*ThreadLimits"):
            assert limit_worker_threads(client) == {}
    finally:
        client.close()
        cluster.close()


def test_predict_partitions_array_blocks_are_numpy_for_a_frame_of_labels():
    # a model fitted on a DataFrame of labels predicts a DataFrame; the blocks of the
    # dask array must still be NumPy (a DataFrame block failed the array's indexing)
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 2))
    Y = pd.DataFrame({"car": np.where(X[:, 0] > 0, "yes", "no"),
                      "size": np.where(X[:, 1] > 0, 3, 5)})
    model = IndependentTaskClassifier(LogisticRegression()).fit(X, Y)
    expected = model.predict(X).to_numpy()
    lazy = predict_partitions(model, da.from_array(X, chunks=(12, 2)))
    assert isinstance(lazy.blocks[0].compute(scheduler="sync"), np.ndarray)
    np.testing.assert_array_equal(lazy[:, 0].compute(scheduler="sync"), expected[:, 0])
    np.testing.assert_array_equal(lazy[5:20].compute(scheduler="sync"), expected[5:20])
    assert int((lazy[:, 0] == "yes").sum().compute(scheduler="sync")) == int(
        (expected[:, 0] == "yes").sum())


def test_predict_partitions_refuses_task_for_a_model_without_tasks():
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"a": rng.normal(size=20), "b": rng.normal(size=20)})
    y = np.where(X["a"] > 0, "yes", "no")
    ddf = dd.from_pandas(X, npartitions=2)
    for model in (LogisticRegression().fit(X, y),
                  make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)):
        for meta in (None, {"no": "float64", "yes": "float64"}):
            with pytest.raises(ValueError, match=r"got task='car', but "
                               r"LogisticRegression\.predict_proba takes no task\. Leave"):
                predict_partitions(model, ddf, method="predict_proba", task="car", meta=meta)
    # a list of arrays, one per output: "pass task=" would not help this model
    forest = RandomForestClassifier(n_estimators=2, random_state=0).fit(X, np.c_[y, y])
    with pytest.raises(ValueError, match=r"RandomForestClassifier\.predict_proba returns a "
                       r"list of 2 arrays .*takes no task= to pick one"):
        predict_partitions(forest, ddf, method="predict_proba")
    # an estimator of the package takes it
    model = IndependentTaskClassifier(LogisticRegression()).fit(X, pd.DataFrame({"car": y}))
    proba = predict_partitions(model, ddf, method="predict_proba", task="car")
    np.testing.assert_allclose(proba.compute(scheduler="sync").to_numpy(),
                               model.predict_proba(X, task="car"))


def test_limit_worker_threads_refuses_a_cluster_for_its_client():
    cluster = distributed.LocalCluster(n_workers=0, processes=False, dashboard_address=":0")
    try:
        with pytest.raises(TypeError, match=r"client must be a distributed\.Client .*got "
                           r"LocalCluster\. .*limit_worker_threads\(Client\(cluster\)\)"):
            limit_worker_threads(cluster)
    finally:
        cluster.close()


def test_weights_checksum_of_a_pipeline_ending_in_the_network(data):
    from sklearn_mtl.distributed import check_replicas, weights_checksum

    X, Y = data
    pipe = make_pipeline(StandardScaler(), _net()).fit(X, Y)
    own = weights_checksum(pipe[-1])
    assert weights_checksum(pipe) == own
    assert check_replicas(pipe) == [own]
    with pytest.raises(NotFittedError):
        weights_checksum(make_pipeline(StandardScaler(), _net()))
    baseline = make_pipeline(StandardScaler(), IndependentTaskClassifier(LogisticRegression()))
    with pytest.raises(TypeError, match="got Pipeline ending in IndependentTaskClassifier, "
                       "which has none"):
        weights_checksum(baseline.fit(X, Y))


def test_weights_checksum_finds_the_network_in_a_search_or_a_tuner(data):
    # a fitted GridSearchCV or TaskThresholdTuner around the network was refused
    # ("got GridSearchCV, which has none")
    from sklearn.frozen import FrozenEstimator

    from sklearn_mtl import TaskThresholdTuner
    from sklearn_mtl.distributed import check_replicas, weights_checksum

    X, Y = data
    search = GridSearchCV(make_pipeline(StandardScaler(), _net()),
                          {"multitaskclassifier__lr": [1e-2]}, cv=KFold(2)).fit(X, Y)
    own = weights_checksum(search.best_estimator_[-1])
    assert weights_checksum(search) == own
    assert check_replicas(search) == [own]
    # nested: a search of a tuner of a frozen network (fitting them trains nothing)
    fitted = _net().fit(X, Y)
    tuner = TaskThresholdTuner(FrozenEstimator(fitted))
    nested = GridSearchCV(tuner, {"metric": ["f1"]}, cv=KFold(2)).fit(X, Y)
    assert weights_checksum(nested) == weights_checksum(clone(tuner).fit(X, Y)) \
        == weights_checksum(fitted)
    # none found: what was given, and what is taken
    with pytest.raises(TypeError, match=r"estimator must be a fitted MultiTaskClassifier .*"
                       r"GridSearchCV or RandomizedSearchCV \(refit\) or TaskThresholdTuner of "
                       r"one.*; got GridSearchCV, fitted with refit=False, which keeps no "
                       r"best_estimator_\. Fit the search with refit=True"):
        weights_checksum(GridSearchCV(tuner, {"metric": ["f1"]}, cv=KFold(2),
                                      refit=False).fit(X, Y))
    baseline = GridSearchCV(IndependentTaskClassifier(LogisticRegression()),
                            {"estimator__C": [1.0]}, cv=KFold(2)).fit(X, Y)
    with pytest.raises(TypeError, match=r"got GridSearchCV whose best_estimator_ is "
                                        r"IndependentTaskClassifier, which has none\."):
        check_replicas(baseline)
    for unfitted, name in ((GridSearchCV(_net(), {"lr": [1e-2]}), "GridSearchCV"),
                           (TaskThresholdTuner(_net()), "TaskThresholdTuner"),
                           (make_pipeline(GridSearchCV(_net(), {"lr": [1e-2]})),
                            r"GridSearchCV instance is not fitted yet \(the Pipeline ending "
                            r"in GridSearchCV given\)")):
        with pytest.raises(NotFittedError, match=rf"This {name}"):
            weights_checksum(unfitted)


class _Recorded:
    """An array-like whose reads dask records (the rows of each read)."""

    def __init__(self, values):
        self.values = values
        self.shape, self.dtype, self.ndim = values.shape, values.dtype, values.ndim
        self.rows_read = []

    def __getitem__(self, key):
        rows = key[0] if isinstance(key, tuple) else key
        self.rows_read.append(len(range(*rows.indices(len(self.values)))))
        return self.values[key]


def test_predict_partitions_reads_only_the_first_rows_of_a_dask_array():
    # the form of the output was worked out by computing the whole first block
    import dask

    rng = np.random.RandomState(0)
    X = rng.normal(size=(2000, 2))
    X[:1000, 0] = -np.abs(X[:1000, 0])  # the filter below leaves the first block empty
    model = LogisticRegression().fit(X[980:1020], X[980:1020, 0] > 0)  # predicts real rows
    source = _Recorded(X)
    darr = da.from_array(source, chunks=(1000, 2), asarray=True)
    source.rows_read.clear()
    with dask.config.set(scheduler="sync"):  # reads in this process, not a worker's
        lazy = predict_partitions(model, darr)
        assert source.rows_read and max(source.rows_read) <= 2
        assert lazy.dtype == bool and lazy.shape == (2000,)
        # blocks of unknown sizes (a filter): the first block is empty, the next one's
        # rows give the form
        later = darr[darr[:, 0] > 1.5]
        np.testing.assert_array_equal(predict_partitions(model, later).compute(),
                                      model.predict(X[X[:, 0] > 1.5]))
        with pytest.raises(ValueError, match="data has no row"):
            predict_partitions(model, darr[darr[:, 0] > 100])


def test_predict_partitions_array_keeps_sparse_predictions():
    # a model fitted on a sparse Y predicts a sparse matrix: a block keeps it (np.asarray
    # made it a 0-d object array, which failed the array's indexing)
    from scipy import sparse
    from sklearn.multiclass import OneVsRestClassifier

    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 2))
    Y = sparse.csr_matrix(np.c_[X[:, 0] > 0, X[:, 1] > 0, X.sum(1) > 0].astype(int))
    model = OneVsRestClassifier(LogisticRegression()).fit(X, Y)
    expected = model.predict(X).toarray()
    for meta in (None, np.empty((0, 3), dtype=int)):
        lazy = predict_partitions(model, da.from_array(X, chunks=(12, 2)), meta=meta)
        got = lazy.compute(scheduler="sync")
        assert sparse.issparse(got)
        np.testing.assert_array_equal(got.toarray(), expected)


def test_predict_partitions_predicts_with_a_search_s_best_estimator():
    # GridSearchCV.predict_proba(X) passes no task on, so a search was refused with
    # method="predict_proba" and a task; it predicts with its best_estimator_, as its
    # own predict and predict_proba do (a FrozenEstimator with what it holds)
    from sklearn.frozen import FrozenEstimator
    from sklearn.preprocessing import FunctionTransformer

    rng = np.random.RandomState(0)
    X = pd.DataFrame(rng.normal(size=(24, 2)), columns=["a", "b"])
    Y = pd.DataFrame({"car": np.where(X["a"] > 0, "yes", "no"),
                      "size": np.where(X["b"] > 0, "big", "small")})
    search = GridSearchCV(IndependentTaskClassifier(LogisticRegression()),
                          {"estimator__C": [0.01, 1.0]}, cv=2).fit(X, Y)
    ddf = dd.from_pandas(X, npartitions=2)
    for model in (search, FrozenEstimator(search)):
        proba = predict_partitions(model, ddf, method="predict_proba", task="size")
        np.testing.assert_array_equal(proba.compute(scheduler="sync").to_numpy(),
                                      search.predict_proba(X)[1])
        pd.testing.assert_frame_equal(
            predict_partitions(model, ddf).compute(scheduler="sync"), search.predict(X))
        with pytest.raises(ValueError, match=r"one array per task; pass task=<name> \(one of "):
            predict_partitions(model, ddf, method="predict_proba").compute(scheduler="sync")
    # a search inside a Pipeline still receives task= there: pointed to its best_estimator_
    piped = make_pipeline(FunctionTransformer(), search)
    hint = r"Its best_estimator_ \(IndependentTaskClassifier\) takes one: pass that"
    with pytest.raises(ValueError, match=r"GridSearchCV\.predict_proba takes no task\. " + hint):
        predict_partitions(piped, ddf, method="predict_proba", task="size")
    # refit=False keeps no best_estimator_: the search's own error, from its first rows
    bare = GridSearchCV(IndependentTaskClassifier(LogisticRegression()),
                        {"estimator__C": [1.0]}, cv=2, refit=False).fit(X, Y)
    with pytest.raises(AttributeError, match="'GridSearchCV' has no attribute 'predict'"):
        predict_partitions(bare, ddf)


def test_predict_partitions_writes_lists_and_gated_numbers_to_parquet(client, tmp_path):
    # the meta's object columns (a multilabel task's lists, a gated task's numbers or
    # booleans with None where it is off) failed to_parquet: "Could not convert <object
    # object at ...>", where the same predictions in memory write fine
    from sklearn_mtl import Task

    rng = np.random.RandomState(0)
    X = pd.DataFrame(rng.normal(size=(120, 3)), columns=["f0", "f1", "f2"])
    on = X["f0"] > 0
    Y = pd.DataFrame({
        "car": on.astype(int),
        "color": pd.Series(np.where(X["f1"] > 0, 7, 3), dtype=object).where(on, None),
        "big": pd.Series(X["f2"] > 0, dtype=object).where(on, None),
        "tags": [[t for t, v in zip("abc", row) if v > 0] for row in X.to_numpy()],
    })
    tasks = [Task("car"), Task("color", gate=("car", 1)), Task("big", gate=("car", 1)),
             Task("tags", kind="multilabel")]
    clf = MultiTaskClassifier(tasks=tasks, hidden_layer_sizes=(8,), max_epochs=15, lr=1e-2,
                              ensemble_size=1, random_state=0).fit(X, Y)
    memory = clf.predict(X)
    assert memory[["color", "big", "tags"]].dtypes.eq(object).all()
    assert memory["color"].isna().any() and memory["color"].notna().any()
    assert {len(tags) for tags in memory["tags"]} > {0}
    lazy = predict_partitions(clf, dd.from_pandas(X, npartitions=3))
    computed = lazy.compute()
    # the same values: the gated numbers and booleans as nullable columns (in the meta
    # too), the lists as predict gives them
    assert computed.dtypes.to_dict() == {**lazy.dtypes.to_dict(), "tags": object}
    for name, dtype in (("color", "Int64"), ("big", "boolean")):
        pd.testing.assert_series_equal(computed[name], memory[name].astype(dtype),
                                       check_index_type=False)
    assert computed["tags"].tolist() == memory["tags"].tolist()
    pd.testing.assert_series_equal(computed["car"], memory["car"], check_index_type=False)
    lazy.to_parquet(tmp_path / "out")
    back = pd.read_parquet(tmp_path / "out").reset_index(drop=True)
    assert back["car"].tolist() == memory["car"].tolist()
    for name in ("color", "big"):
        assert back[name].astype(object).where(back[name].notna(), None).tolist() \
            == memory[name].tolist()
    assert [list(tags) for tags in back["tags"]] == memory["tags"].tolist()
    assert dd.read_parquet(tmp_path / "out").compute().shape == memory.shape


def test_limit_worker_threads_leaves_the_callers_own_process_as_it_was(monkeypatch):
    # workers of a LocalCluster(processes=False) are threads of this process: their
    # counts were set in it, the caller's NumPy and OMP_NUM_THREADS changed for good
    from threadpoolctl import threadpool_info, threadpool_limits

    from sklearn_mtl.distributed import _THREAD_ENV

    for name in _THREAD_ENV:  # put back after the test, whatever it changed
        if name in os.environ:
            monkeypatch.setenv(name, os.environ[name])
        else:
            monkeypatch.delenv(name, raising=False)
    env = {name: os.environ.get(name) for name in _THREAD_ENV}
    torch_threads = torch.get_num_threads()

    def pools():
        return [(p["internal_api"], p["num_threads"]) for p in threadpool_info()]

    with threadpool_limits(limits=None):  # its exit restores the pools' counts
        before = pools()
        cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1,
                                           processes=False, dashboard_address=None)
        client = distributed.Client(cluster)
        try:
            with pytest.warns(RuntimeWarning, match=r"Worker\(s\) \['.*'\] run in this process "
                                                    r"\(a LocalCluster\(processes=False\).*"
                                                    r"no count was set.*processes=True"):
                assert limit_worker_threads(client, n_threads=1) == {}
            with pytest.warns(RuntimeWarning, match="run in this process"):
                client.register_plugin(ThreadLimits(n_threads=1))
            assert {name: os.environ.get(name) for name in _THREAD_ENV} == env
            assert pools() == before
            assert torch.get_num_threads() == torch_threads
        finally:
            client.close()
            cluster.close()
            torch.set_num_threads(torch_threads)
