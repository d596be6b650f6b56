"""Polars in, polars out, end to end: the dtypes and entry points the conversion must
carry as a pandas user's frame goes (see also test_frames.py)."""

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold
from sklearn.pipeline import make_pipeline

from sklearn_mtl import (
    IndependentTaskClassifier,
    LabelProductClassifier,
    MultiTaskClassifier,
    StructuredLabelEncoder,
    compare,
)
from sklearn_mtl._frames import to_pandas, to_polars
from sklearn_mtl.model_selection import MultiTaskStratifiedKFold, cross_val_predict

pl = pytest.importorskip("polars")

FAST = {"max_epochs": 2, "ensemble_size": 1, "random_state": 0}


def _times(n=24):
    """Features of a date, a date with its time zone and a duration (gaps in each), and
    labels of a string and an enum."""
    X = pl.DataFrame({
        "length": np.linspace(0.0, 1.0, n),
        "day": [None if i % 7 == 3 else dt.date(2020, 1, 1) + dt.timedelta(days=3 * i)
                for i in range(n)],
        "when": pl.Series([dt.datetime(2021, 3, 27) + dt.timedelta(hours=5 * i)
                           for i in range(n)]).dt.replace_time_zone("Europe/Paris"),
        "wait": [None if i % 5 == 1 else dt.timedelta(minutes=17 * i) for i in range(n)],
    })
    Y = pl.DataFrame({
        "a": [None if i % 6 == 0 else "uv"[i % 2] for i in range(n)],
        "e": pl.Series(["kl"[(i // 2) % 2] for i in range(n)], dtype=pl.Enum(["l", "k"])),
    })
    return X, Y


def test_run_onnx_reads_polars_dates_and_durations_as_predict_does():
    pytest.importorskip("onnxruntime")
    pytest.importorskip("skl2onnx")
    from sklearn_mtl import export_onnx
    from sklearn_mtl._export import run_onnx

    X, Y = _times()
    model = MultiTaskClassifier(**FAST).fit(X, Y)
    onx = export_onnx(model, X_sample=X)
    # the polars frame feeds the graph as its pandas form does, dates as their instants
    for out in (run_onnx(onx, X), run_onnx(onx, to_pandas(X))):
        for task, proba in zip(["a", "e"], model.predict_proba(X)):
            np.testing.assert_allclose(out[f"{task}_probability"], proba, atol=1e-5)
    with pytest.raises(TypeError, match=r"X is a polars LazyFrame"):
        run_onnx(onx, X.lazy())


def test_decimal_labels_come_back_as_decimals():
    # a database's NUMBER(10, 0) codes read by polars: Decimal columns
    Y = pl.DataFrame({
        "code": pl.Series([None if i % 7 == 0 else (i % 3) * 10 for i in range(21)],
                          dtype=pl.Decimal(10, 0)),
        "price": pl.Series([1.5, None, 2.25] * 7, dtype=pl.Decimal(5, 2)),
    })
    enc = StructuredLabelEncoder().fit(Y)
    assert enc.classes_[0].tolist() == [Decimal("0"), Decimal("10"), Decimal("20")]
    out = enc.inverse_transform(enc.transform(Y))
    assert out.schema == Y.schema and out.equals(Y)
    X = pl.DataFrame({"x": np.linspace(0.0, 1.0, 21)})
    pred = MultiTaskClassifier(**FAST).fit(X, Y).predict(X)
    assert pred.schema == Y.schema and pred.null_count().row(0) == (0, 0)


def test_a_saved_dtype_that_needs_parameters_leaves_the_values_as_they_are():
    # a model saved before the Decimal's precision was kept stores only its name
    out = to_polars(pd.DataFrame({"a": [1.5, np.nan]}), {"a": "Decimal"})
    assert out["a"].to_list() == [1.5, None]


def test_128_bit_integers_are_read_as_64_bit_ones():
    frame = pl.DataFrame({
        "small": pl.Series([1, None, -3], dtype=pl.Int128),
        "unsigned": pl.Series([1, None, 2**64 - 1], dtype=pl.UInt128),
        "huge": pl.Series([1, None, 2**70], dtype=pl.Int128),
    })
    features = to_pandas(frame)
    np.testing.assert_array_equal(features["small"].to_numpy(), [1.0, np.nan, -3.0])
    assert features["huge"].tolist() == [1, None, 2**70]  # Python integers, none rounded
    labels = to_pandas(frame, labels=True)
    assert str(labels["small"].dtype) == "Int64" and str(labels["unsigned"].dtype) == "UInt64"
    assert labels["unsigned"].tolist()[2] == 2**64 - 1
    # labels of 128-bit integers: integer classes, the dtype written back
    Y = pl.DataFrame({"ring": pl.Series([3, None, 4, 3, 4, None], dtype=pl.Int128)})
    enc = StructuredLabelEncoder().fit(Y)
    assert enc.classes_[0].tolist() == [3, 4]
    assert enc.inverse_transform(enc.transform(Y)).equals(Y)
    # features: as the same numbers in Int64
    n = 30
    values = [None if i % 4 == 0 else i * 7 for i in range(n)]
    wide = pl.DataFrame({"v": pl.Series(values, dtype=pl.Int128)})
    narrow = pl.DataFrame({"v": pl.Series(values, dtype=pl.Int64)})
    Yn = pl.DataFrame({"t": ["ab"[i % 2] for i in range(n)]})
    got = MultiTaskClassifier(**FAST).fit(wide, Yn).predict_proba(wide)
    expected = MultiTaskClassifier(**FAST).fit(narrow, Yn).predict_proba(narrow)
    np.testing.assert_array_equal(got[0], expected[0])


def test_a_lazy_frame_is_refused_by_name_in_the_splitters():
    X, Y = _times()
    with pytest.raises(TypeError, match=r"X is a polars LazyFrame.*X\.collect\(\)"):
        list(MultiTaskStratifiedKFold(2).split(X.lazy(), Y))
    with pytest.raises(TypeError, match=r"X is a polars LazyFrame.*X\.collect\(\)"):
        cross_val_predict(IndependentTaskClassifier(LogisticRegression()),
                          X.select("length").lazy(), Y, cv=KFold(2))
    with pytest.raises(TypeError, match=r"^Y is a polars LazyFrame.*Y\.collect\(\)"):
        compare({"lr": IndependentTaskClassifier(LogisticRegression())}, X.select("length"),
                Y.lazy(), cv=KFold(2), progress=False)


@pytest.mark.parametrize("cls", [IndependentTaskClassifier, LabelProductClassifier])
def test_a_polars_text_column_is_text_to_the_baselines(cls):
    # df["review"]: one document a sample, vectorized by the base estimator's pipeline
    words = ["red apple", "green apple", "red car", "blue car", "green tree", "blue sky"] * 4
    Y = pl.DataFrame({"colour": [w.split()[0] for w in words],
                      "thing": [w.split()[1] for w in words]})
    text = pl.Series("review", words)

    def model():
        return cls(make_pipeline(TfidfVectorizer(), LogisticRegression()))

    pred = model().fit(text, Y).predict(text)
    expected = model().fit(text.to_list(), Y.to_pandas()).predict(text.to_list())
    assert isinstance(pred, pl.DataFrame) and pred.schema == Y.schema
    assert pred.rows() == [tuple(r) for r in expected.itertuples(index=False)]
    out = cross_val_predict(model(), text, Y, cv=KFold(2))
    assert isinstance(out, pl.DataFrame) and out.height == len(words)


def test_a_polars_frame_of_positional_columns_is_read_as_its_array():
    # pl.from_numpy(Y.to_numpy()) names its columns column_0, column_1, ...: positions,
    # read as the array is (score, the metrics with schema=, a prefit tuner), where a
    # frame whose real names are not the fitted columns stays refused
    from sklearn_mtl import TaskThresholdTuner
    from sklearn_mtl.metrics import exact_match_score, hamming_loss

    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3))
    Y = pd.DataFrame({"a": (X[:, 0] + 0.8 * X[:, 2] > 0).astype(int),
                      "b": np.where(X[:, 1] - X[:, 2] > 0, "x", "y")})
    arr, positional = Y.to_numpy(), pl.from_numpy(Y.to_numpy())
    assert positional.columns == ["column_0", "column_1"]
    model = IndependentTaskClassifier(LogisticRegression()).fit(X, Y)
    assert model.score(X, positional) == model.score(X, arr)
    pred = model.predict(X)
    assert (hamming_loss(positional, pred, schema=model)
            == hamming_loss(arr, pred, schema=model))
    assert (exact_match_score(Y, pl.from_numpy(pred.to_numpy()), schema=model)
            == exact_match_score(Y, pred, schema=model))
    tuner = TaskThresholdTuner(model, cv="prefit").fit(X, positional)
    assert tuner.thresholds_ == TaskThresholdTuner(model, cv="prefit").fit(X, arr).thresholds_
    net = MultiTaskClassifier(**FAST).fit(X, Y)
    assert net.score(X, positional) == net.score(X, arr)
    with pytest.raises(ValueError, match=r"Y has no column 'a' for task 'a'"):
        model.score(X, pl.from_numpy(arr, schema=["x", "y"]))
