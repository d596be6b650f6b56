"""Bad input gives clear errors and leaves the user's data alone; determinism,
interruption and concurrency of the estimators."""

import copy
import os
import re
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
import torch
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold
from skorch.callbacks import Callback

from sklearn_mtl import (
    IndependentTaskClassifier,
    LabelProductClassifier,
    MultiTaskClassifier,
    StructuredLabelEncoder,
    Task,
    TaskChainClassifier,
    TaskThresholdTuner,
    compare,
    load,
    save,
)

N = 30
TASKS = [Task("car"), Task("color", gate=("car", "yes"))]


def data():
    rng = np.random.RandomState(0)
    X = pd.DataFrame(rng.normal(size=(N, 3)), columns=["a", "b", "c"])
    car = np.where(X["a"] > 0, "yes", "no")
    color = np.where(X["b"] > 0, "red", "blue").astype(object)
    color[car == "no"] = None
    return X, pd.DataFrame({"car": car, "color": color})


ESTIMATORS = {
    "MultiTaskClassifier": lambda **kw: MultiTaskClassifier(
        hidden_layer_sizes=(4,), max_epochs=1, random_state=0, **kw
    ),
    "IndependentTaskClassifier": lambda **kw: IndependentTaskClassifier(
        LogisticRegression(), **kw
    ),
    "TaskChainClassifier": lambda **kw: TaskChainClassifier(LogisticRegression(), **kw),
    "LabelProductClassifier": lambda **kw: LabelProductClassifier(LogisticRegression(), **kw),
}


def _with_nan(X, Y):
    X = X.copy()
    X.iloc[3, 1] = np.nan
    return X, Y


def _with_inf(X, Y):
    X = X.copy()
    X.iloc[4, 2] = np.inf
    return X, Y


def _with_str(X, Y):
    X = X.astype(object)
    X.iloc[5, 0] = "abc"
    return X, Y


def _set(column, rows, value):
    def change(X, Y):
        Y = Y.copy()
        Y.loc[rows, column] = value
        return X, Y

    return change


def _exclusive_groups(X, Y):
    M = np.zeros((len(X), 5), dtype=int)
    M[:, 0] = 1
    M[:, 2] = 1
    M[7, 3] = 1
    return X, M


ROW_NO = int(np.flatnonzero(data()[1]["car"] == "no")[0])  # first sample without a car

