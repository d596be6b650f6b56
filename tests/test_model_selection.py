"""MultiTaskStratifiedKFold: iterative stratification over every task, missing-aware."""

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.datasets import make_multilabel_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    KFold,
    StratifiedKFold,
    cross_validate,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_mtl import IndependentTaskClassifier, compare
from sklearn_mtl.model_selection import (
    MultiTaskStratifiedGroupKFold,
    MultiTaskStratifiedKFold,
    cross_val_predict,
    iterative_stratification,
    label_indicators,
)


def test_iterative_stratification_exact_on_tiny_labels():
    # label 0 (2 samples) is placed first, one per fold; then label 1 alternates
    # (ties go to the fold lacking more samples, then to the first fold)
    L = np.array([[1, 0], [1, 0], [0, 1], [0, 1], [0, 1], [0, 1]])
    np.testing.assert_array_equal(iterative_stratification(L, 2), [0, 1, 0, 1, 0, 1])
    # a sample with no label goes to the fold that lacks the most samples
    L = np.array([[1], [1], [1], [0]])
    np.testing.assert_array_equal(iterative_stratification(L, 2), [0, 1, 0, 1])


def test_label_indicators_skip_missing_and_gated_off():
    Y = pd.DataFrame({"car": ["yes", "no", "yes", None], "color": ["red", None, "blue", "red"]})
    L = label_indicators(Y)
    # car: no, yes; color: blue, red
    np.testing.assert_array_equal(
        L.astype(int), [[0, 1, 0, 1], [1, 0, 0, 0], [0, 1, 1, 0], [0, 0, 0, 1]]
    )


def test_single_task_folds_as_balanced_as_stratified_kfold():
    y = np.repeat(["a", "b", "c"], [20, 7, 3])
    X = np.zeros((len(y), 1))
    ours = [np.unique(y[test], return_counts=True)[1]
            for _, test in MultiTaskStratifiedKFold(3).split(X, y)]
    ref = [np.unique(y[test], return_counts=True)[1] for _, test in StratifiedKFold(3).split(X, y)]
    np.testing.assert_array_equal(np.sort(ours, axis=0), np.sort(ref, axis=0))


def test_multilabel_folds_are_closer_to_the_label_frequencies_than_kfold():
    X, Y = make_multilabel_classification(n_samples=400, n_classes=20, random_state=0)
    freq = Y.mean(axis=0)

    def deviation(cv):
        return np.mean([np.abs(Y[test].mean(axis=0) - freq).mean() for _, test in cv.split(X, Y)])

    ours = deviation(MultiTaskStratifiedKFold(5, shuffle=True, random_state=0))
    kfold = deviation(KFold(5, shuffle=True, random_state=0))
    assert ours < kfold / 3
    # a partition of the samples
    tests = np.concatenate([t for _, t in MultiTaskStratifiedKFold(5).split(X, Y)])
    np.testing.assert_array_equal(np.sort(tests), np.arange(len(X)))


def test_missing_labels_still_split_and_rare_classes_reach_every_fold():
    rng = np.random.RandomState(0)
    Y = pd.DataFrame({"a": rng.choice(["x", "y"], 50).astype(object),
                      "b": ["rare"] * 5 + ["common"] * 45})
    Y.loc[rng.choice(50, 15, replace=False), "a"] = np.nan
    X = np.zeros((50, 1))
    cv = MultiTaskStratifiedKFold(5, shuffle=True, random_state=1)
    folds = list(cv.split(X, Y))
    assert [int((Y.loc[test, "b"] == "rare").sum()) for _, test in folds] == [1] * 5
    assert [len(test) for _, test in folds] == [10] * 5
    Y_before = Y.copy()
    list(cv.split(X, Y))
    pd.testing.assert_frame_equal(Y, Y_before)  # the labels are left as they were
    # same seed, same folds; another seed, other folds
    again = list(MultiTaskStratifiedKFold(5, shuffle=True, random_state=1).split(X, Y))
    assert all((a[1] == b[1]).all() for a, b in zip(folds, again, strict=True))


def test_errors():
    X = np.zeros((4, 1))
    with pytest.raises(ValueError, match="needs the labels Y"):
        list(MultiTaskStratifiedKFold(2).split(X, None))
    with pytest.raises(ValueError, match="X has 4 samples, but Y has 3"):
        list(MultiTaskStratifiedKFold(2).split(X, [0, 1, 0]))
    with pytest.raises(ValueError, match="no effect since shuffle is False"):
        MultiTaskStratifiedKFold(2, random_state=0)


@pytest.fixture
def missing_label_data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3))
    Y = pd.DataFrame({"a": np.where(X[:, 0] > 0, "x", "y").astype(object),
                      "b": np.where(X[:, 1] > 0, "u", "v").astype(object)})
    Y.loc[3, "b"] = np.nan
    return X, Y


@pytest.mark.filterwarnings("ignore:invalid value encountered in cast:RuntimeWarning")
def _patients(n_patients=30, rows=4, seed=0):
    """Four rows of each patient; 'rare' on three patients, 'kind' a patient's own."""
    rng = np.random.RandomState(seed)
    patient = np.repeat(np.arange(n_patients), rows)
    rare = np.isin(np.arange(n_patients), [3, 6, 9])
    Y = pd.DataFrame({"rare": np.where(rare, "yes", "no")[patient],
                      "kind": rng.choice(["a", "b", "c"], n_patients)[patient]})
    return np.zeros((len(patient), 1)), Y, patient


def test_stratified_group_folds_keep_groups_whole_and_spread_a_rare_class():
    from sklearn.model_selection import GroupKFold

    X, Y, patient = _patients()
    for cv in (MultiTaskStratifiedGroupKFold(3),
               MultiTaskStratifiedGroupKFold(3, shuffle=True, random_state=0)):
        tests = [test for _, test in cv.split(X, Y, groups=patient)]
        np.testing.assert_array_equal(np.sort(np.concatenate(tests)), np.arange(len(X)))
        for test in tests:
            assert not set(patient[test]) & set(np.delete(patient, test))  # whole groups
            assert (Y.loc[test, "rare"] == "yes").sum() == 4  # one rare patient a fold
            assert len(test) == 40
    # GroupKFold balances the folds' sizes only: rare patients share a fold
    rare_per_fold = [(Y.loc[test, "rare"] == "yes").sum() // 4
                     for _, test in GroupKFold(3).split(X, groups=patient)]
    assert max(rare_per_fold) >= 2


def test_stratified_group_folds_of_one_sample_each_are_the_sample_folds():
    X, Y, _ = _patients()
    one_each = np.arange(len(X))  # a group a sample, numbered in the samples' order
    for kwargs in ({}, {"shuffle": True, "random_state": 0}):
        grouped = MultiTaskStratifiedGroupKFold(4, **kwargs).split(X, Y, groups=one_each)
        plain = MultiTaskStratifiedKFold(4, **kwargs).split(X, Y)
        for (_, a), (_, b) in zip(grouped, plain, strict=True):
            np.testing.assert_array_equal(a, b)


def test_stratified_group_folds_in_scikit_learn_and_errors():
    X, Y, patient = _patients()
    X = np.random.RandomState(0).normal(size=(len(patient), 2))
    model = IndependentTaskClassifier(LogisticRegression())
    scores = cross_validate(model, X, Y, cv=MultiTaskStratifiedGroupKFold(3),
                            groups=patient)["test_score"]
    assert len(scores) == 3
    cv = MultiTaskStratifiedGroupKFold(3)
    with pytest.raises(ValueError, match="needs groups"):
        list(cv.split(X, Y))
    with pytest.raises(ValueError, match="needs the labels Y"):
        list(cv.split(X, None, groups=patient))
    with pytest.raises(ValueError, match="n_splits=3 greater than the number of groups: 2"):
        list(cv.split(X, Y, groups=patient % 2))
    with pytest.raises(ValueError, match="groups has 4 missing value"):
        list(cv.split(X, Y, groups=np.where(patient == 0, np.nan, patient)))
    assert cv.get_n_splits() == 3


def test_integer_cv_fails_in_scikit_learn_and_the_splitter_works(missing_label_data):
    """The errors quoted in docs/faq.md, and the fix given there."""
    X, Y = missing_label_data
    pipe = make_pipeline(StandardScaler(), IndependentTaskClassifier(LogisticRegression()))
    grid = {"independenttaskclassifier__estimator__C": [0.1, 1.0]}
    with pytest.raises(TypeError, match="'<' not supported between instances of 'float' and 'str'"):
        cross_validate(pipe, X, Y, cv=5)
    with pytest.raises(ValueError, match="Input y contains NaN"):
        GridSearchCV(pipe, grid, cv=3).fit(X, (Y == "x").astype(float).where(Y.notna()))
    scores = cross_validate(pipe, X, Y, cv=MultiTaskStratifiedKFold(5))["test_score"]
    assert len(scores) == 5 and np.all(scores > 0.5)
    search = GridSearchCV(pipe, grid, cv=MultiTaskStratifiedKFold(3, shuffle=True, random_state=0))
    assert search.fit(X, Y).best_score_ > 0.5


class _Recording(IndependentTaskClassifier):
    def fit(self, X, y, sample_weight=None, **fit_params):
        self.n_rare_ = int((y["b"] == "rare").sum())
        return super().fit(X, y, sample_weight=sample_weight, **fit_params)


def test_compare_stratifies_every_task_by_default():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(50, 2))
    Y = pd.DataFrame({"a": np.where(X[:, 0] > 0, "x", "y"), "b": ["rare"] * 5 + ["common"] * 45})
    _, details = compare({"m": _Recording(LogisticRegression())}, X, Y, cv=5, progress=False,
                         return_details=True)
    assert [m.n_rare_ for m in details["estimators"]["m"]] == [4] * 5


# ------------------------------------------------------------------ cross_val_predict
def _penguin_model():
    return make_pipeline(StandardScaler(), IndependentTaskClassifier(LogisticRegression()))


