"""TaskThresholdTuner: per-label thresholds on out-of-fold or held-out predictions."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import KFold

from sklearn_mtl import (
    IndependentTaskClassifier,
    LabelProductClassifier,
    MultiTaskClassifier,
    StructuredLabelEncoder,
    Task,
    TaskChainClassifier,
    TaskThresholdTuner,
)
from sklearn_mtl._thresholds import _tune_label
from sklearn_mtl.model_selection import MultiTaskStratifiedGroupKFold


def rare_data(n=400, seed=0):
    """A multilabel task with two rare noisy labels, a gated binary task, a multiclass."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 4))
    noisy = X + rng.normal(scale=0.7, size=X.shape)
    tags = [{t for t, on in (("a", x[0] > 1.2), ("b", x[1] > 1.5)) if on} for x in noisy]
    car = np.where(noisy[:, 2] > 0, "yes", "no")
    driver = np.where(noisy[:, 3] > 1.0, "pro", "amateur").astype(object)
    driver[car == "no"] = None
    level = np.digitize(X[:, 0], [-0.5, 0.5])
    Y = pd.DataFrame({"tags": tags, "car": car, "driver": driver, "level": level})
    tasks = [
        Task("tags", kind="multilabel", classes=["a", "b"]),
        Task("car"),
        Task("driver", classes=["amateur", "pro"], gate=("car", "yes")),
        Task("level", classes=[0, 1, 2]),
    ]
    return X, Y, tasks


def test_tune_label_maximises_f1_on_hand_made_scores():
    y = np.array([1, 1, 0, 1, 0, 0, 0, 0])
    p = np.array([0.45, 0.40, 0.35, 0.30, 0.20, 0.10, 0.05, 0.01])
    thr, best, default = _tune_label(y, p, None, "f1")
    assert 0.20 < thr < 0.30  # the top four on: tp=3, fp=1 -> F1 = 6/7
    assert best == pytest.approx(6 / 7) and default == 0.0
    assert f1_score(y, p > thr) == pytest.approx(best)
    # masked labels are ignored; a label with one class keeps 0.5
    assert _tune_label(np.array([1, -1]), np.array([0.9, 0.1]), None, "f1")[0] == 0.5
    # weights count: a heavy negative at 0.35 pushes the cut above it
    w = np.array([1, 1, 100, 1, 1, 1, 1, 1])
    assert _tune_label(y, p, w, "f1")[0] > 0.35


@pytest.mark.parametrize("metric", ["f1", "balanced_accuracy", "accuracy", "matthews"])
def test_vectorized_metrics_match_a_callable(metric):
    from sklearn.metrics import accuracy_score, balanced_accuracy_score, matthews_corrcoef

    fn = {
        "f1": f1_score, "balanced_accuracy": balanced_accuracy_score,
        "accuracy": accuracy_score, "matthews": matthews_corrcoef,
    }[metric]
    rng = np.random.RandomState(0)
    y = (rng.rand(60) < 0.2).astype(int)
    p = np.clip(0.3 * y + 0.5 * rng.rand(60), 0, 1)
    fast = _tune_label(y, p, None, metric)
    slow = _tune_label(y, p, None, fn)
    assert fast[1] == pytest.approx(slow[1]) and fast[2] == pytest.approx(slow[2])


@pytest.fixture(scope="module")
def fitted():
    """A tuner over the logistic baseline on rare_data; must not be refitted."""
    X, Y, tasks = rare_data()
    base = IndependentTaskClassifier(LogisticRegression(), tasks=tasks)
    return X, Y, base, TaskThresholdTuner(base, cv=4).fit(X, Y)


def test_thresholds_are_used_and_output_forms_kept(fitted):
    X, Y, base, tuner = fitted
    assert set(tuner.thresholds_) == {"tags", "car", "driver"}  # not the multiclass task
    assert tuner.thresholds_["tags"].shape == (2,) and isinstance(tuner.thresholds_["car"], float)
    assert tuner.thresholds_["tags"].max() < 0.5  # rare labels: lower thresholds
    plain = base.fit(X, Y)
    proba = tuner.predict_proba(X)
    for a, b in zip(proba, plain.predict_proba(X)):
        np.testing.assert_allclose(a, b)
    pred = tuner.predict(X)
    assert isinstance(pred, pd.DataFrame) and list(pred.columns) == list(Y.columns)
    p_tags = proba[0]
    on = [("a" in s, "b" in s) for s in pred["tags"]]
    np.testing.assert_array_equal(np.array(on), p_tags > tuner.thresholds_["tags"])
    assert pred["driver"][pred["car"] == "no"].isna().all()  # gates still applied
    assert 0 <= tuner.score(X, Y) <= 1
    for name in ("tags", "car"):
        assert np.all(tuner.best_scores_[name] >= tuner.default_scores_[name])


def test_tuned_beats_half_out_of_sample():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(1200, 10))
    logits = X @ rng.normal(size=(10, 3)) / np.sqrt(10) + rng.normal(scale=0.8, size=(1200, 3))
    cut = [np.quantile(logits[:, j], 1 - r) for j, r in enumerate([0.03, 0.06, 0.1])]
    Y = pd.DataFrame({"tags": [{t for t, on in zip("abc", row) if on} for row in logits > cut]})
    tasks = [Task("tags", kind="multilabel", classes=list("abc"))]
    train, test = slice(0, 600), slice(600, None)
    base = IndependentTaskClassifier(LogisticRegression(), tasks=tasks)
    tuner = TaskThresholdTuner(base, cv=5).fit(X[train], Y[train])
    truth = np.array([[lab in s for lab in "abc"] for s in Y["tags"][test]])

    def macro_f1(pred):
        hot = np.array([[lab in s for lab in "abc"] for s in pred["tags"]])
        return f1_score(truth, hot, average="macro")

    assert macro_f1(tuner.predict(X[test])) > macro_f1(tuner.estimator_.predict(X[test])) + 0.05


@pytest.mark.parametrize(
    "make",
    [
        lambda t: MultiTaskClassifier(tasks=t, hidden_layer_sizes=(8,), lr=1e-2, max_epochs=3,
                                      random_state=0),
        lambda t: TaskChainClassifier(LogisticRegression(), tasks=t),
        lambda t: LabelProductClassifier(LogisticRegression(max_iter=300), tasks=t,
                                         decode="independent"),
        lambda t: IndependentTaskClassifier(LogisticRegression()),  # schema inferred
    ],
    ids=["multitask", "chain", "product", "independent-inferred"],
)
def test_every_estimator_of_the_project(make):
    X, Y, tasks = rare_data(n=150)
    Y = Y.drop(columns="level")
    tasks = tasks[:3]
    tuner = TaskThresholdTuner(make(tasks), cv=KFold(2, shuffle=True, random_state=0)).fit(X, Y)
    assert set(tuner.thresholds_) == {"tags", "car", "driver"}
    assert tuner.predict(X[:5]).shape == (5, 3)


