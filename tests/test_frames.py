"""Polars in, polars out: polars DataFrames read as pandas ones and written back."""

import datetime as dt
import os

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from test_encoder import schemas_and_labels

import sklearn_mtl
from sklearn_mtl import (
    IndependentTaskClassifier,
    LabelProductClassifier,
    MultiTaskClassifier,
    StructuredLabelEncoder,
    TaskChainClassifier,
    TaskFeatureSelector,
    compare,
)
from sklearn_mtl._frames import to_pandas, to_polars
from sklearn_mtl.metrics import cooccurrence_matrix, exact_match_score, task_accuracy_score
from sklearn_mtl.model_selection import cross_val_predict
from sklearn_mtl.neural import TabularPreprocessor

pl = pytest.importorskip("polars")

FAST = {"max_epochs": 3, "ensemble_size": 1, "random_state": 0}


def tables(n=60, seed=0):
    """The same features and labels as pandas and as polars frames: a string, a
    category, a date with its time zone, a gap in a number; labels of an Enum, a
    string with gaps and an integer with gaps."""
    rng = np.random.RandomState(seed)
    mass = rng.normal(4000, 500, n)
    mass[::7] = np.nan
    X = pd.DataFrame({
        "length": rng.normal(40, 5, n),
        "mass": mass,
        "region": rng.choice(["north", "south", "east"], n).astype(object),
        "colour": pd.Categorical(rng.choice(["red", "blue"], n)),
        "when": pd.date_range("2020-01-01", periods=n, freq="D", tz="Europe/Paris"),
    })
    species = np.where(X["length"] > 40, "gentoo", "adelie")
    sex = rng.choice(["female", "male"], n).astype(object)
    sex[::5] = None
    ring = rng.choice([3, 4], n).astype(object)
    ring[1::6] = None
    Y = pd.DataFrame({
        "species": pd.Categorical(species, categories=["gentoo", "adelie", "emperor"]),
        "sex": sex,
        "ring": pd.array(ring.tolist(), dtype="Int64"),
    })
    Xp = pl.DataFrame({
        "length": X["length"].to_numpy(),
        "mass": [None if np.isnan(v) else v for v in mass],
        "region": X["region"].tolist(),
        "colour": pl.Series(X["colour"].astype(str).tolist(), dtype=pl.Categorical),
        "when": pl.Series([t.to_pydatetime() for t in X["when"]]).dt.convert_time_zone(
            "Europe/Paris"),
    })
    Yp = pl.DataFrame({
        "species": pl.Series(species.tolist(), dtype=pl.Enum(["gentoo", "adelie", "emperor"])),
        "sex": pl.Series(sex.tolist(), dtype=pl.String),
        "ring": pl.Series(ring.tolist(), dtype=pl.Int16),
    })
    return X, Y, Xp, Yp


def lr():
    return make_pipeline(StandardScaler(), LogisticRegression())


# ---------------------------------------------------------------------- conversion
def test_columns_read_as_a_pandas_user_has_them():
    frame = pl.DataFrame({
        "i": pl.Series([1, None, 3], dtype=pl.Int64),
        "u": pl.Series([1, 2, 3], dtype=pl.UInt8),
        "b": [True, None, False],
        "b2": [True, False, True],
        "s": ["x", None, "y"],
        "c": pl.Series(["x", None, "y"], dtype=pl.Categorical),
        "e": pl.Series(["x", None, "y"], dtype=pl.Enum(["y", "x", "z"])),
        "d": [dt.date(2020, 1, 1), None, dt.date(2020, 1, 3)],
        "t": pl.Series([dt.datetime(2020, 1, 1, 12), None, None]).dt.replace_time_zone(
            "Europe/Paris"),
        "du": [dt.timedelta(days=1), None, dt.timedelta(hours=6)],
        "l": [["a", "b"], None, []],
    })
    out = to_pandas(frame)
    assert list(out.columns) == frame.columns
    np.testing.assert_array_equal(out["i"].to_numpy(), [1.0, np.nan, 3.0])
    assert out["u"].dtype == np.uint8
    assert out["b"].tolist() == [True, None, False] and out["b2"].dtype == bool
    assert out["s"].tolist() == ["x", None, "y"]
    assert isinstance(out["c"].dtype, pd.CategoricalDtype) and out["c"].isna().tolist() == [
        False, True, False]
    assert list(out["e"].cat.categories) == ["y", "x", "z"]  # an Enum keeps its order
    assert out["d"].iloc[0] == pd.Timestamp("2020-01-01") and pd.isna(out["d"].iloc[1])
    assert out["t"].iloc[0] == pd.Timestamp("2020-01-01 12:00", tz="Europe/Paris")
    assert out["du"].iloc[2] == pd.Timedelta(hours=6)
    assert out["l"].tolist() == [["a", "b"], None, []]
    # as labels, integers and booleans with gaps stay integers and booleans
    labels = to_pandas(frame, labels=True)
    assert str(labels["i"].dtype) == "Int64" and labels["i"].tolist()[0] == 1
    assert str(labels["b"].dtype) == "boolean"
    # not polars: as it is
    arr = np.ones((2, 2))
    assert to_pandas(arr) is arr