def _by_hand(model, X, Y, splits, methods):
    """Each test fold's outputs (a dict by method) of a clone fitted on its training folds."""
    fitted = [(clone(model).fit(X.iloc[train], Y.iloc[train]), test) for train, test in splits]
    return [{method: getattr(fold, method)(X.iloc[test]) for method in methods}
            for fold, test in fitted]


def test_cross_val_predict_with_missing_labels_equals_a_loop_by_hand():
    from sklearn_mtl.datasets import load_penguins

    X, Y = load_penguins()  # 9 missing sexes
    X = X.set_axis(X.index + 1000)  # predictions keep X's index
    cv = MultiTaskStratifiedKFold(4, shuffle=True, random_state=1)
    splits = list(cv.split(X, Y))
    model = _penguin_model()
    got = cross_val_predict(model, X, Y, cv=cv)
    assert isinstance(got, pd.DataFrame) and got.index.equals(X.index)
    assert list(got.columns) == list(Y.columns) and got.notna().all().all()
    by_hand = _by_hand(model, X, Y, splits, ["predict", "predict_proba"])
    for (_, test), expected in zip(splits, by_hand):
        # (the pipeline's scaler gives the classifier an array: a RangeIndex)
        pd.testing.assert_frame_equal(got.iloc[test].reset_index(drop=True),
                                      expected["predict"])
    proba = cross_val_predict(model, X, Y, cv=cv, method="predict_proba")
    assert [p.shape for p in proba] == [(342, 3), (342, 3), (342, 2)]  # no "missing" class
    for (_, test), expected in zip(splits, by_hand):
        for p, e in zip(proba, expected["predict_proba"]):
            np.testing.assert_array_equal(p[test], e)
    log = cross_val_predict(model, X, Y, cv=cv, method="predict_log_proba")
    np.testing.assert_allclose(np.exp(log[2]), proba[2])
    # an int cv: the shuffled stratified folds of compare
    default = cross_val_predict(model, X, Y, cv=4, random_state=1)
    pd.testing.assert_frame_equal(default, got)


def test_cross_val_predict_lays_out_a_class_a_training_fold_lacks():
    # class "c" lives in the first test fold only: the model that predicts that fold was
    # fitted without it and gives no column for it, so there the column is 0 (log:
    # the lowest float), as in scikit-learn
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 2))
    Y = pd.DataFrame({"t": ["c"] * 3 + ["a", "b"] * 13 + ["a"], "u": ["x", "y"] * 15})
    splits = [(np.arange(10, 30), np.arange(10)), (np.arange(10), np.arange(10, 30))]
    model = IndependentTaskClassifier(LogisticRegression())
    proba = cross_val_predict(model, X, Y, cv=splits, method="predict_proba")
    assert proba[0].shape == (30, 3)
    assert (proba[0][:10, 2] == 0).all() and (proba[0][10:, 2] > 0).all()
    np.testing.assert_allclose(proba[0].sum(axis=1), 1.0)
    log = cross_val_predict(model, X, Y, cv=splits, method="predict_log_proba")
    assert (log[0][:10, 2] == np.finfo(np.float64).min).all()


def test_cross_val_predict_equals_scikit_learn_without_missing_labels():
    from sklearn.model_selection import cross_val_predict as sk_cross_val_predict

    X, Y = make_multilabel_classification(n_samples=60, n_classes=4, random_state=0)
    X = StandardScaler().fit_transform(X)  # few iterations of each logistic regression
    cv = KFold(3, shuffle=True, random_state=0)
    model = IndependentTaskClassifier(LogisticRegression())
    np.testing.assert_array_equal(cross_val_predict(model, X, Y, cv=cv),
                                  sk_cross_val_predict(model, X, Y, cv=cv))
    for ours, theirs in zip(cross_val_predict(model, X, Y, cv=cv, method="predict_proba"),
                            sk_cross_val_predict(model, X, Y, cv=cv, method="predict_proba")):
        np.testing.assert_allclose(ours, theirs)
    y = Y[:, 0]  # one task: one array, as for a plain classifier
    np.testing.assert_allclose(
        cross_val_predict(LogisticRegressionTask(), X, y, cv=cv, method="predict_proba"),
        sk_cross_val_predict(LogisticRegressionTask(), X, y, cv=cv, method="predict_proba"))


def LogisticRegressionTask():
    return IndependentTaskClassifier(LogisticRegression())


def test_cross_val_predict_groups_params_and_errors():
    X, Y = make_multilabel_classification(n_samples=40, n_classes=3, random_state=0)
    X = StandardScaler().fit_transform(X)  # few iterations of each logistic regression
    groups = np.repeat(np.arange(8), 5)
    model = IndependentTaskClassifier(LogisticRegression())
    P = cross_val_predict(model, X, Y, cv=4, groups=groups)
    assert P.shape == Y.shape
    # sample_weight is cut to each training fold: zero weights on a fold's rows equal
    # leaving them out of its training
    weight = np.ones(40)
    weight[:5] = 0
    splits = [(np.arange(20, 40), np.arange(20)), (np.arange(20), np.arange(20, 40))]
    weighted = cross_val_predict(model, X, Y, cv=splits, params={"sample_weight": weight},
                                 method="predict_proba")
    left_out = IndependentTaskClassifier(LogisticRegression()).fit(X[5:20], Y[5:20])
    np.testing.assert_allclose(weighted[1][20:], left_out.predict_proba(X[20:])[1])
    with pytest.raises(ValueError, match="method must be one of"):
        cross_val_predict(model, X, Y, method="transform")
    with pytest.raises(ValueError, match="partition"):
        cross_val_predict(model, X, Y, cv=[(np.arange(20), np.arange(20, 30))])


def test_cross_val_predict_of_the_network_with_gates():
    from sklearn_mtl import MultiTaskClassifier, Task

    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3))
    car = np.where(X[:, 0] > 0, "yes", "no")
    Y = pd.DataFrame({"car": car,
                      "color": np.where(car == "yes", np.where(X[:, 1] > 0, "red", "blue"),
                                        None)})
    tasks = [Task("car"), Task("color", gate=("car", "yes"))]
    model = MultiTaskClassifier(tasks=tasks, hidden_layer_sizes=(8,), max_epochs=3,
                                random_state=0)
    cv = KFold(3, shuffle=True, random_state=0)
    P = cross_val_predict(model, X, Y, cv=cv)
    assert P.loc[P["car"] == "no", "color"].isna().all()  # gated off where no car
    assert P.loc[P["car"] == "yes", "color"].notna().all()
    car_proba, color_proba = cross_val_predict(model, X, Y, cv=cv, method="predict_proba")
    assert car_proba.shape == (60, 2) and color_proba.shape == (60, 2)
    from sklearn.base import clone

    train, test = next(cv.split(X))
    expected = clone(model).fit(X[train], Y.iloc[train]).predict_proba(X[test])
    np.testing.assert_array_equal(color_proba[test], expected[1])


def test_a_label_rarer_than_the_folds_warns_as_stratified_k_fold_does():
    Y = pd.DataFrame({"a": ["x"] * 8 + ["y"] * 2, "b": [0, 1] * 5})
    with pytest.warns(UserWarning, match="least populated class in y has only 2 members, "
                                         "which is less than n_splits=5"):
        list(MultiTaskStratifiedKFold(5).split(np.zeros((10, 1)), Y))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        list(MultiTaskStratifiedKFold(2).split(np.zeros((10, 1)), Y))


def test_iterative_stratification_refuses_labels_that_are_not_a_matrix():
    # a class vector, as StratifiedKFold takes (before: a bare IndexError)
    with pytest.raises(ValueError, match=r"labels has shape \(6,\); expected a 2-D array "
                                         r"\(n_units, n_labels\)"):
        iterative_stratification(np.array([0, 1, 0, 1, 1, 0]), 2)
    with pytest.raises(ValueError, match=r"sizes has shape \(2,\); expected one size per "
                                         r"unit, \(3,\)"):
        iterative_stratification(np.eye(3, dtype=int), 2, sizes=[1, 2])


def test_a_task_of_one_class_or_no_label_splits_as_stratified_k_fold_does():
    # Splitting needs only label indicators: a task whose labels show one class gives
    # that class's indicator, one without any label none (before: the encoder's refusal
    # of a one-class task, where scikit-learn's StratifiedKFold splits such a y).
    X = np.zeros((30, 1))
    y = np.array(["x"] * 30)
    ours = [len(test) for _, test in MultiTaskStratifiedKFold(3).split(X, y)]
    assert ours == [len(test) for _, test in StratifiedKFold(3).split(X, y)]
    np.testing.assert_array_equal(label_indicators(y), np.ones((30, 1), dtype=bool))
    rng = np.random.RandomState(0)
    a = rng.choice(["x", "y", "z"], 30)
    plain = list(MultiTaskStratifiedKFold(3).split(X, pd.DataFrame({"a": a})))
    degenerate = {
        "none": pd.DataFrame({"a": a, "b": [None] * 30}),
        "one": pd.DataFrame({"a": a, "b": ["z"] * 30}),
        "one with nan": pd.DataFrame({"a": a, "b": [1.0] * 27 + [np.nan] * 3}),
        "one category": pd.DataFrame({"a": a, "b": pd.Categorical(["z"] * 30)}),
    }
    for name, Y in degenerate.items():
        before = Y.copy()
        folds = list(MultiTaskStratifiedKFold(3).split(X, Y))
        pd.testing.assert_frame_equal(Y, before)  # the labels are left as they were
        assert label_indicators(Y).shape == (30, 3 + (name != "none"))
        for (_, test), (_, ref) in zip(folds, plain, strict=True):
            # task a as balanced as alone; a label-less task changes nothing
            assert len(test) == 10
            np.testing.assert_array_equal(np.unique(a[test], return_counts=True)[1],
                                          np.unique(a[ref], return_counts=True)[1])
            if name == "none":
                np.testing.assert_array_equal(test, ref)
    # a gate names a class of its parent that the labels do not show; label sets of no label
    from sklearn_mtl import Task

    gated = pd.DataFrame({"car": ["no"] * 30, "color": [None] * 30})
    tasks = [Task("car"), Task("color", gate=("car", "yes"))]
    assert [len(test) for _, test in MultiTaskStratifiedKFold(3, tasks=tasks).split(X, gated)] \
        == [10] * 3
    np.testing.assert_array_equal(label_indicators(gated, tasks=tasks),
                                  np.repeat([[True, False]], 30, axis=0))
    assert label_indicators([set()] * 30).shape == (30, 0)
    # the estimators still refuse to learn a task of one class
    with pytest.raises(ValueError, match="Task 'b' has one class"):
        IndependentTaskClassifier(LogisticRegression()).fit(X, degenerate["one"])