# case -> (make (X, Y) from the clean data, fit kwargs, action, exception, message)
FIT = "fit"
CASES = {
    "nan_in_X": (_with_nan, {}, FIT, ValueError, r"contains NaN[\s\S]*row 3, column 'b'"),
    "inf_in_X": (_with_inf, {}, FIT, ValueError, r"infinity[\s\S]*row 4, column 'c' holds inf"),
    "str_in_X": (_with_str, {}, FIT, ValueError, r"row 5, column 'a' holds 'abc'"),
    "X_Y_lengths": (
        lambda X, Y: (X, Y.iloc[:-1]), {}, FIT, ValueError, r"X has 30 samples, but Y has 29"
    ),
    "empty_X": (
        lambda X, Y: (X.iloc[:0], Y.iloc[:0]), {}, FIT, ValueError, r"0 sample\(s\)"
    ),
    "one_sample": (
        lambda X, Y: (X.iloc[:1], Y.iloc[:1]), {}, FIT, ValueError,
        r"Task 'car' has one class \['yes'\].*at least two",
    ),
    "unseen_label": (
        _set("car", 2, "maybe"), {"tasks": [Task("car", classes=["no", "yes"])] + TASKS[1:]},
        FIT, ValueError, r"Task 'car' got label 'maybe' in row 2, which is not among its classes",
    ),
    "task_all_missing": (
        _set("color", slice(None), None), {}, FIT, ValueError,
        r"Task 'color' has no labels: of its 30 values, \d+ are missing and \d+ not "
        r"applicable \(gate off\)",
    ),
    "task_all_missing_declared": (
        _set("color", slice(None), None),
        {"tasks": [TASKS[0], Task("color", classes=["blue", "red"], gate=("car", "yes"))]},
        FIT, ValueError, r"Task 'color' has no label in the training data",
    ),
    "single_class": (
        _set("car", slice(None), "yes"), {}, FIT, ValueError, r"Task 'car' has one class",
    ),
    "label_on_gated_off_sample": (
        _set("color", ROW_NO, "red"), {}, FIT, ValueError,
        rf"Task 'color' has a label in row {ROW_NO}, where its gate is off \('car' is 'no'",
    ),
    "two_labels_in_exclusive_group": (
        _exclusive_groups, {"tasks": None}, FIT, ValueError,
        r"Row 7 has 2 active labels \[2, 3\] in exclusive group 'B'",
    ),
    "Y_column_not_in_schema": (
        _set("extra", slice(None), 1), {}, FIT, ValueError,
        r"Y column\(s\) \['extra'\] are not in the schema",
    ),
    "mixed_type_labels": (
        lambda X, Y: (X, pd.DataFrame({"t": [1, "a"] * (N // 2)})), {"tasks": None}, FIT,
        ValueError, r"Task 't' has labels of mixed types \['int', 'str'\]",
    ),
    "Y_3d": (
        lambda X, Y: (X, np.zeros((N, 2, 2), dtype=int)), {"tasks": None}, FIT, ValueError,
        r"got a 3-D array of shape \(30, 2, 2\)",
    ),
    "ragged_X": (
        lambda X, Y: ([[1.0, 2.0, 3.0]] * 5 + [[1.0, 2.0]] + [[1.0, 2.0, 3.0]] * (N - 6), Y),
        {}, FIT, ValueError,
        r"X is ragged: row 5 has 2 value\(s\), but row 0 has 3",
    ),
    "Y_without_columns": (
        lambda X, Y: (X, Y[[]]), {"tasks": None}, FIT, ValueError,
        r"Y is a DataFrame with 30 rows but 0 columns",
    ),
    "Y_array_without_columns": (
        lambda X, Y: (X, np.zeros((N, 0))), {"tasks": None}, FIT, ValueError,
        r"Y has shape \(30, 0\): 0 columns",
    ),
    "predict_before_fit": (
        lambda X, Y: (X, Y), {}, "predict", NotFittedError, r"is not fitted yet",
    ),
    "wrong_n_features_at_predict": (
        lambda X, Y: (X.to_numpy(), Y), {}, "predict_2", ValueError,
        r"X has 2 features, but \w+ is expecting 3 features",
    ),
    "renamed_column_at_predict": (
        lambda X, Y: (X, Y), {}, "predict_renamed", ValueError,
        r"Feature names unseen at fit time:\n- z[\s\S]*now missing:\n- a",
    ),
    "reordered_columns_at_predict": (
        lambda X, Y: (X, Y), {}, "predict_reordered", ValueError,
        r"same order[\s\S]*Expected the columns \['a', 'b', 'c'\]; got \['c', 'b', 'a'\]",
    ),
    "nan_in_X_at_predict": (
        lambda X, Y: (X, Y), {}, "predict_nan", ValueError, r"NaN[\s\S]*row 3, column 'b'",
    ),
}


def _act(est, action, X, Y):
    if action == FIT:
        return est.fit(X, Y)
    if action == "predict":
        return est.predict(X)
    est.fit(X, Y)
    if action == "predict_2":
        return est.predict(X[:, :2])
    if action == "predict_renamed":
        return est.predict(X.rename(columns={"a": "z"}))
    if action == "predict_reordered":
        return est.predict(X[["c", "b", "a"]])
    return est.predict(_with_nan(X, Y)[0])


def _snapshot(obj):
    return copy.deepcopy(obj)


def _assert_unchanged(before, after):
    if isinstance(before, list):
        assert before == after
    elif isinstance(before, pd.DataFrame):
        pd.testing.assert_frame_equal(before, after)
    else:
        np.testing.assert_array_equal(before, after)


# NaN in X is a missing value the network's default preprocessing imputes (with an
# indicator column), as HistGradientBoostingClassifier takes NaN natively.
ACCEPTED = {("MultiTaskClassifier", "nan_in_X"), ("MultiTaskClassifier", "nan_in_X_at_predict")}


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_bad_input_clear_error_data_untouched(name, case):
    make, kwargs, action, exc, match = CASES[case]
    X, Y = make(*data())
    kwargs = {"tasks": TASKS, **kwargs}
    if case == "two_labels_in_exclusive_group":
        kwargs["encoder"] = StructuredLabelEncoder.from_groups({"A": [0, 1], "B": [2, 3, 4]})
    est = ESTIMATORS[name](**kwargs)
    X0, Y0 = _snapshot(X), _snapshot(Y)
    if (name, case) in ACCEPTED:  # valid input for this estimator: it fits and predicts
        _act(est, action, X, Y)
        _assert_unchanged(X0, X)
        return
    with pytest.raises(exc, match=match):
        _act(est, action, X, Y)
    _assert_unchanged(X0, X)
    _assert_unchanged(Y0, Y)


ENCODER_CASES = [
    "unseen_label", "task_all_missing", "single_class", "label_on_gated_off_sample",
    "two_labels_in_exclusive_group", "Y_column_not_in_schema", "mixed_type_labels", "Y_3d",
]


@pytest.mark.parametrize("case", ENCODER_CASES)
def test_encoder_bad_labels(case):
    make, kwargs, _, exc, match = CASES[case]
    _, Y = make(*data())
    tasks = kwargs.get("tasks", TASKS)
    if case == "two_labels_in_exclusive_group":
        enc = StructuredLabelEncoder.from_groups({"A": [0, 1], "B": [2, 3, 4]})
    else:
        enc = StructuredLabelEncoder(tasks=tasks)
    Y0 = _snapshot(Y)
    with pytest.raises(exc, match=match):
        enc.fit(Y)
    _assert_unchanged(Y0, Y)


def test_encoder_transform_errors():
    _, Y = data()
    enc = StructuredLabelEncoder(tasks=TASKS)
    with pytest.raises(NotFittedError):
        enc.transform(Y)
    enc.fit(Y)
    with pytest.raises(ValueError, match=r"Task 'car' got label 'maybe' in row 1"):
        enc.transform(_set("car", 1, "maybe")(None, Y)[1])
    with pytest.raises(ValueError, match=r"Y has no column 'color' for task 'color'"):
        enc.transform(Y[["car"]])
    with pytest.raises(ValueError, match=r"Y is empty"):
        enc.transform(Y.iloc[:0])


@pytest.mark.parametrize("name", ["MultiTaskClassifier"])
def test_single_class_with_declared_classes_warns(name):
    """A declared class set with one class seen: documented warning, constant predictions."""
    X, Y = _set("car", slice(None), "yes")(*data())
    Y["color"] = np.where(X["b"] > 0, "red", "blue")
    tasks = [Task("car", classes=["no", "yes"]), TASKS[1]]
    est = ESTIMATORS[name](tasks=tasks).set_params(max_epochs=20, lr=0.05)
    with pytest.warns(UserWarning, match=r"Task 'car' has a single class 'yes' among its 30"):
        est.fit(X, Y)
    assert (est.predict(X)["car"] == "yes").all()


@pytest.mark.parametrize(
    "name", ["IndependentTaskClassifier", "TaskChainClassifier", "LabelProductClassifier"]
)
def test_single_class_baselines_predict_it(name):
    """A task with one class among its training labels (a logistic regression refuses to
    fit one class): the warning names it, and the baseline predicts that class with
    probability 1, as OneVsRestClassifier does, instead of failing."""
    X, Y = _set("car", slice(None), "yes")(*data())
    Y["color"] = np.where(X["b"] > 0, "red", "blue")
    tasks = [Task("car", classes=["no", "yes"]), TASKS[1]]
    est = ESTIMATORS[name](tasks=tasks)
    with pytest.warns(UserWarning, match=r"Task 'car' has a single class 'yes' among its 30"):
        est.fit(X, Y)
    assert (est.predict(X)["car"] == "yes").all()
    np.testing.assert_array_equal(est.predict_proba(X, task="car"), [[0.0, 1.0]] * len(X))
    if name == "IndependentTaskClassifier":  # the other task's model is the usual one
        alone = LogisticRegression().fit(X, Y["color"])
        np.testing.assert_array_equal(est.predict(X)["color"], alone.predict(X))


# -------------------------------------------------------- bad parameter values
def _class_weight(value):
    return {"car": {"yes": value}}


# (parameters, message): each names the parameter, the task or class, what was expected.
BAD_NETWORK_PARAMS = {
    "task_weights_nan": ({"task_weights": {"car": np.nan}}, r"task_weights\['car'\] is nan; "
                         r"expected a finite number >= 0"),
    "task_weights_inf": ({"task_weights": {"color": np.inf}}, r"task_weights\['color'\] is inf"),
    "task_weights_negative": ({"task_weights": {"car": -1.0}}, r"task_weights\['car'\] is -1.0"),
    "task_weights_str": ({"task_weights": {"car": "high"}}, r"task_weights\['car'\] is 'high'"),
    "head_lr_nan": ({"head_lr": {"car": np.nan}}, r"head_lr\['car'\] is nan; expected a finite "
                    r"number > 0"),
    "head_lr_inf": ({"head_lr": {"car": np.inf}}, r"head_lr\['car'\] is inf"),
    "head_lr_negative": ({"head_lr": {"color": -0.1}}, r"head_lr\['color'\] is -0.1"),
    "head_lr_zero": ({"head_lr": {"color": 0}}, r"head_lr\['color'\] is 0; expected a finite "
                     r"number > 0"),
    "class_weight_nan": ({"class_weight": _class_weight(np.nan)},
                         r"class_weight\['car'\]\['yes'\] is nan"),
    "class_weight_inf": ({"class_weight": _class_weight(np.inf)},
                         r"class_weight\['car'\]\['yes'\] is inf"),
    "class_weight_negative": ({"class_weight": _class_weight(-2)},
                              r"class_weight\['car'\]\['yes'\] is -2"),
    "hidden_zero": ({"hidden_layer_sizes": (0,)}, r"hidden_layer_sizes\[0\] is 0; a layer "
                    r"needs at least 1 unit"),
    "hidden_negative": ({"hidden_layer_sizes": (8, -3)}, r"hidden_layer_sizes\[1\] is -3"),
    "hidden_float": ({"hidden_layer_sizes": (2.5,)}, r"hidden_layer_sizes\[0\] is 2.5 \(float\); "
                     r"expected a positive integer"),
    "hidden_str": ({"hidden_layer_sizes": ("8",)}, r"hidden_layer_sizes\[0\] is '8' \(str\)"),
    "head_hidden_zero": ({"head_hidden": {"color": (0,)}},
                         r"head_hidden\['color'\]\[0\] is 0"),
    "lr_inf": ({"lr": np.inf}, r"The 'lr' parameter of MultiTaskClassifier must be a float in "
               r"the range \(0.0, inf\)\. Got inf"),
    "device_unknown": ({"device": "gpu"}, r"device='gpu' is not a device torch knows; expected "
                       r"'cpu', 'cuda'"),
    "device_typo": ({"device": "cpu:x"}, r"device='cpu:x' is not a device torch knows"),
}
if not __import__("torch").cuda.is_available():
    BAD_NETWORK_PARAMS["device_cuda_on_cpu_build"] = (
        {"device": "cuda"}, r"device='cuda', but this PyTorch build cannot use CUDA"
    )
    BAD_NETWORK_PARAMS["device_cuda_index_on_cpu_build"] = (
        {"device": "cuda:1"}, r"device='cuda:1', but this PyTorch build cannot use CUDA"
    )


@pytest.mark.parametrize("case", list(BAD_NETWORK_PARAMS))
def test_bad_network_parameter_values(case):
    params, match = BAD_NETWORK_PARAMS[case]
    X, Y = data()
    X0, Y0 = _snapshot(X), _snapshot(Y)
    est = ESTIMATORS["MultiTaskClassifier"](tasks=TASKS).set_params(**params)
    with pytest.raises(ValueError, match=match):
        est.fit(X, Y)
    assert not hasattr(est, "net_")
    _assert_unchanged(X0, X)
    _assert_unchanged(Y0, Y)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -1.0])
@pytest.mark.parametrize("name", list(ESTIMATORS) + ["TaskThresholdTuner"])
def test_bad_sample_weight(name, bad):
    X, Y = data()
    weight = np.ones(N)
    weight[3] = bad
    if name == "TaskThresholdTuner":
        est = TaskThresholdTuner(ESTIMATORS["IndependentTaskClassifier"](tasks=TASKS), cv=2)
    else:
        est = ESTIMATORS[name](tasks=TASKS)
    X0, Y0, w0 = _snapshot(X), _snapshot(Y), weight.copy()
    with pytest.raises(ValueError, match=rf"sample_weight\[3\] is {bad!r}; expected finite, "
                                         r"non-negative weights"):
        est.fit(X, Y, sample_weight=weight)
    _assert_unchanged(X0, X)
    _assert_unchanged(Y0, Y)
    np.testing.assert_array_equal(w0, weight)


def test_all_missing_task_hint_can_be_followed():
    X, Y = data()
    Y["extra"] = None
    with pytest.raises(ValueError, match=r"Task 'extra' has no labels: all 30 values are missing"
                                         r"[\s\S]*Y.drop\(columns=\['extra'\]\)") as info:
        MultiTaskClassifier(hidden_layer_sizes=(4,), max_epochs=1).fit(X, Y)
    assert "Task('extra', classes=[...])" in str(info.value)
    # Following the hint: drop the column, and the other tasks train.
    model = ESTIMATORS["IndependentTaskClassifier"](tasks=None).fit(X, Y.drop(columns=["extra"]))
    assert list(model.predict(X).columns) == ["car", "color"]
    # Or declare the classes to encode (and score) it.
    enc = StructuredLabelEncoder(
        tasks=[Task("car"), Task("color"), Task("extra", classes=["a", "b"])]
    ).fit(Y)
    assert (enc.transform(Y).codes[:, 2] == -1).all()
    # An estimator given declared classes but no label says to drop the task, from tasks too.
    tasks = [*TASKS, Task("extra", classes=["a", "b"])]
    with pytest.raises(ValueError, match=r"Task 'extra' has no label in the training data"
                                         r"[\s\S]*remove 'extra' from Y \(and from tasks="):
        ESTIMATORS["IndependentTaskClassifier"](tasks=tasks).fit(X, Y)


def test_empty_groups_are_refused():
    with pytest.raises(ValueError, match=r"from_groups needs at least one group"):
        StructuredLabelEncoder.from_groups({})
    with pytest.raises(ValueError, match=r"Group\(s\) \['B'\] have no label"):
        StructuredLabelEncoder.from_groups({"A": [0, 1], "B": []})
    with pytest.raises(ValueError, match=r"groups is empty"):
        StructuredLabelEncoder(groups={}).fit(np.zeros((3, 2)))


def test_save_into_a_missing_folder_names_the_users_path(tmp_path):
    X, Y = data()
    model = ESTIMATORS["IndependentTaskClassifier"](tasks=TASKS).fit(X, Y)
    target = tmp_path / "no such folder" / "model.mtl"
    with pytest.raises(FileNotFoundError, match=r"Cannot save to '.*no such folder.model\.mtl': "
                                                r"the folder '.*no such folder' does not exist"):
        save(model, target)
    assert not (tmp_path / "no such folder").exists()
    assert os.listdir(tmp_path) == []  # no temporary file left anywhere
    with pytest.raises(IsADirectoryError, match=r"it is a folder"):
        save(model, tmp_path)
    # a folder's name that does not exist ("models/"): the rename's NotADirectoryError
    # named the temporary file, not the user's path
    with pytest.raises(IsADirectoryError, match=r"Cannot save to '.*models/': it names a "
                       r"folder \(it ends with a separator\)"):
        save(model, str(tmp_path / "models") + "/")
    assert os.listdir(tmp_path) == []


def test_compare_names_a_plain_classifier():
    X, Y = data()
    X0, Y0 = _snapshot(X), _snapshot(Y)
    with pytest.raises(ValueError, match=r"Model 'plain' \(LogisticRegression\) predicts a "
                                         r"single target, but Y holds 2 task\(s\) \['car', "
                                         r"'color'\][\s\S]*IndependentTaskClassifier"):
        compare({"plain": LogisticRegression(), "ok": IndependentTaskClassifier(
            LogisticRegression())}, X, Y, cv=2, progress=False)
    _assert_unchanged(X0, X)
    _assert_unchanged(Y0, Y)
    # On one task's 1-D y a plain classifier is fine.
    y = Y["car"].to_numpy()
    table = compare({"plain": LogisticRegression()}, X, y, cv=2, progress=False)
    assert table.loc["plain", ("exact_match", "mean")] > 0.5


@pytest.mark.parametrize("n_second", [12, N, 50])
def test_warm_start_refit_on_another_size_continues(n_second):
    """As MLPClassifier(warm_start=True): a refit on data of another size keeps training."""
    rng = np.random.RandomState(1)
    X = pd.DataFrame(rng.normal(size=(50, 3)), columns=["a", "b", "c"])
    Y = pd.DataFrame({"car": np.where(X["a"] > 0, "yes", "no"),
                      "size": np.where(X["b"] > 0, "S", "L")})
    weight = rng.rand(50)
    est = MultiTaskClassifier(hidden_layer_sizes=(4,), max_epochs=2, random_state=0,
                              warm_start=True, class_weight="balanced").fit(X[:N], Y[:N])
    first = est.net_.module_.state_dict()
    first = {k: v.clone() for k, v in first.items()}
    est.fit(X[:n_second], Y[:n_second], sample_weight=weight[:n_second])
    assert len(est.history_) == 4
    changed = any(
        not np.array_equal(first[k].numpy(), v.numpy())
        for k, v in est.net_.module_.state_dict().items()
    )
    assert changed
    assert est.predict(X).shape == Y.shape
    # X and Y of different lengths: the same clear error as a first fit, not numpy's.
    for bad in ((X[:n_second - 1], Y[:n_second]), (X[:n_second], Y[:n_second - 1])):
        X0, Y0 = _snapshot(bad[0]), _snapshot(bad[1])
        with pytest.raises(ValueError, match=r"X has \d+ samples, but Y has \d+; expected one "
                                             r"row of labels per sample"):
            est.fit(*bad)
        _assert_unchanged(X0, bad[0])
        _assert_unchanged(Y0, bad[1])


# ------------------------------------------------------------------- determinism
def _small_mtc(**kw):
    params = dict(tasks=TASKS, hidden_layer_sizes=(8,), max_epochs=3, dropout=0.2,
                  random_state=7, batch_size=8, ensemble_size=1)
    params.update(kw)
    return MultiTaskClassifier(**params)


def test_same_random_state_same_predictions_after_clone_and_in_subprocess():
    X, Y = data()
    a = _small_mtc().fit(X, Y)
    b = _small_mtc().fit(X, Y)
    c = clone(a).fit(X, Y)
    pa = a.predict_proba(X)
    for other in (b, c):
        for x, y in zip(pa, other.predict_proba(X), strict=True):
            np.testing.assert_array_equal(x, y)
    # In another process: a joblib (loky) worker, reused by the grid search below.
    other_pid, proba = Parallel(n_jobs=2)(delayed(_fit_in_worker)() for _ in range(1))[0]
    assert other_pid != os.getpid()
    np.testing.assert_array_equal(proba, pa[1])


def _fit_in_worker():
    X, Y = data()
    return os.getpid(), _small_mtc().fit(X, Y).predict_proba(X)[1]


# ------------------------------------------------------------------ interruption
class InterruptAt(Callback):
    """Raises KeyboardInterrupt (Ctrl-C) at a given batch of a given epoch."""

    def __init__(self, epoch=2, batch=1):
        self.epoch = epoch
        self.batch = batch

    def on_train_begin(self, net, **kwargs):
        self.batches_ = 0

    def on_batch_end(self, net, training=False, **kwargs):
        if training and len(net.history) == self.epoch:
            self.batches_ += 1
            if self.batches_ == self.batch:
                raise KeyboardInterrupt


def test_ctrl_c_mid_epoch_leaves_a_usable_model(tmp_path):
    X, Y = data()
    clf = _small_mtc(max_epochs=10, callbacks=[("interrupt", InterruptAt(epoch=3, batch=2))])
    clf.fit(X, Y)
    # Epochs 1-2 complete, epoch 3 interrupted after two batches (skorch keeps its row).
    assert len(clf.history_) == 3
    assert "train_loss" in clf.history_[1] and len(clf.history_[-1, "batches"]) == 2
    pred = clf.predict(X)
    assert pred.shape == Y.shape
    # The interrupted model saves, loads and continues training.
    loaded = load(save(clf, tmp_path / "m.mtl"), trusted=[f"{__name__}.InterruptAt"])
    pd.testing.assert_frame_equal(loaded.predict(X), pred)


def test_ctrl_c_in_a_baseline_propagates_and_keeps_data():
    """scikit-learn's own estimators let KeyboardInterrupt through; so do the baselines."""

    class Interrupting(LogisticRegression):
        def fit(self, X, y, sample_weight=None):
            raise KeyboardInterrupt

    X, Y = data()
    X0, Y0 = X.copy(), Y.copy()
    with pytest.raises(KeyboardInterrupt):
        IndependentTaskClassifier(Interrupting(), tasks=TASKS).fit(X, Y)
    _assert_unchanged(X0, X)
    _assert_unchanged(Y0, Y)


# ------------------------------------------------------------------- concurrency
def test_grid_search_two_processes():
    # An explicit KFold: with cv=<int>, scikit-learn's check_cv calls type_of_target on Y,
    # which fails on an object Y holding None (a gated-off label) before any fit.
    X, Y = data()
    search = GridSearchCV(
        _small_mtc(max_epochs=2, dropout=0.0), {"hidden_layer_sizes": [(4,), (8,)]},
        cv=KFold(2, shuffle=True, random_state=0), n_jobs=2, error_score="raise",
    )
    search.fit(X, Y)
    assert set(search.cv_results_["rank_test_score"]) <= {1, 2}
    assert search.best_estimator_.predict(X).shape == Y.shape


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_predict_from_four_threads(name):
    X, Y = data()
    est = ESTIMATORS[name](tasks=TASKS).fit(X, Y)
    ref = est.predict(X)
    ref_proba = est.predict_proba(X)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: (est.predict(X), est.predict_proba(X)), range(8)))
    for pred, proba in results:
        pd.testing.assert_frame_equal(pred, ref)
        for x, y in zip(proba, ref_proba, strict=True):
            np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_task_labelled_only_on_zero_weight_samples_is_refused(name):
    # sample_weight 0 on every labelled sample of a task leaves nothing to train it on:
    # the network would predict it from an untrained head, silently; scikit-learn
    # refuses an all-zero sample_weight. Every estimator names the task instead.
    X, Y = data()
    Y = Y.assign(extra=np.where(np.arange(N) < 10, np.arange(N) % 2, np.nan))
    weight = np.ones(N)
    weight[:10] = 0.0
    est = ESTIMATORS[name](tasks=TASKS + [Task("extra")])
    with pytest.raises(ValueError, match=r"Task 'extra': sample_weight is 0 for each of its "
                                         r"10 labelled training sample\(s\)"):
        est.fit(X, Y, sample_weight=weight)
    weight[0] = 1.0  # one weighted label is enough
    est.fit(X, Y, sample_weight=weight)
    assert est.predict(X).shape == Y.shape