def test_a_lazy_frame_is_refused_by_name():
    with pytest.raises(TypeError, match=r"Y is a polars LazyFrame.*Y\.collect\(\)"):
        StructuredLabelEncoder().fit(pl.DataFrame({"a": ["x", "y"]}).lazy())
    _, _, Xp, Yp = tables()
    with pytest.raises(TypeError, match=r"X is a polars LazyFrame"):
        MultiTaskClassifier(**FAST).fit(Xp.lazy(), Yp)


# ------------------------------------------------------------------------- encoder
def test_encoder_round_trip_keeps_names_dtypes_and_gaps():
    _, Y, _, Yp = tables()
    snapshot = Yp.clone()
    enc = StructuredLabelEncoder().fit(Yp)
    assert [t.name for t in enc.tasks_] == ["species", "sex", "ring"]
    assert enc.classes_[0].tolist() == ["gentoo", "adelie", "emperor"]
    assert enc.classes_[2].tolist() == [3, 4]  # integers, not floats
    encoded = enc.transform(Yp)
    np.testing.assert_array_equal(encoded.codes, StructuredLabelEncoder().fit_transform(Y).codes)
    out = enc.inverse_transform(encoded)
    assert isinstance(out, pl.DataFrame)
    assert out.schema == Yp.schema
    assert out.equals(Yp)
    assert Yp.equals(snapshot)  # never mutated


def _polars_frame(columns):
    """The hypothesis strategy's columns as a polars DataFrame: gaps as nulls, label
    sets as lists in the order of their classes."""
    data = {}
    for name, values in columns.items():
        values = [None if v is None or (isinstance(v, float) and np.isnan(v)) else v
                  for v in values]
        if any(isinstance(v, (set, frozenset)) for v in values):
            values = [None if v is None else sorted(v, key=str) for v in values]
        data[name] = values
    return pl.DataFrame(data, strict=False)


@settings(max_examples=60, deadline=None)
@given(schemas_and_labels())
def test_round_trip_over_random_polars_frames(data):
    tasks, columns = data
    Yp = _polars_frame(columns)
    enc = StructuredLabelEncoder(tasks=tasks)
    encoded = enc.fit_transform(Yp)
    pandas_codes = StructuredLabelEncoder(tasks=tasks).fit_transform(to_pandas(
        Yp, labels=True)).codes
    np.testing.assert_array_equal(encoded.codes, pandas_codes)
    out = enc.inverse_transform(encoded)
    assert isinstance(out, pl.DataFrame) and out.columns == Yp.columns
    for name in Yp.columns:
        expected = Yp[name].to_list()
        got = out[name].to_list()
        if Yp[name].dtype == pl.List:  # label sets: the same labels, in any order
            expected = [None if v is None else sorted(v, key=str) for v in expected]
            got = [None if v is None else sorted(v, key=str) for v in got]
        assert got == expected, name


def test_to_polars_keeps_a_value_its_dtype_cannot_hold():
    frame = pd.DataFrame({"a": ["x", None], "b": [1.5, np.nan]})
    out = to_polars(frame, {"a": ["Enum", ["y"]], "b": "Int64"})
    assert out["a"].to_list() == ["x", None] and out["a"].dtype == pl.String
    assert out["b"].to_list() == [1.5, None]