def test_nested_cross_validation_with_the_whole_schema_and_a_rare_class():
    # docs/evaluation.md: a class too rare for every training fold is declared through
    # the whole Y's schema; the inner splitter then sees a training fold where the task
    # has a single class (before: it refused it, and the whole evaluation failed)
    from sklearn_mtl import StructuredLabelEncoder

    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3))
    Y = pd.DataFrame({"a": np.where(X[:, 0] > 0, "x", "y"), "flag": ["no"] * 60})
    Y.loc[7, "flag"] = "yes"
    schema = StructuredLabelEncoder().fit(Y).schema_
    model = IndependentTaskClassifier(LogisticRegression(), tasks=schema)
    search = GridSearchCV(model, {"estimator__C": [0.1, 1.0]}, cv=MultiTaskStratifiedKFold(3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # 'yes' is rarer than the folds
        scores = cross_validate(search, X, Y, cv=MultiTaskStratifiedKFold(3),
                                error_score="raise")["test_score"]
    assert len(scores) == 3 and np.all(scores > 0.5)


def test_gated_labels_option_reads_y_as_the_encoder_does():
    # A colour given where car == "no" is masked with gated_labels="mask", as the encoder
    # masks it: the folds are those of the labels the encoder gives (before: the splitter
    # given tasks= always raised on it, while EncodedLabels or no tasks= split).
    from sklearn_mtl import StructuredLabelEncoder, Task

    Y = pd.DataFrame({"car": ["no", "no", "yes", "yes", "no", "yes", "no", "yes"],
                      "color": ["red", None, "red", "blue", None, "red", "blue", "blue"]})
    before = Y.copy()
    X = np.zeros((8, 1))
    tasks = [Task("car", classes=["no", "yes"]),
             Task("color", classes=["red", "blue"], gate=("car", "yes"))]
    encoded = StructuredLabelEncoder(tasks, gated_labels="mask").fit_transform(Y)
    # car: no, yes; color: red, blue (rows 0 and 6 masked)
    np.testing.assert_array_equal(
        label_indicators(Y, tasks=tasks, gated_labels="mask").astype(int),
        [[1, 0, 0, 0], [1, 0, 0, 0], [0, 1, 1, 0], [0, 1, 0, 1],
         [1, 0, 0, 0], [0, 1, 1, 0], [1, 0, 0, 0], [0, 1, 0, 1]],
    )
    cv = MultiTaskStratifiedKFold(2, tasks=tasks, gated_labels="mask")
    assert [t.tolist() for _, t in cv.split(X, Y)] == [[0, 2, 3, 4], [1, 5, 6, 7]]
    shuffled = MultiTaskStratifiedKFold(2, shuffle=True, random_state=0, tasks=tasks,
                                        gated_labels="mask")
    for splitter in (cv, shuffled):
        assert [t.tolist() for _, t in splitter.split(X, Y)] == \
            [t.tolist() for _, t in splitter.split(X, encoded)]
    groups = np.repeat([0, 1, 2, 3], 2)
    grouped = MultiTaskStratifiedGroupKFold(2, tasks=tasks, gated_labels="mask")
    assert [t.tolist() for _, t in grouped.split(X, Y, groups)] == \
        [t.tolist() for _, t in grouped.split(X, encoded, groups)]
    pd.testing.assert_frame_equal(Y, before)  # the labels are left as they were
    # the default is the encoder's: raise, naming the row and the option
    with pytest.raises(ValueError, match=r"Task 'color' has a label in row 0.*gated_labels='mask'"):
        next(MultiTaskStratifiedKFold(2, tasks=tasks).split(X, Y))
    for bad in ("Mask", None):
        with pytest.raises(ValueError, match=r"MultiTaskStratifiedKFold's gated_labels must be "
                                             r"'raise' or 'mask'.*got " + repr(bad)):
            next(MultiTaskStratifiedKFold(2, tasks=tasks, gated_labels=bad).split(X, Y))
    with pytest.raises(ValueError, match=r"^gated_labels must be 'raise' or 'mask'"):
        label_indicators(Y, tasks=tasks, gated_labels="drop")
    # inferred classes: only the labels where the gate is on count, so a task that shows
    # one class there is split (as a constant task is), not refused
    inferred = [Task("car"), Task("color", gate=("car", "yes"))]
    one = Y.assign(color=np.where(Y["car"] == "yes", "red", Y["color"]))
    np.testing.assert_array_equal(
        label_indicators(one, tasks=inferred, gated_labels="mask")[:, 2],
        (Y["car"] == "yes").to_numpy(),
    )
    assert label_indicators(one, tasks=inferred, gated_labels="mask").shape == (8, 3)
    # and an estimator whose encoder masks cross-validates on these folds
    model = IndependentTaskClassifier(
        LogisticRegression(), encoder=StructuredLabelEncoder(tasks, gated_labels="mask"))
    Xr = np.arange(8, dtype=float).reshape(-1, 1)
    scores = cross_validate(model, Xr, Y, cv=MultiTaskStratifiedKFold(2, tasks=tasks,
                                                                      gated_labels="mask"))
    assert scores["test_score"].shape == (2,)


def test_n_jobs_workers_get_scikit_learns_configuration():
    # metadata routing and transform_output reach the joblib workers, as in
    # scikit-learn's cross_val_predict: n_jobs=2 gives what n_jobs=1 does
    import sklearn
    from sklearn.compose import make_column_transformer

    rng = np.random.RandomState(0)
    X = pd.DataFrame(rng.normal(size=(40, 3)), columns=["f0", "f1", "f2"])
    Y = pd.DataFrame({"a": np.where(X["f0"] > 0, "y", "n"), "b": (X["f2"] > 0).astype(int)})
    w = np.where(np.arange(40) % 3, 1.0, 5.0)
    with sklearn.config_context(enable_metadata_routing=True):
        base = make_pipeline(StandardScaler().set_fit_request(sample_weight=True),
                             LogisticRegression().set_fit_request(sample_weight=True))
        model = IndependentTaskClassifier(base).set_fit_request(sample_weight=True)
        serial, parallel = (
            cross_val_predict(model, X, Y, cv=KFold(2), method="predict_proba",
                              params={"sample_weight": w}, n_jobs=n_jobs)
            for n_jobs in (1, 2)
        )
    for s, p in zip(serial, parallel, strict=True):
        np.testing.assert_allclose(p, s)
    # a base that picks columns by name fits only on the scaler's DataFrame
    by_name = IndependentTaskClassifier(make_pipeline(
        StandardScaler(), make_column_transformer(("passthrough", ["f0", "f2"])),
        LogisticRegression(),
    ))
    with sklearn.config_context(transform_output="pandas"):
        tables = [compare({"m": by_name}, X, Y, cv=KFold(2), n_jobs=n_jobs, progress=False)
                  for n_jobs in (1, 2)]
    scores = [t.drop(columns=[c for c in t.columns if "time" in str(c)]) for t in tables]
    pd.testing.assert_frame_equal(scores[1], scores[0])


def test_stratified_group_folds_of_unequal_groups_stay_even_as_in_scikit_learn():
    # Groups of 1 to 14 samples, most holding the rare class beside common ones: placing
    # each group by its rarest label alone put 44 samples in one fold and 18 in another,
    # with a common class at 75% of one fold and 40% of another (67% overall).
    from sklearn.model_selection import StratifiedGroupKFold

    rng = np.random.RandomState(5)
    n_groups, n_splits = rng.randint(6, 40), rng.randint(2, 6)
    groups = np.repeat(np.arange(n_groups), rng.randint(1, 15, n_groups))
    y = rng.choice(3, len(groups), p=[0.7, 0.2, 0.1])
    X = np.zeros((len(y), 1))

    def spread(splits):
        tests = [test for _, test in splits]
        sizes = [len(test) for test in tests]
        share = max(np.abs(np.bincount(y[test], minlength=3) / len(test)
                           - np.bincount(y) / len(y)).max() for test in tests)
        return max(sizes) - min(sizes), share

    ours = list(MultiTaskStratifiedGroupKFold(n_splits).split(X, pd.Series(y), groups))
    for train, test in ours:
        assert not set(groups[train]) & set(groups[test])
    size_spread, share_spread = spread(ours)
    sk_size, sk_share = spread(StratifiedGroupKFold(n_splits).split(X, y, groups))
    assert size_spread <= sk_size and size_spread <= 10
    assert share_spread <= 0.1 and share_spread <= sk_share + 0.01


def test_iterative_stratification_refuses_missing_or_non_indicator_values():
    # NaN was cast to -2**63: the counts overflowed and the placing loop never ended
    L = np.array([[1, 0], [0, 1], [1, np.nan], [0, 1], [np.nan, 1], [1, 0]])
    with pytest.raises(ValueError, match=r"0/1 \(or boolean\) label indicators, without "
                                         r"missing values .* got nan"):
        iterative_stratification(L, 2)
    for bad, shown in (([[0.6, 0.4], [0.2, 0.8]], "0.6"), ([[2, 0], [0, 1]], "2"),
                       ([[-1, 0], [0, 1]], "-1"), ([["a", "b"], ["c", "d"]], "'a'")):
        with pytest.raises(ValueError, match=f"got {shown} in an array"):
            iterative_stratification(np.array(bad), 2)
    with pytest.raises(ValueError, match="non-negative integers.*got 1.5"):
        iterative_stratification(np.array([[1.5, 0], [0, 1]]), 2, sizes=[2, 1])
    # 0/1 of any dtype, and counts with sizes, are taken
    for good in (np.eye(2, dtype=bool), np.eye(2), np.eye(2).astype(object)):
        np.testing.assert_array_equal(iterative_stratification(good, 2), [0, 1])
    np.testing.assert_array_equal(
        iterative_stratification(np.array([[2, 0], [0, 1]]), 2, sizes=[2, 1]), [1, 0])


def test_scorer_reads_predictions_in_the_rows_of_y_as_score_does():
    # a shuffled Y beside the array X of its rows: the scorers warned that Y_pred (indexed
    # from 0, as predict indexes the predictions of an array) held Y's rows in another
    # order, and advised mending Y_pred; score did not warn
    from sklearn.inspection import permutation_importance

    from sklearn_mtl.metrics import exact_match_scorer

    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3))
    Y = pd.DataFrame({"a": np.where(X[:, 0] > 0, "x", "y"), "b": np.where(X[:, 1] > 0, 1, 2)})
    model = IndependentTaskClassifier(LogisticRegression()).fit(X, Y)
    order = rng.permutation(40)
    X_shuffled, Y_shuffled = X[order], Y.iloc[order]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        score = exact_match_scorer(model, X_shuffled, Y_shuffled)
        assert score == model.score(X_shuffled, Y_shuffled) == model.score(X, Y)
        permutation_importance(model, X_shuffled, Y_shuffled, scoring=exact_match_scorer,
                               n_repeats=2, random_state=0)
    # a DataFrame X whose rows Y holds in another order: one warning, as score gives
    frame = pd.DataFrame(X, columns=["p", "q", "r"])
    model.fit(frame, Y)
    for score in (lambda: exact_match_scorer(model, frame, Y_shuffled),
                  lambda: model.score(frame, Y_shuffled)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            score()
        messages = [str(w.message) for w in caught]
        assert len(messages) == 1 and "y's index holds X's row labels" in messages[0]
        assert "y = y.loc[X.index]" in messages[0]


_SEEN_GROUPS = []  # the groups each fold's spy step was fitted with


def test_cross_val_predict_passes_groups_through_metadata_routing():
    # with metadata routing on, a pipeline got <step>__groups, which it refuses
    # ("not routed to any object"), and a search over KFold got groups it routes nowhere
    import sklearn
    from sklearn.base import BaseEstimator, TransformerMixin
    from sklearn.exceptions import UnsetMetadataPassedError

    from sklearn_mtl import MultiTaskClassifier

    class Spy(TransformerMixin, BaseEstimator):
        def fit(self, X, y=None, groups=None):
            _SEEN_GROUPS.append(None if groups is None else np.asarray(groups))
            return self

        def transform(self, X):
            return X

    rng = np.random.RandomState(0)
    X = rng.normal(size=(36, 2))
    Y = pd.DataFrame({"a": np.where(X[:, 0] > 0, "x", "y"), "b": np.where(X[:, 1] > 0, 1, 2)})
    groups = np.arange(36) // 3
    cv = list(KFold(3).split(X))
    with sklearn.config_context(enable_metadata_routing=True):
        _SEEN_GROUPS.clear()
        model = make_pipeline(Spy().set_fit_request(groups=True),
                              IndependentTaskClassifier(LogisticRegression()))
        cross_val_predict(model, X, Y, cv=cv, groups=groups)
        assert len(_SEEN_GROUPS) == 3
        for seen, (train, _) in zip(_SEEN_GROUPS, cv):
            np.testing.assert_array_equal(seen, groups[train])
        # a step that said no gets none; one that has not said is asked to, by scikit-learn
        _SEEN_GROUPS.clear()
        model = make_pipeline(Spy().set_fit_request(groups=False),
                              IndependentTaskClassifier(LogisticRegression()))
        cross_val_predict(model, X, Y, cv=cv, groups=groups)
        assert _SEEN_GROUPS == [None] * 3
        unset = make_pipeline(StandardScaler(), MultiTaskClassifier(max_epochs=1))
        with pytest.raises(UnsetMetadataPassedError, match="MultiTaskClassifier.fit"):
            cross_val_predict(unset, X, Y, cv=cv, groups=groups)
        # a search whose folds ignore groups, as without routing
        search = GridSearchCV(IndependentTaskClassifier(LogisticRegression()),
                              {"estimator__C": [1.0]}, cv=KFold(2))
        out = cross_val_predict(search, X, Y, cv=cv, groups=groups)
        # groups in params, where scikit-learn's cross_val_predict takes them with
        # routing on: for the splitter too (GroupKFold said "The 'groups' parameter
        # should not be None"), as groups= gives them
        model = IndependentTaskClassifier(LogisticRegression())
        pd.testing.assert_frame_equal(
            cross_val_predict(model, X, Y, cv=GroupKFold(3), params={"groups": groups}),
            cross_val_predict(model, X, Y, cv=GroupKFold(3), groups=groups))
        with pytest.raises(ValueError, match="groups is given twice"):
            cross_val_predict(model, X, Y, cv=GroupKFold(3), groups=groups,
                              params={"groups": groups})
    assert out.shape == (36, 2)


def test_a_splitter_of_scikit_learn_reads_the_first_task_as_scikit_learn_reads_it():
    # StratifiedKFold was given a multilabel or regression first task's codes, all 0:
    # it "stratified" them on a constant, where scikit-learn's refuses such a y
    from sklearn_mtl import MultiTaskClassifier, Task

    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 2))
    tags = [{"a"} if v > 0 else {"b"} for v in X[:, 0]]
    model = IndependentTaskClassifier(LogisticRegression())
    with pytest.raises(ValueError, match=r"StratifiedKFold cannot split on the labels of the "
                                         r"first task 'y', a multilabel task .*"
                                         r"multilabel-indicator.*MultiTaskStratifiedKFold"):
        cross_val_predict(model, X, tags, cv=StratifiedKFold(3))
    Y = pd.DataFrame({"price": X[:, 1], "c": np.where(X[:, 0] > 0, "u", "v")})
    net = MultiTaskClassifier(max_epochs=1, tasks=[Task("price", kind="regression"), Task("c")])
    with pytest.raises(ValueError, match="first task 'price', a regression task"):
        cross_val_predict(net, X, Y, cv=StratifiedKFold(3))
    # a splitter that does not read y splits them; a classification task is stratified
    # as scikit-learn's StratifiedKFold stratifies its column, a missing label a stratum
    assert len(cross_val_predict(model, X, tags, cv=KFold(3))) == 30
    Y = pd.DataFrame({"c": np.where(X[:, 0] > 0, "u", "v"), "d": np.where(X[:, 1] > 0, 1, 2)})
    Y.loc[:5, "c"] = None
    oof = cross_val_predict(model, X, Y, cv=StratifiedKFold(3))
    by_hand = Y.copy()
    for train, test in StratifiedKFold(3).split(X, Y["c"].fillna("missing")):
        by_hand.iloc[test] = clone(model).fit(X[train], Y.iloc[train]).predict(X[test]).values
    pd.testing.assert_frame_equal(oof, by_hand, check_dtype=False)