def _diverging(**params):
    """A network whose loss overflows to NaN or infinity within a few epochs."""
    X = np.random.RandomState(0).normal(size=(60, 3))
    Y = pd.DataFrame({"a": (X[:, 0] > 0).astype(int), "b": np.where(X[:, 1] > 0, "x", "y")})
    params = {"hidden_layer_sizes": (8,), "max_epochs": 6, "random_state": 0, **params}
    return MultiTaskClassifier(**params), X, Y


@pytest.mark.parametrize("case", ["lr", "huge X"])
def test_a_loss_that_diverged_behind_finite_weights_warns(case):
    # The ensemble restores the epoch of its lowest held-out score: after a loss of
    # NaN (lr=1e10) or of inf in every epoch (|X| ~ 1e37 unscaled) the weights were
    # finite and fit returned in silence; history_ alone held the NaN.
    if case == "lr":
        est, X, Y = _diverging(lr=1e10, optimizer=torch.optim.SGD,
                               optimizer_params={"momentum": 0.9})
        match = r"train_loss was nan at epoch 4, and 3 of the 6 epoch\(s\) trained"
    else:
        est, X, Y = _diverging(preprocessing=None)
        X = X * 1e37
        match = r"train_loss was inf at epoch 1, and 6 of the 6 epoch\(s\) trained"
    with pytest.warns(ConvergenceWarning, match=match):
        est.fit(X, Y)
    assert not np.isfinite(est.history_[:, "train_loss"]).all()
    assert all(np.isfinite(p).all() for p in est.predict_proba(X))