# ---------------------------------------------------------------------- estimators
def test_network_on_polars_equals_network_on_pandas():
    X, Y, Xp, Yp = tables()
    pandas_model = MultiTaskClassifier(**FAST).fit(X, Y)
    model = MultiTaskClassifier(**FAST).fit(Xp, Yp)
    assert list(model.feature_names_in_) == Xp.columns
    for got, expected in zip(model.predict_proba(Xp), pandas_model.predict_proba(X)):
        np.testing.assert_array_equal(got, expected)
    pred = model.predict(Xp)
    assert isinstance(pred, pl.DataFrame) and pred.schema == Yp.schema
    expected = pandas_model.predict(X)
    for name in Yp.columns:
        assert pred[name].to_list() == [None if pd.isna(v) else v for v in expected[name]]
    assert model.score(Xp, Yp) == pandas_model.score(X, Y)
    # polars features with pandas labels: the labels' form comes back
    assert isinstance(MultiTaskClassifier(**FAST).fit(Xp, Y).predict(Xp), pd.DataFrame)


def test_preprocessor_reads_polars_as_pandas():
    X, _, Xp, _ = tables()
    np.testing.assert_array_equal(TabularPreprocessor().fit_transform(Xp),
                                  TabularPreprocessor().fit_transform(X))
    out = TabularPreprocessor().set_output(transform="polars").fit_transform(Xp)
    assert isinstance(out, pl.DataFrame) and "region_north" in out.columns


@pytest.mark.parametrize("cls", [IndependentTaskClassifier, TaskChainClassifier,
                                 LabelProductClassifier])
def test_baselines_give_polars_back(cls):
    X, Y, Xp, Yp = tables()
    numeric = ["length"]
    if cls is LabelProductClassifier:  # it leaves out the rows with a gap (and warns)
        Yp, Y = Yp.drop_nulls(), Y.dropna()
        Xp, X = Xp[np.asarray(Y.index)], X.loc[Y.index].reset_index(drop=True)
        Y = Y.reset_index(drop=True)
    model = cls(lr()).fit(Xp.select(numeric), Yp)
    pred = model.predict(Xp.select(numeric))
    assert isinstance(pred, pl.DataFrame) and pred.columns == Yp.columns
    expected = cls(lr()).fit(X[numeric], Y).predict(X[numeric])
    assert pred["sex"].to_list() == expected["sex"].tolist()


def test_metrics_read_polars():
    _, Y, _, Yp = tables()
    Y_pred = Yp.with_columns(pl.Series("sex", ["male"] * Yp.height))
    Y_pred_pandas = Y.assign(sex="male")
    assert exact_match_score(Yp, Y_pred) == exact_match_score(Y, Y_pred_pandas)
    pd.testing.assert_series_equal(task_accuracy_score(Yp, Y_pred),
                                   task_accuracy_score(Y, Y_pred_pandas))
    pd.testing.assert_frame_equal(cooccurrence_matrix(Yp), cooccurrence_matrix(Y))


def test_model_selection_with_polars():
    X, Y, Xp, Yp = tables()
    numeric = ["length", "mass"]
    def model():
        return {"lr": IndependentTaskClassifier(make_pipeline(
            SimpleImputer(), StandardScaler(), LogisticRegression()))}

    table = compare(model(), Xp.select(numeric), Yp, cv=KFold(3), progress=False)
    expected = compare(model(), X[numeric], Y, cv=KFold(3), progress=False)
    cols = [("exact_match", "mean"), ("mean_task_accuracy", "mean")]
    pd.testing.assert_frame_equal(table[cols], expected[cols])
    pred = cross_val_predict(MultiTaskClassifier(**FAST), Xp, Yp, cv=KFold(3))
    assert isinstance(pred, pl.DataFrame) and pred.height == Yp.height
    scores = cross_validate(MultiTaskClassifier(**FAST), Xp, Yp, cv=KFold(3))["test_score"]
    assert np.isfinite(scores).all()


def test_saved_model_still_writes_polars(tmp_path):
    _, _, Xp, Yp = tables()
    model = MultiTaskClassifier(**FAST).fit(Xp, Yp)
    path = os.fspath(tmp_path / "model.zip")
    sklearn_mtl.save(model, path)
    loaded = sklearn_mtl.load(path)
    assert loaded.predict(Xp).equals(model.predict(Xp))


