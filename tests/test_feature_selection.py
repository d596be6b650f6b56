"""TaskFeatureSelector: the columns that help some task on held-out rows."""

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline

import sklearn_mtl
from sklearn_mtl import MultiTaskClassifier, Task, TaskFeatureSelector


def _table(n=400, seed=0):
    """Columns a (a threshold task), b (|b| > 1), c and d (their sum's sign) and two
    columns of noise."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 6)), columns=["a", "b", "c", "d", "noise1", "noise2"])
    Y = pd.DataFrame({
        "first": np.where(X["a"] > 0.3, "hi", "lo"),
        "second": np.abs(X["b"]) > 1,
        "third": np.where(X["c"] + X["d"] > 0, "up", "down"),
    })
    return X, Y


@pytest.fixture(scope="module")
def screened_table():
    # The 400 rows of _table() screened on every row (max_samples=None; the default, 2000,
    # also reads all 400 and draws nothing), shared by the tests that only read it.
    # At the default threshold (2) a column of noise passes now and then: six tests
    # (three tasks, two probes) are six chances. At 3 the chance is below 1%.
    return TaskFeatureSelector(threshold=3, max_samples=None, random_state=0).fit(*_table())


def test_keeps_the_columns_a_task_reads_and_drops_noise(screened_table):
    X, Y = _table()
    selector = screened_table
    assert selector.get_support().tolist() == [True] * 4 + [False] * 2
    assert selector.get_feature_names_out().tolist() == ["a", "b", "c", "d"]
    assert selector.score_names_ == [f"{t} ({p})" for t in Y.columns
                                     for p in ("forest", "linear")]
    z = pd.DataFrame(selector.z_scores_, index=X.columns, columns=selector.score_names_)
    # the threshold on b is the forest's to find; the sum of c and d the linear model's
    assert z.loc["b", "second (forest)"] > 10 > z.loc["b", "second (linear)"]
    for column in ("c", "d"):
        assert z.loc[column, "third (linear)"] > max(5, z.loc[column, "third (forest)"])
    assert (z.loc[["noise1", "noise2"]] < 3).all().all()


def test_the_same_seed_gives_the_same_screen_and_the_data_is_not_changed():
    X, Y = _table(200)
    X_before, Y_before = X.copy(), Y.copy()
    # a small forest: the seed draws its trees and folds whatever their number
    first = TaskFeatureSelector(n_estimators=5, random_state=3).fit(X, Y)
    second = TaskFeatureSelector(n_estimators=5, random_state=3).fit(X, Y)
    np.testing.assert_array_equal(first.z_scores_, second.z_scores_)
    pd.testing.assert_frame_equal(X, X_before)
    pd.testing.assert_frame_equal(Y, Y_before)


@pytest.mark.parametrize("output", ["pandas", "polars"])
def test_a_global_transform_output_changes_nothing(output):
    # Under set_config(transform_output=...) the selector's own preprocessing returned a
    # DataFrame, which its probes indexed by row as an array (KeyError, AttributeError).
    if output == "polars":
        pytest.importorskip("polars")
    import sklearn

    X, Y = _table(200)
    # a small forest: the probes read the same rows whatever its size
    expected = TaskFeatureSelector(n_estimators=5, random_state=0).fit(X, Y)
    with sklearn.config_context(transform_output=output):
        got = TaskFeatureSelector(n_estimators=5, random_state=0).fit(X, Y)
        assert type(got.transform(X)).__module__.split(".")[0] == output
    np.testing.assert_array_equal(got.z_scores_, expected.z_scores_)


def test_missing_and_gated_labels_are_left_out_task_by_task():
    # "colour" is known on a third of the rows and gated off where there is no car; the
    # column it reads ("e") is kept, from the rows that have its label.
    rng = np.random.default_rng(1)
    n = 600
    X = pd.DataFrame(rng.normal(size=(n, 3)), columns=["car_signal", "e", "noise"])
    car = (X["car_signal"] > 0).astype(int)
    colour = np.where(X["e"] > 0, "red", "blue").astype(object)
    colour[car.to_numpy() == 0] = None
    colour[rng.random(n) < 0.5] = None
    Y = pd.DataFrame({"car": car, "colour": colour})
    tasks = [Task("car"), Task("colour", gate=("car", 1))]
    selector = TaskFeatureSelector(tasks=tasks, random_state=0).fit(X, Y)
    assert selector.get_feature_names_out().tolist() == ["car_signal", "e"]
    assert selector.schema_.names == ["car", "colour"]


def test_a_dataframe_keeps_its_index_names_and_dtypes():
    X, Y = _table(300)
    X = X.assign(
        kind=pd.Categorical(np.where(Y["first"] == "hi", "u", "v")),
        label=np.where(Y["third"] == "up", "p", "q"),
        when=pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(300) % 7, unit="D"),
    ).set_axis(np.arange(300) + 1000)
    Y.index = X.index
    selector = TaskFeatureSelector(random_state=0).fit(X, Y)
    out = selector.transform(X)
    assert isinstance(out, pd.DataFrame) and out.index.equals(X.index)
    assert {"kind", "label"} <= set(out.columns)
    assert out.dtypes.equals(X.dtypes[out.columns])
    np.testing.assert_array_equal(selector.get_feature_names_out(), out.columns)


def test_a_polars_dataframe_stays_polars():
    pl = pytest.importorskip("polars")
    X, Y = _table(200)
    selector = TaskFeatureSelector(n_estimators=5, random_state=0).fit(pl.from_pandas(X),
                                                                      pl.from_pandas(Y))
    out = selector.transform(pl.from_pandas(X))
    assert isinstance(out, pl.DataFrame)
    assert out.columns == selector.get_feature_names_out().tolist()


def test_arrays_multilabel_and_regression_tasks():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(300, 4))
    indicator = np.column_stack([X[:, 0] > 0, X[:, 1] > 0.5]).astype(int)
    selector = TaskFeatureSelector(random_state=0).fit(X, indicator)
    # a 0/1 matrix is two binary tasks, as every estimator reads it
    assert selector.score_names_ == ["task0 (forest)", "task0 (linear)", "task1 (forest)",
                                     "task1 (linear)"]
    assert selector.get_support().tolist() == [True, True, False, False]
    assert selector.transform(X).shape == (300, 2)

    # label sets: one multilabel task, screened label by label
    sets = [[name for name, on in (("x", a > 0), ("z", b > 0.5)) if on] for a, b in X[:, :2]]
    selector = TaskFeatureSelector(random_state=0).fit(X, sets)
    assert [n.split(" ")[0] for n in selector.score_names_[::2]] == ["y[x]", "y[z]"]
    assert selector.get_support().tolist() == [True, True, False, False]

    Y = pd.DataFrame({"amount": 3 * X[:, 2] + rng.normal(scale=0.1, size=300),
                      "sign": X[:, 0] > 0})
    tasks = [Task("amount", kind="regression"), Task("sign")]
    selector = TaskFeatureSelector(tasks=tasks, random_state=0).fit(X, Y)
    assert selector.get_support().tolist() == [True, False, True, False]


def test_max_samples_reads_a_sample_of_the_rows(screened_table):
    X, Y = _table(400)
    small = TaskFeatureSelector(max_samples=150, random_state=0).fit(X, Y)
    every = screened_table  # max_samples=None (its threshold does not change z_scores_)
    assert not np.array_equal(small.z_scores_, every.z_scores_)
    assert small.get_support()[:4].all()


def test_no_helpful_column_keeps_every_column_with_a_warning():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(200, 3)), columns=["u", "v", "w"])
    Y = pd.DataFrame({"coin": rng.integers(0, 2, 200)})
    with pytest.warns(UserWarning, match="No column of X helps any task"):
        selector = TaskFeatureSelector(threshold=10, random_state=0).fit(X, Y)
    assert selector.get_support().all()


def test_groups_drop_a_subjects_identifier_that_shuffled_folds_keep():
    # Six rows of each of 60 patients, 'treated' a patient's own label: on shuffled folds
    # the patient's other rows are in training and the identifier helps the forest recall
    # it; on folds of whole patients it helps nothing. 'a' sets the other task either way.
    rng = np.random.default_rng(0)
    patient = np.repeat(np.arange(60), 6)
    X = pd.DataFrame({"patient": patient, "a": rng.normal(size=360),
                      "noise": rng.normal(size=360)})
    Y = pd.DataFrame({"treated": rng.choice(["yes", "no"], 60)[patient],
                      "high": np.where(X["a"] > 0, "y", "n")})
    groups_before = patient.copy()
    shuffled = TaskFeatureSelector(threshold=3, random_state=0).fit(X, Y)
    assert shuffled.get_feature_names_out().tolist() == ["patient", "a"]
    grouped = TaskFeatureSelector(threshold=3, random_state=0).fit(X, Y, groups=patient)
    assert grouped.get_feature_names_out().tolist() == ["a"]
    z = pd.DataFrame(grouped.z_scores_, index=X.columns, columns=grouped.score_names_)
    assert z.loc["patient", "treated (forest)"] < 2 < shuffled.z_scores_[0, 0]
    np.testing.assert_array_equal(patient, groups_before)
    with pytest.raises(ValueError, match="groups has 2 distinct value.*fewer than cv=3"):
        TaskFeatureSelector().fit(X, Y, groups=patient % 2)
    with pytest.raises(ValueError, match="groups must hold one value per sample"):
        TaskFeatureSelector().fit(X, Y, groups=patient[:-1])


def test_standard_error_over_groups_counts_a_group_once():
    from sklearn_mtl._feature_selection import _standard_error

    values = np.array([[1.0, 1.0, 3.0, 3.0]])
    # over rows: sqrt(4/3) / 2; over the two groups of two equal rows: their sums 2 and 6
    # spread by 2 around 2 x the mean, sqrt((4 + 4) x 2/1) / 4 = 1
    np.testing.assert_allclose(_standard_error(values), [np.sqrt(4 / 3) / 2])
    np.testing.assert_allclose(_standard_error(values, np.array(["a", "a", "b", "b"])), [1.0])
    # a group a row: the cluster-robust error is the rows' error
    rows = np.random.default_rng(0).normal(size=(3, 50))
    np.testing.assert_allclose(_standard_error(rows, np.arange(50)), _standard_error(rows))


def test_bad_input_is_refused_by_name():
    X, Y = _table(100)
    with pytest.raises(ValueError, match="requires y"):
        TaskFeatureSelector().fit(X, None)
    with pytest.raises(ValueError, match="X has 100 samples, but Y has 99"):
        TaskFeatureSelector().fit(X, Y.iloc[:99].reset_index(drop=True))
    with pytest.raises(NotFittedError):
        TaskFeatureSelector().transform(X)
    with pytest.raises(ValueError, match="cv"):
        TaskFeatureSelector(cv=1).fit(X, Y)
    fitted = TaskFeatureSelector(n_estimators=5, random_state=0).fit(X, Y)
    with pytest.raises(ValueError, match="feature names"):
        fitted.transform(X.rename(columns={"a": "A"}))


def test_in_a_pipeline_before_the_network_and_saved(tmp_path):
    X, Y = _table(200)
    pipe = make_pipeline(
        TaskFeatureSelector(random_state=0),
        MultiTaskClassifier(hidden_layer_sizes=(16,), max_epochs=5, random_state=0),
    ).fit(X, Y)
    assert pipe[-1].feature_names_in_.tolist() == ["a", "b", "c", "d"]
    predicted = pipe.predict(X)
    assert predicted.index.equals(X.index) and list(predicted.columns) == list(Y.columns)
    path = sklearn_mtl.save(pipe, tmp_path / "pipe.mtl")
    loaded = sklearn_mtl.load(path)
    pd.testing.assert_frame_equal(loaded.predict(X), predicted)


def test_a_sparse_matrix_is_refused_saying_what_to_use():
    import scipy.sparse as sp

    X = sp.random(20, 5, density=0.3, format="csr", random_state=0)
    y = np.tile(["a", "b"], 10)
    with pytest.raises(TypeError, match="reads a dense table, and X is a sparse matrix.*"
                                        "SelectKBest"):
        TaskFeatureSelector().fit(X, y)


def test_a_pandas_sparse_frame_is_screened_as_its_dense_columns():
    # pd.get_dummies(sparse=True) gives a DataFrame of pandas sparse columns: a frame,
    # screened column by column as its dense twin (a scipy matrix is refused, above).
    rng = np.random.default_rng(0)
    c = rng.choice(list("abc"), size=60)
    y = np.where(c == "a", "yes", "no")
    frame = pd.DataFrame({"n": rng.normal(size=60), "c": c})
    sparse, dense = (pd.get_dummies(frame, sparse=s, dtype=float) for s in (True, False))
    assert any(isinstance(t, pd.SparseDtype) for t in sparse.dtypes)
    fitted = [TaskFeatureSelector(n_estimators=5, random_state=0).fit(X, y)
              for X in (sparse, dense)]
    np.testing.assert_array_equal(fitted[0].get_support(), fitted[1].get_support())
    assert fitted[0].get_support()[list(dense.columns).index("c_a")]
    kept = [f.set_output(transform="pandas").transform(X)
            for f, X in zip(fitted, (sparse, dense), strict=True)]
    pd.testing.assert_frame_equal(kept[0].sparse.to_dense(), kept[1])  # sparse kept sparse


def test_a_task_that_cannot_be_scored_is_named_with_the_reason():
    # Five labels cannot give three folds two held-out rows each: nothing is scored, and
    # the warning says so (it said no column helped, as if the columns had been scored).
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(40, 2)), columns=["u", "v"])
    y = np.full(40, np.nan)
    y[:5] = [0, 1, 0, 1, 0]
    with pytest.warns(UserWarning) as caught:
        selector = TaskFeatureSelector(n_estimators=5, random_state=0).fit(X, y)
    assert [str(w.message) for w in caught] == [
        "No task could be scored on held-out rows, so no column of X was judged and every "
        "column is kept: task 'y' has 5 labelled row(s), fewer than the 6 that cv=3 folds "
        "need (two a fold)."]
    assert np.isnan(selector.z_scores_).all() and selector.get_support().all()
    # labelled rows of two patients cannot fill three folds of whole patients
    y[:10] = [0, 1] * 5
    with pytest.warns(UserWarning, match="task 'y' has labelled rows in 2 group"
                                         r"\(s\), fewer than the cv=3 folds of whole groups"):
        TaskFeatureSelector(n_estimators=5, random_state=0).fit(
            X, y, groups=np.repeat(np.arange(8), 5))


def test_tasks_left_unscored_are_named_and_the_others_decide():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 3)), columns=["u", "v", "noise"])
    rare = np.full(60, np.nan)
    rare[:5] = [0, 1, 0, 1, 0]
    Y = pd.DataFrame({"sign": np.where(X["u"] > 0, "p", "n"), "rare": rare,
                      "tags": [{"a"} if v > 0 else set() for v in X["v"]]})
    tasks = [Task("sign"), Task("rare"), Task("tags", kind="multilabel", classes=["a", "b"])]
    with pytest.warns(UserWarning) as caught:
        selector = TaskFeatureSelector(tasks, threshold=3, random_state=0).fit(X, Y)
    assert [str(w.message) for w in caught] == [
        "Not every task could be scored on held-out rows: task 'rare' has 5 labelled row(s), "
        "fewer than the 6 that cv=3 folds need (two a fold); label 'b' of task 'tags' has a "
        "single class among its 60 labelled rows. The columns are kept or dropped by the "
        "other tasks' scores."]
    assert selector.get_feature_names_out().tolist() == ["u", "v"]
    z = pd.DataFrame(selector.z_scores_, columns=selector.score_names_)
    assert z.filter(like="rare").isna().all().all() and z.filter(like="[b]").isna().all().all()


def test_tasks_are_declared_as_every_estimator_takes_them():
    # Task objects (or a Schema), as the encoder and every estimator take them; the
    # docstring said "list of Task or str", and names alone are refused.
    X, Y = _table(60)
    with pytest.raises(ValueError, match="tasks must be a list of Task objects; got 'first'"):
        TaskFeatureSelector(tasks=list(Y.columns)).fit(X, Y)

    def documented(estimator):
        return estimator.__doc__.split("    tasks : ")[1].splitlines()[0]

    assert documented(TaskFeatureSelector) == documented(MultiTaskClassifier) == (
        "list of Task or Schema, default=None")


@pytest.mark.parametrize("how", ["set_output", "set_config"])
def test_polars_frame_with_pandas_output_keeps_its_columns_dtypes(how):
    # scikit-learn's pandas output read the selected polars frame through one numpy
    # array: a date next to a number failed (DTypePromotionError), and numbers next to
    # text came back as objects, a category as text.
    import sklearn

    pl = pytest.importorskip("polars")
    rng = np.random.default_rng(0)
    n = 40
    colour = rng.choice(["red", "blue"], n)
    Xp = pl.DataFrame({
        "a": rng.normal(size=n),
        "count": rng.integers(0, 5, n),
        "colour": pl.Series(colour.tolist(), dtype=pl.Categorical),
        "when": pl.datetime_range(pl.datetime(2020, 1, 1), pl.datetime(2020, 2, 9), "1d",
                                  eager=True),
    })
    # every column helps some task, so that all four are kept whatever the probes' luck
    # (a column of noise passed threshold=0 by chance alone)
    Y = pd.DataFrame({"first": np.where(colour == "red", "r", "b"),
                      "second": (Xp["a"].to_numpy() > 0) + 2 * (Xp["count"].to_numpy() >= 2),
                      "third": (np.arange(n) >= 20).astype(int)})
    selector = TaskFeatureSelector(threshold=0, n_estimators=5, random_state=0)
    if how == "set_output":
        out = selector.set_output(transform="pandas").fit(Xp, Y).transform(Xp)
    else:
        with sklearn.config_context(transform_output="pandas"):
            out = selector.fit(Xp, Y).transform(Xp)
    assert isinstance(out, pd.DataFrame)
    assert out.dtypes.astype(str).to_dict() == {
        "a": "float64", "count": "int64", "colour": "category", "when": "datetime64[us]"}
    assert out["colour"].tolist() == colour.tolist()
    assert selector.set_output(transform="default").transform(Xp).equals(Xp)