def test_cross_val_predict_decision_function_as_scikit_learn_lays_it_out():
    # method="decision_function", which scikit-learn's takes, was refused
    from sklearn.model_selection import cross_val_predict as sk_cross_val_predict
    from sklearn.multioutput import ClassifierChain

    from sklearn_mtl import TaskChainClassifier

    X, Y = make_multilabel_classification(n_samples=60, n_classes=3, random_state=0)
    X = StandardScaler().fit_transform(X)
    rng = np.random.RandomState(0)
    cv = KFold(3, shuffle=True, random_state=0)
    logistic = LogisticRegression()
    # a 1-D y, binary and multiclass (with gaps): scikit-learn's own numbers
    for y in (rng.choice(["no", "yes"], 60), rng.choice([0, 2, 5], 60)):
        np.testing.assert_allclose(
            cross_val_predict(IndependentTaskClassifier(logistic), X, y, cv=cv,
                              method="decision_function"),
            sk_cross_val_predict(logistic, X, y, cv=cv, method="decision_function"))
    # an indicator Y: one (n_samples, n_labels) array, ClassifierChain's in each fold
    chain = TaskChainClassifier(logistic, order=[0, 1, 2], chain_method="predict")
    expected = np.zeros((60, 3))
    for train, test in cv.split(X):
        expected[test] = ClassifierChain(logistic, order=[0, 1, 2]).fit(
            X[train], Y[train]).decision_function(X[test])
    np.testing.assert_allclose(
        cross_val_predict(chain, X, Y, cv=cv, method="decision_function"), expected)
    # a class a training fold lacks gets the lowest float, as in scikit-learn
    y = np.array([0, 1, 2] * 18 + [3] * 6)
    folds = [(np.arange(0, 54), np.arange(54, 60)), (np.r_[0:27, 54:60], np.arange(27, 54)),
             (np.arange(27, 60), np.arange(0, 27))]
    ours = cross_val_predict(IndependentTaskClassifier(logistic), X, y, cv=folds,
                             method="decision_function")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # its note on the fold's classes
        theirs = sk_cross_val_predict(logistic, X, y, cv=folds, method="decision_function")
    np.testing.assert_allclose(ours, theirs)
    assert (ours[54:, 3] == np.finfo(np.float64).min).all()
    # a multiclass task with a fold of two classes: one column, which cannot be laid out
    y = np.array([0] * 27 + [1] * 27 + [2] * 6)
    with pytest.raises(ValueError, match="Task 'y': a training fold shows 2 of the task's 3 "
                                         "classes.*method='predict_proba'"):
        cross_val_predict(IndependentTaskClassifier(logistic), X, y, cv=KFold(3),
                          method="decision_function")


