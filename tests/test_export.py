"""ONNX export: per-task outputs, parity with predict_proba, labels with gates, errors."""

import json

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")
pytest.importorskip("skl2onnx")

import onnx  # noqa: E402
from sklearn.compose import ColumnTransformer, make_column_transformer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler  # noqa: E402

from sklearn_mtl import (  # noqa: E402
    IndependentTaskClassifier,
    JointDecoder,
    LabelProductClassifier,
    MultiTaskClassifier,
    Task,
    TaskChainClassifier,
    TaskThresholdTuner,
    export_onnx,
)
from sklearn_mtl._export import (  # noqa: E402
    OnnxExportError,
    check_parity,
    network_outputs_module,
    run_onnx,
)

ATOL = 1e-5


def _car_data(n, seed):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 4)).astype(np.float32)
    car = np.where(X[:, 0] > 0, "yes", "no")
    color = np.where(car == "yes", np.where(X[:, 1] > 0.3, "red",
                                            np.where(X[:, 2] > 0, "blue", "white")), None)
    Y = pd.DataFrame({"car": car, "color": color, "big": (X[:, 3] > 0).astype(int)})
    return X, Y


TASKS = [Task("car"), Task("color", gate=("car", "yes")), Task("big", kind="binary")]


@pytest.fixture(scope="module")
def car_model():
    # Module-scoped: fitted once, never refitted by a test.
    X, Y = _car_data(200, 0)
    # Ten epochs: the gate already closes on some test rows and opens on others.
    clf = MultiTaskClassifier(tasks=TASKS, hidden_layer_sizes=(16,), lr=1e-2, max_epochs=10,
                              decode="independent", random_state=0).fit(X, Y)
    X_test, _ = _car_data(50, 1)
    return clf, export_onnx(clf), X_test


def _assert_parity(model, onx, X, estimator=None):
    estimator = estimator if estimator is not None else model
    out = run_onnx(onx, X)
    Xt = model[:-1].transform(X) if hasattr(model, "steps") else X
    for task in estimator.schema_:
        expected = estimator.predict_proba(Xt, task=task.name)
        suffix = "value" if task.kind == "regression" else "probability"
        got = out[f"{task.name}_{suffix}"]
        assert got.shape == np.shape(expected)
        assert np.abs(got - expected).max() <= ATOL, task.name
    return out


def test_outputs_named_after_tasks(car_model):
    clf, onx, _ = car_model
    assert [o.name for o in onx.graph.output] == [
        "car_probability", "color_probability", "big_probability",
        "car_label", "color_label", "big_label",
    ]
    assert [i.name for i in onx.graph.input] == ["input"]
    # Dynamic batch axis.
    assert onx.graph.input[0].type.tensor_type.shape.dim[0].dim_value == 0
    meta = {p.key: p.value for p in onx.metadata_props}
    assert '"classes": ["blue", "red", "white"]' in meta["sklearn_mtl_schema"]


def test_mlp_parity_and_gated_labels(car_model):
    clf, onx, X_test = car_model
    out = _assert_parity(clf, onx, X_test)
    codes = clf.predict_encoded(X_test).codes
    for j, name in enumerate(["car", "color", "big"]):
        np.testing.assert_array_equal(out[f"{name}_label"], codes[:, j])
    # The gate: color is not applicable (-2) exactly where car is predicted "no" (code 0).
    assert (out["color_label"] == -2).any() and (out["color_label"] >= 0).any()
    np.testing.assert_array_equal(out["color_label"] == -2, out["car_label"] == 0)
    # Any batch size, one row included.
    for rows in (X_test[:1], X_test[:7]):
        np.testing.assert_allclose(run_onnx(onx, rows)["car_probability"],
                                   clf.predict_proba(rows, task="car"), atol=ATOL)


@pytest.mark.parametrize("trunk, shape, params", [
    ("conv2d", (2, 8, 8), {"channels": (4, 8)}),
    ("conv3d", (1, 4, 8, 8), {"channels": (4, 8), "stride": 1}),
    ("conv2d_frames", (1, 4, 8, 8), {"channels": (4,)}),
])
def test_conv_trunks_parity(trunk, shape, params):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(24, *shape)).astype(np.float32)
    Y = np.c_[X.mean(axis=tuple(range(1, X.ndim))) > 0, rng.randint(0, 3, 24)]
    clf = MultiTaskClassifier(trunk=trunk, trunk_params=params, max_epochs=2, batch_size=8,
                              decode="independent", random_state=0).fit(X, Y)
    onx = export_onnx(clf, X_sample=X[:4])
    X_test = rng.normal(size=(10, *shape)).astype(np.float32)
    out = _assert_parity(clf, onx, X_test)
    np.testing.assert_array_equal(out["task1_label"], clf.predict_encoded(X_test).codes[:, 1])


def test_multilabel_and_regression_outputs():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3)).astype(np.float32)
    on = X[:, 0] > 0
    Y = pd.DataFrame({
        "kind": np.where(on, "a", "b"),
        "tags": [({"x"} if v > 0 else {"x", "y"}) if o else None for o, v in zip(on, X[:, 1])],
        "size": np.where(on, X[:, 2] * 2.0, np.nan),
    })
    tasks = [Task("kind"), Task("tags", kind="multilabel", gate=("kind", "a")),
             Task("size", kind="regression", gate=("kind", "a"))]
    clf = MultiTaskClassifier(tasks=tasks, hidden_layer_sizes=(8,), lr=1e-2, max_epochs=20,
                              ensemble_size=1, decode="independent", random_state=0).fit(X, Y)
    onx = export_onnx(clf, X_sample=X)
    out = _assert_parity(clf, onx, X)
    assert out["tags_probability"].shape == (60, 2) and out["size_value"].shape == (60,)
    encoded = clf.predict_encoded(X)
    off = encoded.codes[:, 0] != 0  # kind predicted "b": tags and size not applicable
    assert off.any() and (~off).any()
    np.testing.assert_array_equal(out["tags_label"][~off], encoded.multilabel["tags"][~off])
    assert (out["tags_label"][off] == -2).all()
    np.testing.assert_allclose(out["size_label"][~off], encoded.regression["size"][~off],
                               atol=ATOL)
    assert np.isnan(out["size_label"][off]).all()


def test_a_column_that_float32_cannot_hold_is_named_by_the_parity_check():
    # The estimator reads a table in float64; the graph reads float32, in which epoch
    # seconds lose their last digits. The check said only that a part was missing.
    k = np.tile(np.arange(120), 2)
    X = pd.DataFrame({"small": k % 7, "seconds": k + 1_700_000_000.5})
    clf = MultiTaskClassifier(ensemble_size=1, max_epochs=3, random_state=0,
                              decode="independent").fit(X, k >= 60)
    with pytest.raises(OnnxExportError, match=r"reads its inputs in float32, which cannot "
                                              r"hold column 'seconds' at its scale "
                                              r"\(1700000\d+\.5 reads 17000000\d+\.0\).*"
                                              r"Subtract an offset"):
        export_onnx(clf, X_sample=X)
    shifted = X.assign(seconds=X["seconds"] - 1_700_000_000)  # the way out
    clf.fit(shifted, k >= 60)
    export_onnx(clf, X_sample=shifted)


def test_regression_in_large_units_passes_the_parity_check():
    # A quantity in grams (thousands): float32 agrees with torch to a relative 1e-7, an
    # absolute 1e-4 or so, which the check accepts (before: refused at atol=1e-5).
    from sklearn_mtl._export import _difference

    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 3)).astype(np.float32)
    Y = pd.DataFrame({"kind": np.where(X[:, 0] > 0, "a", "b"),
                      "mass": 4000 + 600 * X[:, 1] + rng.normal(scale=30, size=80)})
    tasks = [Task("kind"), Task("mass", kind="regression")]
    clf = MultiTaskClassifier(tasks=tasks, hidden_layer_sizes=(16,), max_epochs=5,
                              random_state=0).fit(X, Y)
    onx = export_onnx(clf, X_sample=X)
    got = run_onnx(onx, X)["mass_value"]
    expected = clf.predict(X)["mass"].to_numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    assert _difference([4000.5], [4000.0]) == pytest.approx(0.5 / 4000)
    assert _difference([0.3], [0.1]) == pytest.approx(0.2)  # probabilities: absolute


@pytest.fixture(scope="module")
def frame_data():
    rng = np.random.RandomState(0)
    n = 120
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n),
                      "shop": rng.choice(["x", "y", "z"], n), "k": rng.randint(0, 3, n)})
    car = np.where(X["a"] > 0, "yes", "no")
    Y = pd.DataFrame({"car": car,
                      "color": np.where(car == "yes", np.where(X["b"] > 0, "red", "blue"), None),
                      "size": X["shop"].map({"x": "s", "y": "m", "z": "l"})})
    return X, Y


def _column_pipeline(final):
    return make_pipeline(
        ColumnTransformer([("num", StandardScaler(), ["a", "b"]),
                           ("cat", OneHotEncoder(handle_unknown="ignore"), ["shop", "k"])]),
        final,
    )


@pytest.mark.parametrize("final", [
    MultiTaskClassifier(tasks=[Task("car"), Task("color", gate=("car", "yes")), Task("size")],
                        hidden_layer_sizes=(16,), lr=1e-2, max_epochs=20, decode="independent",
                        random_state=0),
    IndependentTaskClassifier(LogisticRegression(),
                              tasks=[Task("car"), Task("color", gate=("car", "yes")),
                                     Task("size")]),
], ids=["mtl", "independent"])
def test_pipeline_with_column_transformer_is_one_graph(final, frame_data):
    X, Y = frame_data
    pipe = _column_pipeline(final).fit(X, Y)
    onx = export_onnx(pipe, X_sample=X.iloc[:5])
    assert [i.name for i in onx.graph.input] == ["a", "b", "shop", "k"]
    out = _assert_parity(pipe, onx, X, estimator=pipe[-1])
    codes = pipe[-1].predict_encoded(pipe[0].transform(X)).codes
    for j, name in enumerate(["car", "color", "size"]):
        np.testing.assert_array_equal(out[f"{name}_label"], codes[:, j])
    # Without X_sample the input types are read from the fitted encoders.
    inferred = export_onnx(pipe)
    types = {i.name: i.type.tensor_type.elem_type for i in inferred.graph.input}
    assert types == {"a": onnx.TensorProto.FLOAT, "b": onnx.TensorProto.FLOAT,
                     "shop": onnx.TensorProto.STRING, "k": onnx.TensorProto.INT64}
    np.testing.assert_allclose(run_onnx(inferred, X)["car_probability"],
                               out["car_probability"], atol=ATOL)


@pytest.mark.parametrize("sparse", [False, True])
def test_estimator_with_a_column_transformer_as_its_preprocessing(frame_data, sparse):
    # The same ColumnTransformer inside the estimator (preprocessing=...) as in front of
    # it: one graph input per column, the estimator's own probabilities; its output may
    # be sparse (the graph's is dense). The input types come from the sample in one case and
    # from the fitted encoders in the other (the two ways do not depend on sparse output:
    # one export per case covers both ways and both outputs).
    X, Y = frame_data
    columns = _column_pipeline(None)[0].set_params(sparse_threshold=1.0 if sparse else 0.0)
    clf = MultiTaskClassifier(
        tasks=[Task("car"), Task("color", gate=("car", "yes")), Task("size")],
        preprocessing=columns if sparse else make_pipeline(columns, StandardScaler()),
        hidden_layer_sizes=(16,), lr=1e-2, max_epochs=5, random_state=0,
    ).fit(X, Y)
    assert sp.issparse(clf.preprocessor_.transform(X)) == sparse
    onx = export_onnx(clf) if sparse else export_onnx(clf, X_sample=X.iloc[:5])
    assert [i.name for i in onx.graph.input] == ["a", "b", "shop", "k"]
    _assert_parity(clf, onx, X)


