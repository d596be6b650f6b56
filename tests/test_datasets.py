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
        # text was read as its characters: "Task 'task0' has n_classes='2'"
        ({"n_classes": "23"}, r"n_classes must be a sequence of ints or a dict \{task: "
                              r"n_classes\}; got '23'"),
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


def test_cli_synthetic_dataset_declares_its_gates(tmp_path, capsys):
    # --dataset synthetic draws color and body for cars only: the models must know that
    # those labels are not applicable elsewhere, not missing (the label product would drop
    # every row without a car, then never predict "no car").
    import sklearn_mtl
    from sklearn_mtl import cli

    X, Y = make_multitask_classification(  # the command's data (--random-state 0)
        n_samples=500, n_classes={"car": 2, "color": 4, "body": 3},
        gates={"color": ("car", 1), "body": ("car", 1)}, missing_rate=0.1, random_state=0,
    )
    # rows with an applicable label missing: the only ones a label combination lacks
    incomplete = Y["car"].isna() | (Y["car"].eq(1) & Y[["color", "body"]].isna().any(axis=1))
    assert incomplete.sum() < Y.isna().any(axis=1).sum()
    out = tmp_path / "model.mtl"
    status = cli.main(["fit", "--dataset", "synthetic", "--model", "product", "--out", str(out)])
    assert status == 0
    assert f"left out {incomplete.sum()} of 500 samples" in capsys.readouterr().out
    model = sklearn_mtl.load(out)
    assert [t.gate for t in model[-1].schema_] == [None, ("car", {1}), ("car", {1})]
    pred = model.predict(pd.DataFrame(X, columns=[f"x{i}" for i in range(20)]))
    assert set(pred["car"]) == {0, 1}
    assert pred.loc[pred["car"] == 0, ["color", "body"]].isna().all().all()


def test_examples_use_the_public_api_only():
    # An example is what users copy: it imports nothing private (a module or a name
    # starting with an underscore), which may change without notice.
    import ast
    from pathlib import Path

    private = []
    for path in sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                modules, names = [node.module or ""], [a.name for a in node.names]
            elif isinstance(node, ast.Import):
                modules, names = [a.name for a in node.names], []
            else:
                continue
            parts = [p for m in modules for p in m.split(".")] + names
            if any(p.startswith("_") for p in parts):
                private.append(f"{path.name}:{node.lineno}")
    assert private == []


@pytest.mark.parametrize("gates", ["task1", 5, {"task1"}, [("task1",)]])
def test_make_multitask_classification_gates_not_a_dict(gates):
    with pytest.raises(ValueError, match=r"gates must be a dict \{task: \(parent, class or "):
        make_multitask_classification(20, n_classes=[2, 2], gates=gates)


def test_make_multitask_classification_gates_name_tasks_as_n_classes_does():
    # n_classes' keys name the tasks through str(): 1 is task '1', in gates too
    X, Y, tasks = make_multitask_classification(
        100, n_classes={1: 2, 2: 3}, gates={2: (1, 1)}, random_state=0, return_tasks=True,
    )
    assert list(Y.columns) == ["1", "2"]
    assert tasks[1].gate == ("1", {1})
    assert Y.loc[Y["1"] == 0, "2"].isna().all() and Y.loc[Y["1"] == 1, "2"].notna().all()


@pytest.mark.parametrize(
    "make", ["make_car_images", "make_handball_clips", "make_leaf_images"],
)
def test_image_noise_leaves_the_scenes_alone(make):
    # noise=0 is the same scenes as any other noise, without it: not other scenes (the
    # noise was drawn only when nonzero, so the random stream of later images moved)
    import sklearn_mtl.datasets as datasets

    make = getattr(datasets, make)
    clean, Y_clean = make(5, image_size=16, noise=0.0, random_state=0)
    tiny, Y_tiny = make(5, image_size=16, noise=1e-9, random_state=0)
    noisy, Y_noisy = make(5, image_size=16, noise=0.05, random_state=0)
    pd.testing.assert_frame_equal(Y_clean, Y_noisy)
    np.testing.assert_allclose(tiny, clean, atol=1e-6)
    assert 0 < np.abs(noisy - clean).max() < 0.05 * 6  # six standard deviations