@pytest.mark.parametrize("network", [False, True])
def test_declared_tasks_without_classes_and_a_regression_task(network):
    # Tasks declared by name only, and a fold that lacks a class: the folds' models
    # learn the full data's classes (before: outputs of unequal widths, a numpy error).
    # A regression task passes through, untuned.
    X, Y, _ = rare_data(n=120)
    # level 2 only in the first half: one fold's model learns two classes, the other three
    order = np.argsort(Y["level"].to_numpy() != 2, kind="stable")
    X, Y = X[order], Y.iloc[order].reset_index(drop=True).drop(columns=["tags", "driver"])
    tasks = [Task("car"), Task("level")]
    if network:
        Y = Y.assign(size=X[:, 1] * 10)
        tasks.append(Task("size", kind="regression"))
        model = MultiTaskClassifier(tasks=tasks, hidden_layer_sizes=(8,), max_epochs=2,
                                    random_state=0)
    else:
        model = IndependentTaskClassifier(LogisticRegression(), tasks=tasks)
    tuner = TaskThresholdTuner(model, cv=KFold(2)).fit(X, Y)
    assert set(tuner.thresholds_) == {"car"}
    assert list(tuner.classes_[1]) == [0, 1, 2]
    pred = tuner.predict(X[:4])
    assert list(pred.columns) == list(Y.columns)
    if network:
        np.testing.assert_allclose(pred["size"], tuner.estimator_.predict(X[:4])["size"])
    assert model.tasks == tasks  # the user's estimator keeps its parameters


def test_held_out_fraction_and_prefit():
    X, Y, tasks = rare_data(n=300)
    base = IndependentTaskClassifier(LogisticRegression(), tasks=tasks)
    held = TaskThresholdTuner(base, cv=0.3, random_state=0).fit(X, Y)
    assert held.estimator_ is not base and hasattr(held.estimator_, "estimators_")
    fitted = base.fit(X[:200], Y[:200])
    prefit = TaskThresholdTuner(fitted, cv="prefit").fit(X[200:], Y[200:])
    assert prefit.estimator_ is fitted
    with pytest.raises(ValueError, match="not fitted"):
        TaskThresholdTuner(IndependentTaskClassifier(LogisticRegression()), cv="prefit").fit(
            X, Y
        )


class _Grouped(IndependentTaskClassifier):
    """Keeps the groups its ``fit`` got, and every fit's in ``seen``."""

    seen = []

    def fit(self, X, y, sample_weight=None, groups=None):
        self.groups_ = groups
        self.seen.append(groups)
        return super().fit(X, y, sample_weight=sample_weight)


def test_groups_keep_each_group_on_one_side_of_every_split(monkeypatch):
    import sklearn_mtl._thresholds as thresholds

    X, Y, tasks = rare_data(n=300)
    groups = np.repeat(np.arange(30), 10)
    calls = []
    original = thresholds._fold_outputs

    def recording(estimator, X, Y, fit_params, train, test):
        calls.append((train, test, fit_params.get("groups")))
        return original(estimator, X, Y, fit_params, train, test)

    monkeypatch.setattr(thresholds, "_fold_outputs", recording)
    base = _Grouped(LogisticRegression(), tasks=tasks)
    for cv, n_splits in ((3, 3), (0.3, 1)):
        calls.clear()
        _Grouped.seen.clear()
        tuner = TaskThresholdTuner(base, cv=cv, random_state=0).fit(X, Y, groups=groups)
        assert len(calls) == n_splits
        np.testing.assert_array_equal(tuner.estimator_.groups_, groups)  # the refit's
        for (train, test, _), fold_groups in zip(calls, _Grouped.seen[1:], strict=True):
            assert not set(groups[train]) & set(groups[test])
            np.testing.assert_array_equal(fold_groups, groups[train])
    # an int cv: the stratified folds of whole groups
    expected = MultiTaskStratifiedGroupKFold(3, tasks=tasks).split(X, Y, groups)
    calls.clear()
    TaskThresholdTuner(base, cv=3).fit(X, Y, groups=groups)
    for (_, test, _), (_, want) in zip(calls, expected, strict=True):
        np.testing.assert_array_equal(test, want)
    # a model whose fit takes no groups is fitted without them, on the same group folds
    calls.clear()
    TaskThresholdTuner(IndependentTaskClassifier(LogisticRegression(), tasks=tasks),
                       cv=3).fit(X, Y, groups=groups)
    assert all(given is None and not set(groups[train]) & set(groups[test])
               for train, test, given in calls)
    with pytest.raises(ValueError, match="groups must hold one value per sample"):
        TaskThresholdTuner(base, cv=3).fit(X, Y, groups=groups[:-1])
    fitted = IndependentTaskClassifier(LogisticRegression(), tasks=tasks).fit(X, Y)
    with pytest.warns(UserWarning, match="groups is unused with cv='prefit'"):
        TaskThresholdTuner(fitted, cv="prefit").fit(X, Y, groups=groups)


def test_one_dimensional_binary_y_and_sample_weight():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 2))
    y = (X[:, 0] + rng.normal(scale=0.5, size=200) > 1.0).astype(int)
    tuner = TaskThresholdTuner(IndependentTaskClassifier(LogisticRegression()), cv=3)
    tuner.fit(X, y, sample_weight=np.ones(200))
    assert tuner.predict(X).shape == (200,) and tuner.predict_proba(X).shape == (200, 2)
    (name,) = tuner.thresholds_
    np.testing.assert_array_equal(
        tuner.predict(X), (tuner.predict_proba(X)[:, 1] > tuner.thresholds_[name]).astype(int)
    )


def test_joint_decoding_is_refused():
    X, Y, tasks = rare_data(n=60)
    base = IndependentTaskClassifier(LogisticRegression(), tasks=tasks, decode="joint")
    with pytest.raises(ValueError, match="decode='independent'.*decode='joint'"):
        TaskThresholdTuner(base).fit(X, Y)