def test_scaler_pipeline_single_input_and_written_file(tmp_path):
    # the network's gated tasks, default decoding and lookup behind a scaler, from an array
    X, Y = _car_data(80, 0)
    pipe = make_pipeline(StandardScaler(), MultiTaskClassifier(
        tasks=TASKS, hidden_layer_sizes=(8,), max_epochs=3, random_state=0)).fit(X, Y)
    path = tmp_path / "model.onnx"
    export_onnx(pipe, path)
    onx = onnx.load(str(path))
    assert [i.name for i in onx.graph.input] == ["input"]
    _assert_parity(pipe, onx, X, estimator=pipe[-1])


def test_sample_rows_passed_as_the_path_are_refused(tmp_path, car_model, monkeypatch):
    # export_onnx(model, X) must not write a file named by the table's repr
    monkeypatch.chdir(tmp_path)
    X, _ = _car_data(5, 0)
    for wrong in (X, pd.DataFrame(X)):
        with pytest.raises(TypeError, match="path must be a file path.*X_sample"):
            export_onnx(car_model, wrong)
    assert list(tmp_path.iterdir()) == []


def test_a_tuner_around_a_pipeline_exports_as_the_pipeline_it_computes():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, Y = _car_data(120, 0)
    Y = Y[["car", "big"]]
    inner = make_pipeline(StandardScaler(), IndependentTaskClassifier(LogisticRegression()))
    tuner = TaskThresholdTuner(inner, cv=2, random_state=0).fit(X, Y)
    tuner.thresholds_ = {"car": 0.9, "big": 0.1}  # far from 0.5: the labels must follow
    outer = make_pipeline(StandardScaler().fit(X), tuner)
    for model, Xt in ((tuner, X), (outer, outer[0].transform(X))):
        onx = export_onnx(model, X_sample=X)  # checks the probabilities
        out = run_onnx(onx, X)
        codes = tuner.predict_encoded(Xt).codes
        np.testing.assert_array_equal(out["car_label"], codes[:, 0])
        np.testing.assert_array_equal(out["big_label"], codes[:, 1])
        np.testing.assert_array_equal(out["car_label"], out["car_probability"][:, 1] > 0.9)
    assert isinstance(tuner.estimator_, type(inner))  # the user's tuner is left as it was


def _assert_labels_are_predicts(model, onx, X):
    """Every ``<task>_label`` output equals what ``predict`` decides."""
    out = run_onnx(onx, X)
    encoded = model.predict_encoded(X)
    for j, task in enumerate(model.schema_):
        got = out[f"{task.name}_label"]
        if task.kind == "multilabel":
            expected = np.where(encoded.codes[:, [j]] == -2, -2, encoded.multilabel[task.name])
        elif task.kind == "regression":
            got, expected = np.nan_to_num(got, nan=-2.0), np.nan_to_num(
                encoded.regression[task.name], nan=-2.0)
        else:
            expected = encoded.codes[:, j]
        np.testing.assert_array_equal(got, expected, err_msg=task.name)
    return out


@pytest.mark.parametrize("decode", [
    "joint",  # gates only: every valid combination (3 x 4 x 2 here)
    JointDecoder(allowed="observed"),
    JointDecoder(forbidden=[(("color", "red"), ("big", 1))]),
])
def test_joint_decoding_labels_equal_predict(decode):
    X, Y = _car_data(160, 0)
    clf = MultiTaskClassifier(tasks=TASKS, hidden_layer_sizes=(8,), max_epochs=10, lr=1e-2,
                              decode=decode, random_state=0).fit(X, Y)
    onx = export_onnx(clf)
    assert [o.name for o in onx.graph.output][3:] == ["car_label", "color_label", "big_label"]
    X_test, _ = _car_data(200, 1)
    out = _assert_labels_are_predicts(clf, onx, X_test)
    # joint decoding differs from deciding task by task somewhere here: the test can fail
    independent = clf.set_params(decode="independent").predict_encoded(X_test).codes
    assert (out["color_label"] != independent[:, 1]).any() or \
        (out["car_label"] != independent[:, 0]).any()


def test_default_recipe_exports_its_joint_decoding_and_probe():
    # The default model decodes over the combinations seen in training with its
    # combination probe (a weight above 0 on this table): the labels are predict's.
    from sklearn.model_selection import train_test_split

    from sklearn_mtl.datasets import load_penguins

    X_train, X_test, Y_train, _ = train_test_split(*load_penguins(), random_state=0)
    clf = MultiTaskClassifier(random_state=0).fit(X_train, Y_train)
    assert isinstance(clf._decoder(), JointDecoder) and clf.combination_weight_ > 0
    onx = export_onnx(clf, X_sample=X_test)
    _assert_labels_are_predicts(clf, onx, X_test)
    meta = {p.key: p.value for p in onx.metadata_props}
    assert "joint" in meta["sklearn_mtl_labels"]
    # the public module gives the per-task outputs; the probe's output only when asked
    x = torch.from_numpy(clf.preprocessor_.transform(X_test).astype(np.float32))
    with torch.no_grad():
        plain = network_outputs_module(clf)(x)
        probed = network_outputs_module(clf, probe=True)(x)
    assert len(plain) == 3 and len(probed) == 4
    assert probed[3].shape == (len(X_test), len(clf.observed_combinations_))
    for a, b in zip(plain, probed):
        torch.testing.assert_close(a, b)
    # a decode set after fit decodes as it says, without the probe, in predict and graph
    clf.set_params(decode="joint")
    _assert_labels_are_predicts(clf, export_onnx(clf, X_sample=X_test), X_test)
    # a model that decodes each task on its own has no probe to give (two small members
    # trained one epoch show it: with decode="auto" these have a probe; one member has none)
    independent = MultiTaskClassifier(decode="independent", max_epochs=1, ensemble_size=2,
                                      hidden_layer_sizes=(8,), random_state=0)
    with pytest.raises(OnnxExportError, match="no combination probe"):
        network_outputs_module(independent.fit(X_train, Y_train), probe=True)


@pytest.mark.parametrize("table", ["numeric with repeated rows", "strings"])
def test_joint_decoding_with_lookup_raw_columns_and_a_multilabel_task(table):
    rng = np.random.RandomState(0)
    base = pd.DataFrame({"size": rng.normal(size=40), "width": rng.normal(size=40)})
    if table == "strings":  # one input per column; the lookup reads numbers only
        frame = base.assign(shop=rng.choice(["n", "s"], 40))
        key = frame["shop"] == "n"
    else:  # rows repeated: the lookup of their labels joins the decoding
        frame = pd.concat([base, base.iloc[:20]], ignore_index=True)
        key = frame["width"] > 0
    Y = pd.DataFrame({
        "kind": np.where(frame["size"] > 0, "p", "q"),
        "tags": [["a"] if k else ["a", "b"] if z > 0.5 else []
                 for k, z in zip(key, frame["size"])],
    })
    clf = MultiTaskClassifier(ensemble_size=3, hidden_layer_sizes=(8,), max_epochs=5,
                              decode=JointDecoder(allowed="observed"), random_state=0)
    clf.fit(frame, Y)
    if table != "strings":
        assert clf.lookup_tasks_.any()
    onx = export_onnx(clf, X_sample=frame.head(10))
    _assert_labels_are_predicts(clf, onx, frame)


def test_joint_decoding_of_the_independent_baseline():
    X, Y = _car_data(160, 0)
    model = make_pipeline(StandardScaler(), IndependentTaskClassifier(
        LogisticRegression(), tasks=TASKS, decode=JointDecoder(allowed="observed")))
    model.fit(X, Y)
    onx = export_onnx(model, X_sample=X[:10])
    X_test, _ = _car_data(100, 1)
    out = run_onnx(onx, X_test)
    codes = model[-1].predict_encoded(model[0].transform(X_test)).codes
    for j, name in enumerate(["car", "color", "big"]):
        np.testing.assert_array_equal(out[f"{name}_label"], codes[:, j])


@pytest.mark.parametrize("decode", ["joint", "independent"])
def test_label_product_exports_its_marginals_and_labels(decode):
    # the combinations' probabilities from the base model's graph; each task's as
    # predict_proba marginalises them (a gated task's conditional on its gate); the
    # labels: its most probable combination, or each task's own decision
    X, Y = _car_data(200, 0)
    Y["tags"] = [None if car == "no" else ["a"] if x > 0 else ["a", "b"] if y > 0 else []
                 for car, x, y in zip(Y["car"], X[:, 2], X[:, 3])]
    tasks = [*TASKS, Task("tags", kind="multilabel", gate=("car", "yes"))]
    model = make_pipeline(StandardScaler(), LabelProductClassifier(
        LogisticRegression(max_iter=1000), tasks=tasks, decode=decode)).fit(X, Y)
    onx = export_onnx(model, X_sample=X[:20])
    X_test, _ = _car_data(300, 1)
    out = _assert_parity(model, onx, X_test, estimator=model[-1])
    encoded = model[-1].predict_encoded(model[0].transform(X_test))
    for j, task in enumerate(model[-1].schema_):
        got = out[f"{task.name}_label"]
        if task.kind == "multilabel":
            off = encoded.codes[:, j] == -2
            np.testing.assert_array_equal(got[~off], encoded.multilabel[task.name][~off])
            assert (got[off] == -2).all() and off.any()
        else:
            np.testing.assert_array_equal(got, encoded.codes[:, j], err_msg=task.name)
    meta = {p.key: p.value for p in onx.metadata_props}
    assert ("decided jointly" in meta["sklearn_mtl_labels"]) == (decode == "joint")


@pytest.mark.parametrize("params", [
    {}, {"chain_method": "predict"}, {"n_chains": 3, "random_state": 0},
    {"decode": "joint"}])
def test_chain_exports_its_links_in_order(params):
    # each link reads the input and the earlier links' features (probabilities or
    # one-hot decisions, zero where the task's gate is off); a gated and a multilabel
    # task; a pipeline as the base estimator
    X, Y = _car_data(200, 0)
    Y["tags"] = [["a"] if x > 0 else ["a", "b"] if y > 0 else [] for x, y in
                 zip(X[:, 2], X[:, 3])]
    tasks = [*TASKS, Task("tags", kind="multilabel")]
    model = TaskChainClassifier(make_pipeline(StandardScaler(), LogisticRegression()),
                                tasks=tasks, **params).fit(X, Y)
    onx = export_onnx(model, X_sample=X[:20])
    X_test, _ = _car_data(300, 1)
    out = _assert_parity(model, onx, X_test)
    encoded = model.predict_encoded(X_test)
    for j, task in enumerate(model.schema_):
        expected = (encoded.multilabel[task.name] if task.kind == "multilabel"
                    else encoded.codes[:, j])
        np.testing.assert_array_equal(out[f"{task.name}_label"], expected, err_msg=task.name)
    assert (out["color_label"] == -2).any()