def test_task_scorer_of_a_label_of_an_indicator_matrix_says_how_to_score_it():
    # "Unknown task 'task0'; the tasks are ['labels']" for a task the model's tasks_ list
    from sklearn.metrics import accuracy_score

    from sklearn_mtl.metrics import make_task_scorer

    X, Y = make_multilabel_classification(n_samples=40, n_classes=3, random_state=0)
    X = StandardScaler().fit_transform(X)
    model = IndependentTaskClassifier(LogisticRegression()).fit(X, Y)
    for task in ("task1", 1):
        with pytest.raises(ValueError, match=r"Task .*1'? is the estimator's task 'task1' .*"
                                             r"scored as multi-label data: one multilabel "
                                             r"task 'labels'.*pd.DataFrame\(Y, columns="):
            make_task_scorer("accuracy", task=task)(model, X, Y)
    # the two ways it names: the labels together, or each column as a binary task
    assert make_task_scorer("accuracy", task="labels")(model, X, Y) == accuracy_score(
        Y, model.predict(X))
    frame = pd.DataFrame(Y, columns=model.schema_.names)
    model.fit(X, frame)
    assert make_task_scorer("accuracy", task="task1")(model, X, frame) == accuracy_score(
        Y[:, 1], model.predict(X)["task1"])
    with pytest.raises(ValueError, match=r"Unknown task 'other'; the tasks are \['labels'\]"):
        make_task_scorer("accuracy", task="other")(model.fit(X, Y), X, Y)


def _mixed_labels(seed, n):
    """Random structured labels of every kind a splitter reads: binary, multiclass (some
    classes rare), multilabel, a task gated on the binary one (labels also given where
    the gate is off), a constant task, a regression task; missing labels in each."""
    from sklearn_mtl import Task

    rng = np.random.RandomState(seed)

    def pick(values, missing):
        out = np.array(values, dtype=object)[rng.randint(len(values), size=n)]
        out[rng.uniform(size=n) < missing] = None
        return out

    tags = [set(np.array(list("pqrs"))[rng.uniform(size=4) < 0.3].tolist()) for _ in range(n)]
    for i in np.flatnonzero(rng.uniform(size=n) < 0.1):
        tags[i] = None
    Y = pd.DataFrame({"b": pick(["n", "y"], 0.1), "m": pick(list("abcdefghijkl"), 0.2),
                      "tags": tags, "color": pick(["red", "blue", "green"], 0.3),
                      "const": pick(["k"], 0.5), "r": rng.normal(size=n)})
    tasks = [Task("b", classes=["n", "y"]), Task("m"), Task("tags", kind="multilabel"),
             Task("color", classes=["red", "blue", "green"], gate=("b", "y")),
             Task("const"), Task("r", kind="regression")]
    return Y, tasks, rng.randint(max(n // 3, 5), size=n)


@pytest.mark.parametrize("seed", range(6))
def test_splitters_folds_are_those_of_the_dense_label_indicators(seed):
    # the splitters build their indicators sparse (memory of the labels that are on, not
    # n_samples x n_labels); their folds and rare-label warnings are exactly those of
    # iterative_stratification on the dense label_indicators, sample by sample and per
    # group (each group's dense label counts), with and without shuffling
    n = [40, 97, 250][seed % 3]
    Y, tasks, groups = _mixed_labels(seed, n)
    X = np.zeros((n, 1))
    L = label_indicators(Y, tasks=tasks, gated_labels="mask")
    assert L.dtype == bool and L.shape[0] == n and L.shape[1] > 15
    _, index = np.unique(groups, return_inverse=True)
    counts = np.zeros((index.max() + 1, L.shape[1]), dtype=np.int64)
    np.add.at(counts, index, L.astype(np.int64))
    for n_splits in (2, 5):
        for shuffle, random_state in ((False, None), (True, seed)):
            options = dict(shuffle=shuffle, random_state=random_state, tasks=tasks,
                           gated_labels="mask")
            expected = iterative_stratification(L, n_splits, random_state)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                folds = [test for _, test in MultiTaskStratifiedKFold(
                    n_splits, **options).split(X, Y)]
            assert [test.tolist() for test in folds] == \
                [np.flatnonzero(expected == k).tolist() for k in range(n_splits)]
            # the rare-label warning: counted and named as on the dense indicators
            sums = L.sum(axis=0)
            rare = np.flatnonzero((sums > 0) & (sums < n_splits))
            assert len(caught) == (len(rare) > 0)
            if len(rare):
                message = str(caught[0].message)
                assert f"has only {sums[rare].min()} members" in message
                assert message.count("=") == min(len(rare), 5) + 1  # n_splits=, labels
            expected = iterative_stratification(counts, n_splits, random_state,
                                                sizes=np.bincount(index))[index]
            grouped = MultiTaskStratifiedGroupKFold(n_splits, **options).split(X, Y, groups)
            assert [test.tolist() for _, test in grouped] == \
                [np.flatnonzero(expected == k).tolist() for k in range(n_splits)]


def test_iterative_stratification_of_a_sparse_matrix_is_that_of_it_dense():
    from scipy import sparse

    rng = np.random.RandomState(0)
    L = rng.uniform(size=(150, 30)) < np.linspace(0.01, 0.4, 30)
    L[:5] = False  # samples without any label
    groups = rng.randint(40, size=150)
    counts = np.zeros((40, 30), dtype=np.int64)
    np.add.at(counts, groups, L.astype(np.int64))
    sizes = np.bincount(groups, minlength=40)
    for random_state in (None, 0, 1):
        dense = iterative_stratification(L, 4, random_state)
        for convert in (sparse.csr_matrix, sparse.csc_matrix, sparse.coo_matrix,
                        sparse.csr_array):
            for values in (L, L.astype(np.int8), L.astype(float)):
                np.testing.assert_array_equal(
                    iterative_stratification(convert(values), 4, random_state), dense)
            np.testing.assert_array_equal(
                iterative_stratification(convert(counts), 4, random_state, sizes=sizes),
                iterative_stratification(counts, 4, random_state, sizes=sizes))
    # explicit zeros count for nothing, duplicate entries add up (as in .toarray())
    r, c = np.nonzero(counts)
    doubled = sparse.coo_matrix((np.r_[counts[r, c] - 1, np.ones(len(r), dtype=np.int64)],
                                 (np.r_[r, r], np.r_[c, c])), shape=counts.shape)
    np.testing.assert_array_equal(
        iterative_stratification(doubled, 4, 0,
                                 sizes=sizes),
        iterative_stratification(counts, 4, 0, sizes=sizes))
    # a sparse matrix's stored values are checked as a dense one's
    for bad in (np.nan, -1.0, 0.5, 2.0):
        with pytest.raises(ValueError, match="labels must hold 0/1"):
            iterative_stratification(sparse.csr_matrix(np.array([[bad, 0], [0, 1.0]])), 2)


def test_a_rare_label_warns_in_scikit_learns_words_in_both_splitters():
    # StratifiedKFold's sentence word for word, so that a filter written for it matches
    # (before: "least populated label", which it did not), then the labels; the group
    # splitter warns too, as StratifiedGroupKFold does (before: silent).
    from sklearn.model_selection import StratifiedGroupKFold

    X, y, groups = np.zeros((10, 1)), np.array(["x"] * 8 + ["y"] * 2), np.arange(10)
    for reference in (StratifiedKFold(5), StratifiedGroupKFold(5)):
        with pytest.warns(UserWarning) as caught:
            list(reference.split(X, y, groups if "Group" in type(reference).__name__
                                 else None))
        (expected,) = [str(w.message) for w in caught]
        assert expected == ("The least populated class in y has only 2 members, which is "
                            "less than n_splits=5.")
    for cv, g in ((MultiTaskStratifiedKFold(5), None),
                  (MultiTaskStratifiedGroupKFold(5), groups)):
        with pytest.warns(UserWarning) as caught:
            list(cv.split(X, y, g))
        assert [str(w.message) for w in caught] == [
            expected + " The labels with fewer members than folds: y='y' (2)."]
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            warnings.filterwarnings("ignore", message=re.escape(expected))
            list(cv.split(X, y, g))
    # counted in samples, as scikit-learn's: five samples of 'y' in two groups warn not
    Y = np.array(["x"] * 10 + ["y"] * 5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        list(MultiTaskStratifiedGroupKFold(5).split(
            np.zeros((15, 1)), Y, np.r_[np.arange(10), [10, 10, 10, 11, 11]]))


def test_iterative_stratification_refuses_sizes_that_are_not_counts_and_empty_folds():
    # a NaN size raised a bare IndexError; a negative one was used as it was
    L = np.array([[1, 0], [1, 1], [0, 1], [2, 0]])
    for bad, shown in ((np.nan, "nan"), (-2, "-2"), ("x", "'x'"), (np.inf, "inf")):
        with pytest.raises(ValueError, match=r"sizes must hold each unit's number of samples "
                                             r"\(non-negative numbers\); got " + re.escape(shown)):
            iterative_stratification(L, 2, sizes=[1, 2, bad, 3])
    np.testing.assert_array_equal(iterative_stratification(L, 2, sizes=[1, 2, 1, 3]),
                                  iterative_stratification(L, 2, sizes=[1.0, 2.0, 1.0, 3.0]))
    # more folds than units: some folds would be empty (as KFold refuses them)
    with pytest.raises(ValueError, match="n_splits=5 greater than the number of units: 3"):
        iterative_stratification(np.eye(3, dtype=int), 5)


def test_kfold_schema_of_groups_encoder_with_flat_matrix_says_what_to_pass():
    from sklearn_mtl import StructuredLabelEncoder

    Y = np.array([[1, 0, 1, 0, 0], [0, 1, 0, 1, 0], [1, 0, 0, 0, 1], [0, 1, 1, 0, 0]] * 3)
    X = np.zeros((len(Y), 1))
    enc = StructuredLabelEncoder.from_groups({"A": [0, 1], "B": [2, 3, 4]}).fit(Y)
    cv = MultiTaskStratifiedKFold(n_splits=2, tasks=enc.schema_)
    with pytest.raises(ValueError, match=re.escape(
            "Y has 5 columns, but the schema has 2 tasks ['A', 'B']: Y looks like the flat "
            "0/1 matrix of a StructuredLabelEncoder.from_groups encoder")) as info:
        list(cv.split(X, Y))
    assert "Pass encoder.transform(Y) as y" in str(info.value)
    assert "leave tasks out" in str(info.value)
    # what the message says works
    assert len(list(cv.split(X, enc.transform(Y)))) == 2
    assert len(list(MultiTaskStratifiedKFold(n_splits=2).split(X, Y))) == 2


def test_splitters_without_tasks_leave_a_column_of_continuous_values_out():
    # A regression task's values (non-integral numbers) cannot be classes: without
    # tasks=, the splitters read such a column as a regression task, which is not
    # stratified on, rather than refuse the Y of an estimator that declares it.
    from sklearn_mtl import Task

    Y = pd.DataFrame({"a": ["x", "y", "x", "x", "y", "x", "y", "x", "x", "y"],
                      "price": [0.5, 1.25, np.nan, 3.0, 4.5, 5.0, 6.5, 7.0, 8.5, 9.0]})
    X = np.zeros((len(Y), 1))
    declared = [Task("a"), Task("price", kind="regression")]
    assert label_indicators(Y).tolist() == label_indicators(Y, tasks=declared).tolist()
    assert label_indicators(Y.to_numpy()).astype(int).tolist() == [
        [1, 0], [0, 1], [1, 0], [1, 0], [0, 1], [1, 0], [0, 1], [1, 0], [1, 0], [0, 1]]
    for splitter, groups in ((MultiTaskStratifiedKFold, None),
                             (MultiTaskStratifiedGroupKFold, np.arange(10) // 2)):
        folds = [test.tolist() for _, test in splitter(2).split(X, Y, groups)]
        assert folds == [test.tolist() for _, test in
                         splitter(2, tasks=declared).split(X, Y, groups)]
    # the estimator is what refuses such a column without a regression task declared
    with pytest.raises(ValueError, match="Task 'price' holds non-integral numbers"):
        cross_validate(IndependentTaskClassifier(LogisticRegression()), X, Y,
                       cv=MultiTaskStratifiedKFold(2), error_score="raise")
    # nothing but continuous values, nothing to stratify on: refused, as StratifiedKFold
    # refuses a continuous y; so is text mixed with numbers
    for y in (Y["price"].to_numpy(), pd.DataFrame({"p": ["a", 1.5, 2.0]})):
        with pytest.raises(ValueError, match="Unknown label type: continuous"):
            list(MultiTaskStratifiedKFold(2).split(np.zeros((len(y), 1)), y))


def test_task_scorer_names_a_column_of_a_2d_array_by_position():
    # Y as a 2-D array, MultiOutputClassifier's form: its columns have no labels, and
    # task=j scores column j, as MultiOutputClassifier.estimators_[j] is its model (and
    # as an indicator matrix's columns are named); without it, each fold scored NaN.
    from sklearn.metrics import get_scorer
    from sklearn.multioutput import MultiOutputClassifier

    from sklearn_mtl.metrics import make_task_scorer

    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3))
    Y = np.column_stack([np.where(X[:, 0] + rng.normal(size=60) > 0, "x", "y"),
                         np.array(["p", "q", "r"])[np.digitize(X[:, 1], [-0.5, 0.5])]])
    model = IndependentTaskClassifier(LogisticRegression()).fit(X[:40], Y[:40])
    reference = MultiOutputClassifier(LogisticRegression()).fit(X[:40], Y[:40])
    for metric, j in (("roc_auc", 0), ("roc_auc_ovr", 1), ("neg_log_loss", 1),
                      ("accuracy", 1), ("f1_macro", 0)):
        expected = get_scorer(metric)(reference.estimators_[j], X[40:], Y[40:, j])
        assert make_task_scorer(metric, task=j)(model, X[40:], Y[40:]) == pytest.approx(
            expected)
        assert make_task_scorer(metric, task=f"task{j}")(model, X[40:], Y[40:]) == (
            pytest.approx(expected))
    scores = cross_validate(IndependentTaskClassifier(LogisticRegression()), X, Y,
                            cv=KFold(3), scoring=make_task_scorer("roc_auc", task=0),
                            error_score="raise")["test_score"]
    assert not np.isnan(scores).any()
    with pytest.raises(ValueError, match=re.escape(
            "Unknown task 2; the tasks are ['task0', 'task1']")):
        make_task_scorer("accuracy", task=2)(model, X, Y)


def test_cross_val_predict_cv_none_is_the_default_five_folds():
    # scikit-learn reads cv=None as its default 5 folds; here too, rather than
    # KFold(5) without shuffling or stratification
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3))
    Y = pd.DataFrame({"a": np.where(X[:, 0] > 0, "x", "y"),
                      "b": np.where(X[:, 1] > 0, "p", "q")})
    Y.loc[::6, "b"] = None
    model = IndependentTaskClassifier(LogisticRegression())
    default = cross_val_predict(model, X, Y, method="predict_proba")
    for got in (cross_val_predict(model, X, Y, cv=None, method="predict_proba"),
                cross_val_predict(model, X, Y, cv=5, method="predict_proba")):
        assert all(np.array_equal(g, d) for g, d in zip(got, default, strict=True))


def test_learning_curve_incremental_says_why_its_flat_classes_are_refused():
    # scikit-learn's learning_curve(exploit_incremental_learning=True) gives partial_fit
    # classes=np.unique(Y): every task's classes pooled, which say none's own
    from sklearn.linear_model import SGDClassifier
    from sklearn.model_selection import learning_curve

    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 3))
    Y = pd.DataFrame({"a": np.where(X[:, 0] > 0, "x", "y"),
                      "b": np.array(["p", "q", "r"])[np.digitize(X[:, 1], [-0.5, 0.5])]})
    model = IndependentTaskClassifier(SGDClassifier(random_state=0))
    with pytest.raises(ValueError, match=re.escape(
            "classes has 5 entries, but Y has 2 tasks ['a', 'b']; expected one array of "
            "classes per task. A flat array of classes, such as np.unique(Y) (what "
            "scikit-learn's learning_curve passes with exploit_incremental_learning=True)")):
        learning_curve(model, X, Y, cv=KFold(3), train_sizes=[0.5, 1.0],
                       exploit_incremental_learning=True, error_score="raise")
    # as the message says: without it, the curve is drawn
    _, train, test = learning_curve(model, X, Y, cv=KFold(3), train_sizes=[0.5, 1.0])
    assert train.shape == test.shape == (2, 3)


