import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from sklearn_mtl import StructuredLabelEncoder
from sklearn_mtl.datasets import load_penguins, make_multitask_classification


def test_load_penguins():
    X, Y = load_penguins()
    assert X.shape == (342, 4) and Y.shape == (342, 3)
    assert list(X.columns) == ["bill_length_mm", "bill_depth_mm", "flipper_length_mm",
                               "body_mass_g"]
    assert list(Y.columns) == ["species", "island", "sex"]
    assert not X.isna().any().any()
    assert all(dtype.kind == "f" for dtype in X.dtypes)
    assert int(Y["sex"].isna().sum()) == 9
    assert not Y[["species", "island"]].isna().any().any()
    assert set(Y["species"]) == {"Adelie", "Chinstrap", "Gentoo"}
    assert X.index.equals(pd.RangeIndex(342)) and Y.index.equals(X.index)
    enc = StructuredLabelEncoder().fit(Y)
    assert [t.kind for t in enc.tasks_] == ["multiclass", "multiclass", "binary"]


def test_make_multitask_classification_shapes_gates_missing():
    X, Y, tasks = make_multitask_classification(
        400, n_classes={"car": 2, "color": 4, "size": 3}, n_features=12,
        gates={"color": ("car", 1), "size": ("color", {0, 1})}, missing_rate=0.2,
        random_state=0, return_tasks=True,
    )
    assert X.shape == (400, 12) and list(Y.columns) == ["car", "color", "size"]
    assert all(str(d) == "Int64" for d in Y.dtypes)
    assert Y.loc[Y["car"] == 0, "color"].isna().all()
    assert Y.loc[Y["color"].isin([2, 3]), "size"].isna().all()
    assert 0.12 < Y["car"].isna().mean() < 0.28
    enc = StructuredLabelEncoder(tasks=tasks).fit(Y)  # consistent with its own schema
    codes = enc.transform(Y).codes
    assert (codes == -2).any() and (codes == -1).any()
    assert set(Y["color"].dropna()) == {0, 1, 2, 3}


def test_make_multitask_classification_is_seeded():
    a = make_multitask_classification(50, random_state=3)
    b = make_multitask_classification(50, random_state=3)
    np.testing.assert_array_equal(a[0], b[0])
    pd.testing.assert_frame_equal(a[1], b[1])
    assert list(a[1].columns) == ["task0", "task1", "task2"]


def _shared_vs_independent(shared_factor, seed):
    """Accuracy of a model reading one task's label through the others' shared subspace."""
    X, Y = make_multitask_classification(
        2000, n_classes=[3, 3, 3, 3], n_features=20, shared_factor=shared_factor, noise=0.3,
        random_state=seed,
    )
    # How well tasks 1..3 predict task 0: high only when the tasks share factors.
    others = pd.get_dummies(Y[["task1", "task2", "task3"]].astype(str)).to_numpy(float)
    y = Y["task0"].astype(int).to_numpy()
    clf = LogisticRegression(max_iter=500).fit(others[:1000], y[:1000])
    majority = np.bincount(y[1000:]).max() / 1000
    return clf.score(others[1000:], y[1000:]) - majority


def test_shared_factor_makes_tasks_related():
    # gain over the majority class of predicting task0 from the other tasks' labels
    assert _shared_vs_independent(1.0, 0) > 0.15
    assert abs(_shared_vs_independent(0.0, 0)) < 0.03


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_classes": [2, 1]}, "Task 'task1' has n_classes=1"),
        ({"gates": {"colour": ("task0", 1)}}, r"gates name unknown task\(s\) \['colour'\]"),
        ({"gates": {"task1": ("task0", 5)}}, "not among 'task0''s classes"),
        ({"missing_rate": 1.0}, r"missing_rate must be a number in \[0, 1\)"),
        ({"shared_factor": 1.5}, r"shared_factor must be a number in \[0, 1\]"),
        ({"n_shared": 0}, "needs n_shared >= 1"),
        ({"shared_factor": True}, r"shared_factor must be a number in \[0, 1\]; got True"),
        ({"class_sep": 0.0}, r"class_sep must be a finite number > 0; got 0.0"),
        ({"class_sep": -1.0}, r"class_sep must be a finite number > 0; got -1.0"),
        ({"class_sep": float("inf")}, r"class_sep must be a finite number > 0; got inf"),
        ({"class_sep": True}, r"class_sep must be a finite number > 0; got True"),
        ({"class_sep": "3"}, r"class_sep must be a finite number > 0; got '3'"),
        ({"noise": -0.5}, r"noise must be a finite number >= 0; got -0.5"),
        ({"noise": True}, r"noise must be a finite number >= 0; got True"),
    ],
)
def test_make_multitask_classification_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_multitask_classification(20, **kwargs)


def _linear_accuracy(class_sep):
    """Held-out accuracy of a linear model reading one task's label from X."""
    X, Y = make_multitask_classification(
        600, n_classes=[3], class_sep=class_sep, random_state=0,
    )
    y = Y["task0"].astype(int).to_numpy()
    clf = LogisticRegression(max_iter=500).fit(X[:300], y[:300])
    return clf.score(X[300:], y[300:])


def test_class_sep_makes_the_problem_easier():
    hard, default, easy = (_linear_accuracy(s) for s in (0.1, 3.0, 30.0))
    assert hard < 0.6 < default < easy
    assert easy > 0.95


def test_class_sep_keeps_the_labels_and_scales_the_signal_in_X():
    # As in make_classification, the labels do not depend on class_sep; only how far
    # apart the classes lie in X, against the noise.
    X1, Y1 = make_multitask_classification(50, class_sep=3.0, noise=0.0, random_state=0)
    X2, Y2 = make_multitask_classification(50, class_sep=6.0, noise=0.0, random_state=0)
    pd.testing.assert_frame_equal(Y1, Y2)
    np.testing.assert_allclose(X2, 2 * X1)