def test_chain_after_pipeline_steps():
    # the chain reads a step's output (its shape unknown while skl2onnx parses)
    X, Y = _car_data(120, 0)
    model = make_pipeline(StandardScaler(), TaskChainClassifier(
        LogisticRegression(), tasks=TASKS)).fit(X, Y)
    onx = export_onnx(model, X_sample=X[:5])
    out = _assert_parity(model, onx, X, estimator=model[-1])
    codes = model[-1].predict_encoded(model[0].transform(X)).codes
    for j, name in enumerate(["car", "color", "big"]):
        np.testing.assert_array_equal(out[f"{name}_label"], codes[:, j])


@pytest.mark.parametrize("Est, params", [
    (IndependentTaskClassifier, {}), (TaskChainClassifier, {}),
    (TaskChainClassifier, {"chain_method": "predict"})])
def test_single_class_models_export(Est, params):
    # a task and a label of one class among the training labels: the baseline's
    # stand-in for them predicts that class with probability 1, in the graph too
    X, Y = _car_data(150, 0)
    Y["big"] = 1
    Y["tags"] = [["a"] if x > 0 else ["a", "b"] for x in X[:, 2]]
    tasks = [*TASKS[:2], Task("big", classes=[0, 1]),
             Task("tags", kind="multilabel", classes=["a", "b", "c"])]
    with pytest.warns(UserWarning, match="single class"):
        model = Est(make_pipeline(StandardScaler(), LogisticRegression()), tasks=tasks,
                    **params).fit(X, Y)
    X_test, _ = _car_data(60, 1)
    out = _assert_parity(model, export_onnx(model, X_sample=X[:5]), X_test)
    assert (out["big_label"] == 1).all()
    np.testing.assert_array_equal(out["tags_label"][:, [0, 2]], [[1, 0]] * len(X_test))


def test_too_many_combinations_export_probabilities_only():
    # 3 free tasks of 17 classes: 4913 combinations, more than the graph scores (the
    # count is the product of the class counts, as for 13 binary tasks' 8192; three
    # heads export faster than thirteen)
    rng = np.random.RandomState(0)
    X = rng.normal(size=(68, 3)).astype(np.float32)
    Y = np.column_stack([rng.permutation(np.arange(68) % 17) for _ in range(3)])
    clf = MultiTaskClassifier(hidden_layer_sizes=(4,), max_epochs=1, decode="joint",
                              ensemble_size=1, random_state=0).fit(X, Y)
    assert [len(c) for c in clf.classes_] == [17, 17, 17]
    with pytest.warns(UserWarning, match="at most 4096 label combinations"):
        onx = export_onnx(clf)
    assert all(o.name.endswith("_probability") for o in onx.graph.output)
    clf.set_params(decode="independent")
    assert len(export_onnx(clf, labels=False).graph.output) == 3


def test_quantized_model_is_smaller_and_close(car_model):
    X, Y = _car_data(200, 0)
    clf = MultiTaskClassifier(tasks=TASKS, hidden_layer_sizes=(256, 256), max_epochs=2,
                              random_state=0).fit(X, Y)
    fp32, int8 = export_onnx(clf), export_onnx(clf, quantize=True)
    assert int8.ByteSize() < fp32.ByteSize() / 2
    X_test, _ = _car_data(50, 1)
    a, b = run_onnx(fp32, X_test), run_onnx(int8, X_test)
    assert np.abs(a["car_probability"] - b["car_probability"]).max() < 0.05


def test_quantizing_leaves_the_products_the_export_writes_itself_exact():
    # the label product's marginals (a fixed 0/1 matrix times the combinations'
    # probabilities) were quantized too: a gated task's small P(gate on) rounded to 0,
    # its probabilities read 0.5 and 0.5 where predict_proba gave 0.95
    X, Y = _car_data(300, 0)
    model = make_pipeline(StandardScaler(), LabelProductClassifier(LogisticRegression(),
                                                                   tasks=TASKS)).fit(X, Y)
    int8 = export_onnx(model, quantize=True)
    ops = {node.op_type for node in int8.graph.node}
    assert "MatMul" in ops and "MatMulInteger" not in ops  # no learned weight to quantize
    X_test, _ = _car_data(300, 1)
    out = run_onnx(int8, X_test)
    for j, task in enumerate(TASKS):
        np.testing.assert_allclose(out[f"{task.name}_probability"],
                                   model.predict_proba(X_test)[j], atol=1e-5)
    network = MultiTaskClassifier(tasks=TASKS, hidden_layer_sizes=(16,), max_epochs=1,
                                  random_state=0).fit(X, Y)
    assert "MatMulInteger" in {n.op_type for n in export_onnx(network,
                                                              quantize=True).graph.node}


class CumMaxTrunk(torch.nn.Module):
    """A trunk with an operator that ONNX cannot express."""

    def __init__(self, n_features):
        super().__init__()
        self.linear = torch.nn.Linear(n_features, 4)

    def forward(self, x):
        return torch.cummax(self.linear(x), dim=1).values


class DoublingClassifier(MultiTaskClassifier):
    """Computes part of its predictions outside net_.module_ (x * 2 first)."""

    def _predict_outputs(self, X):
        return super()._predict_outputs(X * 2)


class DoublingWithHook(DoublingClassifier):
    """The same, telling the exporter about its preprocessing."""

    def _onnx_parts(self):
        scaler = StandardScaler().fit(np.zeros((2, self.n_features_in_)))
        scaler.scale_ = np.full(self.n_features_in_, 0.5)  # (x - 0) / 0.5 = 2x
        return scaler, network_outputs_module(self)


def test_errors_name_the_part(frame_data):
    X, Y = _car_data(40, 0)
    # A trunk torch cannot export.
    clf = MultiTaskClassifier(trunk=CumMaxTrunk, max_epochs=1, random_state=0).fit(X, Y)
    with pytest.raises(OnnxExportError, match="(?s)CumMaxTrunk|MultiHeadModule.*cummax"):
        export_onnx(clf)
    # Predictions made outside the module: caught by the parity check, not written wrong.
    clf = DoublingClassifier(hidden_layer_sizes=(4,), max_epochs=1, preprocessing=None,
                             random_state=0).fit(X, Y)
    with pytest.raises(OnnxExportError, match="outside net_.module_"):
        export_onnx(clf)
    # A chain whose links have no probabilities, or read a table of named columns.
    from sklearn.svm import LinearSVC

    chain = TaskChainClassifier(LinearSVC(), chain_method="predict").fit(X, Y)
    with pytest.raises(OnnxExportError, match="LinearSVC has no predict_proba"):
        export_onnx(chain)
    frame = pd.DataFrame(X, columns=list("abcd")).assign(kind=np.where(X[:, 0] > 0, "u", "v"))
    strings = make_column_transformer((OneHotEncoder(handle_unknown="ignore"), ["kind"]),
                                      remainder="passthrough")
    chain = TaskChainClassifier(make_pipeline(strings, LogisticRegression())).fit(frame, Y)
    with pytest.raises(OnnxExportError, match="one numeric input"):
        export_onnx(chain, X_sample=frame.head())
    # A pipeline step skl2onnx does not know is named; the steps it knows are not
    # (skl2onnx lists StandardScaler as "Scaler").
    pipe = make_pipeline(StandardScaler(), FunctionTransformer(np.tanh),
                         IndependentTaskClassifier(LogisticRegression())).fit(X, Y)
    with pytest.raises(OnnxExportError, match="FunctionTransformer") as error:
        export_onnx(pipe)
    assert "standardscaler" not in str(error.value)


def test_estimator_hook_exports_its_own_preprocessing():
    X, Y = _car_data(60, 0)
    clf = DoublingWithHook(hidden_layer_sizes=(4,), max_epochs=1, preprocessing=None,
                           random_state=0).fit(X, Y)
    # its predict decodes with the combination probe, which its module does not give:
    # the graph's labels would differ from predict's, and the check says why
    assert clf.combination_weight_ > 0
    with pytest.raises(OnnxExportError, match="(?s)labels.*combination probe.*labels=False"):
        export_onnx(clf, X_sample=X)
    onx = export_onnx(clf, X_sample=X, labels=False)
    _assert_parity(clf, onx, X)


def test_independent_forest_with_a_gated_multilabel_task():
    from sklearn.ensemble import RandomForestClassifier

    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 3)).astype(np.float32)
    on = X[:, 0] > 0
    Y = pd.DataFrame({
        "kind": np.where(on, "a", "b"),
        "tags": [({"x"} if v > 0 else {"y"}) if o else None for o, v in zip(on, X[:, 1])],
        "c": rng.choice(["p", "q", "r"], 80),
    })
    tasks = [Task("kind"), Task("tags", kind="multilabel", gate=("kind", "a")), Task("c")]
    model = IndependentTaskClassifier(RandomForestClassifier(n_estimators=5, random_state=0),
                                      tasks=tasks).fit(X, Y)
    onx = export_onnx(model, X_sample=X)
    out = _assert_parity(model, onx, X)
    encoded = model.predict_encoded(X)
    expected = encoded.multilabel["tags"].astype(np.int64)
    expected[encoded.codes[:, 1] == -2] = -2
    np.testing.assert_array_equal(out["tags_label"], expected)
    np.testing.assert_array_equal(out["c_label"], encoded.codes[:, 2])


def test_skl2onnx_converts_pipelines_once_registered():
    from skl2onnx import to_onnx

    from sklearn_mtl._export import register_converters

    register_converters()
    X, Y = _car_data(60, 0)
    model = make_pipeline(StandardScaler(), IndependentTaskClassifier(
        LogisticRegression(), tasks=TASKS)).fit(X, Y)
    onx = to_onnx(model, X[:1])
    assert [o.name for o in onx.graph.output][:3] == [
        "car_probability", "color_probability", "big_probability"]
    _assert_parity(model, onx, X, estimator=model[-1])


def test_piecewise_linear_encoding_and_log_ratio_export():
    # the piecewise-linear encoding (missing values, a value above every bin) and the
    # positive columns' log-ratios with their encoding go into the graph; a value that is
    # not positive (or missing) makes a ratio missing there as in the estimator (one
    # model: the raw columns are encoded with or without the ratios)
    from sklearn_mtl.neural import TabularPreprocessor

    X, Y = _car_data(120, 0)
    X = np.exp(X.astype(np.float64))
    X[::7, 2] = np.nan
    clf = MultiTaskClassifier(
        tasks=TASKS, max_epochs=3, random_state=0,
        preprocessing=TabularPreprocessor(n_bins=8, ratios=True)).fit(X, Y)
    assert len(clf.preprocessor_.ratio_pairs_) == 6
    assert len(clf.preprocessor_.encoded_columns_) > 0
    assert any(len(e) > 1 for e in clf.preprocessor_.bin_edges_)  # the raw columns' bins
    X_test, _ = _car_data(40, 1)
    X_test = np.exp(X_test.astype(np.float64))
    X_test[::5, 2] = np.nan
    X_test[1, 0], X_test[2, 1] = 0.0, -1.0
    X_test[3, 0] = 1e3  # above every bin
    assert X_test[3, 0] > np.nanmax(X[:, 0])
    _assert_parity(clf, export_onnx(clf, X_sample=X_test), X_test)