def test_task_scorer_keeps_the_score_request_of_the_scorer_it_wraps():
    # make_scorer(...).set_score_request(sample_weight=True) wrapped by make_task_scorer
    # lost its request: cross_validate then refused the weights it asks for
    # (UnsetMetadataPassedError). The request carries over, as scikit-learn's
    # _CurveScorer.from_scorer carries a scorer's over.
    import sklearn
    from sklearn.metrics import f1_score, make_scorer

    from sklearn_mtl.metrics import make_task_scorer

    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3))
    Y = pd.DataFrame({"a": np.where(X[:, 0] > 0, "x", "y"),
                      "b": np.array(["p", "q", "r"])[np.digitize(X[:, 1], [-0.5, 0.5])]})
    w = np.where(np.arange(60) % 3, 1.0, 3.0)
    with sklearn.config_context(enable_metadata_routing=True):
        model = IndependentTaskClassifier(LogisticRegression().set_fit_request(
            sample_weight=True))
        expected = {True: [], False: []}
        for train, test in KFold(3).split(X):
            fold = clone(model).fit(X[train], Y.iloc[train], sample_weight=w[train])
            for asked in (True, False):
                expected[asked].append(f1_score(
                    Y["b"].iloc[test], fold.predict(X[test])["b"], average="macro",
                    sample_weight=w[test] if asked else None))
        assert expected[True] != pytest.approx(expected[False])
        for asked in (True, False):
            inner = make_scorer(f1_score, average="macro").set_score_request(
                sample_weight=asked)
            scorer = make_task_scorer(inner, task="b")
            got = cross_validate(model, X, Y, cv=KFold(3), scoring=scorer,
                                 params={"sample_weight": w},
                                 error_score="raise")["test_score"]
            assert got == pytest.approx(expected[asked])
            # the wrapped scorer is left as it was
            assert inner.get_metadata_routing().score.requests == {"sample_weight": asked}
        # a request of the task scorer's own replaces it
        scorer = make_task_scorer(inner, task="b").set_score_request(sample_weight=True)
        assert cross_validate(model, X, Y, cv=KFold(3), scoring=scorer,
                              params={"sample_weight": w})["test_score"] == pytest.approx(
            expected[True])


def test_cross_val_predict_names_the_method_the_estimator_lacks():
    # LabelProductClassifier has fit, but no decision_function: the error said "has no
    # fit and decision_function; expected an estimator of this project". As
    # scikit-learn's cross_val_predict, an AttributeError, naming the methods it has.
    from sklearn.svm import LinearSVC

    from sklearn_mtl import LabelProductClassifier

    rng = np.random.RandomState(0)
    X = rng.normal(size=(12, 2))
    Y = pd.DataFrame({"a": ["x", "y"] * 6, "b": ["p", "p", "q"] * 4})
    with pytest.raises(AttributeError, match=re.escape(
            "LabelProductClassifier has no decision_function, which "
            "method='decision_function' calls on each test fold; pass one of the methods "
            "it has: ['predict', 'predict_proba', 'predict_log_proba'].")):
        cross_val_predict(LabelProductClassifier(LogisticRegression()), X, Y, cv=KFold(2),
                          method="decision_function")
    with pytest.raises(AttributeError, match=re.escape(
            "Pipeline has no predict_proba, which method='predict_proba' calls on each "
            "test fold; pass one of the methods it has: ['predict', 'decision_function'].")):
        cross_val_predict(make_pipeline(StandardScaler(), IndependentTaskClassifier(
            LinearSVC())), X, Y, cv=KFold(2), method="predict_proba")
    with pytest.raises(ValueError, match=re.escape(
            "estimator (str) has no fit; expected an estimator of this project")):
        cross_val_predict("model", X, Y, cv=KFold(2))