def test_load_penguins_bunch_as_scikit_learn_loaders():
    X, Y = load_penguins(return_X_y=True)
    bunch = load_penguins(return_X_y=False)
    assert set(bunch) == {"data", "target", "frame", "feature_names", "target_names",
                          "DESCR"}
    pd.testing.assert_frame_equal(bunch.data, X)
    pd.testing.assert_frame_equal(bunch.target, Y)
    pd.testing.assert_frame_equal(bunch.frame, pd.concat([X, Y], axis=1))
    assert bunch.feature_names == list(X.columns)
    assert bunch.target_names == ["species", "island", "sex"]
    assert "342" in bunch.DESCR
    # nothing shared between calls, nor between the frame and data / target
    bunch.data.iloc[0, 0] = -1.0
    bunch.target.iloc[0, 0] = "Emperor"
    assert bunch.frame.iloc[0, 0] == X.iloc[0, 0] and bunch.frame.iloc[0, 4] == "Adelie"
    again = load_penguins(return_X_y=False)
    pd.testing.assert_frame_equal(again.data, X)
    with pytest.raises(ValueError, match="'return_X_y' parameter of load_penguins"):
        load_penguins(return_X_y="yes")


def test_make_multitask_classification_takes_a_series_of_class_counts():
    # n_classes=Y.nunique() draws tasks named and sized as Y's columns: a Series was read
    # as a sequence of counts, its names dropped for task0, task1, ...
    gates = {"color": ("car", 1)}
    X, Y, tasks = make_multitask_classification(
        60, n_classes=pd.Series({"car": 2, "color": 4}), gates=gates, random_state=0,
        return_tasks=True,
    )
    assert list(Y.columns) == ["car", "color"]
    assert [t.classes for t in tasks] == [[0, 1], [0, 1, 2, 3]]
    assert tasks[1].gate == ("car", {1})
    X_dict, Y_dict = make_multitask_classification(
        60, n_classes={"car": 2, "color": 4}, gates=gates, random_state=0,
    )
    np.testing.assert_array_equal(X, X_dict)
    pd.testing.assert_frame_equal(Y, Y_dict)


def test_load_penguins_as_frame_as_scikit_learn_loaders():
    # scikit-learn's loaders take as_frame: as_frame=False gives arrays and frame=None
    X, Y = load_penguins(as_frame=True)  # the default
    X_array, Y_array = load_penguins(as_frame=False)
    assert isinstance(X_array, np.ndarray) and X_array.dtype == np.float64
    np.testing.assert_array_equal(X_array, X.to_numpy())
    assert isinstance(Y_array, np.ndarray) and Y_array.dtype == object
    assert Y_array.shape == (342, 3) and Y_array[0].tolist() == Y.iloc[0].tolist()
    assert sum(isinstance(v, float) and np.isnan(v) for v in Y_array[:, 2]) == 9
    bunch = load_penguins(return_X_y=False, as_frame=False)
    assert bunch.frame is None and bunch.feature_names == list(X.columns)
    np.testing.assert_array_equal(bunch.data, X_array)
    with pytest.raises(ValueError, match="'as_frame' parameter of load_penguins"):
        load_penguins(as_frame="no")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_shared": 0}, r"got n_shared=0 .*Pass shared_factor=0 for unrelated tasks, or "
                          r"n_shared >= 1"),
        ({"n_specific": 0}, r"got n_specific=0 .*Pass shared_factor=1 for tasks that depend "
                            r"on the shared factors only, or n_specific >= 1"),
    ],
    ids=["n_shared", "n_specific"],
)
def test_make_multitask_classification_latent_factors_error_says_how_to_fix(kwargs, match):
    # n_specific=0 alone failed on the default shared_factor=0.8, which the message named
    # without the n_specific given nor the shared_factor that goes with it
    with pytest.raises(ValueError, match=match):
        make_multitask_classification(20, **kwargs)


@pytest.mark.parametrize(
    "make", ["make_multitask_classification", "make_car_images", "make_handball_clips",
             "make_leaf_images"],
)
def test_dataset_generators_refuse_a_return_tasks_not_a_bool(make):
    # return_tasks="no" was taken as true: a third value (the tasks) came back
    import sklearn_mtl.datasets as datasets

    with pytest.raises(ValueError, match=f"'return_tasks' parameter of {make} must be"):
        getattr(datasets, make)(2, random_state=0, return_tasks="no")