def test_default_recipe_point_mass_indicator_and_hidden_head_export():
    # The recipe's defaults: robust scaling with missing-value indicators inside the
    # estimator, an ensemble of MLPs averaging probabilities. A column with a third of its
    # values at 0, its lowest: the preprocessor's indicator of that value goes into the
    # graph. A task's hidden head: each member's heads are exported. (Three tests of one
    # default-recipe model before, each paying its own export.)
    X, Y = _car_data(120, 0)
    X = X.astype(np.float64)
    # at a value float32 cannot hold: the graph reads float32 inputs
    X[::3, 1] = X[:, 1].min() - 1.3
    assert np.float32(X[0, 1]) != X[0, 1]
    X[::7, 2] = np.nan
    clf = MultiTaskClassifier(tasks=TASKS, max_epochs=3, random_state=0,
                              head_hidden={"color": (4,)}).fit(X, Y)
    assert clf.preprocessor_ is not None and getattr(clf.net_.module_, "n_members", 1) > 1
    assert type(clf.net_.module_.heads).__name__ == "MemberHeads"
    np.testing.assert_array_equal(clf.preprocessor_.point_mass_columns_, [1])
    X_test, _ = _car_data(40, 1)
    X_test = X_test.astype(np.float64)
    X_test[::4, 1] = clf.preprocessor_.point_mass_values_[0]
    X_test[::5, 2] = np.nan
    _assert_parity(clf, export_onnx(clf, X_sample=X_test), X_test)


def test_kept_input_view_export(monkeypatch):
    # A large table's recipe: two input views trained, one kept (its members' input mask
    # and the preprocessor's piecewise-linear encoding both go into the graph).
    import sklearn_mtl._multitask as multitask

    monkeypatch.setattr(multitask, "_VIEW_MIN_SAMPLES", 100)
    X, Y = _car_data(120, 0)
    X = X.astype(np.float64)
    X[::7, 2] = np.nan
    clf = MultiTaskClassifier(tasks=TASKS, max_epochs=3, random_state=0).fit(X, Y)
    assert clf.input_view_ in ("scaled", "encoded") and clf.net_.module_.n_members == 8
    X_test, _ = _car_data(40, 1)
    X_test = X_test.astype(np.float64)
    X_test[::5, 2] = np.nan
    _assert_parity(clf, export_onnx(clf, X_sample=X_test), X_test)


def _raw_frame(n, seed):
    """A raw table as users have it: numbers with gaps, strings, a bool, a category with
    a gap, and a column with rare values (pooled by min_frequency)."""
    rng = np.random.RandomState(seed)
    X, Y = _car_data(n, seed)
    frame = pd.DataFrame(X[:, :2].astype(np.float64), columns=["length", "power"])
    frame.loc[::9, "power"] = np.nan
    frame["shop"] = np.where(X[:, 2] > 0, "north", "south")
    frame["used"] = X[:, 3] > 0.5
    frame["trim"] = pd.Categorical(rng.choice(["base", "sport", None], n))
    frame["paint"] = rng.choice(["red", "blue", "teal", "gold"], n, p=[0.6, 0.36, 0.02, 0.02])
    return frame, Y


@pytest.mark.parametrize("min_frequency", [1, 4])
def test_string_columns_one_hot_encoded_inside_the_estimator_export(min_frequency):
    from sklearn_mtl.neural import TabularPreprocessor

    frame, Y = _raw_frame(160, 0)
    clf = MultiTaskClassifier(
        tasks=TASKS, max_epochs=3, random_state=0, ensemble_size=3,
        preprocessing=TabularPreprocessor(min_frequency=min_frequency),
    ).fit(frame, Y)
    assert clf.preprocessor_.one_hot_ is not None
    onx = export_onnx(clf, X_sample=frame.head(20))
    # one input per column, as a ColumnTransformer's export takes them
    types = {i.name: i.type.tensor_type.elem_type for i in onx.graph.input}
    assert list(types) == list(frame.columns)
    assert types["length"] == onnx.TensorProto.FLOAT
    assert types["shop"] == types["used"] == types["paint"] == onnx.TensorProto.STRING
    test, _ = _raw_frame(60, 1)
    test.loc[0, "shop"] = "east"  # a category never seen: all zeros (or the rare column)
    test.loc[1, "paint"] = "gold"  # rare: pooled with min_frequency=4
    test.loc[2, "trim"] = None  # a gap, as str(None) reaches a string input
    test.loc[3, "length"] = np.nan  # a gap never seen in this column in training
    _assert_parity(clf, onx, test)
    # the class indices, as predict decides them
    out = run_onnx(onx, test)
    assert any(name.endswith("_label") for name in out)
    for task in clf.schema_:
        if f"{task.name}_label" in out:
            encoded = clf.predict_encoded(test)
            np.testing.assert_array_equal(out[f"{task.name}_label"],
                                          encoded.codes[:, clf.schema_.index(task.name)])


def test_one_hot_lookup_follows_the_encoder():
    from sklearn_mtl._export import one_hot_lookup

    rows = np.array([["a", "x"], ["a", "y"], ["b", "x"], ["c", "<missing>"], ["a", "x"]],
                    dtype=object)
    enc = OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=2,
                        sparse_output=False).fit(rows)
    # first column: "a" kept, "b" and "c" pooled into the infrequent column (last)
    keys, values, default, width = one_hot_lookup(enc, 0)
    assert (keys, values, default, width) == (["a", "b", "c"], [0, 1, 1], 1, 2)
    # second column: "x" kept, "<missing>" and "y" pooled; its gap spellings follow it
    keys, values, default, width = one_hot_lookup(enc, 1)
    assert keys[:3] == ["<missing>", "x", "y"] and values[:3] == [1, 0, 1]
    assert dict(zip(keys, values))["nan"] == 1 and dict(zip(keys, values))["None"] == 1
    enc = OneHotEncoder(handle_unknown="infrequent_if_exist", sparse_output=False).fit(rows)
    keys, values, default, width = one_hot_lookup(enc, 0)
    assert (values, default, width) == ([0, 1, 2], -1, 3)  # unknown: all zeros


def test_a_table_of_categorical_columns_only_exports():
    frame, Y = _raw_frame(80, 0)
    columns = ["shop", "used", "paint"]
    clf = MultiTaskClassifier(tasks=TASKS, max_epochs=2, random_state=0, ensemble_size=2,
                              lookup=None).fit(frame[columns], Y)  # rows repeat
    onx = export_onnx(clf, X_sample=frame[columns].head(10))
    assert [i.name for i in onx.graph.input] == columns
    test, _ = _raw_frame(30, 1)
    _assert_parity(clf, onx, test[columns])


@pytest.mark.parametrize("with_strings", [True, False])
def test_dates_and_durations_read_inside_the_estimator_export(with_strings):
    from sklearn_mtl._export import as_nanoseconds

    frame, Y = _raw_frame(160, 0)
    rng = np.random.RandomState(0)
    frame["sold"] = pd.Timestamp("2021-03-01", tz="Europe/Paris") + pd.to_timedelta(
        rng.uniform(0, 900, len(frame)), unit="D")
    frame.loc[::13, "sold"] = pd.NaT
    frame["wait"] = pd.to_timedelta(rng.uniform(0, 30, len(frame)), unit="h")
    columns = ["length", "power", "sold", "wait"] + (["shop", "paint"] if with_strings else [])
    clf = MultiTaskClassifier(tasks=TASKS, max_epochs=3, random_state=0,
                              ensemble_size=2).fit(frame[columns], Y)
    onx = export_onnx(clf, X_sample=frame[columns].head(20))
    types = {i.name: i.type.tensor_type.elem_type for i in onx.graph.input}
    assert types["sold"] == types["wait"] == onnx.TensorProto.INT64
    test = frame[columns].iloc[100:].copy()
    _assert_parity(clf, onx, test)
    # a CSV's text dates are read as predict reads them
    as_text = test.assign(sold=test["sold"].dt.tz_convert("UTC").astype(str).where(
        test["sold"].notna(), ""))
    np.testing.assert_array_equal(as_nanoseconds(as_text["sold"]), as_nanoseconds(test["sold"]))
    # nanoseconds since 1970-01-01 UTC, NaT as the smallest int64
    ns = as_nanoseconds(pd.Series(pd.to_datetime(["1970-01-02", None], utc=True)))
    assert ns.tolist() == [86_400 * 10**9, np.iinfo(np.int64).min]
    assert as_nanoseconds(pd.Series(pd.to_timedelta(["1h"]))).tolist() == [3_600 * 10**9]


def test_a_table_of_one_date_column_exports():
    # time-zone aware (the odd-named table's "one date column" below is naive)
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"sold": pd.Timestamp("2021-03-01", tz="UTC") + pd.to_timedelta(
        rng.uniform(0, 900, 80), unit="D")})
    Y = pd.DataFrame({"late": X["sold"].dt.month > 6, "mid": X["sold"].dt.day > 15})
    clf = MultiTaskClassifier(max_epochs=2, random_state=0, ensemble_size=2,
                              lookup=None).fit(X, Y)
    _assert_parity(clf, export_onnx(clf, X_sample=X.head(10)), X)


#: Column names that skl2onnx would rewrite as C identifiers ("length (m)" ->
#: "length__m_", "1st" -> "_1st", "a b" -> "a_b1" next to "a_b").
ODD_NAMES = ["length (m)", "v.2", "1st", "a_b", "a b", "größe €", "brand name"]


def _odd_frame(n, seed):
    rng = np.random.RandomState(seed)
    X = pd.DataFrame({name: rng.normal(size=n) for name in ODD_NAMES[:-1]})
    X["brand name"] = rng.choice(["acme", "zenith"], n)
    X["sold on"] = pd.Timestamp("2021-03-01") + pd.to_timedelta(rng.uniform(0, 900, n),
                                                                unit="D")
    Y = pd.DataFrame({"car": np.where(X["length (m)"] > 0, "yes", "no"),
                      "big": np.where(X["brand name"] == "acme", "u", "v")})
    return X, Y


@pytest.mark.parametrize("kind", ["network on the raw table", "one date column",
                                  "column transformer"])
def test_inputs_are_named_exactly_as_the_columns(kind):
    X, Y = _odd_frame(80, 0)
    test, _ = _odd_frame(30, 1)
    if kind == "column transformer":
        X, test = X[ODD_NAMES], test[ODD_NAMES]
        model = make_pipeline(
            ColumnTransformer([("num", StandardScaler(), ODD_NAMES[:-1]),
                               ("cat", OneHotEncoder(handle_unknown="ignore"), ["brand name"])]),
            IndependentTaskClassifier(LogisticRegression()),
        ).fit(X, Y)
        final = model[-1]
    else:  # the network's own preprocessing: strings, dates, numbers
        if kind == "one date column":
            X, test = X[["sold on"]], test[["sold on"]]
        model = final = MultiTaskClassifier(
            hidden_layer_sizes=(8,), max_epochs=2, ensemble_size=1, decode="independent",
            lookup=None, random_state=0).fit(X, Y)
    # A network on a raw table takes its inputs' names and types from its fitted
    # preprocessor, with or without X_sample (the same graph): one export with the sample
    # (which export_onnx checks). A ColumnTransformer's inputs are typed from the sample
    # or from its encoders: both exports.
    exports = [export_onnx(model, X_sample=X.head(5))]
    if kind == "column transformer":
        exports.append(export_onnx(model))
    for onx in exports:
        assert [i.name for i in onx.graph.input] == list(X.columns)
        onnx.checker.check_model(onx)
        _assert_parity(model, onx, test, estimator=final)
        assert set(check_parity(model, onx, test)) == {"car", "big"}
    missing = X.columns[-1]
    if len(X.columns) > 1:
        with pytest.raises(OnnxExportError, match=rf"takes a column '{missing}', which X lacks"):
            run_onnx(onx, test.drop(columns=missing))