def test_a_pipeline_is_tuned_as_its_model_is():
    # Around a pipeline, as scikit-learn's TunedThresholdClassifierCV wraps one: each fold
    # refits the whole pipeline, the weights reach its final step. With a step that
    # changes nothing the thresholds and predictions are the bare model's.
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    X, Y, tasks = rare_data(n=240)
    weight = np.random.RandomState(1).uniform(0.5, 2.0, size=len(X))
    model = IndependentTaskClassifier(LogisticRegression(), tasks=tasks)
    bare = TaskThresholdTuner(model, cv=3).fit(X, Y, sample_weight=weight)
    piped = TaskThresholdTuner(make_pipeline(FunctionTransformer(), model), cv=3)
    piped.fit(X, Y, sample_weight=weight)
    assert piped.thresholds_.keys() == bare.thresholds_.keys()
    for name, value in bare.thresholds_.items():
        np.testing.assert_array_equal(piped.thresholds_[name], value)
    pd.testing.assert_frame_equal(piped.predict(X), bare.predict(X))
    assert piped.tasks_ == bare.tasks_ and piped.n_features_in_ == 4
    # a scaler in front: fitted inside each fold, and the tuned thresholds are used
    scaled = TaskThresholdTuner(make_pipeline(StandardScaler(), model), cv=3).fit(X, Y)
    proba = scaled.predict_proba(X)[1][:, 1]  # the tasks' order: tags, car, ...
    np.testing.assert_array_equal(scaled.predict(X)["car"] == "yes",
                                  proba > scaled.thresholds_["car"])


def test_features_in_are_the_pipelines_own():
    # A ColumnTransformer in front changes the width: the tuner's n_features_in_ and
    # feature_names_in_ are the pipeline's (its input), not its last step's.
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    rng = np.random.RandomState(0)
    X = pd.DataFrame({"p": rng.randn(90), "s": rng.choice(["a", "b", "c"], 90)})
    Y = pd.DataFrame({"u": np.where(X["p"] > 0, "yes", "no"), "v": X["s"] == "a"})
    front = ColumnTransformer([("num", "passthrough", ["p"]), ("cat", OneHotEncoder(), ["s"])])
    model = IndependentTaskClassifier(LogisticRegression())
    tuner = TaskThresholdTuner(make_pipeline(front, model), cv=3).fit(X, Y)
    assert tuner.n_features_in_ == 2
    np.testing.assert_array_equal(tuner.feature_names_in_, ["p", "s"])
    assert tuner.tasks_ == tuner.estimator_[-1].tasks_


def test_a_model_of_another_library_or_a_joint_pipeline_is_refused_before_fitting():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, Y, tasks = rare_data(n=60)
    with pytest.raises(ValueError, match="got LogisticRegression.*IndependentTaskClassifier"):
        TaskThresholdTuner(LogisticRegression()).fit(X, Y["car"])
    joint = make_pipeline(StandardScaler(), LabelProductClassifier(LogisticRegression()))
    with pytest.raises(ValueError, match="LabelProductClassifier has decode='joint'"):
        TaskThresholdTuner(joint).fit(X, Y)
    assert not hasattr(joint[-1], "classes_")  # nothing was fitted


def _recording_folds(monkeypatch):
    """The held-out rows of each fold the tuner fits, in a list that fills as it fits."""
    import sklearn_mtl._thresholds as thresholds

    folds = []
    original = thresholds._fold_outputs

    def recording(estimator, X, Y, fit_params, train, test):
        folds.append(test.tolist())
        return original(estimator, X, Y, fit_params, train, test)

    monkeypatch.setattr(thresholds, "_fold_outputs", recording)
    return folds


@pytest.mark.parametrize("form", ["float", "text", "series"])
def test_a_one_dimensional_y_with_missing_labels_is_split_stratified(form, monkeypatch):
    # An int cv stratifies a 1-D y on the labels as the model reads them. A missing label
    # (NaN, None) is skipped, where check_cv sorted the raw labels and failed ("Input y
    # contains NaN", "'<' not supported"): each fold holds one of the three unlabelled
    # rows and one or two rows of each class, as MultiTaskStratifiedKFold places them.
    codes = np.array([0, 1, 0, -1, 1, 0, 0, -1, 1, 0, 1, -1])
    X = np.random.RandomState(0).normal(size=(12, 2)) + codes[:, None]
    if form == "float":
        y = np.where(codes >= 0, codes, np.nan)
    else:
        y = np.array(["no", "yes", None], dtype=object)[codes]  # -1: None
        y = pd.Series(y).fillna(np.nan) if form == "series" else y
    folds = _recording_folds(monkeypatch)
    tuner = TaskThresholdTuner(IndependentTaskClassifier(LogisticRegression()), cv=3)
    tuner.fit(X, y)
    assert folds == [[1, 3, 5, 10], [0, 4, 6, 7], [2, 8, 9, 11]]
    assert len(tuner.thresholds_) == 1 and tuner.predict(X).shape == (12,)
    # every label there: scikit-learn's StratifiedKFold folds, as before
    folds.clear()
    complete = np.where(codes >= 0, codes, 0)
    TaskThresholdTuner(IndependentTaskClassifier(LogisticRegression()), cv=3).fit(X, complete)
    assert folds == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]


def test_a_splitter_object_gets_the_labels(monkeypatch):
    # A splitter of this package reads Y to stratify it: a 2-D Y reached its split as None
    # ("MultiTaskStratifiedKFold.split needs the labels Y")
    from sklearn_mtl.model_selection import MultiTaskStratifiedKFold

    X, Y, tasks = rare_data(n=60)
    splitter = MultiTaskStratifiedKFold(3, tasks=tasks)
    folds = _recording_folds(monkeypatch)
    TaskThresholdTuner(IndependentTaskClassifier(LogisticRegression(), tasks=tasks),
                       cv=splitter).fit(X, Y)
    assert folds == [test.tolist() for _, test in splitter.split(X, Y)]


@pytest.mark.parametrize("index", [np.arange(1, 61), [f"r{i}" for i in range(60)],
                                   np.arange(60)[::-1]], ids=["from-1", "text", "0-last"])
@pytest.mark.parametrize("column", ["car", "tags"])
def test_a_series_y_is_read_by_position_whatever_its_index(index, column):
    # y from train_test_split or a filtered frame: an index without 0 (a KeyError: 0
    # before), of text, or with 0 last. The Series is read as its values in order.
    X, Y, _ = rare_data(n=60)
    X = pd.DataFrame(X, columns=list("abcd"))
    plain = TaskThresholdTuner(IndependentTaskClassifier(LogisticRegression()), cv=3)
    plain.fit(X, Y[column])
    tuner = TaskThresholdTuner(IndependentTaskClassifier(LogisticRegression()), cv=3)
    tuner.fit(X.set_axis(index), Y[column].set_axis(index))
    (name,) = plain.thresholds_
    # to rounding: under pandas 2.1 one threshold differed in its last bit (5.6e-17)
    np.testing.assert_allclose(tuner.thresholds_[name], plain.thresholds_[name], rtol=1e-14)
    np.testing.assert_array_equal(tuner.best_scores_[name], plain.best_scores_[name])