# ------------------------------------------------------- other forms of X, as users have them
def _mixed_frame(n=40, seed=0):
    rng = np.random.RandomState(seed)
    X = pd.DataFrame({
        "a": rng.normal(size=n),
        "b": rng.choice(["x", "y", "z"], n).astype(object),
        "c": pd.Categorical(rng.choice(["u", "v"], n)),
        "d": pd.date_range("2021-03-01", periods=n, freq="D", tz="UTC"),
    })
    Y = pd.DataFrame({"t": np.where(X["a"] > 0, "p", "q"), "s": np.where(X["b"] == "x", 1, 0)})
    return X, Y


@pytest.mark.parametrize("columns", [[0, 1, 2, 3], pd.MultiIndex.from_tuples(
    [("num", "a"), ("txt", "b"), ("txt", "c"), ("time", "d")])])
def test_a_frame_of_other_column_names_predicts_as_one_of_strings(columns):
    # read_csv(header=None) gives integer names, a pivot a MultiIndex: a frame of text,
    # categories and dates is read as a frame at prediction too, as it was in fit
    X, Y = _mixed_frame()
    renamed = X.set_axis(columns, axis=1)
    expected = MultiTaskClassifier(**FAST).fit(X, Y).predict_proba(X)
    model = MultiTaskClassifier(**FAST).fit(renamed, Y)
    for got, want in zip(model.predict_proba(renamed), expected):
        np.testing.assert_array_equal(got, want)
    assert model.predict(renamed.iloc[[5]]).index.tolist() == [5]


def test_pyarrow_decimals_are_read_as_numbers():
    # read_parquet(dtype_backend="pyarrow") of a database's prices: decimal128 columns
    # are numbers, scaled as the floats they hold, not one-hot encoded as categories
    from decimal import Decimal

    import pyarrow as pa

    X, Y = _mixed_frame()
    values = X["a"].round(2).mask(X.index % 7 == 0)
    decimals = pd.Series([None if pd.isna(v) else Decimal(f"{v:.2f}") for v in values],
                         dtype=pd.ArrowDtype(pa.decimal128(10, 2)))
    as_decimals, as_floats = X.assign(a=decimals), X.assign(a=values)
    pre = TabularPreprocessor().fit(as_decimals)
    assert pre.numeric_columns_.tolist() == [0, 3] and "a_missing" in \
        pre.get_feature_names_out()
    np.testing.assert_array_equal(pre.transform(as_decimals),
                                  TabularPreprocessor().fit_transform(as_floats))
    numbers = as_decimals[["a"]]  # numbers alone: read as the float column is
    expected = MultiTaskClassifier(**FAST).fit(as_floats[["a"]], Y)
    model = MultiTaskClassifier(**FAST).fit(numbers, Y)
    for got, want in zip(model.predict_proba(numbers), expected.predict_proba(as_floats[["a"]])):
        np.testing.assert_array_equal(got, want)


def test_rows_of_numbers_and_text_are_read_column_by_column():
    # a list of rows is read as pd.DataFrame(rows) reads it: numpy would make one array
    # of strings of it, and the numbers would be one-hot encoded as categories
    rows = [[1.5, "x", 3], [2.5, "y", 4], [0.5, "x", 5], [4.0, "y", 1]]
    pre = TabularPreprocessor().fit(rows)
    assert pre.numeric_columns_.tolist() == [0, 2]
    assert pre.categorical_columns_.tolist() == [1]
    expected = TabularPreprocessor().fit(pd.DataFrame(rows))
    np.testing.assert_array_equal(pre.transform(rows), expected.transform(pd.DataFrame(rows)))
    np.testing.assert_array_equal(pre.transform(rows[:1]), expected.transform(
        pd.DataFrame(rows).iloc[:1]))
    selector = TaskFeatureSelector(random_state=0, n_estimators=5)
    y = ["p", "q"] * 10
    numbers = [[float(i), "xy"[i % 2]] for i in range(20)]
    selector.fit(numbers, y)
    assert selector.z_scores_.shape == (2, 2)