def _coded_frame(n, seed):
    """Prices with decimals, a bool column and int codes, for a ColumnTransformer."""
    rng = np.random.RandomState(seed)
    X = pd.DataFrame({"price": rng.normal(100, 20, n).round(1), "used": rng.rand(n) > 0.5,
                      "k": rng.randint(0, 3, n)})
    Y = pd.DataFrame({"t": np.where(X["price"] > 100, "y", "n"),
                      "u": np.where(X["used"] ^ (X["k"] == 1), "p", "q")})
    return X, Y


def _coded_pipeline(X, Y):
    return make_pipeline(
        ColumnTransformer([("num", StandardScaler(), ["price"]),
                           ("cat", OneHotEncoder(handle_unknown="ignore"), ["used", "k"])]),
        IndependentTaskClassifier(LogisticRegression()),
    ).fit(X, Y)


def test_sample_inputs_are_typed_as_the_fitted_model_reads_them():
    # A float column whose sample rows happen to be whole numbers stays a float input (an
    # int64 one would truncate 100.7 to 100); a bool column, one-hot encoded, is an int64
    # input as without a sample (skl2onnx takes no bool input).
    X, Y = _coded_frame(100, 0)
    model = _coded_pipeline(X, Y)
    sample = X.head(10).assign(price=lambda d: d["price"].round().astype(int))
    expected = {"price": onnx.TensorProto.FLOAT, "used": onnx.TensorProto.INT64,
                "k": onnx.TensorProto.INT64}
    for onx in (export_onnx(model, X_sample=sample), export_onnx(model)):
        types = {i.name: i.type.tensor_type.elem_type for i in onx.graph.input}
        assert types == expected
        _assert_parity(model, onx, X, estimator=model[-1])


def test_run_onnx_refuses_to_truncate_a_number_for_an_int64_input():
    X, Y = _coded_frame(100, 0)
    onx = export_onnx(_coded_pipeline(X, Y))
    bad = X.astype({"k": float})
    bad.loc[3, "k"] = 1.5
    with pytest.raises(OnnxExportError, match=r"column 'k' is an int64 input, but X holds "
                                              r"1\.5 there, which is not a whole number"):
        run_onnx(onx, bad)
    run_onnx(onx, X.astype({"k": float}))  # whole numbers in a float column: read as codes


def test_a_value_an_input_cannot_hold_is_named_with_its_row_and_column():
    # numpy's "could not convert string to float: 'abc'" named neither the column nor
    # the row, from run_onnx and from export_onnx's check on its sample alike
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"a": rng.normal(size=40), "b": rng.normal(size=40)})
    Y = pd.DataFrame({"t": np.where(X["a"] > 0, "p", "q")})
    clf = MultiTaskClassifier(hidden_layer_sizes=(4,), max_epochs=2, random_state=0).fit(X, Y)
    onx = export_onnx(clf)
    bad = X.astype(object)
    bad.iloc[3, 1] = "abc"
    message = (r"input 'input' is a float32 input, but X holds 'abc' there \(row 3, column "
               r"'b'\), which cannot be read as float32 \(could not convert string to float")
    with pytest.raises(OnnxExportError, match=message):
        run_onnx(onx, bad)
    with pytest.raises(OnnxExportError, match=message):
        export_onnx(clf, X_sample=bad)
    X, Y = _coded_frame(100, 0)  # one graph input per column
    onx = export_onnx(_coded_pipeline(X, Y))
    bad = X.astype({"price": object})
    bad.loc[5, "price"] = "n/a"
    with pytest.raises(OnnxExportError, match=r"column 'price' is a float32 input, but X "
                                              r"holds 'n/a' there \(row 5\)"):
        run_onnx(onx, bad)


@pytest.mark.parametrize("kind", ["one input", "column transformer"])
def test_nullable_columns_with_gaps_export_and_run(kind):
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"a": rng.normal(size=60),
                      "c": pd.array(rng.randint(0, 3, 60), dtype="Int64")})
    X.loc[::5, "c"] = pd.NA
    Y = pd.DataFrame({"t": np.where(X["a"] > 0, "y", "n"),
                      "u": np.where(X["c"].fillna(0) > 1, "p", "q")})
    if kind == "one input":
        model = final = MultiTaskClassifier(
            hidden_layer_sizes=(8,), max_epochs=3, ensemble_size=1, decode="independent",
            lookup=None, random_state=0).fit(X, Y)
    else:
        from sklearn.impute import SimpleImputer

        model = make_pipeline(
            ColumnTransformer([("num", make_pipeline(SimpleImputer(), StandardScaler()),
                                ["a", "c"])]),
            IndependentTaskClassifier(LogisticRegression()),
        ).fit(X, Y)
        final = model[-1]
    onx = export_onnx(model, X_sample=X.head(10))  # rows 0 and 5 hold pd.NA
    _assert_parity(model, onx, X, estimator=final)


def test_a_tree_baseline_parity_failure_says_float32_thresholds():
    # skl2onnx scales in float32, where scikit-learn scales in float64: a sample near a
    # tree's split goes the other way. The message says so, and blames no torch.
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.impute import SimpleImputer

    rng = np.random.RandomState(0)
    n = 300
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(10, 3, n),
                      "s": rng.choice(["x", "y", "z"], n),
                      "flag": (rng.rand(n) > 0.5).astype(int), "k": rng.randint(0, 5, n)})
    X.loc[::7, "a"] = np.nan
    Y = pd.DataFrame({"car": np.where(X["b"] > 10, "yes", "no"),
                      "size": np.where(X["flag"] == 1, "S", np.where(X["k"] > 2, "M", "L"))})
    model = make_pipeline(
        ColumnTransformer([("num", make_pipeline(SimpleImputer(), StandardScaler()),
                            ["a", "b", "k"]),
                           ("cat", OneHotEncoder(handle_unknown="ignore"), ["s", "flag"])]),
        IndependentTaskClassifier(RandomForestClassifier(n_estimators=5, max_depth=4,
                                                         random_state=0)),
    ).fit(X, Y)
    with pytest.raises(OnnxExportError, match=r"(?s)decides with trees "
                       r"\(RandomForestClassifier\).*float32.*near a split.*looser atol"
                       ) as error:
        export_onnx(model, X_sample=X)
    assert "torch" not in str(error.value)


def test_the_lookup_of_a_table_with_a_bool_column_is_refused_by_name():
    # A bool column gives one graph input per column, which the lookup's comparison of
    # float rows cannot read: a clear refusal, not torch's exporter failing.
    rng = np.random.RandomState(0)
    base = pd.DataFrame({"a": rng.randint(0, 3, 120).astype(float),
                         "used": rng.rand(120) > 0.5})
    X = pd.concat([base, base], ignore_index=True)
    Y = pd.DataFrame({"t": np.tile(np.where(rng.rand(120) > 0.5, "y", "n"), 2),
                      "u": np.where(X["a"] > 0, "p", "q")})
    clf = MultiTaskClassifier(hidden_layer_sizes=(8,), max_epochs=4, random_state=0).fit(X, Y)
    assert clf.lookup_tasks_.any()
    with pytest.raises(OnnxExportError, match=r"(?s)no string, category, bool or date column"
                                              r".*lookup=None"):
        export_onnx(clf, X_sample=X.head(10))


def test_a_sample_with_other_columns_or_sparse_is_refused(frame_data, tmp_path):
    # An unseen column became an input of its own that nothing reads (written silently);
    # a sparse sample failed with numpy's "setting an array element with a sequence".
    X, Y = frame_data
    pipe = _column_pipeline(IndependentTaskClassifier(
        LogisticRegression(), tasks=[Task("car"), Task("color", gate=("car", "yes")),
                                     Task("size")])).fit(X, Y)
    path = tmp_path / "m.onnx"
    with pytest.raises(ValueError, match=r"X_sample has column\(s\) \['extra'\] that the "
                                         r"model was not fitted on"):
        export_onnx(pipe, path, X_sample=X.head().assign(extra=1.0))
    with pytest.raises(ValueError, match=r"X_sample has no column\(s\) \['shop'\], which "):
        export_onnx(pipe, path, X_sample=X.head().drop(columns="shop"))
    # a renamed column: both names at once, as scikit-learn's feature-name check says
    with pytest.raises(ValueError, match=r"X_sample has column\(s\) \['store'\] that the "
                                         r"model was not fitted on .* and no column\(s\) "
                                         r"\['shop'\], which the model was fitted on; the "
                                         r"model was fitted on the columns \[[^\]]*\]\.$"):
        export_onnx(pipe, path, X_sample=X.head().rename(columns={"shop": "store"}))
    assert not path.exists()
    Xn, Yn = _car_data(60, 0)
    scaled = make_pipeline(StandardScaler(), IndependentTaskClassifier(
        LogisticRegression(), tasks=TASKS)).fit(Xn, Yn)
    with pytest.raises(TypeError, match="X_sample is a scipy sparse csr_matrix.*dense array "
                                        r"or a DataFrame.*X\[:5\]\.toarray\(\)"):
        export_onnx(scaled, path, X_sample=sp.csr_matrix(Xn[:5]))
    assert not path.exists()
    export_onnx(scaled, path, X_sample=sp.csr_matrix(Xn[:5]).toarray())  # as it says
    assert path.exists()


def _svc_data(n, seed):
    # noisy labels, so that an SVC's decision function and the argmax of its Platt
    # probabilities part on some rows
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 3))
    noisy = X + rng.normal(scale=0.8, size=X.shape)
    car = np.where(noisy[:, 0] > 0, "yes", "no")
    color = np.where(car == "yes", np.where(noisy[:, 1] > 0, "red", "blue"), None)
    size = np.digitize(noisy[:, 2], [-0.5, 0.5])
    return X, pd.DataFrame({"car": car, "color": color, "size": size})


@pytest.mark.filterwarnings("ignore:The `probability` parameter:FutureWarning")
@pytest.mark.parametrize("Baseline", [IndependentTaskClassifier, TaskChainClassifier])
def test_labels_of_a_model_deciding_by_its_decision_function_equal_predict(Baseline):
    # An SVC(probability=True) predicts by its decision function, not by the argmax of
    # its probabilities: the graph's labels are its label output, and a chain's gates
    # open on its links' own predict as in predict_proba, so a later link reads the same
    # features there (it read zeros where the argmax closed the gate).
    from sklearn.svm import SVC

    X, Y = _svc_data(120, 0)
    tasks = [Task("car"), Task("color", gate=("car", "yes")), Task("size")]
    model = Baseline(SVC(probability=True, random_state=0), tasks=tasks).fit(X, Y)
    X_test, _ = _svc_data(300, 1)
    proba = model.predict_proba(X_test)
    parted = [(np.argmax(p, axis=1) != model.predict_encoded(X_test).codes[:, j]).any()
              for j, p in enumerate(proba) if j != 1]
    assert any(parted)  # the test can fail
    onx = export_onnx(model, X_sample=X[:5])
    _assert_parity(model, onx, X_test)
    _assert_labels_are_predicts(model, onx, X_test)