class _Recording(LogisticRegression):
    """Keeps the metadata each of its fits got, in ``seen`` (one entry per fit)."""

    seen = []

    def fit(self, X, y, sample_weight=None, groups=None, note=None):
        self.seen.append((len(X), sample_weight, groups, note))
        return super().fit(X, y, sample_weight=sample_weight)


def test_metadata_routing_gives_the_estimator_what_it_requests(monkeypatch):
    # As TunedThresholdClassifierCV: with metadata routing on, the refit and every fold's
    # fit get the metadata the wrapped estimator requests (any of them, restricted to the
    # fold's training rows) and none it declines; the groups still make the folds, and
    # the weights still weight the metric.
    import sklearn
    from sklearn.exceptions import UnsetMetadataPassedError

    rng = np.random.RandomState(0)
    X = rng.normal(size=(90, 2))
    y = (X[:, 0] + rng.normal(scale=0.5, size=90) > 0.5).astype(int)
    w = rng.uniform(0.1, 2.0, size=90)
    groups, note = np.repeat(np.arange(30), 3), np.arange(90) * 10
    folds = _recording_folds(monkeypatch)
    with sklearn.config_context(enable_metadata_routing=True):
        routing = TaskThresholdTuner(IndependentTaskClassifier(_Recording())).get_metadata_routing()
        assert routing.consumes("fit", ["groups"]) == {"groups"}  # by the group splitter
        declined = _Recording().set_fit_request(sample_weight=False, groups=False)
        tuner = TaskThresholdTuner(IndependentTaskClassifier(declined), cv=3)
        _Recording.seen.clear()
        tuner.fit(X, y, sample_weight=w, groups=groups)
        assert len(_Recording.seen) == 4  # the refit and three folds
        assert all(sw is None and g is None for _, sw, g, _ in _Recording.seen)
        assert all(np.isin(groups, groups[test]).sum() == len(test) for test in folds)
        unweighted = TaskThresholdTuner(IndependentTaskClassifier(declined), cv=3).fit(
            X, y, groups=groups)
        assert unweighted.default_scores_ != tuner.default_scores_

        wanted = _Recording().set_fit_request(sample_weight=True, groups=True, note=True)
        _Recording.seen.clear()
        folds.clear()
        TaskThresholdTuner(IndependentTaskClassifier(wanted), cv=3).fit(
            X, y, sample_weight=w, groups=groups, note=note)
        rows = [np.arange(90)] + [np.setdiff1d(np.arange(90), test) for test in folds]
        for (n, sw, g, given), train in zip(_Recording.seen, rows, strict=True):
            assert n == len(train)
            np.testing.assert_array_equal(sw, w[train])
            np.testing.assert_array_equal(g, groups[train])
            np.testing.assert_array_equal(given, note[train])
        # an unset request is refused, as scikit-learn refuses it
        with pytest.raises(UnsetMetadataPassedError, match="sample_weight"):
            TaskThresholdTuner(IndependentTaskClassifier(_Recording()), cv=3).fit(
                X, y, sample_weight=w)
    # without routing, other metadata than the weights and groups are refused
    with pytest.raises(ValueError, match="enable_metadata_routing=True"):
        TaskThresholdTuner(IndependentTaskClassifier(_Recording()), cv=3).fit(X, y, note=note)


@pytest.mark.parametrize("grouped", [False, True])
def test_folds_read_labels_with_the_models_own_encoder(grouped):
    # The group folds (and a 1-D y's) are made on the labels as the model's encoder reads
    # them: a colour recorded where the gate is off is masked (gated_labels="mask"), a
    # multi-hot matrix is read by from_groups; neither is re-read with the defaults.
    rng = np.random.RandomState(0)
    X = rng.randn(120, 3)
    groups = np.arange(120) // 4 if grouped else None
    car = np.where(X[:, 0] > 0, "yes", "no")
    Y = pd.DataFrame({"car": car, "color": np.where(X[:, 1] > 0, "red", "blue")})
    tasks = [Task("car"), Task("color", gate=("car", "yes"))]
    encoder = StructuredLabelEncoder(tasks=tasks, gated_labels="mask")
    model = IndependentTaskClassifier(LogisticRegression(), encoder=encoder)
    tuner = TaskThresholdTuner(model, cv=3).fit(X, Y, groups=groups)
    assert set(tuner.thresholds_) == {"car", "color"}
    M = np.zeros((120, 5), dtype=int)
    M[np.arange(120), (X[:, 0] > 0).astype(int)] = 1
    M[np.arange(120), np.digitize(X[:, 1], [-0.5, 0.5]) + 2] = 1
    flat = StructuredLabelEncoder.from_groups({"A": [0, 1], "B": [2, 3, 4]})
    model = IndependentTaskClassifier(LogisticRegression(), encoder=flat)
    tuner = TaskThresholdTuner(model, cv=3).fit(X, M, groups=groups)
    assert set(tuner.thresholds_) == {"A"}  # the binary group


def test_onnx_labels_of_a_tuned_network_follow_the_thresholds_not_its_joint_decoding():
    # A network's decode="auto" decodes jointly on its own (no gates, few unseen
    # combinations); the tuner decides task by task by its thresholds, and so must the
    # graph's labels.
    pytest.importorskip("onnxruntime")
    from sklearn_mtl import JointDecoder, export_onnx
    from sklearn_mtl._export import run_onnx

    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 4)).astype(np.float32)
    Y = pd.DataFrame({"a": np.where(X[:, 0] + rng.normal(size=300) > 1.3, "y", "n"),
                      "b": np.where(X[:, 1] + X[:, 0] > 0.5, "p", "q")})
    # one member: the labels' decisions in the graph are the same for an ensemble's mean
    net = MultiTaskClassifier(hidden_layer_sizes=(8,), max_epochs=20, ensemble_size=1,
                              random_state=0)
    tuner = TaskThresholdTuner(net, cv=2).fit(X, Y)
    assert isinstance(tuner.estimator_._decoder(), JointDecoder)
    codes = tuner.predict_encoded(X).codes
    assert (codes != tuner.estimator_.predict_encoded(X).codes).any()
    out = run_onnx(export_onnx(tuner, X_sample=X[:5]), X)
    np.testing.assert_array_equal(out["a_label"], codes[:, 0])
    np.testing.assert_array_equal(out["b_label"], codes[:, 1])
    np.testing.assert_array_equal(out["a_label"],
                                  out["a_probability"][:, 1] > tuner.thresholds_["a"])