def test_cross_val_predict_checks_sample_weight_on_every_sample():
    # the weights were checked by each fold's fit: a NaN or negative weight was named by
    # its place in the fold (sample_weight[19] for the sample 39), and weights one too
    # short went whole to every fold ("expected (20,)")
    X, Y = make_multilabel_classification(n_samples=40, n_classes=3, random_state=0)
    X = StandardScaler().fit_transform(X)  # few iterations of each logistic regression
    model = IndependentTaskClassifier(LogisticRegression())
    splits = [(np.arange(20, 40), np.arange(20)), (np.arange(20), np.arange(20, 40))]
    for bad, message in ((-1.0, r"sample_weight\[39\] is -1.0"),
                         (np.nan, r"sample_weight\[39\] is nan")):
        weight = np.ones(40)
        weight[39] = bad
        with pytest.raises(ValueError, match=message):
            cross_val_predict(model, X, Y, cv=splits, params={"sample_weight": weight})
    with pytest.raises(ValueError, match=r"sample_weight.shape == \(39,\), expected \(40,\)"):
        cross_val_predict(model, X, Y, cv=splits, params={"sample_weight": np.ones(39)})
    # a list is read as an array, cut to each fold as one
    listed = cross_val_predict(model, X, Y, cv=splits, params={"sample_weight": [1.0] * 40})
    np.testing.assert_array_equal(listed, cross_val_predict(model, X, Y, cv=splits))
    # a Series of weights ordered apart from X's rows warns, as Y so ordered does
    frame = pd.DataFrame(X).iloc[::-1]
    with pytest.warns(UserWarning, match=r"sample_weight's index holds X's row labels in "
                                         r"another order"):
        cross_val_predict(model, frame, Y[::-1], cv=splits,
                          params={"sample_weight": pd.Series(np.ones(40))})


def test_masked_gate_naming_a_class_the_labels_lack_splits_as_the_encoder_reads_it():
    # gated_labels="mask": a gate value of the parent that no row shows ('maybe', a rare
    # value an outer training fold lacks) is a class of the parent, as the encoder reads
    # it (before: "Task 'color' is gated on 'car' = 'maybe', which is not among 'car''s
    # classes", where the encoder and the estimators read Y)
    from sklearn_mtl import StructuredLabelEncoder, Task

    Y = pd.DataFrame({"car": ["yes", "no", "yes", "no", "yes", "no"],
                      "color": ["red", "blue", "blue", None, "red", "blue"]})
    tasks = [Task("car"), Task("color", gate=("car", ["yes", "maybe"]))]
    encoded = StructuredLabelEncoder(tasks=tasks, gated_labels="mask").fit_transform(Y)
    assert encoded.schema["car"].classes == ["maybe", "no", "yes"]
    expected = np.column_stack(
        [encoded.codes[:, j] == k for j, task in enumerate(encoded.schema)
         for k in range(len(task.classes))])
    np.testing.assert_array_equal(label_indicators(Y, tasks=tasks, gated_labels="mask"),
                                  expected)
    cv = MultiTaskStratifiedKFold(2, tasks=tasks, gated_labels="mask")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # one masked-in 'blue' left
        tests = [test for _, test in cv.split(np.zeros((6, 1)), Y)]
    np.testing.assert_array_equal(np.sort(np.concatenate(tests)), np.arange(6))
    assert [len(test) for test in tests] == [3, 3]


def test_cross_val_predict_warns_as_scikit_learn_of_a_class_a_training_fold_lacks():
    # scikit-learn's RuntimeWarning, word for word, then the task, the fold and the
    # classes laid out as 0 (before: the columns were filled without a word)
    from sklearn.model_selection import cross_val_predict as sk_cross_val_predict

    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 2))
    Y = pd.DataFrame({"t": ["c"] * 3 + ["a", "b"] * 13 + ["a"], "u": ["x", "y"] * 15})
    splits = [(np.arange(10, 30), np.arange(10)), (np.arange(10), np.arange(10, 30))]
    with pytest.warns(RuntimeWarning) as caught:
        sk_cross_val_predict(LogisticRegression(), X, Y["t"], cv=splits,
                             method="predict_proba")
    (expected,) = [str(w.message) for w in caught]
    model = IndependentTaskClassifier(LogisticRegression())
    for method, value in (("predict_proba", "0"), ("predict_log_proba", "the lowest float")):
        with pytest.warns(RuntimeWarning) as caught:
            cross_val_predict(model, X, Y, cv=splits, method=method)
        assert [str(w.message) for w in caught] == [
            expected + f". Task 't', training fold 0: the classes it lacks ('c') get {value} "
            "in its test rows."]
    with warnings.catch_warnings():  # every training fold with every class: silent
        warnings.simplefilter("error")
        cross_val_predict(model, X, Y, cv=KFold(2, shuffle=True, random_state=0),
                          method="predict_proba")


def test_iterative_stratification_names_the_value_it_refuses_in_an_object_array():
    # a nullable boolean frame with <NA>, a stray string: the first value it cannot take
    # (before: the first value of all, "got True", which it takes)
    nullable = pd.DataFrame({"a": pd.array([True, False, None, True], dtype="boolean"),
                             "b": pd.array([True] * 4, dtype="boolean")})
    with pytest.raises(ValueError, match="without missing values .*; got <NA> in an array "
                                         "of dtype object"):
        iterative_stratification(nullable, 2)
    mixed = np.array([[True, "x"]] * 3, dtype=object)
    with pytest.raises(ValueError, match="got 'x' in an array of dtype object"):
        iterative_stratification(mixed, 2)
    with pytest.raises(ValueError, match=r"counts of each unit's samples .*; got <NA>"):
        iterative_stratification(np.array([[3, pd.NA]] * 2, dtype=object), 2, sizes=[3, 3])
    np.testing.assert_array_equal(iterative_stratification(nullable.fillna(False), 2),
                                  iterative_stratification(nullable.fillna(False).to_numpy(
                                      dtype=bool), 2))


def test_cross_val_predict_decision_function_names_a_fold_of_two_classes_before_others():
    # the first fold shows two classes of each task (its decision_function one array), the
    # second three of 't' (a list): the task is named (before: numpy's "inhomogeneous shape")
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 2))
    Y = pd.DataFrame({"t": ["c"] * 3 + ["a", "b"] * 13 + ["a"], "u": ["x", "y"] * 15})
    splits = [(np.arange(10, 30), np.arange(10)), (np.arange(10), np.arange(10, 30))]
    with pytest.raises(ValueError, match="Task 't': a training fold shows 2 of the task's 3"):
        cross_val_predict(IndependentTaskClassifier(LogisticRegression()), X, Y, cv=splits,
                          method="decision_function")


def test_iterative_stratification_finds_a_late_refused_value_in_a_large_object_array():
    # the refused value is looked for a block of 65,536 entries at a time (a Python-level
    # pass over every entry took seconds on millions): one in the last block is named,
    # and the first refused value is named where a later block holds another
    labels = np.ones((40_000, 2), dtype=object)  # two blocks
    labels[-1, -1] = pd.NA
    with pytest.raises(ValueError, match="got <NA> in an array of dtype object"):
        iterative_stratification(labels, 2)
    labels[-1, -1] = 2  # a number it refuses (not 0 or 1) in the last block
    labels[0, 0] = "x"  # and text in the first: the first is named
    with pytest.raises(ValueError, match="got 'x' in an array"):
        iterative_stratification(labels, 2)


def test_iterative_stratification_places_samples_by_the_rule_worked_by_hand():
    # 3 folds. 'a' (rows 5, 6) is the rarer label: row 5 to fold 0, row 6 to fold 1 (the
    # folds lacking 'a' and samples most, the first of them). 'b' then: fold 2 lacks it
    # most (row 0); then all lack it alike, and each takes one in turn (rows 1-4). Row 7,
    # without labels, goes to the first of the folds with the fewest samples (fold 1).
    L = np.zeros((8, 2), dtype=bool)
    L[[5, 6], 0] = True
    L[[0, 1, 2, 3, 4, 5, 6], 1] = True
    np.testing.assert_array_equal(iterative_stratification(L, 3), [2, 0, 1, 2, 0, 0, 1, 1])
    # 2 folds. 'a' (rows 3, 4, 5) goes 0, 1, 0; 'b' (rows 0, 1, 2, 6) then finds both
    # folds without it, fold 1 with fewer samples: it takes the first, and they alternate
    L = np.zeros((7, 2), dtype=bool)
    L[[3, 4, 5], 0] = True
    L[[0, 1, 2, 6], 1] = True
    np.testing.assert_array_equal(iterative_stratification(L, 2), [1, 0, 1, 0, 1, 0, 0])


def _seeded_indicators():
    L = np.random.RandomState(0).uniform(size=(40, 3)) < [0.1, 0.3, 1.0]
    assert L.sum(axis=0).tolist() == [5, 14, 40]
    return L


@pytest.mark.parametrize("n_splits, random_state, expected", [
    (2, None, "0010100101011010101101010010111010010101"),
    (4, None, "1230102301213032120313210201331200230123"),
    (2, 0, "1000110100010001110100101001010110011111"),
    (4, 0, "3231213020120111133130232030032122003021"),
    (2, 3, "1010100000110011011001011001010100111110"),
    (4, 3, "3201101122313213021023310203230020320113"),
])
def test_iterative_stratification_keeps_its_folds(n_splits, random_state, expected):
    # The folds of the implementation placing one sample at a time (computed with it):
    # the faster one places a label's samples at once, and must give them exactly, ties
    # broken alike (the same draws of the seeded RandomState, in the same order).
    folds = iterative_stratification(_seeded_indicators(), n_splits, random_state)
    assert "".join(map(str, folds)) == expected