@pytest.mark.parametrize("Baseline", [IndependentTaskClassifier, TaskChainClassifier])
def test_nearest_neighbors_with_a_multilabel_task_export(Baseline):
    # a multilabel task's models are fitted on its int8 0/1 columns, so their classes_
    # are int8, which skl2onnx's KNeighborsClassifier converter wrote as a constant that
    # onnxruntime refuses (an INVALID_GRAPH error, not one naming the part)
    from sklearn.neighbors import KNeighborsClassifier

    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3))
    Y = pd.DataFrame({"kind": np.where(X[:, 0] > 0, "a", "b"),
                      "tags": [["x"] if v > 0 else ["y", "x"] if v < -1 else []
                               for v in X[:, 1]]})
    model = Baseline(KNeighborsClassifier(3)).fit(X, Y)
    tags = model.estimators_[1] if Baseline is IndependentTaskClassifier else \
        model.estimators_[0][model.orders_[0].index("tags")]
    dtype = tags[0].classes_.dtype
    X_test = rng.normal(size=(40, 3))
    onx = export_onnx(model, X_sample=X_test)
    _assert_parity(model, onx, X_test)
    _assert_labels_are_predicts(model, onx, X_test)
    assert tags[0].classes_.dtype == dtype  # the user's model is left as it was


@pytest.mark.parametrize("columns", [
    [0, 1, 2, 3],
    pd.MultiIndex.from_tuples([("size", "m"), ("size", "kw"), ("shop", ""), ("when", "")]),
])
def test_a_raw_table_whose_column_names_are_not_strings_exports(columns):
    # scikit-learn keeps no feature_names_in_ for integer or MultiIndex column names:
    # the network still reads the table (text and dates) by position, and the graph
    # takes one input per column, named as str() writes it (export failed with "could
    # not convert string to float", its probe being an array)
    rng = np.random.RandomState(0)

    def table(n):
        return pd.DataFrame({
            0: rng.normal(size=n), 1: rng.normal(size=n),
            2: rng.choice(["acme", "zenith", "orbit"], n),
            3: pd.Timestamp("2021-03-01") + pd.to_timedelta(rng.uniform(0, 900, n), unit="D"),
        }).set_axis(columns, axis=1)

    X, test = table(80), table(20)
    Y = pd.DataFrame({"car": np.where(X.iloc[:, 0] > 0, "yes", "no"),
                      "shop": X.iloc[:, 2].to_numpy()})
    clf = MultiTaskClassifier(hidden_layer_sizes=(8,), max_epochs=2, random_state=0).fit(X, Y)
    onx = export_onnx(clf, X_sample=X.head(10))
    assert [i.name for i in onx.graph.input] == [str(c) for c in columns]
    test.iloc[0, 2] = "a shop never seen"
    _assert_parity(clf, onx, test)
    _assert_labels_are_predicts(clf, onx, test)


def test_a_tuner_around_a_network_on_a_raw_table_exports():
    # the tuner reads the table as its model does: one input per column (it was refused,
    # "export the estimator itself", though the tuner was the model exported)
    frame, Y = _raw_frame(120, 0)
    tuner = TaskThresholdTuner(
        MultiTaskClassifier(tasks=TASKS, hidden_layer_sizes=(8,), max_epochs=3,
                            random_state=0), cv=2,
    ).fit(frame, Y)
    onx = export_onnx(tuner, X_sample=frame.head(10))
    assert [i.name for i in onx.graph.input] == list(frame.columns)
    test, _ = _raw_frame(40, 1)
    out = _assert_parity(tuner, onx, test, estimator=tuner.estimator_)
    codes = tuner.predict_encoded(test).codes
    for j, task in enumerate(tuner.schema_):
        np.testing.assert_array_equal(out[f"{task.name}_label"], codes[:, j])


def test_a_base_estimator_that_skl2onnx_fails_on_is_named():
    # skl2onnx's error is raised in a converter's own node; the message names the
    # estimator it was converting (skl2onnx 1.20 fails so on HistGradientBoosting)
    from skl2onnx import update_registered_converter
    from skl2onnx.shape_calculators.linear_classifier import (
        calculate_linear_classifier_output_shapes,
    )

    class Unconvertible(LogisticRegression):
        pass

    def convert(scope, operator, container):
        raise RuntimeError("this converter fails")

    update_registered_converter(
        Unconvertible, "SklearnMtlTestUnconvertible",
        calculate_linear_classifier_output_shapes, convert,
        options={"zipmap": [True, False, "columns"], "nocl": [True, False]},
    )
    X, Y = _car_data(60, 0)
    model = IndependentTaskClassifier(Unconvertible(C=0.5), tasks=TASKS).fit(X, Y)
    with pytest.raises(OnnxExportError, match=r"this converter fails\. It failed converting "
                                              r"Unconvertible\(C=0\.5\)\."):
        export_onnx(model, X_sample=X[:5])


@pytest.mark.parametrize("kind", ["network", "independent"])
def test_a_frozen_model_exports_as_the_model_it_wraps(kind, car_model):
    # a FrozenEstimator predicts as its fitted model: it was refused ("FrozenEstimator
    # cannot be exported"), alone, as a pipeline's last step and under a tuner
    from sklearn.frozen import FrozenEstimator

    X, Y = _car_data(120, 0)
    fitted = (car_model[0] if kind == "network" else
              IndependentTaskClassifier(LogisticRegression(), tasks=TASKS).fit(X, Y))
    X_test = car_model[2]
    frozen = FrozenEstimator(fitted)
    for model, Xt in ((frozen, X_test),
                      (make_pipeline(FunctionTransformer(), frozen), X_test)):
        onx = export_onnx(model, X_sample=X_test)
        out = run_onnx(onx, X_test)
        codes = frozen.predict_encoded(Xt).codes
        for j, task in enumerate(fitted.schema_):
            np.testing.assert_allclose(out[f"{task.name}_probability"],
                                       model.predict_proba(X_test, task=task.name),
                                       atol=ATOL, rtol=0)
            np.testing.assert_array_equal(out[f"{task.name}_label"], codes[:, j])
    assert (out["color_label"] == -2).any()  # the gate is in the graph
    tuner = TaskThresholdTuner(frozen, cv=2, random_state=0).fit(X, Y)
    tuner.thresholds_ = {**tuner.thresholds_, "big": 0.9}  # far from 0.5: labels follow
    out = run_onnx(export_onnx(tuner, X_sample=X_test), X_test)
    codes = tuner.predict_encoded(X_test).codes
    for j, task in enumerate(fitted.schema_):
        np.testing.assert_array_equal(out[f"{task.name}_label"], codes[:, j])
    np.testing.assert_array_equal(out["big_label"], out["big_probability"][:, 1] > 0.9)
    assert tuner.estimator_ is frozen  # the user's tuner is left as it was


@pytest.mark.parametrize("kind", ["network", "scaler pipeline"])
def test_run_onnx_takes_a_tables_columns_by_name_for_a_single_input(kind):
    # a graph of one matrix input read a table's columns by position: columns in
    # another order gave other probabilities silently (predict refuses that order)
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(3, 10, 60),
                      "c": rng.randint(0, 3, 60).astype(float)})
    Y = pd.DataFrame({"t": (X["a"] > 0).astype(int), "u": (X["b"] > 3).astype(int)})
    clf = MultiTaskClassifier(hidden_layer_sizes=(8,), max_epochs=3, decode="independent",
                              random_state=0)
    model = (clf if kind == "network" else make_pipeline(StandardScaler(), clf)).fit(X, Y)
    onx = export_onnx(model, X_sample=X.head())
    assert len(onx.graph.input) == 1
    meta = {p.key: p.value for p in onx.metadata_props}
    assert json.loads(meta["sklearn_mtl_schema"])["columns"] == ["a", "b", "c"]
    expected = model.predict_proba(X, task="t")
    for table in (X[["c", "b", "a"]], X.assign(z=1.0)[["z", "b", "a", "c"]]):
        np.testing.assert_allclose(run_onnx(onx, table)["t_probability"], expected,
                                   atol=ATOL, rtol=0)
    with pytest.raises(OnnxExportError, match=r"lacks \['a'\]"):
        run_onnx(onx, X.rename(columns={"a": "A"}))
    # an array is fed as it is, in the order of the training columns
    np.testing.assert_allclose(run_onnx(onx, X.to_numpy())["t_probability"], expected,
                               atol=ATOL, rtol=0)


def test_thresholds_of_a_tuner_are_in_the_labels_even_between_two_float32_values():
    # A tuner's thresholds, far from 0.5, decide the graph's labels as predict does.
    # Then: the graph compared the float32 probabilities with the thresholds rounded to
    # float32, where predict compares a multilabel task's (float64 array) thresholds in
    # float64: a threshold just below a probability rounded onto it and flipped the label.
    # The thresholds sit just below the graph's own probabilities (onnxruntime's float
    # kernels may round a probability one float32 spacing apart from torch's), and the
    # labels are predict's rule, P > threshold in float64, on those probabilities
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"f": rng.normal(size=60), "g": rng.normal(size=60)})
    Y = pd.DataFrame({"b": (X["f"] > 0).astype(int),
                      "ml": [{"x"} if v > 0 else {"y"} for v in X["g"]]})
    tuner = TaskThresholdTuner(MultiTaskClassifier(
        tasks=[Task("b"), Task("ml", kind="multilabel")], hidden_layer_sizes=(8,),
        max_epochs=3, decode="independent", random_state=0), cv=2).fit(X, Y)
    # thresholds at the probabilities' medians, away from 0.5: the labels must follow
    thr = {"b": float(np.median(tuner.predict_proba(X, task="b")[:, 1])),
           "ml": np.median(tuner.predict_proba(X, task="ml"), axis=0)}
    tuner.thresholds_ = thr
    graph = run_onnx(export_onnx(tuner, X_sample=X), X)
    encoded = tuner.predict_encoded(X)
    np.testing.assert_array_equal(graph["b_label"], encoded.codes[:, 0])
    np.testing.assert_array_equal(graph["ml_label"], encoded.multilabel["ml"])
    np.testing.assert_array_equal(graph["b_label"], graph["b_probability"][:, 1] > thr["b"])
    np.testing.assert_array_equal(graph["ml_label"], graph["ml_probability"] > thr["ml"])
    # 0.5 decides otherwise somewhere: the test can fail
    assert (graph["b_label"] != (graph["b_probability"][:, 1] > 0.5)).any()
    assert (graph["ml_label"] != (graph["ml_probability"] > 0.5)).any(axis=0).all()
    p_b = np.asarray(graph["b_probability"])[:, 1]
    p_ml = np.asarray(graph["ml_probability"])

    def below(p):  # a quarter of float32's spacing below p: float32 rounds it to p
        p = np.float64(p)
        return p - (p - np.float64(np.nextafter(np.float32(p), np.float32(-1)))) / 4

    for thr_b in (below(p_b[0]), float(below(p_b[0]))):  # NumPy's float64 and Python's
        thr_ml = np.array([below(p_ml[0, 0]), below(p_ml[1, 1])])
        tuner.thresholds_ = {"b": thr_b, "ml": thr_ml}
        out = run_onnx(export_onnx(tuner, X_sample=X.head()), X)
        assert out["b_label"][0] == 1 and out["ml_label"][0, 0] == out["ml_label"][1, 1] == 1
        np.testing.assert_array_equal(out["b_label"], p_b.astype(np.float64) > thr_b)
        np.testing.assert_array_equal(out["ml_label"], p_ml.astype(np.float64) > thr_ml)