def test_a_callable_metric_never_tunes_below_the_default_threshold():
    # More distinct scores than the callable is evaluated at: 0.5 is among the candidates,
    # so the tuned threshold scores at least what 0.5 scores (here 0.5 is the best).
    rng = np.random.RandomState(0)
    y = (rng.rand(300) < 0.05).astype(int)
    p = np.clip(0.15 * y + 0.5 * rng.rand(300) ** 2, 0, 1)
    calls = []

    def f1(y_true, y_pred):  # f1_score's value, computed without its input validation
        calls.append(1)
        tp = np.sum((y_true == 1) & (y_pred == 1))
        return 2 * tp / (2 * tp + np.sum(y_true != y_pred))

    thr, best, default = _tune_label(y, p, None, f1)
    assert len(calls) < len(np.unique(p))  # fewer calls than distinct scores
    assert default == pytest.approx(f1_score(y, p > 0.5))
    assert best >= default
    assert best == pytest.approx(f1_score(y, p > thr))
    assert best == pytest.approx(_tune_label(y, p, None, "f1")[1])


@pytest.mark.parametrize("missing", [0, 5, 1])
def test_a_held_out_fraction_of_a_one_dimensional_y_is_stratified(missing, monkeypatch):
    # As TunedThresholdClassifierCV: cv=0.2 holds out a stratified fifth, so that the 4
    # positives of 60 always give the held-out part its share (one), whatever the seed.
    import sklearn_mtl._thresholds as thresholds

    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 2))
    y = np.where(np.arange(60) < 4, "pos", "neg").astype(object)
    X[:4] += 2
    if missing:  # five gaps, a stratum of their own, or one, which joins the largest class
        y[[10, 20, 30, 40, 50][:missing]] = None
    seen = []
    tune = thresholds._tune_label

    def spy(labels, *args):
        seen.append(((labels == 1).sum(), (labels < 0).sum()))
        return tune(labels, *args)

    monkeypatch.setattr(thresholds, "_tune_label", spy)
    for seed in range(10):
        TaskThresholdTuner(IndependentTaskClassifier(LogisticRegression()), cv=0.2,
                           random_state=seed).fit(X, y)
    assert [positives for positives, _ in seen] == [1] * 10
    if missing != 1:  # (one gap is held out or not, by the seed)
        assert [masked for _, masked in seen] == [missing // 5] * 10


def test_a_frozen_estimator_or_pipeline_is_tuned_as_prefit_and_left_as_it_is():
    # scikit-learn's FrozenEstimator, around a model or a pipeline that ends in one: never
    # refitted, its predictions on fit's data tune the thresholds, as with cv="prefit".
    import pickle

    from sklearn.frozen import FrozenEstimator
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, Y, tasks = rare_data(n=200)
    model = IndependentTaskClassifier(LogisticRegression(), tasks=tasks).fit(X[:100], Y[:100])
    pipe = make_pipeline(StandardScaler(), IndependentTaskClassifier(
        LogisticRegression(), tasks=tasks)).fit(X[:100], Y[:100])
    for fitted in (model, pipe):
        before = pickle.dumps(fitted)
        prefit = TaskThresholdTuner(fitted, cv="prefit").fit(X[100:], Y[100:])
        frozen = TaskThresholdTuner(FrozenEstimator(fitted), cv=3).fit(X[100:], Y[100:])
        assert pickle.dumps(fitted) == before  # not refitted, no parameter changed
        for name, value in prefit.thresholds_.items():
            np.testing.assert_array_equal(frozen.thresholds_[name], value)
        pd.testing.assert_frame_equal(frozen.predict(X), prefit.predict(X))
        for a, b in zip(frozen.predict_proba(X), fitted.predict_proba(X)):
            np.testing.assert_array_equal(a, b)


def test_a_metric_undefined_at_some_thresholds_is_tuned_where_it_is_defined():
    # precision_score(..., zero_division=np.nan) is NaN where no sample is on: that cut is
    # no candidate (it made the tuning fail); one undefined everywhere keeps 0.5.
    from functools import partial

    from sklearn.metrics import precision_score

    precision = partial(precision_score, zero_division=np.nan)
    labels = np.array([0, 1, 0, 1, 0])
    scores = np.array([0.6, 0.9, 0.1, 0.8, 0.3])
    assert _tune_label(labels, scores, None, precision) == pytest.approx((0.7, 1.0, 2 / 3))
    thr, best, default = _tune_label(labels, scores, None, lambda y, p: np.nan)
    assert thr == 0.5 and np.isnan(best) and np.isnan(default)
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 2))
    y = np.where(X[:, 0] + rng.normal(size=60) > 0.5, "yes", "no")
    tuner = TaskThresholdTuner(IndependentTaskClassifier(LogisticRegression()),
                               metric=precision, cv=3).fit(X, y)
    assert tuner.best_scores_["y"] >= tuner.default_scores_["y"]
    # undefined at every cut, the threshold stays 0.5 with a warning, as for a label of
    # one class (it stayed so unsaid)
    with pytest.warns(UserWarning, match=r"metric returned NaN at every candidate "
                      r"threshold of task 'y', so no threshold can be tuned: it stays "
                      r"0\.5") as record:
        nowhere = TaskThresholdTuner(IndependentTaskClassifier(LogisticRegression()),
                                     metric=lambda y, p: np.nan, cv=3).fit(X, y)
    assert record[0].filename == __file__  # the caller's line, not _fit_context's
    assert nowhere.thresholds_["y"] == 0.5 and np.isnan(nowhere.best_scores_["y"])


def _gain(y_true, y_pred):
    return 10.0 * ((y_true == 1) & (y_pred == 1)).sum() - ((y_true == 0) & (y_pred == 1)).sum()