def test_a_diverged_loss_error_names_its_epoch_and_warm_start_counts_its_own():
    est, X, Y = _diverging(lr=1e10, optimizer=torch.optim.SGD,
                           optimizer_params={"momentum": 0.9}, ensemble_size=1)
    with pytest.raises(ValueError, match=r"diverged \(train_loss was first nan at epoch 4\)"
                                         r"\. Lower lr \(now 10000000000.0\)"):
        est.fit(X, Y)
    # a warm start after a diverged fit is judged on its own epochs
    est, X, Y = _diverging(lr=1e10, optimizer=torch.optim.SGD,
                           optimizer_params={"momentum": 0.9}, warm_start=True)
    with pytest.warns(ConvergenceWarning):
        est.fit(X, Y)
    est.set_params(lr=1e-3, max_epochs=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est.fit(X, Y)
    assert len(est.history_) == 8


@pytest.mark.parametrize("seed, problem", [
    (1, r"left task 'a' no label among the 10 training sample\(s\): its head does not "),
    (0, r"left task 'a' labels of one class only among the 10 training sample\(s\): it "
        r"learns to predict that class"),
    (2, None),  # both labels train: no warning
])
def test_a_validation_split_that_takes_a_tasks_labels_warns(seed, problem):
    # early_stopping's split is random: it took every label of task 'a' (or of one of
    # its classes) out of training, and the head trained on nothing, silently
    X = np.random.RandomState(0).normal(size=(20, 3))
    Y = pd.DataFrame({"a": [0, 1] + [None] * 18, "b": np.where(X[:, 1] > 0, "x", "y")})
    est = MultiTaskClassifier(hidden_layer_sizes=(4,), max_epochs=1, random_state=seed,
                              early_stopping=True, validation_fraction=0.5, ensemble_size=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(X, Y)
    messages = [str(w.message) for w in caught if "validation split" in str(w.message)]
    if problem is None:
        assert messages == []
        return
    assert len(messages) == 1
    assert re.search(r"The validation split \(validation_fraction=0.5\) " + problem, messages[0])
    assert "X_val and y_val" in messages[0]


def test_a_diverged_fit_on_parquet_shards_is_refused(tmp_path):
    # fit(ParquetShards) skipped the check of the weights: NaN weights, every
    # probability NaN, and no error
    pytest.importorskip("pyarrow")
    from sklearn_mtl.sharded import ParquetShards

    X = np.random.RandomState(0).normal(size=(120, 3)).astype(np.float32)
    frame = pd.DataFrame(X, columns=["x0", "x1", "x2"]).assign(
        a=np.where(X[:, 0] > 0, "yes", "no"))
    frame.to_parquet(tmp_path / "part.parquet", row_group_size=40)
    shards = ParquetShards(tmp_path, features=["x0", "x1", "x2"], targets=["a"],
                           batch_rows=40)
    est = MultiTaskClassifier(hidden_layer_sizes=(8,), max_epochs=6, lr=1e10,
                              optimizer=torch.optim.SGD, optimizer_params={"momentum": 0.9},
                              ensemble_size=1, random_state=0)
    with pytest.raises(ValueError, match=r"non-finite network weights .* diverged"):
        est.fit(shards)


@pytest.mark.parametrize("params, instead", [
    ({"ensemble_size": 1}, "'train_loss' or 'train_loss_best'"),
    ({"early_stopping": True}, "'valid_loss' or 'valid_loss_best'"),
])
def test_monitoring_the_members_score_without_the_ensemble_names_what_to_monitor(
        params, instead):
    # one network, or early_stopping's split, records no member_valid_loss: skorch's
    # EarlyStopping failed with a KeyError after the first epoch
    from skorch.callbacks import EarlyStopping

    X, Y = _diverging()[1:]
    est = MultiTaskClassifier(hidden_layer_sizes=(4,), max_epochs=2, random_state=0,
                              callbacks=[("es", EarlyStopping(monitor="member_valid_loss"))],
                              **params)
    with pytest.raises(ValueError, match=r"Callback 'es' monitors 'member_valid_loss', "
                                         r".* This fit has none; monitor " + instead):
        est.fit(X, Y)
    est.set_params(**dict.fromkeys(params, "auto" if "ensemble_size" in params else False))
    est.fit(X, Y)  # the default ensemble records it
    assert "member_valid_loss" in est.history_[-1]


# ------------------------------------------------------- threads and global state
def _warning_machinery():
    return list(warnings.filters), warnings.showwarning, warnings._showwarnmsg_impl


def test_fits_in_threads_leave_the_warning_filters_as_they_found_them():
    # Fitting the preprocessing silenced numpy's all-NaN warnings with
    # warnings.catch_warnings, which swaps the process's filters: fits in threads at
    # once (GridSearchCV under the threading backend) restored each other's, and left
    # RuntimeWarning ignored for the rest of the process.
    from sklearn_mtl.neural._preprocessing import TabularPreprocessor

    X = pd.DataFrame(np.random.RandomState(0).normal(size=(40, 3)), columns=["a", "b", "c"])
    X["b"] = np.nan  # a column without a value: centred at 0, scaled by infinity
    before = _warning_machinery()

    def fit(_):
        return TabularPreprocessor().fit(X).transform(X)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        inner = _warning_machinery()
        with ThreadPoolExecutor(4) as pool:
            # 400 fits: a filter swap reintroduced (catch_warnings around the statistics)
            # was caught in 10 runs of 10 in a fresh process, but missed in 1 of 20 with
            # 200 fits (the first fits of a process race less)
            results = list(pool.map(fit, range(400)))
        assert _warning_machinery() == inner
    assert [str(w.message) for w in caught] == []  # nor did the NaN column's warnings show
    assert _warning_machinery() == before
    for result in results:
        np.testing.assert_array_equal(result, results[0])
    np.testing.assert_array_equal(results[0][:, 1], 0.0)


def test_compare_in_threads_keeps_the_warnings_and_the_callers_machinery():
    # compare recorded each fit's warnings with warnings.catch_warnings(record=True):
    # under the threading backend two fits swapped the process's filters and
    # showwarning at once, so the process was left recording into a dead fit's list:
    # every later warning vanished.
    from joblib import parallel_backend

    X, Y = data()
    Y = Y.assign(size=np.where(np.arange(N) % 7 == 0, None, np.where(X["c"] > 0, "L", "S")))
    tasks = TASKS + [Task("size")]
    models = {  # the label product leaves out the samples with a missing label: it warns
        "product": LabelProductClassifier(LogisticRegression(), tasks=tasks),
        "independent": IndependentTaskClassifier(LogisticRegression(), tasks=tasks),
        "network": _small_mtc(tasks=tasks, max_epochs=3),
    }
    cv = KFold(3, shuffle=True, random_state=0)
    before = _warning_machinery()
    with warnings.catch_warnings(record=True) as sequential:
        warnings.simplefilter("default")
        expected = compare(models, X, Y, cv=cv, progress=False)
    for _ in range(3):
        with parallel_backend("threading"):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("default")
                inner = _warning_machinery()
                table = compare(models, X, Y, cv=cv, progress=False, n_jobs=2)
                assert _warning_machinery() == inner
                warnings.warn("after the comparison", UserWarning)
        assert _warning_machinery() == before
        messages = [str(w.message) for w in caught]
        assert messages[-1] == "after the comparison"
        assert sorted(messages[:-1]) == sorted(str(w.message) for w in sequential)
        assert any("left out" in m for m in messages)
        scores = [m for m in table.columns.get_level_values(0) if not m.endswith("_time")]
        pd.testing.assert_frame_equal(table[scores], expected[scores])


def _hold(lock, held, release):
    with lock:
        held.set()
        release.wait(60)


def _fit_in_forked_child(queue):
    X, Y = data()
    queue.put(_small_mtc(max_epochs=1).fit(X, Y).predict_proba(X)[0])


@pytest.mark.skipif(not hasattr(os, "register_at_fork"), reason="no fork on this platform")
def test_a_process_forked_while_a_thread_fits_can_fit():
    # A fit holds a lock while it draws from torch's generator. A process forked
    # meanwhile (a multiprocessing "fork" pool beside a training thread) inherited it
    # held by a thread it does not have, and its first fit waited for ever.
    import multiprocessing
    import threading

    from sklearn_mtl import _multitask

    X, Y = data()
    # One torch thread: a process forked after OpenMP's pool ran cannot use it (GNU
    # OpenMP is not fork-safe), whatever sklearn-mtl does.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    expected = _small_mtc(max_epochs=1).fit(X, Y).predict_proba(X)[0]  # imports done
    held, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold, args=(_multitask._SEEDED, held, release))
    holder.start()
    try:
        assert held.wait(60)
        context = multiprocessing.get_context("fork")
        queue = context.Queue()
        child = context.Process(target=_fit_in_forked_child, args=(queue,))
        with warnings.catch_warnings():  # Python 3.12: forking a process with threads
            warnings.simplefilter("ignore", DeprecationWarning)
            child.start()
        child.join(60)
        stuck = child.is_alive()
        if stuck:
            child.kill()
            child.join()
    finally:
        release.set()
        holder.join()
        torch.set_num_threads(threads)
    assert not stuck, "the forked process waited for a lock no thread of it holds"
    np.testing.assert_array_equal(queue.get(timeout=10), expected)


def test_a_column_without_a_value_in_training_is_ignored_at_prediction():
    # A numeric column that was all NaN in training got a missing-value indicator
    # (constant 1 there) and a scale of 1: a value at prediction then moved the
    # network's input along directions it never trained on, and changed a third of
    # the predictions. It now reads as in training, as scikit-learn's SimpleImputer
    # drops such a column.
    from sklearn_mtl.neural._preprocessing import TabularPreprocessor

    rng = np.random.RandomState(0)
    X = pd.DataFrame({"x": rng.normal(size=80), "z": np.full(80, np.nan)})
    pre = TabularPreprocessor().fit(X)
    assert list(pre.get_feature_names_out()) == ["x", "z"]
    filled = X.assign(z=[1e6, -3.0, 0.5, 7.0] * 20)
    np.testing.assert_array_equal(pre.transform(filled), pre.transform(X))
    np.testing.assert_array_equal(pre.transform(X)[:, 1], 0.0)

    Y = pd.DataFrame({"a": (X["x"] > 0).astype(int), "b": rng.randint(0, 3, 80)})
    model = MultiTaskClassifier(hidden_layer_sizes=(8,), max_epochs=3, random_state=7,
                                ensemble_size=1).fit(X, Y)
    for p, q in zip(model.predict_proba(filled), model.predict_proba(X)):
        np.testing.assert_array_equal(p, q)