def test_a_command_line_baseline_refused_for_a_bool_column_names_it(tmp_path):
    # a baseline that `sklearn-mtl fit` built on numbers and a bool column was refused
    # as one that "reads text and date columns", which the table did not have
    from sklearn_mtl import cli, load

    rng = np.random.RandomState(0)
    frame = pd.DataFrame({"x": rng.normal(size=40), "flag": rng.rand(40) > 0.5})
    frame["kind"] = np.where(frame["x"] > 0, "p", "q")
    frame.to_csv(tmp_path / "train.csv", index=False)
    assert cli.main(["fit", "--data", str(tmp_path / "train.csv"), "--targets", "kind",
                     "--model", "independent", "--out", str(tmp_path / "m.mtl"),
                     "--quiet"]) == 0
    with pytest.raises(OnnxExportError, match=r"reads the columns \['flag'\] as categories "
                                              r"the way `sklearn-mtl fit` builds it"):
        export_onnx(load(tmp_path / "m.mtl"), X_sample=frame[["x", "flag"]])


def test_run_onnx_check_parity_and_the_export_error_are_public_names():
    # the deployment page tells users to call run_onnx and catch OnnxExportError: both
    # (and check_parity) are importable from the package, not only from a private module
    import sklearn_mtl
    from sklearn_mtl import OnnxExportError, _export, check_parity, run_onnx

    assert run_onnx is _export.run_onnx
    assert check_parity is _export.check_parity
    assert OnnxExportError is _export.OnnxExportError
    assert {"run_onnx", "check_parity", "OnnxExportError"} <= set(sklearn_mtl.__all__)


def test_a_text_pipeline_exports_a_string_input_or_an_export_error(tmp_path):
    # A pipeline whose first step vectorizes one text a sample was exported with a float
    # input, a graph onnxruntime refuses to load: its InvalidGraph escaped export_onnx
    # (and crashed `sklearn-mtl export`) instead of an OnnxExportError.
    from sklearn.feature_extraction.text import TfidfVectorizer

    docs = ["red big car", "blue small car", "red small", "blue big"] * 10
    Y = pd.DataFrame({"c": ["r", "b", "r", "b"] * 10, "s": ["b", "s", "s", "b"] * 10})
    model = make_pipeline(TfidfVectorizer(), IndependentTaskClassifier(LogisticRegression()))
    model.fit(docs, Y)
    for sample in (None, docs[:4], np.array(docs[:4])):
        onx = export_onnx(model, X_sample=sample, check=False)
        assert [i.type.tensor_type.elem_type for i in onx.graph.input] == [
            onnx.TensorProto.STRING]
    path = tmp_path / "text.onnx"
    try:  # onnxruntime's string operators need a locale some machines lack
        export_onnx(model, path, X_sample=docs[:4])
    except OnnxExportError as exc:
        assert "onnxruntime cannot run the exported graph" in str(exc)
        assert not path.exists()
    else:
        got = run_onnx(onnx.load(str(path)), docs[:4])["c_probability"]
        np.testing.assert_allclose(got, model.predict_proba(docs[:4], task="c"), atol=1e-5)


def test_label_metadata_describes_a_multilabel_tasks_labels():
    # the metadata (and `sklearn-mtl export`) said every <task>_label is an index in the
    # task's classes; a multilabel task's output is 0/1 per label
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 2))
    Y = [{t for t, on in zip(("red", "big"), row > 0) if on} for row in X]
    model = IndependentTaskClassifier(LogisticRegression()).fit(X, Y)
    onx = export_onnx(model, X_sample=X[:5])
    meta = {p.key: p.value for p in onx.metadata_props}
    assert "0/1 per label" in meta["sklearn_mtl_labels"]
    assert "index in the task's classes" not in meta["sklearn_mtl_labels"]
    assert run_onnx(onx, X[:5])[f"{model.schema_[0].name}_label"].shape == (5, 2)


def test_run_onnx_feeds_integer_categories_with_a_gap_as_the_model_reads_them():
    # to_numpy() of a category column of integers with a gap gives floats, whose text
    # "1.0" the graph took for a category never seen (all zeros), not the category "1"
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"x": rng.normal(size=60),
                      "code": pd.Categorical(rng.choice([1, 2, 3], 60))})
    X.loc[::7, "code"] = np.nan
    Y = pd.DataFrame({"a": np.where(X["code"] == 2, "p", "q")})
    clf = MultiTaskClassifier(hidden_layer_sizes=(8,), max_epochs=3, decode="independent",
                              random_state=0).fit(X, Y)
    onx = export_onnx(clf, X_sample=X)  # the parity check passes on rows with a gap
    out = run_onnx(onx, X)
    assert np.abs(out["a_probability"] - clf.predict_proba(X, task="a")).max() <= ATOL
    assert (np.asarray(clf.classes_[0])[out["a_label"]] == clf.predict(X)["a"]).all()


def test_a_target_opset_below_torchs_is_refused_by_name(car_model):
    # torch writes the network at opset 18: skl2onnx then refused a node of it ("Shape")
    clf, _, X = car_model
    with pytest.raises(OnnxExportError, match=r"target_opset=17 is below 18.*MultiTask"):
        export_onnx(clf, target_opset=17)
    baseline = IndependentTaskClassifier(LogisticRegression()).fit(X, clf.predict(X))
    assert export_onnx(baseline, target_opset=17) is not None  # skl2onnx alone writes it


def test_an_array_for_a_graph_of_one_input_per_column_is_refused_by_name():
    # its values all went to the first input: "could not convert string to float"
    X = pd.DataFrame({"x": [0.1, -0.5, 1.2, 0.3] * 5, "kind": ["a", "b"] * 10})
    Y = pd.DataFrame({"t": ["p", "q", "q", "p"] * 5})
    clf = MultiTaskClassifier(hidden_layer_sizes=(4,), max_epochs=1, lookup=None,
                              random_state=0).fit(X, Y)
    onx = export_onnx(clf)
    for rows in (X.to_numpy(), X.to_numpy().tolist()):
        with pytest.raises(OnnxExportError, match=r"one input per column \['x', 'kind'\]"):
            run_onnx(onx, rows)
    with pytest.raises(OnnxExportError, match="export_onnx's X_sample"):
        check_parity(clf, onx, X.to_numpy())  # as export_onnx(X_sample=...) checks it


def test_run_onnx_reads_numbers_for_one_hot_encoded_columns_as_predict_does():
    # predict reads a bool column given as 0/1 and integer codes given as floats as the
    # fitted categories; run_onnx fed "1" and "2.0", categories never seen (all zeros)
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"x": rng.normal(size=40), "flag": rng.choice([True, False], 40),
                      "code": pd.Categorical(rng.choice([1, 2, 3], 40))})
    Y = pd.DataFrame({"t": np.where(X["flag"], "p", "q")})
    clf = MultiTaskClassifier(hidden_layer_sizes=(8,), max_epochs=3, decode="independent",
                              lookup=None, random_state=0).fit(X, Y)
    onx = export_onnx(clf)
    Q = X.assign(flag=X["flag"].astype(int), code=X["code"].astype(float))
    Q.loc[::5, "code"] = np.nan
    expected = clf.predict_proba(Q, task="t")
    assert np.abs(expected - clf.predict_proba(X.assign(code=Q["code"]), task="t")).max() == 0
    assert np.abs(run_onnx(onx, Q)["t_probability"] - expected).max() <= ATOL
    assert check_parity(clf, onx, Q)["t"] <= ATOL


def test_a_pipeline_step_before_the_lookup_is_refused_unless_exact_in_float32():
    # The graph computes a StandardScaler in float32, where predict compares its float64
    # output (cast to float32) with the training rows: a repeated row was found by
    # predict and missed by the graph (probabilities off by up to 0.5), written silently
    # without X_sample.
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"a": rng.randint(0, 4, 150) * 0.1, "b": rng.randint(0, 3, 150) / 3})
    Y = pd.DataFrame({"t": np.where(X["a"] + rng.rand(150) * 0.3 > 0.2, "y", "n"),
                      "u": np.where(X["b"] > 0, "p", "q")})
    model = make_pipeline(StandardScaler(), MultiTaskClassifier(
        hidden_layer_sizes=(8,), max_epochs=3, random_state=0)).fit(X, Y)
    assert model[-1].lookup_tasks_.any()
    with pytest.raises(OnnxExportError, match=r"(?s)lookup_tasks_.*\['standardscaler'\]"
                                              r".*lookup=None"):
        export_onnx(model)
    # one-hot encoding, ordinal codes, imputation (float32's value of its fill) and
    # columns passed through are exact in float32: the lookup finds the repeated rows in
    # the graph as predict does, and they export (imputation and ordinal codes were
    # refused; one pipeline of all four, each part refused would fail the export)
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import OrdinalEncoder

    X = X.assign(c=np.where(X["b"] > 0.5, "x", "y"))
    X.loc[::7, "a"] = np.nan
    steps = make_column_transformer((OneHotEncoder(), ["c"]), (OrdinalEncoder(), ["c"]),
                                    (SimpleImputer(), ["a"]), remainder="passthrough")
    model = make_pipeline(steps, MultiTaskClassifier(
        hidden_layer_sizes=(8,), max_epochs=3, random_state=0)).fit(X, Y)
    assert model[-1].lookup_tasks_.any()
    onx = export_onnx(model, X_sample=X.head(5))
    assert max(check_parity(model, onx, X).values()) <= ATOL


def test_a_point_mass_after_a_pipeline_step_matches_predict_in_a_written_file(tmp_path):
    # A scaler pipeline is one graph input, written to the path given. A column with a
    # point mass (a fifth of zeros) scaled by a StandardScaler before the network: the
    # graph's float32 scaler put the zeros one float32 unit off the mass that
    # predict matched in float64, so those rows missed the indicator (off by ~1e-2).
    rng = np.random.RandomState(1)
    n = 120
    X = pd.DataFrame({"a": rng.normal(size=n),
                      "b": np.where(rng.rand(n) < 0.4, 0.0, rng.exponential(size=n))})
    Y = pd.DataFrame({"t": np.where(X["a"] > 0, "y", "n"), "u": np.where(X["b"] > 0.3, "p", "q")})
    model = make_pipeline(StandardScaler(), MultiTaskClassifier(
        hidden_layer_sizes=(8,), max_epochs=3, lookup=None, decode="independent",
        random_state=0)).fit(X, Y)
    assert len(model[-1].preprocessor_.point_mass_columns_) == 1
    path = tmp_path / "model.onnx"
    export_onnx(model, path)
    onx = onnx.load(str(path))
    assert [i.name for i in onx.graph.input] == ["input"]
    _assert_parity(model, onx, X, estimator=model[-1])
    Q = X[X["b"] == 0].head(10)
    got = run_onnx(onx, Q)
    for i, task in enumerate(["t", "u"]):
        assert np.abs(got[f"{task}_probability"] - model.predict_proba(Q)[i]).max() <= ATOL
    assert max(check_parity(model, onx, X).values()) <= ATOL