@pytest.mark.parametrize("metric, weighted, message", [
    # a scorer is called as scorer(estimator, X, y): "missing ... 'y_true'" before
    ("make_scorer", False, "got the scorer make_scorer\\(fbeta_score.*Pass its score"),
    # the weights weigh the metric: "unexpected keyword argument 'sample_weight'" before
    (_gain, True, "metric _gain takes no sample_weight argument"),
    # a score per class is not one number: "only 0-dimensional arrays ..." before
    ("f1_per_class", False, "metric f1_score returned ndarray of shape \\(2,\\)"),
])
def test_a_metric_called_otherwise_than_the_tuner_calls_it_is_named(metric, weighted, message):
    from functools import partial

    from sklearn.metrics import fbeta_score, make_scorer

    if metric == "make_scorer":
        metric = make_scorer(fbeta_score, beta=2)
    elif metric == "f1_per_class":
        metric = partial(f1_score, average=None)
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 2))
    y = (X[:, 0] > 0).astype(int)
    tuner = TaskThresholdTuner(IndependentTaskClassifier(LogisticRegression()),
                               metric=metric, cv=2)
    weight = np.ones(40) if weighted else None
    with pytest.raises(ValueError, match=message):
        tuner.fit(X, y, sample_weight=weight)
    if weighted:  # without weights it is called as given
        name = tuner.fit(X, y).schema_[0].name
        assert tuner.best_scores_[name] >= tuner.default_scores_[name] > 0


class _NaNProba(LogisticRegression):
    """LogisticRegression whose probabilities are NaN for every third sample."""

    def predict_proba(self, X):
        proba = super().predict_proba(X)
        proba[::3] = np.nan
        return proba


def test_nan_probabilities_are_refused_at_fit_naming_the_task():
    # They made a NaN threshold, stored silently; predict then refused "the threshold of
    # task 'y' is NaN" without saying where it came from.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 2))
    y = (X[:, 0] > 0).astype(int)
    tuner = TaskThresholdTuner(IndependentTaskClassifier(_NaNProba()), cv=KFold(3))
    with pytest.raises(ValueError, match="tune task 'y' are NaN for 12 sample"):
        tuner.fit(X, y)
    Y = np.column_stack([y, 1 - y])
    with pytest.raises(ValueError, match="tune task 'task0' are NaN for 12 sample.*sample 0"):
        tuner.fit(X, Y)


def test_an_int_cv_spreads_every_label_of_several_tasks_over_the_folds():
    # Rows sorted by a rare label (as a table exported class by class): KFold(5)'s first
    # fold held every positive, its training part none, so those positives all scored
    # low and the tuned threshold put every sample on. An int cv now makes the folds of
    # MultiTaskStratifiedKFold, as groups= makes MultiTaskStratifiedGroupKFold's.
    from sklearn_mtl.model_selection import MultiTaskStratifiedKFold

    rng = np.random.RandomState(0)
    X = rng.normal(size=(500, 3))
    Y = (X[:, :2] + rng.normal(size=(500, 2)) > [1.8, 0]).astype(int)
    order = np.argsort(-Y[:, 0], kind="stable")
    X, Y = X[order], Y[order]
    model = IndependentTaskClassifier(LogisticRegression())
    tuned = TaskThresholdTuner(model, cv=5).fit(X, Y)
    stratified = TaskThresholdTuner(model, cv=MultiTaskStratifiedKFold(5)).fit(X, Y)
    assert tuned.thresholds_ == stratified.thresholds_
    assert 0.1 < tuned.thresholds_["task0"] < 0.5
    assert tuned.best_scores_["task0"] > 0.5


def test_a_label_of_one_class_in_the_tuning_rows_warns_that_it_stays_half():
    # its threshold stayed 0.5 and its best score NaN without a word
    from sklearn_mtl import IndependentTaskClassifier

    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3))
    Y = pd.DataFrame({"a": (X[:, 0] > 0).astype(int),
                      "tags": [{"x"} if v > 0 else {"y"} for v in X[:, 1]]})
    Y.loc[:, "tags"] = [s | {"z"} for s in Y["tags"]]  # label "z" on every row
    tuner = TaskThresholdTuner(IndependentTaskClassifier(LogisticRegression()), cv=3)
    with pytest.warns(UserWarning, match=r"labels \['z'\] of task 'tags' hold a single"):
        tuner.fit(X, Y)
    assert tuner.thresholds_["tags"][2] == 0.5 and np.isnan(tuner.best_scores_["tags"][2])
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        TaskThresholdTuner(IndependentTaskClassifier(LogisticRegression()), cv=3).fit(
            X, Y.assign(tags=[{"x"} if v > 0 else {"y"} for v in X[:, 1]]))


@pytest.mark.parametrize("frozen", [False, True])
def test_prefit_model_fitted_on_a_frame_tunes_on_its_values_by_position(frozen):
    # score reads Y_test.to_numpy() of a model fitted on a DataFrame by position (as
    # MultiOutputClassifier.score does); the tuner refused it ("The encoder was fitted on
    # a DataFrame; got ndarray"), with groups too
    from sklearn.frozen import FrozenEstimator

    from sklearn_mtl import StructuredLabelEncoder

    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3))
    Y = pd.DataFrame((X > [0.0, 0.3, -0.3]).astype(int), columns=["a", "b", "c"])
    onehot = np.zeros((40, 4), dtype=int)
    onehot[np.arange(40), (X[:, 0] > 0).astype(int)] = 1
    onehot[np.arange(40), 2 + (X[:, 1] > 0).astype(int)] = 1
    G = pd.DataFrame(onehot, columns=["a", "b", "c", "d"])
    grouped = StructuredLabelEncoder(groups={"g1": ["a", "b"], "g2": ["c", "d"]})
    for labels, encoder in ((Y, None), (G, grouped)):
        model = IndependentTaskClassifier(LogisticRegression(), encoder=encoder)
        model.fit(X, labels)
        if frozen:
            model, cv = FrozenEstimator(model), 3
        else:
            cv = "prefit"
        by_name = TaskThresholdTuner(model, cv=cv).fit(X, labels)
        by_position = TaskThresholdTuner(model, cv=cv).fit(X, labels.to_numpy())
        assert by_position.thresholds_ == by_name.thresholds_
        assert by_position.best_scores_ == by_name.best_scores_
        pd.testing.assert_frame_equal(by_position.predict(X), by_name.predict(X))


def _svc_tasks_data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(150, 3)).astype(np.float32)
    car = np.where(X[:, 2] > 0, "yes", "no").astype(object)
    size = np.digitize(X[:, 1] + rng.normal(size=150), [-0.5, 0.5]).astype(object)
    size[car == "no"] = None
    Y = pd.DataFrame({"b": (X[:, 0] + rng.normal(size=150) > 0.5).astype(int), "car": car,
                      "size": size})
    tasks = [Task("b"), Task("car"), Task("size", gate=("car", "yes"))]
    return X, Y, tasks, rng.normal(size=(300, 3)).astype(np.float32)