def test_nested_pyarrow_columns_are_refused_by_name():
    import pyarrow as pa

    lists = pd.Series([[1, 2], None, [3]], dtype=pd.ArrowDtype(pa.list_(pa.int64())))
    X = pd.DataFrame({"tags": lists, "a": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match=r"column 'tags' holds lists \(row 0: \[1, 2\]\)"):
        TabularPreprocessor().fit(X)


@pytest.mark.parametrize("make", [
    lambda: TabularPreprocessor(),
    lambda: MultiTaskClassifier(**FAST),
    lambda: IndependentTaskClassifier(LogisticRegression()),
    lambda: TaskFeatureSelector(),
])
def test_a_structured_array_is_refused_naming_its_fields(make):
    X = np.zeros(6, dtype=[("a", float), ("b", float)])
    with pytest.raises(ValueError, match=r"structured array \(fields 'a', 'b'\).*"
                                         r"pd\.DataFrame\(X\)"):
        make().fit(X, ["p", "q"] * 3)


@pytest.mark.parametrize("cls", [IndependentTaskClassifier, TaskChainClassifier,
                                 LabelProductClassifier])
def test_a_text_column_of_polars_is_named_in_the_baselines_error(cls):
    # a polars frame reaches the base estimator as it is: the error names its column
    # as it names a pandas DataFrame's, not by position
    X = pd.DataFrame({"length": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
                      "region": ["north", "south"] * 3})
    Y = pd.DataFrame({"a": [0, 1, 0, 1, 0, 1], "b": [1, 1, 0, 0, 1, 0]})
    messages = []
    for frame in (X, pl.from_pandas(X)):
        with pytest.raises(ValueError, match="could not convert") as info:
            cls(LogisticRegression()).fit(frame, Y)
        messages.append(str(info.value).splitlines()[-1])
    assert "column 'region' holds 'north'" in messages[1]
    assert messages[1] == messages[0]



def test_an_untransformed_x_val_in_a_pipeline_is_named_with_the_way_to_transform_it():
    import warnings

    import sklearn
    from sklearn.pipeline import Pipeline

    rng = np.random.RandomState(0)
    X = pd.DataFrame({"mass": rng.normal(4000, 500, 40), "length": rng.normal(40, 5, 40)})
    Y = pd.DataFrame({"big": (X["mass"] > 4000).astype(int),
                      "long": (X["length"] > 40).astype(int)})
    # the scaler's output (an array) reaches the model; model__X_val reaches it unscaled
    with pytest.warns(UserWarning, match=r"X_val is a DataFrame with column names.*"
                                         r"transform_input=\['X_val'\]"):
        Pipeline([("scale", StandardScaler()),
                  ("model", MultiTaskClassifier(early_stopping=True, **FAST))]).fit(
            X, Y, model__X_val=X[:10], model__y_val=Y[:10])
    # where X_val's text cannot be read, the error says it too
    X_text = X.assign(region=["north", "south"] * 20)[["mass", "region"]]
    with pytest.raises(ValueError, match=r"column 'region'(.|\n)*transform_input"), \
            pytest.warns(UserWarning, match="X_val is a DataFrame"):
        MultiTaskClassifier(early_stopping=True, **FAST).fit(
            X.to_numpy(), Y, X_val=X_text[:10], y_val=Y[:10])
    # transformed by the pipeline, as the warning says: nothing to warn about
    with sklearn.config_context(enable_metadata_routing=True), warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        Pipeline([("scale", StandardScaler()),
                  ("model", MultiTaskClassifier(early_stopping=True, **FAST)
                   .set_fit_request(X_val=True, y_val=True))],
                 transform_input=["X_val"]).fit(X, Y, X_val=X[:10], y_val=Y[:10])


# X's index and the rows of y: pandas in, pandas out


def _shuffled_apart(n=40, seed=0):
    """X indexed by text labels, and Y holding the same labels in another order (a Y
    sorted apart from its X): rows are paired by position, which each entry point warns of."""
    rng = np.random.RandomState(seed)
    index = pd.Index([f"r{k}" for k in range(n)])
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)}, index=index)
    Y = pd.DataFrame({"big": np.where(X["a"] > 0, "yes", "no"),
                      "wide": (X["b"] > 0).to_numpy()}, index=index)
    return X, Y, Y.sample(frac=1, random_state=1)