def test_a_point_mass_behind_steps_exact_in_float32_is_matched_exactly():
    # One-hot encoding and a column passed through are exact in float32: a value a
    # millionth from a point mass at 0 is no mass for predict, and the graph matched it
    # within the tolerance meant for a float32 StandardScaler (off by ~1e-2; refused with
    # X_sample).
    rng = np.random.RandomState(1)
    n = 120
    b = np.where(rng.rand(n) < 0.4, 0.0, rng.exponential(size=n))
    b[:6] = 3e-7
    X = pd.DataFrame({"a": rng.normal(size=n), "b": b,
                      "c": np.where(rng.rand(n) < 0.5, "x", "y")})
    Y = pd.DataFrame({"t": np.where(X["a"] > 0, "y", "n"), "u": np.where(X["b"] > 0.3, "p", "q")})
    model = make_pipeline(
        make_column_transformer((OneHotEncoder(), ["c"]), remainder="passthrough"),
        MultiTaskClassifier(hidden_layer_sizes=(8,), max_epochs=3, lookup=None,
                            decode="independent", random_state=0)).fit(X, Y)
    assert list(model[-1].preprocessor_.point_mass_values_) == [0.0]
    onx = export_onnx(model, X_sample=X.head(6))
    assert max(check_parity(model, onx, X).values()) <= ATOL


def test_a_value_beyond_float32s_range_scales_to_the_clip_in_the_graph_as_in_predict():
    # the graph held the clip's threshold 1e100 as infinity: a value beyond float32's
    # range (infinite in the float32 input) scaled to NaN, every probability NaN
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"a": rng.normal(size=150), "b": rng.normal(size=150)})
    Y = pd.DataFrame({"t": np.where(X["a"] > 0, "p", "q")})
    model = MultiTaskClassifier(max_epochs=3, ensemble_size=1, hidden_layer_sizes=(8,),
                                random_state=0).fit(X, Y)
    onx = export_onnx(model, X_sample=X.head(5))
    rows = pd.concat([X.head(1).assign(a=v) for v in (3e38, 1e39, -1e39, 1e300)])
    out = run_onnx(onx, rows)
    np.testing.assert_allclose(out["t_probability"], model.predict_proba(rows)[0],
                               atol=1e-5)
    assert not np.isnan(out["t_probability"]).any()
    export_onnx(model, X_sample=rows)  # its check of the sample passes too


# ------------------------------------------------ thresholded and searched base models
def _thresholds_data(n=150, seed=0):
    """Binary tasks whose positive class is rare (a tuned threshold lies far from 0.5),
    one gated, and a multilabel task."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 3)).astype(np.float32)
    car = np.where(X[:, 0] + rng.normal(size=n) > 1.0, "yes", "no")
    color = np.where(car == "yes", np.where(X[:, 1] > 0, "red", "blue"), None)
    tags = [{t for t, v in zip("xy", row) if v} for row in X[:, 1:] + rng.normal(size=(n, 2))
            > 0.8]
    Y = pd.DataFrame({"car": car, "color": color, "tags": tags})
    tasks = [Task("car"), Task("color", gate=("car", "yes")), Task("tags", kind="multilabel")]
    return X, Y, tasks


def _thresholded_bases():
    from sklearn.model_selection import FixedThresholdClassifier, TunedThresholdClassifierCV

    return {
        "fixed": FixedThresholdClassifier(LogisticRegression(), threshold=0.3),
        "tuned": TunedThresholdClassifierCV(LogisticRegression(), cv=2, thresholds=20,
                                            scoring="balanced_accuracy"),
    }


@pytest.mark.parametrize("base", ["fixed", "tuned"])
@pytest.mark.parametrize("cls, params", [
    (IndependentTaskClassifier, {}),
    (TaskChainClassifier, {}),
    (TaskChainClassifier, {"chain_method": "predict"}),
])
def test_labels_of_a_threshold_classifier_follow_its_threshold(cls, params, base):
    # skl2onnx wrote the argmax of the probabilities as a FixedThresholdClassifier's or a
    # TunedThresholdClassifierCV's label, whatever its threshold, and the parity check
    # compared the probabilities only: a graph deciding otherwise than predict was
    # written (a FixedThresholdClassifier had no converter at all)
    X, Y, tasks = _thresholds_data()
    model = cls(_thresholded_bases()[base], tasks=tasks, **params).fit(X, Y)
    onx = export_onnx(model, X_sample=X)
    out = _assert_parity(model, onx, X)
    _assert_labels_are_predicts(model, onx, X)
    # the threshold decides: the labels are not the probabilities above 0.5
    assert (out["car_label"] != (out["car_probability"][:, 1] > 0.5)).any()


@pytest.mark.parametrize("positive", ["no", "yes"])
@pytest.mark.parametrize("base", ["fixed", "tuned"])
def test_a_threshold_classifiers_positive_label_is_read_among_the_tasks_labels(base,
                                                                              positive):
    # pos_label (a TunedThresholdClassifierCV's: its scorer's) is one of the task's
    # labels, where the graph's models speak codes
    from sklearn.metrics import f1_score, make_scorer

    X, Y, _ = _thresholds_data()
    Y = pd.DataFrame({"car": Y["car"], "big": np.where(X[:, 2] > 0.5, "yes", "no")})
    est = _thresholded_bases()[base]
    est.set_params(**({"pos_label": positive} if base == "fixed" else
                      {"scoring": make_scorer(f1_score, pos_label=positive)}))
    model = IndependentTaskClassifier(est).fit(X, Y)
    onx = export_onnx(model, X_sample=X)
    out = _assert_parity(model, onx, X)
    _assert_labels_are_predicts(model, onx, X)
    k = ["no", "yes"].index(positive)
    threshold = getattr(model.estimators_[0], "best_threshold_", 0.3)
    np.testing.assert_array_equal(out["car_label"] == k,
                                  out["car_probability"][:, k] >= threshold)


@pytest.mark.parametrize("base", ["fixed", "tuned"])
def test_a_label_products_thresholded_model_predicts_its_combination(base):
    X, Y, _ = _thresholds_data()
    model = LabelProductClassifier(_thresholded_bases()[base]).fit(X, Y[["car"]])
    onx = export_onnx(model, X_sample=X)
    _assert_parity(model, onx, X)
    _assert_labels_are_predicts(model, onx, X)


def test_the_parity_check_compares_the_labels_with_predict():
    from sklearn.model_selection import FixedThresholdClassifier

    X, Y, tasks = _thresholds_data()
    model = IndependentTaskClassifier(FixedThresholdClassifier(LogisticRegression()),
                                      tasks=tasks).fit(X, Y)
    onx = export_onnx(model, X_sample=X)
    # a model deciding otherwise than the graph, with the same probabilities
    model.estimators_[0].threshold = 0.2
    with pytest.raises(OnnxExportError, match=r"labels \(car_label\) do not reproduce "
                                              r"predict for task 'car' on \d+ of 150 rows"):
        check_parity(model, onx, X)


@pytest.mark.parametrize("base", ["fixed", "tuned"])
def test_a_threshold_on_the_decision_function_is_refused_by_task(base):
    # the graph computes the models' probabilities, not their decision_function
    X, Y, tasks = _thresholds_data()
    est = _thresholded_bases()[base].set_params(response_method="decision_function")
    if base == "fixed":
        est.set_params(threshold=0.0)
    for cls, params in [(IndependentTaskClassifier, {}), (TaskChainClassifier, {}),
                        (TaskChainClassifier, {"chain_method": "predict"})]:
        model = cls(est, tasks=tasks, **params).fit(X, Y)
        with pytest.raises(OnnxExportError, match=(
                rf"(?s)^Task 'car': its base estimator {type(est).__name__} thresholds "
                r"LogisticRegression's decision_function.*TaskThresholdTuner")):
            export_onnx(model, X_sample=X)
    if base == "fixed":
        # a tuner's thresholds decide instead: its labels are predict's
        tuner = TaskThresholdTuner(IndependentTaskClassifier(est, tasks=tasks), cv=2)
        tuner.fit(X, Y)
        onx = export_onnx(tuner, X_sample=X)
        _assert_parity(tuner, onx, X, tuner.estimator_)
        _assert_labels_are_predicts(tuner, onx, X)


def _searches():
    from sklearn.model_selection import GridSearchCV, RandomizedSearchCV

    grid = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=2)
    return {
        "grid": grid,
        "randomized": RandomizedSearchCV(LogisticRegression(), {"C": [0.1, 1.0]},
                                         n_iter=2, cv=2, random_state=0),
        "grid in a pipeline": make_pipeline(StandardScaler(), grid),
        "grid tuned": _thresholded_bases()["tuned"].set_params(estimator=grid),
    }


@pytest.mark.parametrize("search", list(_searches()))
@pytest.mark.parametrize("cls", [IndependentTaskClassifier, TaskChainClassifier])
def test_a_search_exports_as_the_model_it_refitted(cls, search):
    # export raised AttributeError: 'GridSearchCV' object has no attribute 'estimator_'
    X, Y, tasks = _thresholds_data()
    model = cls(_searches()[search], tasks=tasks).fit(X, Y)
    onx = export_onnx(model, X_sample=X)
    _assert_parity(model, onx, X)
    _assert_labels_are_predicts(model, onx, X)
    first = model.estimators_[0] if cls is IndependentTaskClassifier else model.estimators_[0][0]
    assert type(first) is type(_searches()[search])  # the user's model is left as it is


def test_the_export_options_name_no_object_of_a_discarded_copy():
    # the options keyed base models of in_codes' copy by id(): freed at return, their
    # ids were taken by later objects, and a StandardScaler of the converted copy was
    # given "zipmap" (skl2onnx's NameError, now and then)
    from sklearn_mtl._export import _options

    X, Y, tasks = _thresholds_data()
    model = IndependentTaskClassifier(_searches()["grid in a pipeline"], tasks=tasks).fit(X, Y)
    assert _options(model, labels=True) == {id(model): {"labels": True}}


def test_a_tuned_or_label_product_search_exports():
    from sklearn.model_selection import GridSearchCV

    X, Y, tasks = _thresholds_data()
    tuner = TaskThresholdTuner(IndependentTaskClassifier(_searches()["grid"], tasks=tasks),
                               cv=2).fit(X, Y)
    onx = export_onnx(tuner, X_sample=X)
    _assert_parity(tuner, onx, X, tuner.estimator_)
    _assert_labels_are_predicts(tuner, onx, X)
    product = LabelProductClassifier(
        GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=2)).fit(X, Y[["car", "color"]])
    onx = export_onnx(product, X_sample=X)
    _assert_parity(product, onx, X)
    _assert_labels_are_predicts(product, onx, X)


def test_a_search_that_did_not_refit_is_refused_by_task():
    X, Y, tasks = _thresholds_data()
    model = IndependentTaskClassifier(_searches()["grid"], tasks=tasks).fit(X, Y)
    search = model.estimators_[1]  # as refit=False leaves it: no best_estimator_
    search.refit = False
    del search.best_estimator_
    with pytest.raises(OnnxExportError, match=(
            r"^Task 'color': its base estimator GridSearchCV was fitted with refit=False, "
            r"so it has no best_estimator_")):
        export_onnx(model, X_sample=X)