@pytest.mark.parametrize("chain", [False, True])
def test_a_multiclass_task_is_decided_as_the_wrapped_estimator_decides_it(chain):
    # "multiclass tasks are decided as by the wrapped estimator": an SVC(probability=True)
    # predicts by its decision function, but the tuner took the argmax of its Platt
    # probabilities, which differs on some samples (43 of these 300 for the independent
    # models, among those the model gates on)
    from sklearn.svm import SVC

    X, Y, tasks, X_new = _svc_tasks_data()
    Est = TaskChainClassifier if chain else IndependentTaskClassifier
    tuner = TaskThresholdTuner(Est(SVC(probability=True, random_state=0), tasks=tasks),
                               cv=3).fit(X, Y)
    tuned = tuner.predict_encoded(X_new).codes
    own = tuner.estimator_.predict_encoded(X_new).codes
    j, car = tuner.schema_.index("size"), tuner.schema_.index("car")
    same_gate = tuned[:, car] == own[:, car]
    np.testing.assert_array_equal(tuned[same_gate, j], own[same_gate, j])
    proba = tuner.predict_proba(X_new, task="size")
    assert (proba.argmax(1) != own[:, j])[own[:, j] >= 0].sum() > 0  # where it mattered
    # the gates still follow the tuned parents, and predict gives the same labels
    assert (tuned[tuned[:, car] == 0, j] == -2).all()
    pd.testing.assert_series_equal(
        tuner.predict(X_new)["size"], tuner.encoder_.inverse_transform(
            tuner.predict_encoded(X_new))["size"])


def test_onnx_labels_of_a_tuned_baseline_decide_a_multiclass_task_as_predict():
    pytest.importorskip("onnxruntime")
    pytest.importorskip("skl2onnx")
    import onnxruntime as ort
    from sklearn.svm import SVC

    from sklearn_mtl import export_onnx

    X, Y, tasks, X_new = _svc_tasks_data()
    tuner = TaskThresholdTuner(
        IndependentTaskClassifier(SVC(probability=True, random_state=0), tasks=tasks),
        cv=3).fit(X, Y)
    session = ort.InferenceSession(export_onnx(tuner, X_sample=X[:1]).SerializeToString())
    names = [o.name for o in session.get_outputs()]
    outputs = dict(zip(names, session.run(None, {session.get_inputs()[0].name: X_new}),
                       strict=True))
    codes = tuner.predict_encoded(X_new).codes
    for j, name in enumerate(tuner.schema_.names):
        np.testing.assert_array_equal(outputs[f"{name}_label"], codes[:, j])


def test_prefit_tuner_in_cross_validate_says_to_freeze_the_model():
    # cross_validate tunes a clone, whose prefit model clone() has unfitted: the error
    # named only the wrapped model's missing fit
    from sklearn.exceptions import NotFittedError
    from sklearn.frozen import FrozenEstimator
    from sklearn.model_selection import cross_validate

    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 2))
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] > 0]).astype(int)
    model = IndependentTaskClassifier(LogisticRegression()).fit(X, Y)
    with pytest.raises(NotFittedError, match=r"cv='prefit'.*FrozenEstimator\(model\)"):
        cross_validate(TaskThresholdTuner(model, cv="prefit"), X, Y, cv=KFold(3),
                       error_score="raise")
    scores = cross_validate(TaskThresholdTuner(FrozenEstimator(model)), X, Y, cv=KFold(3),
                            error_score="raise")["test_score"]
    assert np.isfinite(scores).all()


@pytest.mark.parametrize("cv", [0.3, "time", 5])
def test_a_frozen_estimator_is_tuned_on_all_of_fits_data_whatever_cv(cv):
    # "whatever cv, its predictions on the data passed to fit tune the thresholds": a
    # float cv tuned a FrozenEstimator on its held-out fraction only, a TimeSeriesSplit
    # on its test rows only, and five folds of four rows failed ("n_splits=5 greater
    # than the number of samples")
    from sklearn.frozen import FrozenEstimator
    from sklearn.model_selection import TimeSeriesSplit

    X, Y, tasks = rare_data(n=200)
    model = IndependentTaskClassifier(LogisticRegression(), tasks=tasks).fit(X[:100], Y[:100])
    n = 4 if cv == 5 else 100
    splitter = TimeSeriesSplit(3) if cv == "time" else cv
    prefit = TaskThresholdTuner(model, cv="prefit")
    frozen = TaskThresholdTuner(FrozenEstimator(model), cv=splitter, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # (four rows: single-class labels)
        prefit.fit(X[100:100 + n], Y[100:100 + n])
        frozen.fit(X[100:100 + n], Y[100:100 + n])
    assert frozen.thresholds_.keys() == prefit.thresholds_.keys()
    for name, value in prefit.thresholds_.items():
        np.testing.assert_array_equal(frozen.thresholds_[name], value)
        np.testing.assert_array_equal(frozen.best_scores_[name], prefit.best_scores_[name])
    assert frozen.estimator_.estimator is model
    with pytest.warns(UserWarning, match="groups is unused with a FrozenEstimator"):
        TaskThresholdTuner(FrozenEstimator(model), cv=3).fit(
            X[100:], Y[100:], groups=np.arange(100) % 10)
    with pytest.raises(ValueError, match="X has 100 samples, but Y has 110"):  # as prefit
        TaskThresholdTuner(FrozenEstimator(model), cv=splitter).fit(X[100:], Y[90:])


@pytest.mark.parametrize("n_labels", [30, 50])
def test_prefit_labels_of_another_length_than_X_are_refused(n_labels):
    # no fit compares them: 50 labels for 40 samples tuned on the first 40 silently,
    # 30 failed with "IndexError: index 30 is out of bounds"
    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 2))
    Y = (X + rng.normal(size=(80, 2)) > 0).astype(int)
    model = IndependentTaskClassifier(LogisticRegression()).fit(X[:40], Y[:40])
    with pytest.raises(ValueError, match=f"X has 40 samples, but Y has {n_labels}"):
        TaskThresholdTuner(model, cv="prefit").fit(X[40:], Y[80 - n_labels:])