@pytest.mark.parametrize("how", ["prefit", "frozen"])
def test_threshold_tuning_on_given_rows_warns_of_y_shuffled_apart_from_x(how):
    import warnings

    from sklearn.frozen import FrozenEstimator

    from sklearn_mtl import TaskThresholdTuner

    X, Y, shuffled = _shuffled_apart()
    model = IndependentTaskClassifier(LogisticRegression()).fit(X, Y)
    tuner = (TaskThresholdTuner(model, cv="prefit") if how == "prefit"
             else TaskThresholdTuner(FrozenEstimator(model)))
    # the thresholds are tuned on these rows, and no refit of the model would warn
    with pytest.warns(UserWarning, match=r"y's index holds X's row labels in another "
                                         r"order.*y = y.loc\[X.index\]"):
        tuner.fit(X, shuffled)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        tuner.fit(X, Y)  # aligned: nothing to warn about


def test_validation_data_warns_of_y_val_shuffled_apart_from_x_val():
    X, Y, shuffled = _shuffled_apart()
    model = MultiTaskClassifier(early_stopping=True, **FAST)
    with pytest.warns(UserWarning, match=r"y_val's index holds X_val's row labels in "
                                         r"another order.*y_val = y_val.loc\[X_val.index\]"):
        model.fit(X[:30], Y[:30], X_val=X[30:], y_val=Y[30:].sample(frac=1, random_state=1))


def test_cross_val_predict_and_compare_warn_of_y_shuffled_apart_from_x():
    X, Y, shuffled = _shuffled_apart()
    model = IndependentTaskClassifier(LogisticRegression())
    # each fold's fit gets other rows of X and of Y, never the same labels reordered
    with pytest.warns(UserWarning, match=r"Y's index holds X's row labels in another order"):
        cross_val_predict(model, X, shuffled, cv=KFold(3))
    with pytest.warns(UserWarning, match=r"Y's index holds X's row labels in another order"):
        compare({"independent": model}, X, shuffled, cv=KFold(3), progress=False)


@pytest.mark.parametrize("make", [IndependentTaskClassifier, MultiTaskClassifier])
def test_a_1d_y_of_integer_categories_predicts_integers_as_scikit_learn(make):
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"a": rng.normal(size=30)}, index=[f"r{k}" for k in range(30)])
    y = pd.Series(pd.Categorical(np.where(X["a"] > 0, 3, 1)), index=X.index)
    model = (make(LogisticRegression()) if make is IndependentTaskClassifier
             else make(**FAST)).fit(X, y)
    pred = model.predict(X)
    expected = LogisticRegression().fit(X, y).predict(X)
    assert pred.dtype == expected.dtype == np.int64  # as classes_, not Python ints in objects
    assert model.classes_.tolist() == [1, 3]
    assert set(pred.tolist()) <= {1, 3}


def test_a_later_partial_fit_batch_warns_of_y_shuffled_apart_from_x():
    import warnings

    from sklearn.linear_model import SGDClassifier

    X, Y, shuffled = _shuffled_apart()
    model = IndependentTaskClassifier(SGDClassifier(random_state=0)).partial_fit(X, Y)
    # the first batch warned through fit's checks; a later one paired the rows silently
    with pytest.warns(UserWarning, match=r"Y's index holds X's row labels in another order"):
        model.partial_fit(X, shuffled)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        model.partial_fit(X, Y)  # aligned: nothing to warn about


@pytest.mark.parametrize("make", [IndependentTaskClassifier, TaskChainClassifier])
def test_duplicate_column_names_are_refused_without_blaming_an_entry(make):
    from sklearn.multioutput import MultiOutputClassifier

    rng = np.random.RandomState(0)
    X = pd.DataFrame({"a": rng.normal(size=20), "b": rng.choice(["p", "q"], 20)})
    X.columns = ["a", "a"]
    Y = pd.DataFrame({"t1": rng.choice([0, 1], 20), "t2": rng.choice([0, 1, 2], 20)})
    with pytest.raises(ValueError) as ref:
        MultiOutputClassifier(LogisticRegression()).fit(X, Y)
    with pytest.raises(ValueError, match="Expected unique column names") as ours:
        make(LogisticRegression()).fit(X, Y)
    # the names are at fault: no text entry was named as if it were the cause
    assert "bad entry" not in str(ours.value)
    assert str(ours.value) == str(ref.value)