def test_iterative_stratification_leaves_a_random_state_as_one_sample_at_a_time_did():
    # a RandomState passed in is drawn from exactly as before: its next number is the same
    rng = np.random.RandomState(3)
    folds = iterative_stratification(_seeded_indicators(), 4, rng)
    assert "".join(map(str, folds)) == "3201101122313213021023310203230020320113"
    assert rng.randint(1000) == 892
    # groups (several samples a unit) keep their folds too
    C = np.array([[1, 2, 0], [2, 1, 0], [0, 0, 2], [1, 0, 0], [0, 2, 2], [1, 2, 0],
                  [1, 0, 0], [2, 1, 2], [2, 1, 0], [0, 1, 0]])
    sizes = [4, 4, 3, 2, 4, 4, 1, 5, 3, 1]
    assert iterative_stratification(C, 3, sizes=sizes).tolist() == \
        [2, 1, 2, 1, 1, 0, 0, 0, 2, 1]
    assert iterative_stratification(C, 3, 5, sizes=sizes).tolist() == \
        [0, 1, 2, 1, 1, 2, 0, 0, 2, 1]


def test_splitters_keep_their_folds():
    # folds computed with the implementation placing one sample at a time
    Y = pd.DataFrame({"color": ["red", "blue", None, "red", "green", "red", "blue", None,
                                "red", "green", "blue", "red", None, "red", "blue", "green",
                                "red", "red"],
                      "size": ["S", "M", "L", "S", "M", "L", "S", "S", "M", "L", "S", "M",
                               None, "S", "M", "L", "S", "M"]})
    X, groups = np.zeros((18, 1)), np.repeat(np.arange(9), 2)
    expected = {
        (False, None): [[2, 3, 4, 6, 11, 16], [5, 7, 8, 9, 10, 17], [0, 1, 12, 13, 14, 15]],
        (True, 0): [[0, 1, 9, 13, 14, 16], [2, 3, 4, 10, 12, 17], [5, 6, 7, 8, 11, 15]],
        (True, 1): [[1, 2, 3, 4, 13, 16], [0, 5, 7, 8, 14, 15], [6, 9, 10, 11, 12, 17]],
    }
    grouped = {
        (False, None): [[0, 1, 4, 5, 12, 13], [6, 7, 8, 9, 16, 17], [2, 3, 10, 11, 14, 15]],
        (True, 0): [[0, 1, 4, 5, 12, 13], [2, 3, 10, 11, 14, 15], [6, 7, 8, 9, 16, 17]],
        (True, 1): [[4, 5, 6, 7, 16, 17], [2, 3, 10, 11, 14, 15], [0, 1, 8, 9, 12, 13]],
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every label has 3 samples or more
        for (shuffle, seed), folds in expected.items():
            cv = MultiTaskStratifiedKFold(3, shuffle=shuffle, random_state=seed)
            assert [test.tolist() for _, test in cv.split(X, Y)] == folds
            cv = MultiTaskStratifiedGroupKFold(3, shuffle=shuffle, random_state=seed)
            assert [test.tolist() for _, test in cv.split(X, Y, groups)] == \
                grouped[shuffle, seed]


@pytest.mark.parametrize("seed", range(8))
def test_samples_placed_label_by_label_as_one_at_a_time(seed):
    # The splitter's path (each unit one sample with 0/1 labels) places a label's samples
    # at once; the unit-by-unit loop (kept for groups) places them one at a time. Same
    # folds and same draws on inputs full of ties: repeated rows, labels of equal counts,
    # rows without labels, folds that a rarer label filled unevenly, long runs of one
    # label (the draws of many rounds read at once).
    from scipy import sparse

    from sklearn_mtl.model_selection import _place_samples, _place_units

    rng = np.random.RandomState(seed)
    n, n_labels, n_splits = rng.randint(20, 400), rng.randint(1, 12), rng.randint(2, 8)
    L = rng.uniform(size=(n, n_labels)) < rng.uniform(0, 0.9, size=n_labels)
    L = L[rng.randint(0, n // 3, size=n)] if seed % 2 else L  # repeated rows
    rows = sparse.csr_matrix(L, dtype=np.int64)
    rows.eliminate_zeros()
    columns = rows.tocsc()
    columns.sort_indices()
    for draws in (None, seed):
        one, other = (None, None) if draws is None else (
            np.random.RandomState(draws), np.random.RandomState(draws))
        np.testing.assert_array_equal(
            _place_samples(rows, columns, n_splits, one),
            _place_units(rows, columns, n_splits, other, np.ones(n)))
        if draws is not None:
            assert one.randint(2**31 - 1) == other.randint(2**31 - 1)


def test_every_label_rarer_than_the_folds_raises_as_stratified_k_fold_does():
    # StratifiedKFold raises where every class has fewer members than folds, and warns
    # where some has; the splitters warned of both (before), and now raise in
    # scikit-learn's words, then name the labels (task and class, with their counts).
    from sklearn.model_selection import StratifiedGroupKFold

    X, y, groups = np.zeros((7, 1)), np.array(["x"] * 4 + ["y"] * 3), np.arange(7)
    for reference, g in ((StratifiedKFold(5), None), (StratifiedGroupKFold(5), groups)):
        with pytest.raises(ValueError) as caught:
            list(reference.split(X, y, g))
        assert str(caught.value) == ("n_splits=5 cannot be greater than the number of "
                                     "members in each class.")
    Y = pd.DataFrame({"a": ["x"] * 4 + ["y"] * 3, "b": [0, 1, 0, 1, 0, 1, None]})
    expected = ("n_splits=5 cannot be greater than the number of members in each class. "
                "Every label has fewer members than folds: a='y' (3), b=0.0 (3), "
                "b=1.0 (3), a='x' (4).")
    for cv, g in ((MultiTaskStratifiedKFold(5), None),
                  (MultiTaskStratifiedGroupKFold(5), groups),
                  (MultiTaskStratifiedKFold(5, shuffle=True, random_state=0), None)):
        with pytest.raises(ValueError) as caught:
            list(cv.split(X, Y, g))
        assert str(caught.value) == expected
    # with one label as common as the folds: the warning, as StratifiedKFold's
    Y.loc[6, "b"] = 0
    with pytest.warns(UserWarning, match=r"least populated class in y has only 3 members.*"
                                         r"than folds: b=1\.0 \(3\), b=0\.0 \(4\)\.$"):
        list(MultiTaskStratifiedKFold(5).split(X, Y.assign(a="x")))
    # missing labels and declared classes that no sample has count for nothing
    from sklearn_mtl import Task

    Y = pd.DataFrame({"a": ["x", "x", "y", "y", None, None]})
    tasks = [Task("a", classes=["x", "y", "z"])]
    with pytest.raises(ValueError, match=r"in each class\. Every label has fewer members "
                                         r"than folds: a='x' \(2\), a='y' \(2\)\.$"):
        list(MultiTaskStratifiedKFold(3, tasks=tasks).split(np.zeros((6, 1)), Y))
    # more than 5 labels: the rarest 5, and how many more
    Y = pd.DataFrame({"m": list("abcdefg") * 2})
    with pytest.raises(ValueError, match=r"m='e' \(2\) and 2 more\.$"):
        list(MultiTaskStratifiedKFold(3).split(np.zeros((14, 1)), Y))
    # more folds than samples: scikit-learn's error comes first, as in StratifiedKFold
    with pytest.raises(ValueError, match="greater than the number of samples: n_samples=7"):
        list(MultiTaskStratifiedKFold(8).split(X, Y.iloc[:7]))
    # the group splitter counts samples, as StratifiedGroupKFold: 4 samples of each class
    # in 2 groups each make 4 folds, 3 samples in 2 groups do not
    Y, groups = np.repeat(["x", "y"], 4), np.repeat([0, 1, 2, 3], 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(list(MultiTaskStratifiedGroupKFold(4).split(X[:1].repeat(8, 0), Y,
                                                               groups))) == 4
    with pytest.raises(ValueError, match=r"Every label has fewer members than folds: "
                                         r"y='x' \(3\), y='y' \(3\)\.$"):
        list(MultiTaskStratifiedGroupKFold(4).split(np.zeros((6, 1)), np.repeat(["x", "y"], 3),
                                                    [0, 0, 1, 2, 2, 3]))


def test_cross_val_predict_refuses_folds_that_no_label_fills():
    # an int cv makes MultiTaskStratifiedKFold folds: a Y too small for them is refused
    # by the splitter, naming the labels (before: a warning, then test folds without some
    # of the classes)
    X = np.arange(8.0).reshape(-1, 1)
    Y = pd.DataFrame({"t": ["a", "b"] * 4})
    with pytest.raises(ValueError, match=r"n_splits=5 cannot be greater than the number of "
                                         r"members in each class\. Every label has fewer "
                                         r"members than folds: t='a' \(4\), t='b' \(4\)\."):
        cross_val_predict(IndependentTaskClassifier(LogisticRegression()), X, Y, cv=5)


def test_a_used_up_generator_of_splits_is_refused_saying_so():
    # compare raised KeyError 'model', cross_val_predict and the tuner "need at least
    # one array to concatenate"
    from sklearn_mtl import IndependentTaskClassifier, TaskThresholdTuner, compare

    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    Y = (X[:, :2] > 0).astype(int)
    model = IndependentTaskClassifier(LogisticRegression())
    splits = KFold(3).split(X)
    assert len(list(splits)) == 3  # used up
    message = (r"^cv=<generator object .*> gave no \(train, test\) split\. A generator of "
               r"splits is used up by the first fit that reads it")
    with pytest.raises(ValueError, match=message):
        compare({"lr": model}, X, Y, cv=splits, progress=False)
    with pytest.raises(ValueError, match=message):
        cross_val_predict(model, X, Y, cv=splits)
    with pytest.raises(ValueError, match=message):
        TaskThresholdTuner(model, cv=splits).fit(X, Y)
    # a fresh one, or the list of its splits, as before
    folds = list(KFold(3).split(X))
    np.testing.assert_array_equal(cross_val_predict(model, X, Y, cv=KFold(3).split(X)),
                                  cross_val_predict(model, X, Y, cv=folds))