@pytest.mark.parametrize("frozen", [False, True])
def test_a_single_class_in_prefit_tuning_rows_does_not_advise_another_cv(frozen):
    # "Use more folds' rows (an int cv rather than a held-out fraction)": with
    # cv="prefit" or a FrozenEstimator every row given tunes, and no cv gives more
    from sklearn.frozen import FrozenEstimator

    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 2))
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] > 0]).astype(int)
    model = IndependentTaskClassifier(LogisticRegression()).fit(X, Y)
    tuner = (TaskThresholdTuner(FrozenEstimator(model)) if frozen
             else TaskThresholdTuner(model, cv="prefit"))
    Y_val = Y.copy()
    Y_val[:, 1] = 1
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tuner.fit(X, Y_val)
    messages = [str(w.message) for w in caught if "single class" in str(w.message)]
    assert len(messages) == 1 and "task 'task1'" in messages[0]
    assert messages[0].endswith("Tune on more data.") and "int cv" not in messages[0]


def test_the_single_class_warning_advises_what_would_give_another_class():
    # "Use more folds' rows (an int cv rather than a held-out fraction)" was said of an
    # int cv too (every row tunes already), and of labels whose other class had only
    # rows of weight 0
    rng = np.random.RandomState(0)
    X = rng.normal(size=(90, 2))
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] > 1.9]).astype(int)
    model = IndependentTaskClassifier(LogisticRegression())

    def warned(tuner, **params):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            tuner.fit(X, Y, **params)
        return [str(w.message) for w in caught if "The tuning rows" in str(w.message)]

    weight = np.where(Y[:, 1] == 1, 0.0, 1.0)
    (message,) = warned(TaskThresholdTuner(model, cv=3), sample_weight=weight)
    assert "task 'task1'" in message and "int cv" not in message
    assert message.endswith("The rows of its other class all have sample_weight 0, which "
                            "leaves them out of the tuning. Tune on more data.")
    Y[:, 1] = 0  # one class in every row: more data is the advice, alone
    (message,) = warned(TaskThresholdTuner(model, cv=3))
    assert message.endswith("(best_scores_ NaN). Tune on more data.")
    (message,) = warned(TaskThresholdTuner(model, cv=0.3))
    assert message.endswith("Use more folds' rows (an int cv rather than a held-out "
                            "fraction), or more data.")


def _chained_data(n=150, seed=0):
    """``b`` follows ``a`` (which a low threshold turns on more often); ``c`` applies
    only where ``a`` is on."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 3))
    a = X[:, 0] + 0.5 * rng.normal(size=n) > 0.8
    b = np.where(a, X[:, 1] > -1, X[:, 1] > 1)
    c = np.where(a, np.where(X[:, 2] > 0, "u", "v"), None)
    return X, pd.DataFrame({"a": a.astype(int), "b": b.astype(int), "c": c})


@pytest.mark.parametrize("chain_method", ["predict", "predict_proba"])
def test_a_chain_reads_the_tuned_decisions_of_the_tasks_before_a_link(chain_method):
    # The tuner decided a task by its threshold, while the chain's later links read the
    # links' own predict of it (chain_method="predict", and the gates): a row with a
    # turned on by the tuner got the later tasks as predicted for a off.
    X, Y = _chained_data()
    tasks = [Task("a"), Task("c", gate=("a", 1)), Task("b")]  # the chain's order
    chain = TaskChainClassifier(LogisticRegression(), tasks=tasks, chain_method=chain_method)
    tuner = TaskThresholdTuner(chain, cv=3).fit(X, Y)
    tuner.thresholds_ = {"a": 0.05, "b": 0.5, "c": 0.5}
    link_a, link_c, link_b = tuner.estimator_.estimators_[0]
    proba_a = link_a.predict_proba(X)
    on = proba_a[:, 1] > 0.05
    assert (on & (link_a.predict(X) == 0)).sum() > 20  # rows the threshold turns on
    a_feature = on.astype(float) if chain_method == "predict" else proba_a[:, 1]
    proba_c = link_c.predict_proba(np.column_stack([X, a_feature]))
    c_on = proba_c[:, 1] > 0.5
    # c's column is zero where a's decision switches c's gate off, as in training
    c_feature = np.where(on, c_on if chain_method == "predict" else proba_c[:, 1], 0.0)
    proba_b = link_b.predict_proba(np.column_stack([X, a_feature, c_feature]))
    b_on = proba_b[:, 1] > 0.5
    P = tuner.predict(X)
    np.testing.assert_array_equal(P["a"], on.astype(int))
    np.testing.assert_array_equal(P["b"], b_on.astype(int))
    assert P["c"].fillna("off").tolist() == np.where(on, np.where(c_on, "v", "u"),
                                                     "off").tolist()
    np.testing.assert_allclose(tuner.predict_proba(X, task="b"), proba_b)
    assert (P["b"] != tuner.estimator_.predict(X)["b"]).any()
    # at the thresholds that its links' predict decide by, the chain's own predictions
    tuner.thresholds_ = {"a": 0.5, "b": 0.5, "c": 0.5}
    pd.testing.assert_frame_equal(tuner.predict(X), tuner.estimator_.predict(X))


@pytest.mark.parametrize("chain_method", ["predict", "predict_proba"])
def test_onnx_of_a_tuned_chain_reads_the_tuned_decisions_as_predict_does(chain_method):
    pytest.importorskip("onnxruntime")
    from sklearn_mtl import export_onnx
    from sklearn_mtl._export import run_onnx

    X, Y = _chained_data(n=200, seed=1)
    X = X.astype(np.float32)
    rng = np.random.RandomState(1)
    Y["tags"] = [[t for t, keep in zip("xy", row) if keep]
                 for row in (X[:, :2] + rng.normal(size=(200, 2)) > 0.3)]
    tasks = [Task("a"), Task("tags", kind="multilabel"), Task("c", gate=("a", 1)), Task("b")]
    chain = TaskChainClassifier(LogisticRegression(), tasks=tasks, chain_method=chain_method)
    tuner = TaskThresholdTuner(chain, cv=3).fit(X, Y)
    tuner.thresholds_ = {"a": 0.05, "tags": [0.2, 0.7], "b": 0.5, "c": 0.5}
    codes = tuner.predict_encoded(X)
    assert (codes.codes != tuner.estimator_.predict_encoded(X).codes).any()
    out = run_onnx(export_onnx(tuner, X_sample=X[:5]), X)
    for j, name in enumerate(tuner.schema_.names):
        if name == "tags":
            np.testing.assert_array_equal(out["tags_label"], codes.multilabel["tags"])
        else:
            np.testing.assert_array_equal(out[f"{name}_label"], codes.codes[:, j])
        np.testing.assert_allclose(out[f"{name}_probability"],
                                   tuner.predict_proba(X, task=name), atol=1e-5)
