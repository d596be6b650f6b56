"""MultiTaskStratifiedKFold: iterative stratification over every task, missing-aware."""

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_multilabel_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_mtl import IndependentTaskClassifier, compare
from sklearn_mtl.model_selection import (
    MultiTaskStratifiedKFold,
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
