"""The default recipe's parts, each on tiny data: preprocessing, training length, schedule,
label smoothing, the ensemble and its held-out epoch selection, automatic decoding."""

import pickle
import warnings
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import sklearn
import torch
from sklearn.base import clone
from sklearn.compose import make_column_transformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils import get_tags
from skorch.history import History
from torch.nn import functional as F

import sklearn_mtl
from sklearn_mtl import LabelProductClassifier, MultiTaskClassifier, Task
from sklearn_mtl._decoding import unseen_combination_mass
from sklearn_mtl._encoder import StructuredLabelEncoder
from sklearn_mtl.neural import (
    EnsembleMLPTrunk,
    MemberHeads,
    MemberHoldout,
    MemberLinear,
    MultiTaskLoss,
    TabularPreprocessor,
    WarmupCosineSchedule,
)
from sklearn_mtl.neural._ensemble import n_members


def raw_table(n=60, seed=0):
    """Raw features as users have them: grams, a string column, gaps."""
    rng = np.random.RandomState(seed)
    mass = rng.normal(4000, 800, size=n)
    X = pd.DataFrame({
        "mass_g": mass,
        "length_mm": rng.normal(45, 5, size=n),
        "island": rng.choice(["Biscoe", "Dream", "Torgersen"], size=n).astype(object),
    })
    X.loc[3, "length_mm"] = np.nan
    X.loc[5, "island"] = None
    Y = pd.DataFrame({
        "heavy": np.where(mass > 4000, "yes", "no"),
        "island_copy": X["island"].fillna("Dream").to_numpy(),
    })
    return X, Y


# ------------------------------------------------------------------ preprocessing
def test_preprocessor_exact_values():
    X = np.array([[0.0], [1.0], [2.0], [3.0], [100.0]])
    out = TabularPreprocessor().fit_transform(X)
    # median 2, quartiles 1 and 3: (x - 2) / 2, then x / sqrt(1 + (x / 3)^2)
    z = (X[:, 0] - 2.0) / 2.0
    np.testing.assert_allclose(out[:, 0], z / np.sqrt(1 + (z / 3) ** 2), rtol=1e-6)
    assert out.dtype == np.float32 and np.abs(out).max() < 3
    standard = TabularPreprocessor(numeric="standard").fit_transform(X)
    np.testing.assert_allclose(standard[:, 0], (X[:, 0] - X.mean()) / X.std(), rtol=1e-5)


def test_huge_finite_values_scale_to_finite_values_in_order():
    # (x / 3)² overflowed beyond about 1e154 (x / inf: the outliers landed on the median),
    # x - centre overflowed near float64's limit (NaN, -inf), and so did the standard
    # deviation of [0, 1, 2, 3, 1e160] (the whole column 0)
    from sklearn_mtl._export import _with_tabular_input

    def soft(z):
        return z / np.sqrt(1 + (z / 3) ** 2)

    X = pd.DataFrame({"a": [0.0, 1, 2, 3, 4, 1e200, -1e200]})
    pre = TabularPreprocessor().fit(X)
    out = pre.transform(X)[:, 0]
    assert (pre.center_[0], pre.scale_[0]) == (2.0, 3.0)  # quartiles 0.5 and 3.5
    np.testing.assert_allclose(out[:5], soft((X["a"][:5] - 2.0) / 3.0), rtol=1e-6)
    assert (out[5], out[6]) == (3.0, -3.0)  # softly clipped to ±3, order kept
    standard = TabularPreprocessor(numeric="standard").fit_transform(
        pd.DataFrame({"a": [0.0, 1, 2, 3, 1e160]}))
    np.testing.assert_allclose(standard[:, 0], [-0.5, -0.5, -0.5, -0.5, 2.0], rtol=1e-6)
    near = pd.DataFrame({"a": [-1.7e308, 1.7e308, 1e308, -1e308, 0.5e308]})
    pre = TabularPreprocessor().fit(near)
    out = pre.transform(near)[:, 0]
    assert pre.center_[0] == 0.5e308 and pre.scale_[0] == np.finfo(np.float64).max
    z = near["a"] / pre.scale_[0] - pre.center_[0] / pre.scale_[0]  # the IQR's 2e308 > max
    np.testing.assert_allclose(out, soft(z), rtol=1e-6)
    np.testing.assert_array_equal(np.argsort(out), np.argsort(near["a"]))
    # in units of 1e308: the mean 0.1, the standard deviation sqrt(1.596) (1.26e308)
    standard = TabularPreprocessor(numeric="standard").fit_transform(near)[:, 0]
    np.testing.assert_allclose(standard, (near["a"] / 1e308 - 0.1) / np.sqrt(1.596),
                               rtol=1e-6)
    np.testing.assert_array_equal(np.argsort(standard), np.argsort(near["a"]))
    # the exported graph's scaling (float64 inside) follows the same rule
    for frame in (X, near):
        for numeric in ("robust", "standard"):
            pre = TabularPreprocessor(numeric=numeric).fit(frame)
            graph = _with_tabular_input(pre, torch.nn.Identity())
            values = torch.tensor(frame.to_numpy(), dtype=torch.float64)
            np.testing.assert_allclose(graph(values).numpy(), pre.transform(frame),
                                       rtol=1e-6)


def test_preprocessor_constant_column_and_missing_values():
    X = np.array([[5.0, 1.0], [5.0, np.nan], [5.0, 3.0], [5.0, 5.0]])
    pre = TabularPreprocessor().fit(X)
    out = pre.transform(X)
    np.testing.assert_array_equal(out[:, 0], 0.0)  # constant: centred, divided by 1
    assert out[1, 1] == 0.0  # the gap is the median
    np.testing.assert_array_equal(out[:, 2], [0, 1, 0, 0])  # its indicator column
    assert pre.n_features_out_ == 3
    # a gap in a column that had none in training: the median, no new column
    np.testing.assert_array_equal(pre.transform([[np.nan, 3.0]])[0], [0.0, 0.0, 0.0])


def test_preprocessor_all_missing_column_fits_quietly():
    # an empty survey question: no value to centre on, and no numpy warning about it
    X = np.array([[1.0, np.nan], [2.0, np.nan], [4.0, np.nan]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pre = TabularPreprocessor().fit(X)
        out = pre.transform(X)
    np.testing.assert_array_equal(out[:, 1], 0.0)
    # no indicator (it would be 1 in every training row), and a value later reads as 0,
    # as in training: the network never saw the column vary
    assert out.shape == (3, 2)
    np.testing.assert_array_equal(pre.transform([[1.0, 7.0]])[0, 1], 0.0)


def test_preprocessor_categories_and_unknowns():
    X, _ = raw_table()
    before = X.copy()
    pre = TabularPreprocessor().fit(X)
    out = pre.transform(X)
    pd.testing.assert_frame_equal(X, before)  # never mutated
    # 2 numeric + 1 indicator (length_mm) + 4 categories (3 islands + missing)
    assert out.shape == (60, 7) and pre.n_features_out_ == 7
    onehot = out[:, 3:]
    np.testing.assert_array_equal(onehot.sum(axis=1), 1)
    new = pd.DataFrame({"mass_g": [4000.0], "length_mm": [45.0], "island": ["Atlantis"]})
    np.testing.assert_array_equal(pre.transform(new)[0, 3:], 0)  # unseen: all zeros


def test_an_unseen_category_joins_the_pooled_rare_ones_where_a_column_has_them():
    X = pd.DataFrame({"shop": ["a"] * 5 + ["b"] * 4 + ["r"]})
    pooled = TabularPreprocessor(min_frequency=2).fit(X)
    assert list(pooled.get_feature_names_out()) == ["shop_a", "shop_b",
                                                    "shop_infrequent_sklearn"]
    new = pd.DataFrame({"shop": ["r", "never seen", None]})  # None: a gap never seen
    np.testing.assert_array_equal(pooled.transform(new), [[0, 0, 1]] * 3)
    plain = TabularPreprocessor().fit(X)  # no pooled column: all zeros
    np.testing.assert_array_equal(plain.transform(new), [[0, 0, 1], [0, 0, 0], [0, 0, 0]])


def test_preprocessor_reads_a_category_written_otherwise_at_predict():
    # The same values in another dtype at predict (a bool column as 0/1, integer codes as
    # floats, as one gap makes them) are the categories fitted, not unseen ones.
    X = pd.DataFrame({"flag": [True, False, True, False],
                      "code": pd.Categorical([1, 2, 3, 2]),
                      "shop": ["a", "b", "a", "b"]})
    pre = TabularPreprocessor().fit(X)
    expected = pre.transform(X)
    again = X.assign(flag=[1, 0, 1, 0], code=[1.0, 2.0, 3.0, 2.0])
    np.testing.assert_array_equal(pre.transform(again), expected)
    both_ways = X.assign(flag=np.array([1.0, 0.0, 1.0, 0.0]), code=[True, False, 3, False])
    np.testing.assert_array_equal(pre.transform(both_ways)[:, :2], expected[:, :2])
    np.testing.assert_array_equal(pre.transform(both_ways)[[0, 2], 2:5], expected[[0, 2], 2:5])
    # a gap stays a gap, a value never seen stays unseen
    gaps = X.assign(flag=[1.0, np.nan, 5.0, 0.0], shop=["a", None, "c", "b"])
    out = pre.transform(gaps)
    np.testing.assert_array_equal(out[:, :2], [[0, 1], [0, 0], [0, 0], [1, 0]])


def test_preprocessor_rejects_infinity_naming_the_column():
    X = pd.DataFrame({"a": [1.0, 2.0], "b": [np.inf, 1.0]})
    with pytest.raises(ValueError, match="row 0, column 'b'"):
        TabularPreprocessor().fit(X)


@pytest.mark.parametrize("gap", [None, np.nan, pd.NA, pd.NaT])
def test_pandas_gaps_in_an_object_column_of_numbers_are_gaps(gap):
    # DataFrame.to_numpy(float) read pd.NA and NaT as numbers before filling the gaps:
    # "float() argument must be ... not 'NAType'", naming no column
    X = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": pd.Series([1.0, gap, 3.0, 5.0], dtype=object)})
    as_floats = X.assign(b=[1.0, np.nan, 3.0, 5.0])
    pre = TabularPreprocessor().fit(X)
    expected = TabularPreprocessor().fit(as_floats).transform(as_floats)
    np.testing.assert_array_equal(pre.transform(X), expected)
    assert list(pre.numeric_columns_) == [0, 1]
    row = pd.DataFrame([{"a": 2.0, "b": gap}], dtype=object)  # a request built from a dict
    np.testing.assert_array_equal(pre.transform(row),
                                  pre.transform(pd.DataFrame({"a": [2.0], "b": [np.nan]})))
    bad = pd.DataFrame({"a": [1.0, 2.0], "b": pd.Series([gap, "n/a"], dtype=object)})
    with pytest.raises(ValueError, match=r"row 1, column 'b' holds 'n/a'"):
        pre.transform(bad)


def test_repeated_column_names_are_refused_by_name():
    X = pd.DataFrame([[1.0, 2.0, 3.0], [3.0, np.nan, 4.0]], columns=["a", "a", "b"])
    with pytest.raises(ValueError, match=r"column names must be unique; repeated: 'a' "
                                         r"\(2 times\)"):
        TabularPreprocessor().fit(X)
    pre = TabularPreprocessor().fit(X.set_axis(["a", "c", "b"], axis=1))
    with pytest.raises(ValueError, match=r"repeated: 'a' \(2 times\)"):
        pre.transform(X)


def test_lists_and_complex_numbers_in_x_are_refused_naming_the_column():
    # numpy's "setting an array element with a sequence" named no column, and
    # scikit-learn's complex-data message printed the whole frame
    X = pd.DataFrame({"a": np.arange(6.0), "tags": [[1, 2], [3], [], [1], [2], [3]]})
    y = np.arange(6) % 2
    clf = MultiTaskClassifier(ensemble_size=1, max_epochs=1)
    with pytest.raises(ValueError, match=r"X's column 'tags' holds lists \(row 0: \[1, 2\]\)"
                                         r".*MultiLabelBinarizer"):
        clf.fit(X, y)
    X = pd.DataFrame({"a": np.arange(6.0), "z": np.arange(6) * 1j})
    with pytest.raises(ValueError, match=r"^Complex data not supported: X's column 'z' "
                                         r"holds complex numbers; expected real numbers"):
        clf.fit(X, y)
    # the row is a position, whatever X's index (a repeated label gave "row slice(0, 3)")
    X = pd.DataFrame({"a": np.arange(4.0), "b": [None, 2, "x", 3]}, index=[7, 7, 7, 1])
    with pytest.raises(ValueError, match=r"mixes numbers and strings: row 2, column 'b' "
                                         r"holds 'x'"):
        TabularPreprocessor().fit(X)
    with pytest.raises(ValueError, match=r"holds lists \(row 2: \[1\]\)"):
        TabularPreprocessor().fit(X.assign(b=[None, 2, [1], 3]))


def test_numbers_written_as_text_with_a_few_placeholders_warn():
    # "?" or "n.a." among measurements read as text: the column becomes categories,
    # which the warning says, with the way to read it as numbers. Text of categories,
    # and numbers-as-text throughout (postal codes), say nothing.
    rng = np.random.RandomState(0)
    mass = pd.Series(rng.normal(4000, 500, size=40).round(1).astype(str))
    mass[[3, 7]] = ["?", "n.a."]
    X = pd.DataFrame({"mass": mass, "shop": rng.choice(["a", "b"], 40),
                      "zip": rng.choice(["02134", "10001"], 40)})
    with pytest.warns(UserWarning, match=r"text column\(s\) 'mass' \(besides numbers: "
                                         r"\['\?', 'n.a.'\]\).*pd.to_numeric"):
        pre = TabularPreprocessor().fit(X)
    assert list(pre.categorical_columns_) == [0, 1, 2]  # as before: the warning only says
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        TabularPreprocessor().fit(X.drop(columns="mass"))


def test_numbers_with_thousands_separators_warn():
    # "1,234" reads as no number, so a spreadsheet's column of amounts became categories
    # without a word; a gap marker beside them still counts as one of the few others
    rng = np.random.RandomState(0)
    amount = pd.Series([f"{v:,.1f}" for v in rng.uniform(10, 5_000, size=40)])
    assert amount.str.contains(",").any() and not amount.str.contains(",").all()
    amount[5] = "?"
    X = pd.DataFrame({"amount": amount, "shop": rng.choice(["a", "b"], 40)})
    with pytest.warns(UserWarning, match=r"text column\(s\) 'amount' \(\['[\d,.]+', "
                                         r"'[\d,.]+'\]\) hold numbers written with "
                                         r"thousands separators.*thousands=','"
                                         r".*--thousands ,\)") as record:
        pre = TabularPreprocessor().fit(X)
    assert len(record) == 1  # not also the warning of numbers beside a few placeholders
    assert list(pre.categorical_columns_) == [0, 1]  # as before: the warning only says
    # text that only looks grouped now and then is not numbers: nothing said
    words = X.assign(amount=["1,234"] + ["red", "green", "blue"] * 13)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        TabularPreprocessor().fit(words)


def test_text_in_a_numeric_column_at_prediction_is_named():
    # A column of numbers in training that holds text at prediction (a CSV cell "n/a"):
    # the error names its row and column, whether the recipe's step was fitted on the
    # frame (a text column beside) or on its float array; no warning about feature names
    # from a step fitted without them.
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"a": rng.normal(size=30), "b": rng.normal(size=30)})
    y = np.where(X["a"] > 0, "yes", "no")
    for frame in (X, X.assign(c=["u", "v", "w"] * 10)):
        model = MultiTaskClassifier(hidden_layer_sizes=(4,), max_epochs=1).fit(frame, y)
        bad = frame.iloc[:4].astype({"b": object})
        bad.iloc[2, 1] = "n/a"
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(ValueError, match=r"row 2, column 'b' holds 'n/a'"):
                model.predict(bad)
            # numbers written as text still read as the numbers they are
            as_text = frame.iloc[:4].astype({"b": str})
            np.testing.assert_array_equal(model.predict_proba(as_text),
                                          model.predict_proba(frame.iloc[:4]))


def test_a_float_array_is_preprocessed_as_its_dataframe():
    # a table of numbers takes a path that builds no DataFrame: the same output
    rng = np.random.RandomState(0)
    X = np.abs(rng.normal(5, 2, size=(40, 3))) + 0.1
    X[::4, 0] = 0.1  # a point mass
    X[3, 1] = np.nan
    pre = TabularPreprocessor(n_bins=4, ratios=True).fit(X)
    expected = pre.transform(pd.DataFrame(X))
    for array in (X, X.astype(np.float32)):
        np.testing.assert_array_equal(pre.transform(array),
                                      pre.transform(pd.DataFrame(array)))
    np.testing.assert_array_equal(pre.transform(X), expected)
    bad = X[:2].copy()
    bad[1, 2] = np.inf
    with pytest.raises(ValueError, match="row 1, column 2"):
        pre.transform(bad)
    with pytest.raises(ValueError, match="3 features"):
        pre.transform(X[:, :2])


def _read_as_times(X, columns):
    """``(preprocessor, X transformed)``: ``TabularPreprocessor`` (numbers passed
    through) fitted on ``X``, which it leaves as it was, reading ``columns`` as times."""
    before = X.copy()
    pre = TabularPreprocessor(numeric="passthrough", point_mass=None).fit(X)
    out = pre.transform(X)
    pd.testing.assert_frame_equal(X, before)  # never mutated
    np.testing.assert_array_equal(pre.time_columns_, columns)
    return pre, out


def test_preprocessor_reads_dates_and_durations_as_days():
    X = pd.DataFrame({
        "sold": pd.to_datetime(["1970-01-02 00:00", "1970-01-04 12:00", None,
                                "1970-01-03 00:00"]),
        "kept": pd.to_timedelta(["36h", "1D", "2D", "12h"]),
        "price": [1.0, 2.0, 3.0, 5.0],
    })
    pre, out = _read_as_times(X, [0, 1])
    np.testing.assert_array_equal(out[[0, 1, 3], 0], [1.0, 3.5, 2.0])  # days since 1970
    np.testing.assert_array_equal(out[:, 1], [1.5, 1.0, 2.0, 0.5])  # durations in days
    np.testing.assert_array_equal(out[:, 3], [0, 0, 1, 0])  # NaT: a gap and its indicator
    assert list(pre.get_feature_names_out()) == ["sold", "kept", "price", "sold_missing"]
    # a time zone is read in UTC: the same instants give the same days
    paris = X.assign(sold=X["sold"].dt.tz_localize("UTC").dt.tz_convert("Europe/Paris"))
    np.testing.assert_array_equal(pre.transform(paris), out)
    # a date is no quantity: it takes no part in the log-ratios, a duration does
    ratios = TabularPreprocessor(ratios=True).fit(X.fillna({"sold": X["sold"].min()}))
    names = ratios.get_feature_names_out()
    assert [name for name in names if name.startswith("log(")] == ["log(kept/price)"]


def test_dates_durations_and_numbers_in_other_containers_read_as_the_plain_ones():
    # pyarrow's dates and durations (read_parquet(dtype_backend="pyarrow")) failed;
    # datetime.date objects (read_parquet's default, Series.dt.date) and Decimal numbers
    # were one-hot encoded as categories
    import datetime
    from decimal import Decimal

    pa = pytest.importorskip("pyarrow")
    days = pd.Series(pd.to_datetime(["2020-01-01", "2020-03-05", None, "2021-07-30"]))
    kept = pd.Series(pd.to_timedelta(["36h", "1D", None, "12h"]))
    price = pd.Series([1.5, 2.25, 3.0, None])
    plain = pd.DataFrame({"day": days, "kept": kept, "price": price})
    pre = TabularPreprocessor().fit(plain)
    expected = pre.transform(plain)
    others = {
        "pyarrow": pd.DataFrame({
            "day": days.astype(pd.ArrowDtype(pa.date32())),
            "kept": kept.astype(pd.ArrowDtype(pa.duration("us"))),
            "price": price.astype(pd.ArrowDtype(pa.float64()))}),
        "objects": pd.DataFrame({
            "day": pd.Series([datetime.date(2020, 1, 1), datetime.date(2020, 3, 5), None,
                              datetime.date(2021, 7, 30)], dtype=object),
            "kept": kept,
            "price": pd.Series([Decimal("1.5"), Decimal("2.25"), Decimal("3"), None],
                               dtype=object)}),
    }
    for name, frame in others.items():
        fitted = TabularPreprocessor().fit(frame)
        assert list(fitted.time_columns_) == [0, 1], name
        assert len(fitted.categorical_columns_) == 0, name
        np.testing.assert_array_equal(fitted.transform(frame), expected, err_msg=name)
        np.testing.assert_array_equal(pre.transform(frame), expected, err_msg=name)


def test_dates_fit_as_their_days_do():
    X, Y = raw_table()
    X = X.assign(sold=pd.Timestamp("2020-03-01", tz="UTC")
                 + pd.to_timedelta(np.arange(len(X)) * 7.5, unit="h"))
    days = X.assign(sold=(X["sold"] - pd.Timestamp("1970-01-01", tz="UTC")) / pd.Timedelta("1D"))
    before = X.copy()
    params = dict(hidden_layer_sizes=(8,), max_epochs=3, random_state=0)
    with_dates = MultiTaskClassifier(**params).fit(X, Y)
    pd.testing.assert_frame_equal(X, before)
    np.testing.assert_array_equal(with_dates.predict_proba(X)[0],
                                  MultiTaskClassifier(**params).fit(days, Y).predict_proba(days)[0])
    # without the preprocessing, a clear error naming the column
    with pytest.raises(ValueError, match="column 'sold' holds dates .*preprocessing='auto'"):
        MultiTaskClassifier(preprocessing=None, **params).fit(X.drop(columns="island"), Y)


def test_dates_given_as_text_predict_as_dates(tmp_path):
    # a CSV file holds dates and durations as text: read back, they predict as the
    # in-memory columns do, the lookup of repeated rows included
    rng = np.random.default_rng(0)
    key = rng.integers(0, 30, 300)
    X = pd.DataFrame({
        "sold": pd.Timestamp("2020-01-01 06:00") + pd.to_timedelta(key % 10, unit="D"),
        "kept": pd.to_timedelta(key // 10, unit="h"),
    })
    Y = pd.DataFrame({"a": np.where((rng.random(30) < 0.5)[key], "x", "y"),
                      "b": rng.choice(["p", "q"], 300)})
    clf = MultiTaskClassifier(hidden_layer_sizes=(8,), max_epochs=5, random_state=0).fit(X, Y)
    assert clf.lookup_tasks_[0]  # the repeated rows' labels are read
    X.to_csv(tmp_path / "rows.csv", index=False)
    text = pd.read_csv(tmp_path / "rows.csv")
    assert not pd.api.types.is_datetime64_any_dtype(text["sold"])
    np.testing.assert_array_equal(clf.predict_proba(text)[0], clf.predict_proba(X)[0])
    tokyo = X.assign(sold=X["sold"].dt.tz_localize("UTC").dt.tz_convert("Asia/Tokyo"))
    np.testing.assert_array_equal(clf.predict_proba(tokyo)[0], clf.predict_proba(X)[0])
    with pytest.raises(ValueError, match="column 'sold' held dates in training; its text "
                       "'yesterday' in row 0 reads as no date"):
        clf.predict(text.assign(sold="yesterday"))
    # text in one form other than ISO 8601 reads as dates; a value in another form is
    # named, where each value was read in a form of its own (format="mixed")
    spelled = X["sold"].dt.strftime("%B %d, %Y %H:%M")
    np.testing.assert_array_equal(clf.predict_proba(text.assign(sold=spelled))[0],
                                  clf.predict_proba(X)[0])
    with pytest.raises(ValueError, match=r"its text '2020-01-05 06:00' in row 3 reads as "
                       r"no date\. Write dates as ISO 8601"):
        clf.predict(text.assign(sold=spelled.where(X.index != 3, "2020-01-05 06:00")))
    # day and month in a local order: 04/01/2020 was read as April the 1st and 13/01/2020
    # as January the 13th, in one column, silently; they are refused
    local = X["sold"].dt.strftime("%d/%m/%Y")
    with pytest.raises(ValueError, match=r"column 'sold' held dates in training; its text "
                       r"writes them with the day and the month in a local order"):
        clf.predict(text.assign(sold=local))
    with pytest.raises(ValueError, match="column 'kept' held durations in training but holds"):
        clf.predict(text.assign(kept=1.0))
    with pytest.raises(ValueError, match="column 'sold' held dates in training but holds"):
        clf.predict(X.assign(sold=X["kept"]))
    # a saved model reads them so too
    sklearn_mtl.save(clf, tmp_path / "model.mtl")
    np.testing.assert_array_equal(
        sklearn_mtl.load(tmp_path / "model.mtl").predict_proba(text)[0], clf.predict_proba(X)[0])


def test_a_date_column_of_gaps_alone_predicts_as_gaps():
    # A batch whose date cells are all empty comes as NaN (read_csv reads numbers) or
    # None: read as NaT, not refused as "float64 values"; numbers are still refused.
    X, Y = raw_table()
    X = X.assign(sold=pd.Timestamp("2020-03-01") + pd.to_timedelta(np.arange(len(X)), unit="D"),
                 kept=pd.to_timedelta(np.arange(len(X)) % 5, unit="h"))
    clf = MultiTaskClassifier(hidden_layer_sizes=(8,), max_epochs=2, random_state=0).fit(X, Y)
    rows = X.head(4)
    expected = clf.predict_proba(rows.assign(sold=pd.NaT, kept=pd.to_timedelta([None] * 4)))
    for gap in (np.nan, None):
        got = clf.predict_proba(rows.assign(sold=gap, kept=gap))
        for a, b in zip(got, expected, strict=True):
            np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="column 'sold' held dates in training but holds "
                                         "float64 values"):
        clf.predict(rows.assign(sold=[1.5, np.nan, 2.0, 3.0]))
    pre = clf.preprocessor_
    np.testing.assert_array_equal(pre.transform(rows.assign(sold=np.nan)),
                                  pre.transform(rows.assign(sold=pd.NaT)))


def test_raw_dataframe_with_strings_and_gaps_fits_and_predicts():
    X, Y = raw_table()
    before_X, before_Y = X.copy(), Y.copy()
    clf = MultiTaskClassifier(hidden_layer_sizes=(16,), max_epochs=60, lr=1e-2, random_state=0)
    pred = clf.fit(X, Y).predict(X)
    pd.testing.assert_frame_equal(X, before_X)
    pd.testing.assert_frame_equal(Y, before_Y)
    assert list(pred.columns) == ["heavy", "island_copy"]
    assert (pred["island_copy"] == Y["island_copy"]).mean() > 0.9  # one-hot made it easy
    assert list(clf.feature_names_in_) == ["mass_g", "length_mm", "island"]
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(X[["length_mm", "mass_g", "island"]])
    same = MultiTaskClassifier(hidden_layer_sizes=(16,), max_epochs=60, lr=1e-2, random_state=0)
    np.testing.assert_array_equal(same.fit(X, Y).predict_proba(X)[0], clf.predict_proba(X)[0])


def test_piecewise_linear_encoding_exact_values():
    X = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0, 4.0, np.nan], "flag": [0, 1, 0, 1, 0, 1]})
    pre = TabularPreprocessor(n_bins=2).fit(X)
    np.testing.assert_array_equal(pre.bin_edges_[0], [0.0, 2.0, 4.0])
    assert len(pre.bin_edges_[1]) == 0  # a binary column is not encoded
    Z = pre.transform(X)
    # x scaled, flag scaled, x's gap indicator, then x's two bins
    np.testing.assert_array_equal(pre.encoded_columns_, [3, 4])
    np.testing.assert_array_equal(
        Z[:, 3:], [[-1, -1], [0, -1], [1, -1], [1, 0], [1, 1], [0, 0]])
    outside = pre.transform(pd.DataFrame({"x": [-3.0, 9.0], "flag": [0, 0]}))
    np.testing.assert_array_equal(outside[:, 3:], [[-1, -1], [1, 1]])
    plain = TabularPreprocessor().fit(X)
    np.testing.assert_array_equal(plain.transform(X), Z[:, :3])  # n_bins=0: unchanged


def test_point_mass_indicators_exact_values():
    X = pd.DataFrame({
        "spend": [0.0, 0.0, 0.0, 2.0, 5.0, 7.0, np.nan, 9.0],  # 3 of 7 at its lowest
        "capped": [1.0, 4.0, 4.0, 2.0, 4.0, 3.0, 4.0, 0.0],  # 4 of 8 at its highest
        "middle": [1.0, 2.0, 2.0, 2.0, 3.0, 4.0, 5.0, 6.0],  # its mass is not at an end
        "unique": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],  # a tie of ones is no mass
        "flag": [0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0],  # binary: its own indicator
    })
    before = X.copy()
    pre = TabularPreprocessor().fit(X)
    pd.testing.assert_frame_equal(X, before)
    np.testing.assert_array_equal(pre.point_mass_columns_, [0, 1])
    np.testing.assert_array_equal(pre.point_mass_values_, [0.0, 4.0])
    Z = pre.transform(X)
    # 5 scaled, spend's gap indicator, then the two point-mass indicators
    assert Z.shape == (8, 8) and pre.n_features_out_ == 8
    np.testing.assert_array_equal(Z[:, 5], [0, 0, 0, 0, 0, 0, 1, 0])
    np.testing.assert_array_equal(Z[:, 6], [1, 1, 1, 0, 0, 0, 0, 0])  # a gap is not 0
    np.testing.assert_array_equal(Z[:, 7], [0, 1, 1, 0, 1, 0, 1, 0])
    new = pd.DataFrame({"spend": [0.0, -1.0], "capped": [5.0, 4.0], "middle": [2.0, 2.0],
                        "unique": [0.0, 0.0], "flag": [0.0, 0.0]})
    np.testing.assert_array_equal(pre.transform(new)[:, 6:], [[1, 0], [0, 1]])
    # the share asked for: spend's 3 of 7 is below a half, capped's 4 of 8 is not
    half = TabularPreprocessor(point_mass=0.5).fit(X)
    np.testing.assert_array_equal(half.point_mass_columns_, [1])
    off = TabularPreprocessor(point_mass=None).fit(X)
    assert len(off.point_mass_columns_) == 0
    np.testing.assert_array_equal(off.transform(X), Z[:, [0, 1, 2, 3, 4, 5]])
    with pytest.raises(ValueError, match="point_mass"):
        TabularPreprocessor(point_mass=1.5).fit(X)


def test_point_mass_read_alike_in_float32_and_float64():
    # A score capped at 2.3, which float32 cannot hold: the indicator is the same whether
    # the table (at fit or at transform) is float64 or float32.
    rng = np.random.RandomState(0)
    x = np.where(rng.rand(100) < 0.4, 2.3, np.round(rng.uniform(0, 2.2, 100), 2))
    X64 = np.column_stack([x, rng.randn(100)])
    X32 = X64.astype(np.float32)
    for fitted_on in (X64, X32):
        pre = TabularPreprocessor().fit(fitted_on)
        np.testing.assert_array_equal(pre.point_mass_columns_, [0])
        for X in (X64, X32):
            np.testing.assert_array_equal(pre.transform(X)[:, -1], x == 2.3)
    # a float64 value next to the mass is not the mass: epoch seconds a second apart, a
    # value of 1e-50 next to a mass at 0 (float32 would merge them)
    t = np.where(rng.rand(100) < 0.4, 1_700_000_000, 1_700_000_000 + np.arange(100) % 7)
    z = np.where(rng.rand(100) < 0.4, 0.0, rng.uniform(0.1, 1.0, 100))
    z[np.flatnonzero(z)[:3]] = 1e-50
    X = np.column_stack([t, z]).astype(np.float64)
    pre = TabularPreprocessor().fit(X)
    np.testing.assert_array_equal(pre.point_mass_values_, [1_700_000_000, 0.0])
    np.testing.assert_array_equal(pre.transform(X)[:, -2:], np.column_stack(
        [t == 1_700_000_000, z == 0]))


def test_preprocessor_saved_before_point_masses_transforms_as_before():
    X = pd.DataFrame({"spend": [0.0, 0.0, 0.0, 2.0, 5.0, 7.0]})
    pre = TabularPreprocessor().fit(X)
    assert pre.n_features_out_ == 2
    del pre.point_mass_columns_, pre.point_mass_values_  # as an older model holds it
    np.testing.assert_array_equal(pre.transform(X), TabularPreprocessor(
        point_mass=None).fit_transform(X))


def test_piecewise_linear_encoding_column_budget():
    X = np.random.RandomState(0).normal(size=(200, 8))
    pre = TabularPreprocessor(n_bins=16, max_encoded_columns=32).fit(X)
    assert [len(e) - 1 for e in pre.bin_edges_] == [4] * 8
    assert pre.n_features_out_ == 8 + 32
    # a budget, not a cap: each column gets at least 2 bins, and the log-ratios (28 of
    # 8 positive columns) come on top, with a budget of their own
    X = np.random.RandomState(0).uniform(1, 2, size=(200, 16))
    pre = TabularPreprocessor(n_bins=16, max_encoded_columns=20).fit(X)
    assert len(pre.encoded_columns_) == 16 * 2
    pre = TabularPreprocessor(n_bins=4, max_encoded_columns=10, ratios=True).fit(X)
    assert len(pre.encoded_columns_) == 16 * 2 + 28 + 28 * 2


def test_log_ratios_exact_values():
    X = pd.DataFrame({
        "price": [2.0, 4.0, 8.0, 16.0, 32.0, np.nan],
        "carat": [1.0, 1.0, 2.0, 2.0, 4.0, 1.0],
        "count": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0],  # a 0: no ratio
        "flag": [1.0, 2.0, 1.0, 2.0, 1.0, 2.0],  # two values: no ratio
    })
    before = X.copy()
    pre = TabularPreprocessor(numeric="passthrough", ratios=True, point_mass=None).fit(X)
    pd.testing.assert_frame_equal(X, before)
    np.testing.assert_array_equal(pre.ratio_pairs_, [[0, 1]])
    Z = pre.transform(X)
    # 4 numeric, price's gap indicator, then log(price / carat); a gap gives 0
    np.testing.assert_array_equal(pre.encoded_columns_, [5])
    np.testing.assert_allclose(Z[:, 5], np.log([2.0, 4.0, 4.0, 8.0, 8.0, 1.0]) * [
        1, 1, 1, 1, 1, 0], rtol=1e-6)
    # not positive at prediction: the ratio is missing, 0, as a gap is
    new = pd.DataFrame({"price": [-1.0, 3.0], "carat": [1.0, 0.0], "count": [1.0, 1.0],
                        "flag": [1.0, 1.0]})
    np.testing.assert_array_equal(pre.transform(new)[:, 5], [0.0, 0.0])
    plain = TabularPreprocessor(numeric="passthrough", point_mass=None).fit(X)
    np.testing.assert_array_equal(plain.transform(X), Z[:, :5])  # ratios=False: unchanged


def test_log_ratios_scaled_and_encoded():
    rng = np.random.RandomState(0)
    X = np.exp(rng.normal(size=(400, 3)))
    pre = TabularPreprocessor(ratios=True, n_bins=4).fit(X)
    np.testing.assert_array_equal(pre.ratio_pairs_, [[0, 1], [0, 2], [1, 2]])
    Z = pre.transform(X)
    # 3 scaled, 3 x 4 bins, 3 ratios scaled as the columns are, 3 x 4 ratio bins
    assert Z.shape == (400, 3 + 12 + 3 + 12) and pre.n_features_out_ == Z.shape[1]
    np.testing.assert_array_equal(pre.encoded_columns_, np.arange(3, 30))
    ratios = np.log(X[:, [0, 0, 1]] / X[:, [1, 2, 2]])
    robust = TabularPreprocessor(ratios=False).fit(ratios)
    np.testing.assert_allclose(Z[:, 15:18], robust.transform(ratios), rtol=1e-5, atol=1e-6)
    encoded = TabularPreprocessor(n_bins=4).fit(ratios)
    np.testing.assert_allclose(Z[:, 18:], encoded.transform(ratios)[:, 3:], atol=1e-6)
    # the ratios have a budget of encoding columns of their own
    capped = TabularPreprocessor(ratios=True, n_bins=4, max_encoded_columns=6).fit(X)
    assert [len(e) - 1 for e in capped.ratio_bin_edges_] == [2, 2, 2]
    assert [len(e) - 1 for e in capped.bin_edges_] == [2, 2, 2]


def test_log_ratios_pair_the_columns_with_the_most_distinct_values():
    from sklearn_mtl.neural._preprocessing import _MAX_RATIO_COLUMNS

    rng = np.random.RandomState(0)
    n = _MAX_RATIO_COLUMNS + 2
    # column j takes j + 3 distinct positive values: the first two have the fewest
    X = np.column_stack([rng.randint(1, j + 4, size=300) for j in range(n)]).astype(float)
    pre = TabularPreprocessor(ratios=True).fit(X)
    kept = np.unique(pre.ratio_pairs_)
    np.testing.assert_array_equal(kept, np.arange(2, n))
    assert len(pre.ratio_pairs_) == _MAX_RATIO_COLUMNS * (_MAX_RATIO_COLUMNS - 1) // 2


def test_preprocessor_feature_names_out():
    X = pd.DataFrame({"mass": [1.0, 2.0, 4.0, 8.0, 16.0, np.nan],
                      "len": [1.0, 1.0, 2.0, 2.0, 4.0, 1.0],
                      "island": ["x", "y", "x", "y", "z", "x"]})
    pre = TabularPreprocessor(n_bins=2, ratios=True).fit(X)
    np.testing.assert_array_equal(pre.feature_names_in_, ["mass", "len", "island"])
    names = pre.get_feature_names_out()
    np.testing.assert_array_equal(names, [
        "mass", "len", "mass_missing", "len_is_1", "island_x", "island_y", "island_z",
        "mass_bin0", "mass_bin1", "len_bin0", "len_bin1",
        "log(mass/len)", "log(mass/len)_bin0", "log(mass/len)_bin1"])
    out = pre.set_output(transform="pandas").transform(X)
    assert list(out.columns) == list(names) and out.index.equals(X.index)
    np.testing.assert_array_equal(out.to_numpy(), TabularPreprocessor(
        n_bins=2, ratios=True).fit_transform(X))
    with pytest.raises(ValueError, match="feature names"):
        pre.transform(X.rename(columns={"len": "length"}))


def test_preprocessor_output_sources():
    # Each output column's input column: exact on a small table, and permuting an input
    # column across rows permutes the rows of its outputs and changes nothing else.
    X = pd.DataFrame({"mass": [1.0, 2.0, 4.0, 8.0, 16.0, np.nan],
                      "len": [1.0, 1.0, 2.0, 2.0, 4.0, 1.0],
                      "island": ["x", "y", "x", "y", "z", "x"]})
    pre = TabularPreprocessor(n_bins=2, ratios=True).fit(X)
    np.testing.assert_array_equal(pre.output_sources(),
                                  [0, 1, 0, 1, 2, 2, 2, 0, 0, 1, 1, -1, -1, -1])
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"mass": rng.normal(size=60), "count": rng.integers(0, 3, 60) * 1.0,
                      "kind": rng.choice(list("abcdefg"), 60, p=[.3, .3, .3, .04, .03, .02,
                                                                  .01]),
                      "when": pd.Timestamp("2024-01-01") + pd.to_timedelta(
                          rng.integers(0, 9, 60), unit="D")})
    X.loc[[3, 7], "mass"] = np.nan
    pre = TabularPreprocessor(min_frequency=3).fit(X)  # rare kinds pooled
    assert pre.one_hot_.infrequent_categories_[0] is not None
    sources, Z = pre.output_sources(), pre.transform(X)
    assert len(sources) == Z.shape[1] == len(pre.get_feature_names_out())
    order = rng.permutation(60)
    for j, name in enumerate(X.columns):
        permuted = X.copy()
        permuted[name] = X[name].to_numpy()[order]
        expected = Z.copy()
        expected[:, sources == j] = Z[order][:, sources == j]
        np.testing.assert_array_equal(pre.transform(permuted), expected)


def test_prediction_preprocesses_one_batch_at_a_time(tmp_path, monkeypatch):
    # the preprocessed table (the encoded view: many times the input's columns) is never
    # built whole at prediction, and a memory-mapped table is preprocessed as an array is
    rng = np.random.RandomState(0)
    X = (rng.normal(size=(300, 4)) * [1, 100, 1000, 5] + [0, 500, 2000, 1]).astype(np.float32)
    Y = np.c_[X[:, 0] > 0, X[:, 1] > 500].astype(int)
    clf = MultiTaskClassifier(max_epochs=5, batch_size=64, random_state=0).fit(X, Y)
    expected = clf.predict_proba(X)
    np.save(tmp_path / "X.npy", X)
    mapped = np.load(tmp_path / "X.npy", mmap_mode="r")
    sizes = []
    transform = clf.preprocessor_.transform
    monkeypatch.setattr(clf.preprocessor_, "transform",
                        lambda rows: (sizes.append(len(rows)), transform(rows))[1])
    for table in (X, pd.DataFrame(X), mapped):
        for got, want in zip(clf.predict_proba(table), expected):
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    assert sizes and max(sizes) <= 64
    np.testing.assert_array_equal(clf.predict(mapped), clf.predict(X))
    # refitted on the memory map: a preprocessor of its own, fitted on its rows
    stale = clf.preprocessor_
    clf.set_params(max_epochs=1).fit(mapped, Y)
    assert clf.preprocessor_ is not stale
    np.testing.assert_array_equal(clf.preprocessor_.transform(X),
                                  TabularPreprocessor().fit(X).transform(X))
    np.testing.assert_array_equal(clf.predict_proba(mapped)[0], clf.predict_proba(X)[0])


def test_preprocessor_saved_before_log_ratios_transforms_as_before():
    X = np.exp(np.random.RandomState(0).normal(size=(50, 2)))
    pre = TabularPreprocessor(n_bins=4).fit(X)
    expected = pre.transform(X)
    for name in ("ratio_pairs_", "ratio_center_", "ratio_scale_", "ratio_bin_edges_"):
        delattr(pre, name)  # as an older model holds it
    np.testing.assert_array_equal(pre.transform(X), expected)


def test_preprocessing_none_keeps_the_old_contract():
    X, Y = raw_table()
    clf = MultiTaskClassifier(preprocessing=None, ensemble_size=1, max_epochs=1)
    with pytest.raises(ValueError, match=r"(?s)island.*With preprocessing=None, X must hold "
                                         r"finite numbers; the default, preprocessing='auto', "
                                         r"reads gaps \(NaN\) and the text columns"):
        clf.fit(X, Y)
    with pytest.raises(ValueError, match=r"(?s)Input X contains NaN.*column 'mass_g' is "
                                         r"missing \(NaN\).*preprocessing='auto', reads gaps"):
        clf.fit(X[["mass_g"]].assign(mass_g=np.r_[np.nan, X["mass_g"].iloc[1:]]), Y)
    numeric = X[["mass_g"]].to_numpy()
    clf.fit(numeric, Y)
    assert clf.preprocessor_ is None
    assert not clf.__sklearn_tags__().input_tags.allow_nan


@pytest.mark.parametrize("preprocessing, expected", [
    ("auto", (True, True, True)),  # the recipe reads gaps, text and categories
    (None, (False, False, False)),
    (StandardScaler(), (True, False, False)),  # the user's step: what it reads
    (OneHotEncoder(), (True, False, True)),
    # tagged allow_nan=False by scikit-learn whatever it holds; its imputer reads gaps
    (make_column_transformer((SimpleImputer(), [0])), (True, False, False)),
])
def test_input_tags_say_what_the_preprocessing_reads(preprocessing, expected):
    tags = get_tags(MultiTaskClassifier(preprocessing=preprocessing)).input_tags
    assert (tags.allow_nan, tags.string, tags.categorical) == expected


@pytest.mark.parametrize("preprocessing", [
    "auto",
    make_pipeline(SimpleImputer(), StandardScaler()).set_output(transform="pandas"),
])
def test_global_pandas_output_changes_nothing(preprocessing):
    """scikit-learn's ``transform_output="pandas"`` (globally or on the user's step) makes
    transformers return DataFrames; the network reads the same numbers, without torch's
    warning about read-only arrays (a DataFrame's ``to_numpy()`` under copy-on-write)."""
    X, Y = raw_table()
    X = X[["mass_g", "length_mm"]]
    clf = MultiTaskClassifier(preprocessing=preprocessing, ensemble_size=1, max_epochs=2,
                              random_state=0)
    expected = clf.fit(X, Y).predict_proba(X)
    with sklearn.config_context(transform_output="pandas"), warnings.catch_warnings():
        warnings.simplefilter("error")
        fitted = clone(clf).fit(X, Y)
        got = fitted.predict_proba(X)
        assert isinstance(fitted.predict(X), pd.DataFrame)
    for e, g in zip(expected, got):
        np.testing.assert_array_equal(g, e)


def test_pixel_scale_and_grams_are_scaled_inside():
    rng = np.random.RandomState(0)
    X = np.column_stack([rng.uniform(0, 255, 80), rng.normal(4000, 500, 80)])
    clf = MultiTaskClassifier(ensemble_size=1, max_epochs=1).fit(X, X[:, 0] > 128)
    Z = clf.preprocessor_.transform(X)
    assert np.abs(Z).max() < 3.0 and np.abs(np.median(Z, axis=0)).max() < 1e-6


@pytest.mark.parametrize("container", [np.asarray, pd.DataFrame])
def test_large_numbers_keep_their_digits_until_scaled(container):
    # Epoch seconds: in float32, 1_700_000_000 + k for k < 120 takes two values, and the
    # network read a column of two values. Scaling centres the column first, so a shift
    # of every value changes nothing: the same fit, bit for bit, as the small numbers.
    k = np.tile(np.arange(120), 2)
    y = k >= 60
    small = container(k[:, None] + 0.5)
    large = container(k[:, None] + 1_700_000_000.5)

    def fit(X):
        return MultiTaskClassifier(ensemble_size=1, max_epochs=30, random_state=0,
                                   lr_schedule="constant").fit(X, y)

    a, b = fit(small), fit(large)
    np.testing.assert_array_equal(a.predict_proba(small), b.predict_proba(large))
    assert b.score(large, y) > 0.95


# ---------------------------------------------------------------- training length
@pytest.mark.parametrize("n, batch_size, expected", [
    (60, 128, 256),      # 1 step an epoch: capped at 256 epochs
    (20_000, 128, 32),   # 157 steps an epoch: at least 32 epochs
    (2_000, 100, 60),    # 20 steps an epoch: 1200 steps
    (1_200, 128, 120),   # 10 steps an epoch: 1200 steps
])
def test_training_length_rule(n, batch_size, expected):
    clf = MultiTaskClassifier(batch_size=batch_size)
    epochs, steps = clf._training_length(n)
    assert epochs == expected and steps == expected * int(np.ceil(n / batch_size))


def test_explicit_max_epochs_wins():
    X, Y = raw_table(n=40)
    clf = MultiTaskClassifier(hidden_layer_sizes=(8,), max_epochs=3, random_state=0).fit(X, Y)
    assert len(clf.history_) == 3
    auto = MultiTaskClassifier(hidden_layer_sizes=(4,), ensemble_size=1, random_state=0)
    assert len(auto.fit(X, Y).history_) == 256  # 40 rows: 1 step an epoch, capped


# ------------------------------------------------------------------------ schedule
def test_warmup_cosine_factors():
    schedule = WarmupCosineSchedule(total_steps=100, warmup=0.1, final=0.0)
    assert schedule.factor(0) == pytest.approx(0.01)
    assert schedule.factor(5) == pytest.approx(0.01 + 0.99 * 0.5)
    assert schedule.factor(10) == pytest.approx(1.0)
    assert schedule.factor(55) == pytest.approx(0.5)
    assert schedule.factor(100) == pytest.approx(0.0, abs=1e-12)


def test_schedule_drives_the_optimizer_and_constant_leaves_it():
    X, Y = raw_table(n=40)
    clf = MultiTaskClassifier(hidden_layer_sizes=(4,), ensemble_size=1, max_epochs=4,
                              lr=0.1, random_state=0).fit(X, Y)
    lrs = [g["lr"] for g in clf.net_.optimizer_.param_groups]
    assert lrs == [pytest.approx(0.0, abs=1e-12)] * len(lrs)  # decayed to 0 at the end
    constant = MultiTaskClassifier(hidden_layer_sizes=(4,), ensemble_size=1, max_epochs=4,
                                   lr=0.1, lr_schedule="constant", random_state=0).fit(X, Y)
    assert [g["lr"] for g in constant.net_.optimizer_.param_groups] == [0.1] * len(lrs)


# ---------------------------------------------------------------- label smoothing
def test_label_smoothing_matches_torch():
    torch.manual_seed(0)
    logits = torch.randn(6, 3)
    binary = torch.randn(6, 1)
    labels = torch.tensor([0, 2, 1, 1, 0, 2]).float()
    flags = torch.tensor([1, 0, 1, 1, 0, 0]).float()
    target = torch.stack([labels, torch.ones(6), flags, torch.ones(6)], dim=1)
    specs = [{"kind": "multiclass", "start": 0, "width": 1},
             {"kind": "binary", "start": 2, "width": 1}]
    loss = MultiTaskLoss(specs, [1.0, 1.0], label_smoothing=0.2)
    _, per_task = loss((logits, binary), target)
    expected_ce = F.cross_entropy(logits, labels.long(), label_smoothing=0.2)
    expected_bce = F.binary_cross_entropy_with_logits(binary[:, 0], flags * 0.8 + 0.1)
    torch.testing.assert_close(per_task, torch.stack([expected_ce, expected_bce]))


# ------------------------------------------------------------------------ ensemble
def test_member_linear_is_k_linear_layers():
    torch.manual_seed(0)
    layer = MemberLinear(3, 4, 2)
    x = torch.randn(3, 5, 4)
    out = layer(x)
    for m in range(3):
        expected = x[m] @ layer.weight[m] + layer.bias[m, 0]
        torch.testing.assert_close(out[m], expected)
    bound = 1 / np.sqrt(4)
    assert layer.weight.abs().max() <= bound and layer.bias.abs().max() <= bound


def test_ensemble_trunk_members_are_independent_mlps():
    torch.manual_seed(0)
    trunk = EnsembleMLPTrunk(4, (8, 6), n_members=3)
    x = torch.randn(5, 4)
    out = trunk(x)
    assert out.shape == (3, 5, 6) and trunk.out_features == 6
    first, second = trunk.layers[0], trunk.layers[2]
    m = 1
    expected = torch.relu(torch.relu(x @ first.weight[m] + first.bias[m]) @ second.weight[m]
                          + second.bias[m])
    torch.testing.assert_close(out[m], expected)
    # each member on its own samples: member m's output for its rows is forward's
    own = trunk.forward_members(torch.stack([x[:2], x[1:3], x[3:5]]))
    torch.testing.assert_close(own[1], out[1, 1:3])
    torch.testing.assert_close(own[2], out[2, 3:5])


def test_member_heads_are_each_members_own_heads():
    torch.manual_seed(0)
    heads = MemberHeads(3, 4, [(2, (5,)), (1, ())])
    z = torch.randn(3, 6, 4)
    out = heads(z)
    assert len(out) == 2 and out[0].shape == (18, 2) and out[1].shape == (18, 1)
    m = 2
    hidden, output = heads[0][0], heads[0][2]
    expected = torch.relu(z[m] @ hidden.weight[m] + hidden.bias[m]) @ output.weight[m] \
        + output.bias[m]
    # rows member by member, as MemberLinearHeads stacks them
    torch.testing.assert_close(out[0][6 * m : 6 * (m + 1)], expected)
    torch.testing.assert_close(out[1][6 * m : 6 * (m + 1)],
                               z[m] @ heads[1][0].weight[m] + heads[1][0].bias[m])


@pytest.mark.parametrize("params", [{"head_lr": {"heavy": 1e-3}},
                                    {"head_hidden": {"heavy": (4,)}}])
def test_head_options_keep_the_ensembles_held_out_epoch(params):
    # A learning rate or hidden layers for one head: every member still has heads of
    # its own, and the ensemble still chooses its epoch on the members' held-out folds.
    X, Y = raw_table(n=48)
    clf = MultiTaskClassifier(hidden_layer_sizes=(8,), ensemble_size=3, max_epochs=6, lr=0.05,
                              random_state=0, **params).fit(X, Y)
    heads = clf.net_.module_.heads
    assert isinstance(heads, MemberHeads) and len(heads) == 2
    for p in heads.parameters():
        assert p.shape[0] == 3 and not torch.equal(p[0], p[1])
    best = clf.history_[-1, "member_best_epochs"]
    assert best == [int(np.argmin(clf.history_[:, "member_valid_loss"])) + 1] * 3
    if "head_lr" in params:
        groups = clf.net_.optimizer_.param_groups
        heavy = {id(p) for p in heads[0].parameters()}
        # the schedule starts from each group's own rate
        assert [g["initial_lr"] for g in groups
                if {id(p) for p in g["params"]} == heavy] == [1e-3]


def test_a_model_saved_with_shared_heads_is_rebuilt_with_them():
    X, Y = raw_table(n=48)
    clf = MultiTaskClassifier(hidden_layer_sizes=(8,), ensemble_size=3, max_epochs=2,
                              random_state=0, head_hidden={"heavy": (4,)}).fit(X, Y)
    assert isinstance(clf._build_module(_X0(clf), rebuild=True).heads, MemberHeads)
    del clf._member_heads  # as a model saved before member-wise heads
    heads = clf._build_module(_X0(clf), rebuild=True).heads
    assert type(heads) is torch.nn.ModuleList and heads[0][0].weight.ndim == 2


def _X0(clf):
    return np.zeros((2, *clf._sample_shape), dtype=np.float32)


def test_ensemble_pools_its_members_logits():
    # predict_proba is the sigmoid (softmax) of the members' mean logits: the
    # normalised geometric mean of their probabilities, not their arithmetic mean
    X, Y = raw_table()
    clf = MultiTaskClassifier(hidden_layer_sizes=(8,), ensemble_size=4, max_epochs=3,
                              decode="independent", random_state=0).fit(X, Y)
    module = clf.net_.module_
    assert module.n_members == 4
    Z = torch.from_numpy(clf.preprocessor_.transform(X))
    with torch.no_grad():
        logits = module(Z)[0][:, 0].reshape(4, len(X)).double()
    proba = clf.predict_proba(X)[0][:, 1]
    np.testing.assert_allclose(proba, torch.sigmoid(logits.mean(0)).numpy(), rtol=1e-5)
    p = torch.sigmoid(logits)
    geometric = p.log().mean(0).exp()
    np.testing.assert_allclose(
        proba, (geometric / (geometric + (1 - p).log().mean(0).exp())).numpy(), rtol=1e-5
    )
    assert not np.allclose(proba, p.mean(0).numpy(), rtol=1e-3)
    assert not np.allclose(p[0].numpy(), p[1].numpy())  # members differ


def test_pooled_probabilities_of_a_multiclass_task():
    from sklearn_mtl.neural._ensemble import pooled_probabilities

    z = torch.tensor([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0]])  # two members, one sample
    p = torch.softmax(z, dim=-1)
    geometric = p.log().mean(0).exp()
    torch.testing.assert_close(pooled_probabilities("multiclass", z, 2)[0],
                               geometric / geometric.sum())
    torch.testing.assert_close(pooled_probabilities("multiclass", z, 1),
                               torch.softmax(z, dim=-1))


def test_member_never_trains_on_its_held_out_fold():
    X, Y = raw_table(n=48)
    clf = MultiTaskClassifier(hidden_layer_sizes=(8,), ensemble_size=3, max_epochs=1,
                              random_state=0).fit(X, Y)
    net = clf.net_
    Z = torch.from_numpy(clf.preprocessor_.transform(X))
    target = clf._with_folds(clf._targets(clf.encoder_.transform(Y), None, len(X)), 3)
    folds = target[:, -1]
    np.testing.assert_array_equal(np.bincount(folds.int().numpy()), [16, 16, 16])
    rows = folds == 1  # a batch of fold 1 only: member 1 must get no gradient
    net.module_.zero_grad()
    net.module_.train()
    loss = net.get_loss(net.module_(Z[rows]), target[rows], training=True)
    loss.backward()
    for p in net.module_.parameters():
        assert p.grad[1].abs().max() == 0
        assert p.grad[0].abs().max() > 0 or p.grad[2].abs().max() > 0


class _Snapshots(MemberHoldout.__mro__[1]):  # a skorch Callback
    def on_train_begin(self, net, **kwargs):
        self.states = []

    def on_epoch_end(self, net, **kwargs):
        self.states.append([p.detach().clone() for p in net.module_.parameters()])


def test_member_holdout_restores_each_members_best_epoch():
    # The user's MemberHoldout (each member's own epoch) replaces the recipe's.
    X, Y = raw_table(n=48)
    snaps = _Snapshots()
    clf = MultiTaskClassifier(hidden_layer_sizes=(32, 32), ensemble_size=3, max_epochs=30,
                              lr=0.3, batch_size=8, random_state=0,
                              preprocessing=TabularPreprocessor(),  # one input view
                              callbacks=[MemberHoldout(select="member"), ("snaps", snaps)],
                              ).fit(X, Y)
    holdouts = [cb for _, cb in clf.net_.callbacks_ if isinstance(cb, MemberHoldout)]
    assert [cb.select for cb in holdouts] == ["member"]
    best = clf.history_[-1, "member_best_epochs"]
    assert len(best) == 3 and all(1 <= b <= 30 for b in best)
    assert len(set(best)) > 1  # this seed: the members chose different epochs
    assert len(clf.history_[:, "member_valid_loss"]) == 30
    snaps = dict(clf.net_.callbacks_)["snaps"]  # the fitted copy of the callback
    final = list(clf.net_.module_.parameters())
    for m, epoch in enumerate(best):
        # the snapshot callback runs after MemberHoldout's epoch end, same epoch
        for p, snap in zip(final, snaps.states[epoch - 1]):
            torch.testing.assert_close(p[m], snap[m])


@pytest.mark.parametrize("select, best_epochs, restored, message", [
    # epoch means of the finite scores: 0.7, 0.55, 0.55 -> epoch 2 (the first minimum)
    ("shared", [2, 2, 0], [2.0, 2.0, 3.0],
     "Restored each member's weights of its own epoch (3 epochs): 2, 2, last."),
    ("member", [1, 3, 0], [1.0, 3.0, 3.0],
     "Restored each member's weights of its own epoch (3 epochs): 1, 3, last."),
])
def test_member_holdout_selects_one_epoch_or_each_members(select, best_epochs, restored,
                                                          message, monkeypatch, capsys):
    # Three members over three epochs; member 2 never sees a held-out label (inf) and
    # keeps its last weights. Each epoch writes its number into the weights.
    scores = [[0.5, 0.9, np.inf], [0.6, 0.5, np.inf], [0.7, 0.4, np.inf]]
    weights = torch.nn.Parameter(torch.zeros(3, 2))
    holdout = MemberHoldout(select=select)
    holdout.active_ = True
    holdout.X_ = holdout.y_ = None
    holdout._start([weights])
    net = SimpleNamespace(history=History(), verbose=1)
    for epoch, score in enumerate(scores, 1):
        net.history.new_epoch()
        with torch.no_grad():
            weights.fill_(epoch)
        monkeypatch.setattr(holdout, "member_losses", lambda net, s=score: torch.tensor(s))
        holdout.on_epoch_end(net)
    assert net.history[:, "member_valid_loss"] == pytest.approx([0.7, 0.55, 0.55])
    # the epochs of a new lowest mean, as skorch marks a scoring's best (strictly lower)
    assert net.history[:, "member_valid_loss_best"] == [True, True, False]
    holdout.on_train_end(net)
    assert net.history[-1, "member_best_epochs"] == best_epochs
    assert capsys.readouterr().out == message + "\n"  # printed with verbose
    np.testing.assert_array_equal(weights[:, 0].detach().numpy(), restored)
    np.testing.assert_array_equal(weights[:, 1].detach().numpy(), restored)


def _two_view_holdout(scores, monkeypatch, **params):
    """A MemberHoldout run over stubbed epochs on four members in two input views
    (members 0, 1 read column 0 only; 2, 3 read both). Epoch e writes 10 e + m into
    member m's weights; returns (net, trunk, weights) after the end of training."""
    trunk = EnsembleMLPTrunk(2, (3,), n_members=4,
                             member_inputs=[[1, 0], [1, 0], [1, 1], [1, 1]])
    weights = torch.nn.Parameter(torch.zeros(4, 2))
    holdout = MemberHoldout(**params)
    holdout.active_ = True
    holdout.X_ = holdout.y_ = None
    holdout.member_views_ = trunk.member_views()
    holdout._start([weights])
    net = SimpleNamespace(history=History(), module_=SimpleNamespace(trunk=trunk), verbose=1)
    for epoch, score in enumerate(scores, 1):
        net.history.new_epoch()
        with torch.no_grad():
            weights.copy_(10 * epoch + torch.arange(4.0)[:, None])  # epoch, member
        monkeypatch.setattr(holdout, "member_losses", lambda net, s=score: torch.tensor(s))
        holdout.on_epoch_end(net)
    holdout.on_train_end(net)
    return net, trunk, weights


@pytest.mark.parametrize("views", ["best", "all"])
def test_member_holdout_chooses_an_epoch_per_view_and_keeps_the_best(views, monkeypatch,
                                                                     capsys):
    # View 1 scores 0.3 at its epoch 2, view 0 0.45 at its epoch 1. views="best": view 1
    # is kept, members 0, 1 become copies of members 2, 3 at epoch 2, input mask
    # included; views="all": each view gets back its own epoch.
    scores = [[0.4, 0.5, 0.6, 0.8], [0.6, 0.6, 0.2, 0.4], [0.9, 0.9, 0.5, 0.5]]
    assert EnsembleMLPTrunk(2, (3,), n_members=4, member_inputs=[
        [1, 0], [1, 0], [1, 1], [1, 1]]).member_views().tolist() == [0, 0, 1, 1]
    net, trunk, weights = _two_view_holdout(scores, monkeypatch, views=views)
    assert net.history[-1, "member_view_scores"] == pytest.approx([0.45, 0.3])
    if views == "all":
        np.testing.assert_array_equal(weights[:, 0].detach().numpy(), [10, 11, 22, 23])
        assert net.history[-1, "member_best_epochs"] == [1, 1, 2, 2]
        assert trunk.member_views().tolist() == [0, 0, 1, 1]
        assert "member_view" not in net.history[-1]
        assert capsys.readouterr().out == (
            "Restored each member's weights of its own epoch (3 epochs): 1, 1, 2, 2.\n")
        return
    assert capsys.readouterr().out == ("Restored the 4 members' weights of input view 1 "
                                       "(kept on its held-out score) of epoch 2 of 3 epochs, "
                                       "where their mean held-out score was lowest.\n")
    np.testing.assert_array_equal(weights[:, 0].detach().numpy(), [22, 23, 22, 23])
    assert net.history[-1, "member_view"] == 1
    assert net.history[-1, "member_best_epochs"] == [2, 2, 2, 2]
    assert trunk.input_mask[:, 0, :].tolist() == [[1, 1]] * 4
    assert trunk.member_views().tolist() == [0, 0, 0, 0]


def test_view_choice_adds_the_held_out_exact_match_error():
    # Both views score 0.5 on their tasks at their best epoch; view 0's members get
    # every label of 40% of their held-out samples right, view 1's of 70%: view 1 is kept.
    # The epoch is still chosen on the task scores alone (epoch 1 for view 0, although
    # its exact-match error is lower at epoch 2).
    trunk = EnsembleMLPTrunk(2, (3,), n_members=4,
                             member_inputs=[[1, 0], [1, 0], [1, 1], [1, 1]])
    weights = torch.nn.Parameter(torch.zeros(4, 2))
    holdout = MemberHoldout()
    holdout.active_ = True
    holdout.X_ = holdout.y_ = None
    holdout.member_views_ = trunk.member_views()
    holdout._start([weights])
    net = SimpleNamespace(history=History(), module_=SimpleNamespace(trunk=trunk))
    epochs = [([0.5, 0.5, 0.6, 0.6], [0.6, 0.6, 0.5, 0.5]),
              ([0.6, 0.6, 0.5, 0.5], [0.3, 0.3, 0.3, 0.3])]
    for epoch, (score, exact) in enumerate(epochs, 1):
        net.history.new_epoch()
        with torch.no_grad():
            weights.copy_(10 * epoch + torch.arange(4.0)[:, None])

        def losses(net, s=score, e=exact):
            holdout.held_out_exact_ = torch.tensor(e)
            return torch.tensor(s)

        holdout.member_losses = losses
        holdout.on_epoch_end(net)
    holdout.on_train_end(net)
    assert net.history[-1, "member_view_scores"] == pytest.approx([0.5 + 0.6, 0.5 + 0.3])
    assert net.history[-1, "member_view"] == 1
    assert net.history[-1, "member_best_epochs"] == [2, 2, 2, 2]
    np.testing.assert_array_equal(weights[:, 0].detach().numpy(), [22, 23, 22, 23])


def test_member_holdout_measures_each_members_exact_match_error():
    # Two members, two binary tasks, four samples (two held out by each member). Logits
    # from a stub network: member 0 gets sample 0 fully right and sample 1's second task
    # wrong; member 1 gets samples 2 and 3 fully right.
    X, Y = step_table(n=4)
    clf = MultiTaskClassifier(ensemble_size=2, hidden_layer_sizes=(4,), max_epochs=1,
                              random_state=0, preprocessing=None).fit(X.to_numpy(), Y)
    holdout = dict(clf.net_.callbacks_)["member_holdout"]
    targets = clf._with_folds(clf._targets(clf.encoder_.transform(Y), None, 4), 2)
    targets[:, -1] = torch.tensor([0, 0, 1, 1])
    starts = [spec["start"] for spec in clf.net_.criterion_.specs]
    truth = targets[:, starts].clone()  # the two binary labels, in task order
    stub_out = torch.where(truth > 0, 5.0, -5.0)
    stub_out[1, 1] *= -1  # member 0's second task wrong on sample 1

    class Stub(torch.nn.Module):
        n_members = 2

        def __init__(self):
            super().__init__()
            self.trunk = torch.nn.Identity()

        def forward(self, x):
            rows = torch.cat([stub_out, stub_out])  # members 0 and 1, all four samples
            return [rows[:, 0:1], rows[:, 1:2]]

    holdout.X_, holdout.y_ = torch.zeros(4, 2), targets
    clf.net_.module_ = Stub()
    holdout._start([torch.zeros(2, 1)])
    holdout.member_losses(clf.net_)
    assert holdout.held_out_exact_ is None  # one input view: not measured
    holdout.member_views_ = torch.tensor([0, 1])  # the two members in two views
    holdout.member_losses(clf.net_)
    np.testing.assert_allclose(holdout.held_out_exact_.numpy(), [0.5, 0.0])


def test_kept_view_copies_a_member_without_held_out_labels_as_it_ends(monkeypatch):
    # Member 3 never sees a held-out label (inf): it keeps its last weights (epoch 3),
    # and the member of the other view copied from it gets those, with its input mask.
    scores = [[0.4, 0.5, 0.6, np.inf], [0.6, 0.6, 0.2, np.inf], [0.9, 0.9, 0.5, np.inf]]
    net, trunk, weights = _two_view_holdout(scores, monkeypatch)
    assert net.history[-1, "member_view"] == 1
    np.testing.assert_array_equal(weights[:, 0].detach().numpy(), [22, 33, 22, 33])
    assert net.history[-1, "member_best_epochs"] == [2, 0, 2, 0]
    assert trunk.input_mask[:, 0, :].tolist() == [[1, 1]] * 4


def test_ensemble_member_ignores_the_columns_it_does_not_read():
    torch.manual_seed(0)
    trunk = EnsembleMLPTrunk(3, (5,), n_members=2, member_inputs=[[1, 1, 0], [1, 1, 1]])
    x = torch.randn(4, 3)
    changed = x.clone()
    changed[:, 2] += 5.0
    out, out_changed = trunk(x), trunk(changed)
    torch.testing.assert_close(out[0], out_changed[0])
    assert not torch.allclose(out[1], out_changed[1])
    own = trunk.forward_members(torch.stack([changed[:2], changed[2:]]))
    torch.testing.assert_close(own[0], out[0, :2])
    with pytest.raises(ValueError, match=r"member_inputs must have shape .*\(2, 3\); got \(2, 2\)"):
        EnsembleMLPTrunk(3, (5,), n_members=2, member_inputs=[[1, 1], [1, 1]])


def test_users_ensemble_trunk_with_two_views_keeps_one():
    # Encoded features, and an ensemble trunk of the user's whose first two members do not
    # read the encoding: the estimator gives its four members held-out folds, and the
    # view with the better held-out score is kept by every member.
    X, Y = raw_table(n=80)
    pre = TabularPreprocessor(n_bins=8).fit(X)
    Z = pre.transform(X)
    assert len(pre.encoded_columns_) == 2 * 8  # the two numeric columns
    mask = np.ones((4, Z.shape[1]), dtype=bool)
    mask[:2, pre.encoded_columns_] = False
    clf = MultiTaskClassifier(preprocessing=None, max_epochs=4, random_state=0,
                              trunk=EnsembleMLPTrunk(Z.shape[1], (8,), 4, member_inputs=mask),
                              callbacks=[MemberHoldout(views="best")]).fit(Z, Y)
    assert clf.net_.module_.n_members == 4
    valid = clf.history_[:, "member_valid_loss"]
    assert len(valid) == 4 and np.isfinite(valid).all()
    scores = clf.history_[-1, "member_view_scores"]
    kept = clf.history_[-1, "member_view"]
    assert len(scores) == 2 and np.isfinite(scores).all() and kept == int(np.argmin(scores))
    best = clf.history_[-1, "member_best_epochs"]
    assert len(set(best)) == 1 and 1 <= best[0] <= 4
    reads = clf.net_.module_.trunk.input_mask[:, 0, :].bool().numpy()
    assert (reads[:, pre.encoded_columns_].all(1) == bool(kept)).all()


def test_member_holdout_rejects_unknown_views():
    with pytest.raises(ValueError, match="views must be 'all' or 'best'; got 'one'"):
        MemberHoldout(views="one").on_train_begin(net=None)


def test_member_holdout_rejects_an_unknown_select():
    with pytest.raises(ValueError, match="select must be 'shared' or 'member'; got 'best'"):
        MemberHoldout(select="best").on_train_begin(net=None)


@pytest.mark.parametrize("verbose", [0, 1])
def test_default_ensemble_restores_one_shared_epoch(verbose, capsys):
    X, Y = raw_table(n=48)
    clf = MultiTaskClassifier(hidden_layer_sizes=(8,), ensemble_size=3, max_epochs=6, lr=0.05,
                              random_state=0, verbose=verbose).fit(X, Y)
    best = clf.history_[-1, "member_best_epochs"]
    valid = clf.history_[:, "member_valid_loss"]
    assert best == [int(np.argmin(valid)) + 1] * 3
    # the restored epoch is the last one marked best (highlighted in the printed table)
    marked = clf.history_[:, "member_valid_loss_best"]
    assert marked[0] and max(i + 1 for i, m in enumerate(marked) if m) == best[0]
    out = capsys.readouterr().out
    expected = (f"Restored the 3 members' weights of epoch {best[0]} of 6 epochs, where "
                "their mean held-out score was lowest.\n")
    assert out.endswith(expected) if verbose else out == ""


def test_member_holdout_scores_each_member_on_its_own_fold_only():
    # Running member m on fold m only gives the scores of running every member on
    # every sample and keeping each one's fold (gated and multi-label tasks included).
    X, Y, tasks = gated_cars(n=50)
    Y["tags"] = [["a"], ["b"], ["a", "b"], [], ["a"]] * 10
    tasks = [*tasks, Task("tags", kind="multilabel")]
    clf = MultiTaskClassifier(tasks=tasks, hidden_layer_sizes=(8,), ensemble_size=3,
                              max_epochs=2, random_state=0).fit(X, Y)
    holdout = MemberHoldout()
    holdout.X_ = torch.from_numpy(clf.preprocessor_.transform(X))
    holdout.y_ = clf._with_folds(clf._targets(clf.encoder_.transform(Y), None, len(X)), 3)
    clf.net_.batch_size = 16  # folds of unequal size within a batch
    own = holdout.member_losses(clf.net_)
    trunk = clf.net_.module_.trunk
    trunk.forward_members = None  # not callable: every member on every sample
    every = holdout.member_losses(clf.net_)
    torch.testing.assert_close(own, every)
    assert torch.isfinite(own).all()


def test_member_holdout_regroups_an_in_memory_table_once(monkeypatch):
    # An in-memory table is regrouped by fold once a fit, in chunks of samples, and each
    # epoch only gathers its rows: the scores of regrouping the net's batches one by one
    # (as for a Dataset), with one chunk or several, and again on the next epoch.
    from sklearn_mtl.neural import _ensemble

    X, Y, tasks = gated_cars(n=50)
    clf = MultiTaskClassifier(tasks=tasks, hidden_layer_sizes=(8,), ensemble_size=3,
                              max_epochs=2, random_state=0).fit(X, Y)
    features = torch.from_numpy(clf.preprocessor_.transform(X))
    targets = clf._with_folds(clf._targets(clf.encoder_.transform(Y), None, len(X)), 3)
    clf.net_.batch_size = 16
    batchwise = MemberHoldout()
    batchwise.X_, batchwise.y_ = torch.utils.data.TensorDataset(features), targets
    expected = batchwise.member_losses(clf.net_)
    for rows, chunks in [(8192, 1), (20, 3)]:  # 20 samples a chunk: 20, 20 and 10
        monkeypatch.setattr(_ensemble, "_HELD_OUT_ROWS", rows)
        holdout = MemberHoldout()
        holdout.X_, holdout.y_ = features, targets
        torch.testing.assert_close(holdout.member_losses(clf.net_), expected)
        assert len(holdout.fold_rows_) == chunks
        torch.testing.assert_close(holdout.member_losses(clf.net_), expected)
    assert "fold_rows_" not in dict(clf.net_.callbacks_)["member_holdout"].__dict__  # fit's


def test_ensemble_refuses_other_trunks_and_batch_norm():
    X, Y = raw_table(n=20)
    with pytest.raises(ValueError, match="ensemble_size=4 needs the built-in MLP"):
        MultiTaskClassifier(trunk=torch.nn.Linear(7, 3), ensemble_size=4).fit(X, Y)
    with pytest.raises(ValueError, match="batch_norm=True is not available with an ensemble"):
        MultiTaskClassifier(batch_norm=True, ensemble_size=2, max_epochs=1).fit(X, Y)
    auto = MultiTaskClassifier(batch_norm=True, hidden_layer_sizes=(4,), max_epochs=1)
    assert auto.fit(X, Y).net_.module_.n_members == 1  # "auto": one network then


# ---------------------------------------------------------------------- decoding
def test_unseen_combination_mass_is_good_turing():
    Y = pd.DataFrame({"a": ["x", "x", "y", "y", "y", "z"], "b": [1, 1, 2, 2, 2, 3]})
    encoded = StructuredLabelEncoder().fit_transform(Y)
    assert unseen_combination_mass(encoded) == pytest.approx(1 / 6)  # (z, 3) seen once
    # A row with a missing label counts by the labels it has: 'z' occurs in no complete
    # row, so the observed combinations could never predict it (it counted for nothing,
    # and the mass was 0: decode="auto" then never predicted 'z').
    Y.loc[5, "b"] = np.nan
    encoded = StructuredLabelEncoder().fit_transform(Y)
    assert unseen_combination_mass(encoded) == pytest.approx(1 / 6)
    Y.loc[4, "b"] = np.nan  # (y, ?) agrees with (y, 2), seen
    Y.loc[3, "a"] = np.nan  # (?, 2) too; complete rows: (x, 1) twice, (y, 2) once
    encoded = StructuredLabelEncoder().fit_transform(Y)
    assert unseen_combination_mass(encoded) == pytest.approx(2 / 6)
    Y.loc[0, ["a", "b"]] = np.nan  # a row of no label says nothing; (x, 1) is once now
    encoded = StructuredLabelEncoder().fit_transform(Y)
    assert unseen_combination_mass(encoded) == pytest.approx(3 / 5)


def test_auto_decoding_follows_the_unseen_mass():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3))
    digit = rng.randint(0, 4, size=60)
    closed = pd.DataFrame({"digit": digit, "even": digit % 2 == 0})
    clf = MultiTaskClassifier(hidden_layer_sizes=(8,), max_epochs=2, random_state=0)
    clf.fit(X, closed)
    assert clf.unseen_combination_mass_ == 0.0
    assert clf._decoder().allowed == "observed"
    pred = clf.predict(X)
    assert ((pred["digit"] % 2 == 0) == pred["even"]).all()  # never an unseen pair
    free = pd.DataFrame({f"l{j}": rng.randint(0, 2, size=60) for j in range(8)})
    # the rule alone (one network: no held-out folds to choose on, see test_combinations)
    clf.set_params(ensemble_size=1).fit(X, free)
    assert clf.unseen_combination_mass_ > 0.5 and clf._decoder() == "independent"


# ----------------------------------------------------------------- label product
def test_label_product_predicts_the_most_probable_combination_by_default():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(120, 3))
    Y = pd.DataFrame({"a": np.where(X[:, 0] + rng.normal(size=120) > 0, "p", "q"),
                      "b": np.where(X[:, 1] + rng.normal(size=120) > 0, "r", "s")})
    clf = LabelProductClassifier(LogisticRegression()).fit(X, Y)
    # a plain powerset: one class per combination string, scikit-learn's predict
    combos = Y["a"] + "|" + Y["b"]
    plain = LogisticRegression().fit(X, combos).predict(X)
    pred = clf.predict(X)
    np.testing.assert_array_equal(pred["a"] + "|" + pred["b"], plain)


def gated_cars(n=80):
    """A car and its colour, the colour gated on the car."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(n, 3))
    car = np.where(X[:, 0] > 0, "yes", "no")
    color = np.where(car == "yes", np.where(X[:, 1] > 0, "red", "blue"), None)
    tasks = [Task("car"), Task("color", gate=("car", "yes"))]
    return X, pd.DataFrame({"car": car, "color": color}), tasks


def test_tasks_with_gates_keep_working_with_the_recipe():
    X, Y, tasks = gated_cars()
    pred = MultiTaskClassifier(tasks=tasks, hidden_layer_sizes=(8,), max_epochs=20,
                               random_state=0).fit(X, Y).predict(X)
    assert pred.loc[pred["car"] == "no", "color"].isna().all()


def test_default_model_round_trips_through_save_and_load(tmp_path):
    from sklearn_mtl import load, save

    X, Y = raw_table()
    clf = MultiTaskClassifier(hidden_layer_sizes=(8,), max_epochs=3, random_state=0).fit(X, Y)
    save(clf, tmp_path / "model.mtl")
    again = load(tmp_path / "model.mtl")
    for p, q in zip(clf.predict_proba(X), again.predict_proba(X), strict=True):
        np.testing.assert_array_equal(p, q)
    pd.testing.assert_frame_equal(clf.predict(X), again.predict(X))
    assert again.net_.module_.n_members == 8
    assert again.history_[-1, "member_best_epochs"] == clf.history_[-1, "member_best_epochs"]


def test_model_saved_before_select_existed_keeps_per_member_epochs():
    import pickle

    X, Y = raw_table()
    clf = MultiTaskClassifier(hidden_layer_sizes=(8,), ensemble_size=3, max_epochs=3,
                              random_state=0).fit(X, Y)
    holdout = dict(clf.net_.callbacks_)["member_holdout"]
    del holdout.select  # what a model of the previous release holds
    again = pickle.loads(pickle.dumps(clf))
    assert dict(again.net_.callbacks_)["member_holdout"].select == "member"
    again.set_params(warm_start=True).fit(X, Y)  # training continues
    assert len(again.history_) == 6
    # epochs 4 to 6 of history_, where the warm start chose
    assert all(4 <= e <= 6 for e in again.history_[-1, "member_best_epochs"])


def test_auto_decoding_is_independent_under_gates():
    X, Y, tasks = gated_cars()
    clf = MultiTaskClassifier(tasks=tasks, hidden_layer_sizes=(4,), max_epochs=1,
                              random_state=0).fit(X, Y)
    assert clf.unseen_combination_mass_ == 0.0 and clf._decoder() == "independent"


# ------------------------------------------------------------------ input views
def test_keep_members_keeps_those_members_outputs():
    from sklearn_mtl.neural._ensemble import keep_members
    from sklearn_mtl.neural._modules import MultiHeadModule

    torch.manual_seed(0)
    trunk = EnsembleMLPTrunk(3, (5, 4), n_members=4, member_inputs=[[1, 1, 0]] * 2 + [[1] * 3] * 2)
    module = MultiHeadModule(trunk, 4, [(3, ()), (1, ())]).eval()
    x = torch.randn(6, 3)
    before = [out.reshape(4, 6, -1) for out in module(x)]
    keep_members(module, [3, 2])
    after = [out.reshape(2, 6, -1) for out in module(x)]
    assert module.n_members == trunk.n_members == 2 and trunk.input_mask.shape == (2, 1, 3)
    for b, a in zip(before, after, strict=True):
        torch.testing.assert_close(a, b[[3, 2]])
    assert all(p.shape[0] == 2 for p in module.parameters())


def step_table(n=160, seed=0):
    """A label that flips at eight thresholds of one column: a lookup a tree (or the
    piecewise-linear encoding) reads at once, and a second, linear task."""
    rng = np.random.RandomState(seed)
    X = pd.DataFrame({"x": rng.uniform(0, 1, n), "z": rng.normal(size=n)})
    Y = pd.DataFrame({"step": (np.floor(X["x"] * 8) % 2).astype(int),
                      "sign": (X["z"] > 0).astype(int)})
    return X, Y


@pytest.fixture
def view_threshold(monkeypatch):
    import sklearn_mtl._multitask as multitask

    monkeypatch.setattr(multitask, "_VIEW_MIN_SAMPLES", 100)


def test_large_table_trains_two_views_and_keeps_the_better(view_threshold, monkeypatch):
    import sklearn_mtl._multitask as multitask

    kept, seen = [], {}
    original = multitask.keep_members

    def keep(module, index):
        kept.append(list(index))
        return original(module, index)

    monkeypatch.setattr(multitask, "keep_members", keep)
    original_readouts = MultiTaskClassifier._fit_readouts

    def readouts(self, X, encoded, sample_weight, targets, raw=None):
        seen["folds"] = targets[:, -1].numpy().copy()
        return original_readouts(self, X, encoded, sample_weight, targets, raw)

    monkeypatch.setattr(MultiTaskClassifier, "_fit_readouts", readouts)
    X, Y = step_table()
    clf = MultiTaskClassifier(max_epochs=30, random_state=0).fit(X, Y)
    view = clf.history_[-1, "member_view"]
    assert clf.input_view_ == ("scaled", "encoded")[view] == "encoded"  # the lookup
    assert kept == [list(range(8 * view, 8 * view + 8))]
    module = clf.net_.module_
    assert module.n_members == 8 and module.trunk.input_mask.shape[0] == 8
    encoded = clf.preprocessor_.encoded_columns_
    assert len(encoded) == 2 * multitask._VIEW_BINS == 2 * 64  # 64 bins a numeric column
    assert clf.preprocessor_.max_encoded_columns == multitask._VIEW_MAX_ENCODED == 512
    reads = module.trunk.input_mask[:, 0, :].bool().numpy()
    assert reads[:, encoded].all()
    # the read-outs see the kept members' folds; the dropped members' folds are -1
    folds = seen["folds"]
    assert set(np.unique(folds)) == set(range(-1, 8))
    assert 0.4 < np.mean(folds == -1) < 0.6
    assert clf.score(X, Y) > 0.9


def test_encoded_view_reads_the_log_ratios(view_threshold):
    import sklearn_mtl._multitask as multitask

    rng = np.random.RandomState(0)
    X = pd.DataFrame({"price": rng.uniform(1, 10, 200), "carat": rng.uniform(1, 10, 200),
                      "z": rng.normal(size=200)})
    Y = pd.DataFrame({"dear": (X["price"] > 2 * X["carat"]).astype(int),
                      "sign": (X["z"] > 0).astype(int)})
    clf = MultiTaskClassifier(max_epochs=4, random_state=0).fit(X, Y)
    pre = clf.preprocessor_
    assert pre.ratios and pre.n_bins == multitask._VIEW_BINS
    np.testing.assert_array_equal(pre.ratio_pairs_, [[0, 1]])  # z is not positive
    # 3 columns' bins and the ratio with its bins are the encoded view's alone
    assert len(pre.encoded_columns_) == 3 * 64 + 1 + 64
    reads = clf.net_.module_.trunk.input_mask[:, 0, :].bool().numpy()
    assert reads[:, pre.encoded_columns_].all() == (clf.input_view_ == "encoded")
    assert (not reads[:, pre.encoded_columns_].any()) == (clf.input_view_ == "scaled")


def test_kept_view_keeps_its_members_optimizer_state(view_threshold, monkeypatch):
    # A warm start continues where training ended: the kept members' Adam moments and
    # step count go with their weights, where the optimizer was built afresh (zero
    # moments, step 0) when the other view's members were dropped.
    import sklearn_mtl._multitask as multitask

    seen = {}
    original = multitask.keep_members

    def keep(module, index):
        seen["params"] = list(module.parameters())
        seen["state"] = {p: {k: v.clone() for k, v in st.items()}
                         for p, st in clf.net_.optimizer_.state.items()}
        return original(module, index)

    monkeypatch.setattr(multitask, "keep_members", keep)
    X, Y = step_table()
    clf = MultiTaskClassifier(max_epochs=3, random_state=0)
    clf.fit(X, Y)
    view = ("scaled", "encoded").index(clf.input_view_)
    rows = torch.arange(8) + 8 * view
    new, state = list(clf.net_.module_.parameters()), clf.net_.optimizer_.state
    assert len(new) == len(seen["params"]) and len(state) == len(new)
    steps = 3 * int(np.ceil(len(X) / clf.batch_size))
    for old, param in zip(seen["params"], new, strict=True):
        before, after = seen["state"][old], state[param]
        assert after.keys() == before.keys()
        assert int(after["step"]) == int(before["step"]) == steps
        for key in ("exp_avg", "exp_avg_sq"):
            assert after[key].shape == param.shape
            torch.testing.assert_close(after[key], before[key][rows])
    assert any(after["exp_avg"].abs().sum() > 0 for after in state.values())


def test_carry_member_state_leaves_a_history_of_another_shape():
    from sklearn_mtl.neural._ensemble import MemberLinear, carry_member_state, keep_members

    torch.manual_seed(0)
    trunk = EnsembleMLPTrunk(3, (4,), n_members=4)
    from sklearn_mtl.neural._modules import MultiHeadModule

    module = MultiHeadModule(trunk, 4, [(2, ())])
    layer = next(m for m in module.modules() if isinstance(m, MemberLinear))
    state = {layer.weight: {"step": torch.tensor(5.0), "momentum": layer.weight.detach() * 2,
                            "lr": 0.5},
             layer.bias: {"flat": torch.zeros(7)}}  # an LBFGS-like history: left behind
    pairs = keep_members(module, [2, 0])
    optimizer = torch.optim.SGD(module.parameters(), lr=0.1)
    carry_member_state(optimizer, state, pairs, [2, 0])
    carried = optimizer.state[layer.weight]
    assert float(carried["step"]) == 5.0 and carried["lr"] == 0.5
    torch.testing.assert_close(carried["momentum"], layer.weight.detach() * 2)
    assert layer.bias not in optimizer.state


def test_views_round_trip_same_seed_and_warm_start(view_threshold, tmp_path):
    from sklearn_mtl import load, save

    X, Y = step_table()
    seen = []
    original = MultiTaskClassifier._fit_readouts

    def readouts(self, X, encoded, sample_weight, targets, raw=None):
        seen.append(targets[:, -1].numpy().copy())
        return original(self, X, encoded, sample_weight, targets, raw)

    with pytest.MonkeyPatch.context() as patch:  # the first fit's folds
        patch.setattr(MultiTaskClassifier, "_fit_readouts", readouts)
        clf = MultiTaskClassifier(max_epochs=6, random_state=0).fit(X, Y)
    twin = MultiTaskClassifier(max_epochs=6, random_state=0).fit(X, Y)
    assert clf.input_view_ in ("scaled", "encoded")
    np.testing.assert_array_equal(clf.predict_proba(X)[0], twin.predict_proba(X)[0])
    save(clf, tmp_path / "model.mtl")
    again = load(tmp_path / "model.mtl")
    assert again.input_view_ == clf.input_view_ and again.net_.module_.n_members == 8
    for p, q in zip(clf.predict_proba(X), again.predict_proba(X), strict=True):
        np.testing.assert_array_equal(p, q)
    mask = clf.net_.module_.trunk.input_mask.clone()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(MultiTaskClassifier, "_fit_readouts", readouts)
        clf.set_params(warm_start=True, max_epochs=2).fit(X, Y)  # continues the kept members
    assert clf.net_.module_.n_members == 8 and clf.input_view_ in ("scaled", "encoded")
    torch.testing.assert_close(clf.net_.module_.trunk.input_mask, mask)
    # each kept member holds out the fold it held out in the first fit (the warm start
    # drew eight folds afresh: half of a member's held-out rows were rows it trained on)
    np.testing.assert_array_equal(seen[1], seen[0])
    assert twin.input_view_ == clf.input_view_  # the view of a fresh fit is kept


def _mapped(values, tmp_path, name="X.npy"):
    path = tmp_path / name
    np.save(path, values)
    return np.load(path, mmap_mode="r")


def test_a_memmap_table_is_preprocessed_as_the_array_is(tmp_path):
    # The same raw numbers (grams next to millimetres, gaps) fitted as a memory map or in
    # memory: the same preprocessing, fitted on every row; the same network outputs.
    X, Y = raw_table(n=80)
    values = X[["mass_g", "length_mm"]].to_numpy()
    mapped = _mapped(values, tmp_path)
    params = dict(hidden_layer_sizes=(8,), ensemble_size=2, max_epochs=3, random_state=0)
    in_memory = MultiTaskClassifier(**params).fit(values, Y)
    clf = MultiTaskClassifier(**params).fit(mapped, Y)
    assert clf.n_features_in_ == 2 and isinstance(clf.preprocessor_, TabularPreprocessor)
    np.testing.assert_array_equal(clf.preprocessor_.transform(values),
                                  in_memory.preprocessor_.transform(values))
    for a, b in zip(clf.predict_proba(mapped), in_memory.predict_proba(values)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    assert np.isnan(mapped).any()  # the file is read, never written
    none = MultiTaskClassifier(preprocessing=None, **params)
    assert none.fit(np.nan_to_num(mapped), Y).preprocessor_ is None  # as given, then
    finite = _mapped(np.nan_to_num(values), tmp_path, "finite.npy")
    refit = in_memory.set_params(preprocessing=None).fit(finite, Y)
    assert refit.preprocessor_ is None  # not the array fit's, left behind


@pytest.mark.parametrize("preprocessing", [
    StandardScaler(),  # scikit-learn's: no n_features_out_
    make_pipeline(SimpleImputer(add_indicator=True), StandardScaler()),  # widens
])
def test_a_users_transformer_predicts_in_batches(preprocessing, tmp_path):
    # A table is preprocessed batch by batch at prediction, and a memory map in training
    # too; a transformer of the user's, which does not say its output width, works
    # there as in one piece.
    X, Y = raw_table(n=80)
    values = X[["mass_g", "length_mm"]].to_numpy()
    if isinstance(preprocessing, StandardScaler):
        values = np.nan_to_num(values)
    params = dict(preprocessing=preprocessing, hidden_layer_sizes=(8,), ensemble_size=2,
                  max_epochs=2, batch_size=16, random_state=0)
    clf = MultiTaskClassifier(**params).fit(values, Y)
    got = clf.predict_proba(pd.DataFrame(values))  # five batches of 16 rows
    clf.batch_size = 80
    whole = clf.predict_proba(values)  # one batch
    clf.batch_size = 16
    for a, b in zip(got, whole):
        assert len(a) == 80
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    mapped = MultiTaskClassifier(**params).fit(_mapped(values, tmp_path), Y)
    for a, b in zip(mapped.predict_proba(values), clf.predict_proba(values)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_a_users_sparse_preprocessing_trains_as_its_dense_output():
    # A ColumnTransformer with a one-hot step returns a sparse matrix by default when its
    # output is sparse enough: densified a batch at a time, as a sparse X is.
    from sklearn.compose import make_column_transformer
    from sklearn.preprocessing import OneHotEncoder

    X, Y = raw_table(n=80)
    X = X.fillna({"length_mm": 45.0, "island": "Dream"})

    def steps(sparse_threshold):
        return make_column_transformer((OneHotEncoder(), ["island"]),
                                       remainder=StandardScaler(),
                                       sparse_threshold=sparse_threshold)

    assert sp.issparse(steps(1.0).fit_transform(X))
    params = dict(hidden_layer_sizes=(8,), ensemble_size=2, max_epochs=2, batch_size=16,
                  random_state=0)
    dense = MultiTaskClassifier(preprocessing=steps(0.0), **params).fit(X, Y)
    sparse = MultiTaskClassifier(preprocessing=steps(1.0), **params).fit(X, Y)
    for a, b in zip(sparse.predict_proba(X), dense.predict_proba(X)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_a_users_column_transformer_selects_numeric_columns_by_name():
    # A user's step gets the DataFrame as given, even where every column is numeric
    # (it was turned into an array first: "Specifying the columns using strings is only
    # supported for dataframes").
    from sklearn.compose import make_column_transformer

    X, Y = raw_table(n=80)
    X = X[["mass_g", "length_mm"]].fillna(45.0)
    params = dict(hidden_layer_sizes=(8,), ensemble_size=2, max_epochs=2, random_state=0)
    by_name = MultiTaskClassifier(
        preprocessing=make_column_transformer((StandardScaler(), ["length_mm", "mass_g"])),
        **params).fit(X, Y)
    by_index = MultiTaskClassifier(
        preprocessing=make_column_transformer((StandardScaler(), [1, 0])),
        **params).fit(X.to_numpy(), Y)
    assert list(by_name.feature_names_in_) == ["mass_g", "length_mm"]
    for a, b in zip(by_name.predict_proba(X), by_index.predict_proba(X.to_numpy())):
        np.testing.assert_allclose(a, b, rtol=1e-5)  # float64 frame, float32 array
    with pytest.raises(ValueError, match="feature names"):
        by_name.predict(X[["length_mm", "mass_g"]])  # as scikit-learn checks them


def test_the_recipe_reads_new_rows_as_it_read_the_training_frame():
    # Fitted on a frame with a text column of numbers and strings, then given rows whose
    # dtypes differ (all numeric): read as a frame again, no feature-name warning.
    X, Y = raw_table(n=80)
    X = X[["mass_g", "length_mm"]].assign(code=np.where(X.index % 2, "7", "x"))
    clf = MultiTaskClassifier(hidden_layer_sizes=(8,), ensemble_size=2, max_epochs=2,
                              random_state=0).fit(X, Y)
    numeric_codes = X.iloc[1::2].assign(code=7)
    assert numeric_codes["code"].dtype.kind == "i"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = clf.predict_proba(numeric_codes)
    for a, b in zip(got, clf.predict_proba(X.iloc[1::2])):  # the same as the text "7"
        np.testing.assert_array_equal(a, b)


def test_nan_out_of_a_users_step_is_refused():
    # StandardScaler passes gaps through: the network would train on NaN losses.
    X, Y = raw_table(n=40)
    X = X[["mass_g", "length_mm"]]  # one gap
    clf = MultiTaskClassifier(preprocessing=StandardScaler(), ensemble_size=1, max_epochs=1)
    with pytest.raises(ValueError, match="step StandardScaler returned 1 NaN.*SimpleImputer"):
        clf.fit(X, Y)
    clf.fit(X.fillna(45.0), Y)
    with pytest.raises(ValueError, match="step StandardScaler returned 1 NaN"):
        clf.predict(X)
    imputed = make_pipeline(SimpleImputer(), StandardScaler())
    clf.set_params(preprocessing=imputed).fit(X, Y).predict(X)  # the way out


def test_a_large_memmap_is_preprocessed_as_its_sample_and_read_by_batch(tmp_path,
                                                                        monkeypatch):
    from sklearn_mtl import _multitask
    from sklearn_mtl.neural._net import PreprocessedRows

    X, Y = raw_table(n=80)
    mapped = _mapped(X[["mass_g", "length_mm"]].to_numpy(), tmp_path)
    monkeypatch.setattr(_multitask, "_MEMMAP_FIT_ROWS", 30)
    clf = MultiTaskClassifier(hidden_layer_sizes=(8,), ensemble_size=2, max_epochs=1,
                              random_state=0)
    rows = np.sort(np.random.RandomState(0).choice(80, 30, replace=False))
    train = clf._validate_X(mapped, reset=True)
    values = np.asarray(mapped, dtype=np.float64)  # as an array in memory is validated
    expected = TabularPreprocessor().fit(values[rows])
    np.testing.assert_array_equal(clf.preprocessor_.transform(values),
                                  expected.transform(values))
    # the rows of a batch, preprocessed at once, in the order asked for
    assert isinstance(train, PreprocessedRows) and train.rows.X is mapped
    batch = train.__getitems__([5, 2, 70])
    np.testing.assert_array_equal(torch.stack(batch).numpy(),
                                  expected.transform(values[[5, 2, 70]]))
    np.testing.assert_array_equal(train[2].numpy(), batch[1].numpy())
    restored = pickle.loads(pickle.dumps(train))  # for DataLoader workers: the file reopened
    assert isinstance(restored.rows.X, np.memmap)
    np.testing.assert_array_equal(restored[2].numpy(), batch[1].numpy())


def test_a_large_memmap_trains_one_view(view_threshold, tmp_path):
    # a memory-mapped table is read batch by batch, preprocessed, in one view
    X, Y = step_table()
    mapped = np.memmap(tmp_path / "X.f32", dtype=np.float32, mode="w+", shape=X.shape)
    mapped[:] = X.to_numpy()
    clf = MultiTaskClassifier(max_epochs=1, random_state=0).fit(mapped, Y)
    assert clf.input_view_ is None and clf.net_.module_.n_members == 8
    assert len(clf.preprocessor_.encoded_columns_) == 0


@pytest.mark.parametrize("params", [
    {}, {"ensemble_size": 8}, {"preprocessing": TabularPreprocessor()},
    {"callbacks": [MemberHoldout()]},
])
def test_views_only_for_a_large_table_under_the_recipe(params, view_threshold):
    X, Y = step_table()
    n = 99 if not params else 160  # below the threshold, or a setting of the user's
    clf = MultiTaskClassifier(max_epochs=2, random_state=0, **params).fit(X[:n], Y[:n])
    assert clf.input_view_ is None
    assert clf.net_.module_.n_members == 8 and clf.net_.module_.trunk.input_mask is None
    assert len(clf.preprocessor_.encoded_columns_) == 0


def test_group_folds_keep_groups_whole_and_balance_samples():
    from sklearn_mtl._multitask import group_folds

    groups = np.repeat(["a", "b", "c", "d", "e", "f"], [5, 4, 3, 3, 2, 1])
    folds = group_folds(groups, 3, np.random.RandomState(0))
    for g in np.unique(groups):  # every group in one fold
        assert len(set(folds[groups == g])) == 1
    # largest first, each to the emptiest fold: a=5 | b=4 | c,d=3 go to the 3rd and 2nd,
    # e=2 then f=1: sizes 6, 6 and 6
    np.testing.assert_array_equal(np.bincount(folds), [6, 6, 6])
    np.testing.assert_array_equal(folds, group_folds(groups, 3, np.random.RandomState(0)))
    with pytest.raises(ValueError, match="groups has 6 distinct value.*fewer than the "
                       "ensemble's 8 members.*ensemble_size to at most 6"):
        group_folds(groups, 8, np.random.RandomState(0))


def _subject_table(n_subjects=16, rows=3):
    rng = np.random.RandomState(0)
    subject = np.repeat(np.arange(n_subjects), rows)
    X = pd.DataFrame({"subject": subject.astype(float), "noise": rng.normal(size=subject.size)})
    Y = pd.DataFrame({"a": rng.randint(0, 2, n_subjects)[subject],
                      "b": rng.randint(0, 3, n_subjects)[subject]})
    return X, Y, subject


def _record_folds(monkeypatch):
    """A list that gets each fit's fold column (the member holding out each sample)."""
    seen = []
    original = MultiTaskClassifier._fit_readouts

    def readouts(self, X, encoded, sample_weight, targets, raw=None):
        seen.append(targets[:, -1].numpy().astype(int).copy())
        return original(self, X, encoded, sample_weight, targets, raw)

    monkeypatch.setattr(MultiTaskClassifier, "_fit_readouts", readouts)
    return seen


def test_fit_groups_shape_the_members_held_out_folds(monkeypatch):
    seen = _record_folds(monkeypatch)
    X, Y, subject = _subject_table()
    original_subject = subject.copy()
    grouped = MultiTaskClassifier(max_epochs=4, random_state=0).fit(X, Y, groups=subject)
    folds = seen[-1]
    for s in np.unique(subject):  # a subject's rows are held out by one member
        assert len(set(folds[subject == s])) == 1
    np.testing.assert_array_equal(np.bincount(folds), [6] * 8)  # two subjects a member
    np.testing.assert_array_equal(subject, original_subject)  # the user's array untouched
    MultiTaskClassifier(max_epochs=4, random_state=0).fit(X, Y)  # the row folds
    assert any(len(set(seen[-1][subject == s])) > 1 for s in np.unique(subject))
    again = MultiTaskClassifier(max_epochs=4, random_state=0).fit(X, Y, groups=subject)
    np.testing.assert_array_equal(seen[-1], folds)  # seeded
    pd.testing.assert_frame_equal(grouped.predict(X), again.predict(X))


def test_fewer_groups_than_members_train_a_member_a_group(monkeypatch):
    # Five subjects: the default ensemble trains five members, each holding out one
    # subject; an explicit ensemble_size still wins, and refuses five groups.
    seen = _record_folds(monkeypatch)
    X, Y, subject = _subject_table(n_subjects=5)
    clf = MultiTaskClassifier(max_epochs=2, random_state=0).fit(X, Y, groups=subject)
    assert n_members(clf.net_.module_) == 5
    np.testing.assert_array_equal(np.sort(seen[-1][::3]), np.arange(5))  # one subject each
    assert len(clf.history_[-1]["member_best_epochs"]) == 5
    assert n_members(MultiTaskClassifier(max_epochs=2, random_state=0).fit(X, Y).net_.module_) == 8
    with pytest.raises(ValueError, match="groups has 5 distinct value.*8 members"):
        MultiTaskClassifier(max_epochs=2, ensemble_size=8, random_state=0).fit(
            X, Y, groups=subject)
    with pytest.raises(ValueError, match="groups has 1 distinct value: each member of the "
                       "ensemble holds out whole groups.*Give two groups or more"):
        MultiTaskClassifier(max_epochs=2, random_state=0).fit(X, Y, groups=np.zeros(len(X)))


def test_fewer_groups_than_the_views_members_train_one_view(view_threshold):
    # The two input views of a large table train sixteen members, each holding out its
    # own groups: with ten groups the recipe trains the scaled view's eight only. (A
    # "large" table is one of _VIEW_MIN_SAMPLES rows, lowered to 100 here.)
    rng = np.random.RandomState(0)
    X = pd.DataFrame(rng.normal(size=(320, 3)), columns=["a", "b", "c"])
    Y = pd.DataFrame({"t": np.where(X["a"] > 0, "x", "y")})
    clf = MultiTaskClassifier(max_epochs=1, random_state=0)
    clf.fit(X, Y, groups=np.arange(320) % 10)
    assert clf.input_view_ is None and n_members(clf.net_.module_) == 8
    clf.fit(X, Y, groups=np.arange(320) % 16)  # a group for each of the sixteen
    assert clf.input_view_ in ("scaled", "encoded") and n_members(clf.net_.module_) == 8


def test_fit_groups_errors_and_unused_warning():
    X, Y, subject = _subject_table(n_subjects=5)
    with pytest.raises(ValueError, match="groups must hold one value per sample"):
        MultiTaskClassifier(max_epochs=2).fit(X, Y, groups=subject[:-1])
    with pytest.raises(ValueError, match="early_stopping's validation split is drawn "
                       "without them"):
        MultiTaskClassifier(max_epochs=2, early_stopping=True).fit(X, Y, groups=subject)
    with pytest.warns(UserWarning, match="groups is unused: this model has no held-out folds"):
        MultiTaskClassifier(max_epochs=2, ensemble_size=1, random_state=0).fit(
            X, Y, groups=subject)


def test_a_warm_start_numbers_its_restored_epoch_as_history_does():
    """The epoch a warm start restores is chosen among its own epochs and named by its
    place in history_ (it was counted from the warm start's first epoch)."""
    X, Y = raw_table(n=48)
    clf = MultiTaskClassifier(hidden_layer_sizes=(8,), ensemble_size=3, max_epochs=4, lr=0.05,
                              random_state=0).fit(X, Y)
    clf.set_params(warm_start=True, max_epochs=3).fit(X, Y)
    assert len(clf.history_) == 7
    later = clf.history_[4:, "member_valid_loss"]
    best = clf.history_[-1, "member_best_epochs"]
    assert best == [5 + int(np.argmin(later))] * 3


# ------------------------------------------------- warm starts, partial_fit, resuming
def _trace():
    """A skorch callback recording the rate of every training step (the first
    parameter group's) and how far the weights moved in each epoch."""
    from skorch.callbacks import Callback

    class Trace(Callback):
        def initialize(self):
            self.lrs, self.moved, self.fits = [], [], 0
            return self

        def on_train_begin(self, net, **kwargs):
            self.fits += 1

        def on_epoch_begin(self, net, **kwargs):
            self.before_ = [p.detach().clone() for p in net.module_.parameters()]

        def on_batch_begin(self, net, training=False, **kwargs):
            if training:  # after the recipe's schedule: the rate this step takes
                self.lrs.append(net.optimizer_.param_groups[0]["lr"])

        def on_epoch_end(self, net, **kwargs):
            self.moved.append(max(float((p.detach() - b).abs().max())
                                  for p, b in zip(net.module_.parameters(), self.before_)))

    return Trace()


def _scheduled(lr, steps):
    schedule = WarmupCosineSchedule(steps)
    return [pytest.approx(lr * schedule.factor(step)) for step in range(steps)]


def test_a_warm_start_trains_every_epoch_on_a_schedule_of_its_own(monkeypatch):
    # The warm-up and cosine decay span each fit's own steps (a warm restart): a warm
    # start of more steps than the first fit never trains at the rate of 0 where the
    # first fit's schedule ended.
    X, Y = raw_table(n=60)
    params = dict(hidden_layer_sizes=(8,), ensemble_size=1, batch_size=20, lr=0.01,
                  warm_start=True, random_state=0)
    clf = MultiTaskClassifier(max_epochs=2, callbacks=[("trace", _trace())], **params)
    clf.fit(X, Y)
    trace = dict(clf.net_.callbacks_)["trace"]
    assert trace.lrs == _scheduled(0.01, 6)
    clf.set_params(max_epochs=6).fit(X, Y)  # 6 epochs of 3 steps
    assert len(clf.history_) == 8 and len(trace.moved) == 8
    assert min(trace.moved[2:]) > 0  # every epoch trained
    assert trace.lrs[6:] == _scheduled(0.01, 18)
    # max_epochs=None: the first fit's number of epochs, over the steps of these rows
    monkeypatch.setattr("sklearn_mtl._multitask._EPOCH_RANGE", (3, 3))
    auto = MultiTaskClassifier(max_epochs=None, callbacks=[("trace", _trace())], **params)
    auto.fit(X[:20], Y[:20])  # 3 epochs of 1 step
    auto.fit(X, Y)  # 3 epochs of 3 steps
    trace = dict(auto.net_.callbacks_)["trace"]
    assert trace.lrs == [*_scheduled(0.01, 3), *_scheduled(0.01, 9)]
    assert min(trace.moved) > 0


def test_partial_fit_after_a_fit_trains_at_the_constant_rate():
    # partial_fit trains at lr, whether or not a fit (whose schedule ended at 0) came
    # before; a warm start after it runs a schedule of its own again. The callbacks
    # keep their state throughout.
    X, Y = raw_table(n=60)
    clf = MultiTaskClassifier(hidden_layer_sizes=(8,), ensemble_size=3, batch_size=20,
                              lr=0.01, max_epochs=3, random_state=0,
                              callbacks=[("trace", _trace())]).fit(X, Y)
    trace = dict(clf.net_.callbacks_)["trace"]
    assert trace.lrs == _scheduled(0.01, 9)
    clf.partial_fit(X, Y)
    clf.partial_fit(X, Y)
    assert trace.lrs[9:] == [0.01] * 6 and min(trace.moved) > 0
    assert "lr_schedule" not in dict(clf.net_.callbacks_)
    clf.set_params(warm_start=True, max_epochs=2).fit(X, Y)
    assert trace.lrs[15:] == _scheduled(0.01, 6)
    assert dict(clf.net_.callbacks_)["trace"] is trace and trace.fits == 4
    assert len(clf.history_) == 7


def test_a_warm_start_and_partial_fit_take_the_parameters_set_in_between(capsys):
    # As skorch's set_params and MLPClassifier's warm start: batch_size, verbose,
    # callbacks (and their parameters), lr_schedule, early_stopping, patience and
    # validation_fraction set since the last fit apply to the next training.
    from skorch.callbacks import Callback

    class Seen(Callback):
        def __init__(self, tag="first"):
            self.tag = tag

        def on_epoch_end(self, net, dataset_train=None, dataset_valid=None, **kwargs):
            self.seen_ = (self.tag, net.batch_size, len(dataset_train),
                          None if dataset_valid is None else len(dataset_valid))

    def seen(clf):
        return dict(clf.net_.callbacks_)["seen"].seen_

    X, Y = raw_table(n=60)
    clf = MultiTaskClassifier(hidden_layer_sizes=(8,), ensemble_size=1, max_epochs=1,
                              batch_size=20, lr=0.01, warm_start=True, random_state=0,
                              callbacks=[("seen", Seen())]).fit(X, Y)
    assert seen(clf) == ("first", 20, 60, None)
    assert capsys.readouterr().out == ""
    clf.set_params(batch_size=60, callbacks__seen__tag="second", verbose=1).fit(X, Y)
    assert seen(clf) == ("second", 60, 60, None)
    assert clf.history_[-1, "train_batch_count"] == 1
    assert "train_loss" in capsys.readouterr().out  # verbose=1 prints the epochs
    clf.set_params(callbacks=[], lr_schedule="constant", verbose=0).fit(X, Y)
    names = [name for name, _ in clf.net_.callbacks_]
    assert "seen" not in names and "lr_schedule" not in names
    # no schedule: the base rate again, not the last rate (0) of the schedules before
    assert clf.net_.optimizer_.param_groups[0]["lr"] == 0.01
    clf.set_params(early_stopping=True, validation_fraction=0.25, patience=2,
                   callbacks=[("seen", Seen("es"))]).fit(X, Y)
    assert seen(clf) == ("es", 60, 45, 15)
    assert dict(clf.net_.callbacks_)["early_stopping"].patience == 2
    assert "valid_loss" in clf.history_[-1]
    # partial_fit: early_stopping does not apply (no held-out part of the batch)
    clf.partial_fit(X, Y)
    assert seen(clf) == ("es", 60, 60, None)
    assert "valid_loss" not in clf.history_[-1]
    assert "early_stopping" not in dict(clf.net_.callbacks_)
    clf.set_params(early_stopping=False).fit(X, Y)
    assert seen(clf) == ("es", 60, 60, None) and "valid_loss" not in clf.history_[-1]
    assert capsys.readouterr().out == ""
    assert len(clf.history_) == 6


def test_a_resumed_fit_numbers_its_epochs_after_the_loaded_history(tmp_path, capsys):
    # skorch's resume pattern, Checkpoint + LoadInitState: the loaded history comes after
    # the recipe's callbacks began; the restored epoch is named by its place in it, and
    # the first step after loading takes the schedule's rate, not the loaded one.
    from skorch.callbacks import Checkpoint, LoadInitState

    X, Y = raw_table(n=48)
    checkpoint = Checkpoint(monitor="member_valid_loss_best", dirname=str(tmp_path))
    for verbose in (0, 1):
        clf = MultiTaskClassifier(
            hidden_layer_sizes=(8,), ensemble_size=3, max_epochs=3, lr=0.05, random_state=0,
            verbose=verbose,
            callbacks=[checkpoint, LoadInitState(checkpoint), ("trace", _trace())],
        ).fit(X, Y)
    loaded = len(clf.history_) - 3  # the history saved with the first run's best epoch
    assert loaded >= 1 and clf.history_[loaded - 1, "event_cp"]
    later = clf.history_[loaded:, "member_valid_loss"]
    best = loaded + 1 + int(np.argmin(later))
    assert clf.history_[-1, "member_best_epochs"] == [best] * 3
    assert clf.history_[loaded, "member_valid_loss_best"]  # the best of its own epochs
    out = capsys.readouterr().out
    assert (f"Restored the 3 members' weights of epoch {best} of {loaded + 3} epochs"
            in out)
    trace = dict(clf.net_.callbacks_)["trace"]
    assert trace.lrs == _scheduled(0.05, 3) and min(trace.moved) > 0


def test_a_bad_value_at_prediction_names_its_row_in_x_not_in_its_batch():
    # prediction preprocesses a frame a batch at a time; the error names the row of X
    X, Y = raw_table()
    model = MultiTaskClassifier(hidden_layer_sizes=(4,), max_epochs=1, ensemble_size=1,
                                batch_size=16, random_state=0).fit(X, Y)
    bad = X.astype({"mass_g": object})
    bad.iloc[37, 0] = "?"
    with pytest.raises(ValueError, match=r"row 37, column 'mass_g' holds '\?'") as info:
        model.predict(bad)
    # as a joblib worker sends it back
    assert str(pickle.loads(pickle.dumps(info.value))) == str(info.value)
    bad = X.copy()
    bad.iloc[50, 1] = np.inf
    with pytest.raises(ValueError, match=r"infinite value at row 50, column 'length_mm'"):
        model.predict_proba(bad)


def test_preprocessor_reads_periods_as_the_days_they_start_on():
    # A period column (a month, a quarter: pandas' usual grain of time) was one-hot
    # encoded as a category, its order lost and its levels pooled beyond 32
    months = pd.Series(pd.period_range("1970-01", periods=4, freq="M"))
    months[2] = pd.NaT
    X = pd.DataFrame({"month": months, "price": [1.0, 2.0, 3.0, 5.0]})
    pre, out = _read_as_times(X, [0])
    assert len(pre.categorical_columns_) == 0
    np.testing.assert_array_equal(out[:, 0], [0.0, 31.0, 0.0, 90.0])  # days at the start
    np.testing.assert_array_equal(out[:, 2], [0, 0, 1, 0])  # NaT: a gap and its indicator
    # as the dates they start on, whatever the frequency
    for freq in ("Q", "Y", "W", "D", "h"):
        periods = pd.Series(pd.period_range("2021-03-01", periods=5, freq=freq))
        fitted = TabularPreprocessor(numeric="passthrough").fit(periods.to_frame("p"))
        days = (periods.dt.start_time - pd.Timestamp("1970-01-01")) / pd.Timedelta("1D")
        np.testing.assert_array_equal(fitted.transform(periods.to_frame("p"))[:, 0],
                                      days.to_numpy(dtype=np.float32), err_msg=freq)
    # later as text (a CSV file's: "1970-02"), Period objects, dates within the months
    # (in any time zone) or periods of another frequency: the months fitted on
    inside = months.dt.start_time + pd.Timedelta("20D 5h")
    for name, later in {
        "text": months.astype(str).where(months.notna()),
        "objects": months.astype(object),
        "dates": inside,
        "Tokyo": inside.dt.tz_localize("UTC").dt.tz_convert("Asia/Tokyo"),
        "days": months.dt.asfreq("D", how="end"),
    }.items():
        np.testing.assert_array_equal(pre.transform(X.assign(month=later)), out,
                                      err_msg=name)
    with pytest.raises(ValueError, match=r"column 'month' held periods \(period\[M\]\) in "
                                         "training; its values could not be read as periods"):
        pre.transform(X.assign(month="soon"))
    with pytest.raises(ValueError, match="column 'month' held dates in training but holds "
                                         "timedelta64"):
        pre.transform(X.assign(month=pd.to_timedelta([1, 2, 3, 4], unit="D")))
    # Period objects in an object column (a concat, an apply) read as the periods do
    objects = X.assign(month=months.astype(object))
    np.testing.assert_array_equal(
        TabularPreprocessor(numeric="passthrough", point_mass=None).fit_transform(objects), out)


def test_periods_fit_and_predict_as_their_start_dates_do(tmp_path):
    rng = np.random.default_rng(0)
    key = rng.integers(0, 30, 300)
    X = pd.DataFrame({"quarter": pd.Series(pd.period_range("2015Q1", periods=30, freq="Q"))[key]
                      .reset_index(drop=True), "size": (key % 7).astype(float)})
    Y = pd.DataFrame({"a": np.where((rng.random(30) < 0.5)[key], "x", "y"),
                      "b": rng.choice(["p", "q"], 300)})
    starts = X.assign(quarter=X["quarter"].dt.start_time)
    params = dict(hidden_layer_sizes=(8,), max_epochs=5, random_state=0)
    clf = MultiTaskClassifier(**params).fit(X, Y)
    assert clf.lookup_tasks_[0]  # the repeated rows' labels are read
    expected = clf.predict_proba(X)
    for a, b in zip(expected, MultiTaskClassifier(**params).fit(starts, Y).predict_proba(starts),
                    strict=True):
        np.testing.assert_array_equal(a, b)
    # a CSV file's text ("2015Q1") predicts as the periods, the lookup included; saved too
    X.to_csv(tmp_path / "rows.csv", index=False)
    text = pd.read_csv(tmp_path / "rows.csv")
    np.testing.assert_array_equal(clf.predict_proba(text)[0], expected[0])
    sklearn_mtl.save(clf, tmp_path / "model.mtl")
    np.testing.assert_array_equal(
        sklearn_mtl.load(tmp_path / "model.mtl").predict_proba(text)[0], expected[0])
    with pytest.raises(ValueError, match="column 'quarter' held periods"):
        clf.predict(text.assign(quarter="next year"))
    # without the preprocessing, a clear error naming the column
    with pytest.raises(ValueError, match=r"column 'quarter' holds periods \(period\[Q-DEC\]\)"
                                         ".*preprocessing='auto'"):
        MultiTaskClassifier(preprocessing=None, **params).fit(X, Y)


def test_a_weeks_text_reads_as_the_day_it_starts_on():
    # str() of a weekly period ("2024-01-01/2024-01-07", as a CSV file holds it) was read
    # by pd.to_datetime as a date with a time-zone offset: hours off, or refused
    weeks = pd.Series(pd.period_range("2020-01-06", periods=2, freq="W"))
    dates = weeks.dt.start_time.to_frame("week")
    pre = TabularPreprocessor(numeric="passthrough").fit(dates)
    text = weeks.astype(str).to_frame("week")
    np.testing.assert_array_equal(pre.transform(text), pre.transform(dates))


def test_periods_export_to_onnx_as_dates():
    pytest.importorskip("onnxruntime")
    from sklearn_mtl._export import check_parity, export_onnx, onnx_inputs

    X, Y = raw_table()
    X = X.assign(month=pd.period_range("2018-01", periods=len(X), freq="M"))
    clf = MultiTaskClassifier(hidden_layer_sizes=(8,), max_epochs=2, lookup=None,
                              random_state=0).fit(X, Y)
    model = export_onnx(clf, X_sample=X.head(5))
    types = {i.name: i.type.tensor_type.elem_type for i in model.graph.input}
    assert types["month"] == 7  # int64: nanoseconds of the month's start, as a date's
    check_parity(clf, model, X)
    import onnxruntime as ort

    session = ort.InferenceSession(model.SerializeToString())
    feeds = onnx_inputs(session, X)
    np.testing.assert_array_equal(
        feeds["month"].ravel(),
        X["month"].dt.start_time.astype("datetime64[ns]").to_numpy().view(np.int64))


def test_dates_as_objects_find_their_repeated_rows():
    # datetime.date objects (read_parquet's default) and Period objects are read as dates
    # by the preprocessing; the lookup of rows seen in training compared them as objects
    # in fit and as days at prediction, and so found none of them again
    import datetime

    rng = np.random.default_rng(0)
    key = rng.integers(0, 30, 300)
    Y = pd.DataFrame({"a": np.where((rng.random(30) < 0.5)[key], "x", "y"),
                      "b": rng.choice(["p", "q"], 300)})
    start = datetime.date(2020, 1, 1)
    for name, days in {
        "dates": pd.Series([start + datetime.timedelta(days=int(k)) for k in key], dtype=object),
        "periods": pd.Series([pd.Period(start, "D") + int(k) for k in key], dtype=object),
    }.items():
        X = pd.DataFrame({"day": days})
        clf = MultiTaskClassifier(hidden_layer_sizes=(8,), max_epochs=2, random_state=0).fit(X, Y)
        assert clf.lookup_tasks_[0], name  # task a: one label per row, read back
        np.testing.assert_array_equal(clf.predict(X)["a"], Y["a"], err_msg=name)


def test_times_of_day_read_as_durations_since_midnight():
    # datetime.time objects (read_parquet's, a polars Time column's) and pyarrow's time64
    # were one-hot encoded, their order lost and their levels pooled beyond 32
    import datetime

    pa = pytest.importorskip("pyarrow")
    times = pd.Series([datetime.time(6), datetime.time(18, 0, 0, 500), None,
                       datetime.time(0, 30)], dtype=object)
    X = pd.DataFrame({"at": times, "price": [1.0, 2.0, 3.0, 5.0]})
    pre, out = _read_as_times(X, [0])
    np.testing.assert_allclose(out[:, 0], [0.25, 0.75 + 5e-4 / 86400, 0.0, 0.5 / 24],
                               rtol=1e-6)  # in days; a gap: 0 and its indicator
    np.testing.assert_array_equal(out[:, 2], [0, 0, 1, 0])
    arrow = X.assign(at=times.astype(pd.ArrowDtype(pa.time64("us"))))
    text = X.assign(at=times.astype(str).where(times.notna()))  # a CSV file's "06:00:00"
    for name, later in {"pyarrow": arrow, "text": text}.items():
        np.testing.assert_array_equal(pre.transform(later), out, err_msg=name)
    np.testing.assert_array_equal(
        TabularPreprocessor(numeric="passthrough", point_mass=None).fit_transform(arrow), out)


# ------------------------------------------------------------ training control
def _two_tasks(n=41):
    X = np.random.RandomState(0).normal(size=(n, 3)).astype("float32")
    return X, np.c_[np.arange(n) % 2, np.arange(n) % 3]


@pytest.mark.parametrize("params, match", [
    ({"head_lr": {"task0": -1.0}}, r"head_lr\['task0'\] is -1.0; expected a finite number > 0"),
    ({"task_weights": {"task0": -3.0}},
     r"task_weights\['task0'\] is -3.0; expected a finite number >= 0"),
    ({"task_weights": {"taks0": 2.0}}, r"task_weights names unknown task\(s\) \['taks0'\]"),
    ({"class_weight": {"task0": {0: float("nan")}}},
     r"class_weight\['task0'\]\[0\] is nan; expected a finite number >= 0"),
    ({"device": "cpux"}, "device='cpux' is not a device torch knows"),
])
def test_a_warm_start_checks_the_values_set_in_between_as_a_first_fit_does(params, match):
    # a warm start applied them unchecked: a negative head_lr climbed the loss, a
    # negative task weight trained its task away, a misspelt task was dropped in silence
    X, Y = _two_tasks()
    first = {"head_lr": {"task0": 0.1}} if "head_lr" in params else {}
    clf = MultiTaskClassifier(hidden_layer_sizes=(8,), max_epochs=1, random_state=0,
                              warm_start=True, **first).fit(X, Y)
    before = [p.detach().clone() for p in clf.net_.module_.parameters()]
    clf.set_params(**params)
    with pytest.raises(ValueError, match=match):
        clf.fit(X, Y)
    with pytest.raises(ValueError, match=match):  # partial_fit checks them too
        clf.partial_fit(X, Y)
    assert len(clf.history_) == 1  # nothing trained
    for old, new in zip(before, clf.net_.module_.parameters()):
        torch.testing.assert_close(old, new, rtol=0, atol=0)


@pytest.mark.parametrize("params, match", [
    ({"param_groups": [("trunk.*", {"lr": -1.0})]},
     r"optimizer_params\['param_groups'\] group 'trunk.\*' sets \{'lr': -1.0\}, which "
     "AdamW refuses: Invalid learning rate: -1.0"),
    ({"param_groups": [("heads.*", {"weight_decay": float("nan")})]},
     r"group 'heads.\*' sets \{'weight_decay': nan\}, which AdamW refuses: Invalid "
     "weight_decay value: nan"),
    ({"weight_decay": -0.5},
     r"optimizer_params sets \{'weight_decay': -0.5\}, which AdamW refuses: Invalid "
     "weight_decay value: -0.5"),
])
def test_an_optimizer_value_it_refuses_is_named_also_in_a_parameter_group(params, match):
    # torch checks its defaults only: a group's negative rate trained, climbing the loss
    X, Y = _two_tasks()
    clf = MultiTaskClassifier(hidden_layer_sizes=(8,), max_epochs=1, optimizer_params=params)
    with pytest.raises(ValueError, match=match):
        clf.fit(X, Y)


def test_an_optimizer_parameter_group_takes_its_values_and_zero_freezes():
    X, Y = _two_tasks()
    clf = MultiTaskClassifier(
        hidden_layer_sizes=(8,), max_epochs=2, lr=0.05, lr_schedule="constant",
        ensemble_size=1, random_state=0,
        optimizer_params={"weight_decay": 0.2,
                          "param_groups": [("trunk.*", {"lr": 0.0, "weight_decay": 0.0})]},
    )
    trunk = MultiTaskClassifier(**{**clf.get_params(), "max_epochs": 1}).fit(X, Y)
    clf.fit(X, Y)
    groups = clf.net_.optimizer_.param_groups
    assert [(g["lr"], g["weight_decay"]) for g in groups] == [(0.0, 0.0), (0.05, 0.2)]
    # a rate of 0 (torch takes it) leaves the trunk as initialised, epoch after epoch
    for old, new in zip(trunk.net_.module_.trunk.parameters(),
                        clf.net_.module_.trunk.parameters()):
        torch.testing.assert_close(old, new, rtol=0, atol=0)


@pytest.mark.filterwarnings("ignore:.*one class only:UserWarning")
@pytest.mark.filterwarnings("ignore:.*has a single class:UserWarning")
@pytest.mark.parametrize("n, fraction", [(10, 0.95), (3, 0.9), (1, 0.5)])
def test_a_validation_fraction_that_leaves_no_training_sample_is_named(n, fraction):
    X, Y = _two_tasks(n)
    clf = MultiTaskClassifier(hidden_layer_sizes=(8,), max_epochs=1, early_stopping=True,
                              validation_fraction=fraction,
                              tasks=[Task("task0", classes=[0, 1]),
                                     Task("task1", classes=[0, 1, 2])])
    with pytest.raises(ValueError, match=(
            f"early_stopping holds out validation_fraction={fraction} of the {n} training "
            r"sample\(s\), which leaves none to train on")):
        clf.fit(X, Y)
    clf.set_params(validation_fraction=0.5)  # one left to train on, or the data as X_val
    if n > 1:
        assert len(clf.fit(X, Y).history_) == 1
    assert len(clf.fit(X, Y, X_val=X, y_val=Y).history_) == 1


class _CountingTransform:
    """A batch transform that counts the training batches it is given."""

    def __init__(self):
        self.calls = 0

    def __call__(self, X_batch):
        self.calls += 1
        return X_batch


def test_a_batch_transform_set_between_fits_applies_to_the_warm_start_and_partial_fit():
    # the first fit's transform (or none) went on being applied: one set since was ignored
    X, Y = _two_tasks()
    clf = MultiTaskClassifier(hidden_layer_sizes=(8,), max_epochs=1, batch_size=16,
                              random_state=0, warm_start=True).fit(X, Y)
    transform = _CountingTransform()
    clf.set_params(batch_transform=transform).fit(X, Y)
    assert clf.net_.batch_transform.calls == 3  # a copy, as fit makes: 41 rows, 3 batches
    assert transform.calls == 0
    clf.partial_fit(X, Y)  # left as it was: the same copy, its state kept
    assert clf.net_.batch_transform.calls == 6
    clf.set_params(batch_transform=None).fit(X, Y)
    assert clf.net_.batch_transform is None
    loaded = pickle.loads(pickle.dumps(clf.set_params(batch_transform=transform).fit(X, Y)))
    loaded.fit(X, Y)  # unchanged since it was built: the loaded copy goes on
    assert loaded.net_.batch_transform.calls == 6


@pytest.mark.parametrize("trunk, params, match", [
    ("conv2d", {"dropout": 0.3}, r"dropout=0.3 would be ignored: it builds the MLP trunk "
     r"\(trunk='mlp'\), and the trunk is 'conv2d'; pass it as the trunk's arguments, "
     r"trunk_params=\{'channels': \(4,\), 'dropout': 0.3\}"),
    ("conv2d", {"dropout": 0.3, "batch_norm": True},
     r"dropout=0.3, batch_norm=True would be ignored: they build the MLP trunk"),
    (torch.nn.Flatten, {"batch_norm": True},
     r"batch_norm=True would be ignored: .* the trunk is 'Flatten'; build the trunk with it"),
])
def test_dropout_or_batch_norm_with_another_trunk_than_the_mlp_is_refused(trunk, params,
                                                                         match):
    # the network trained without the dropout asked for, and said nothing
    X = np.random.RandomState(0).normal(size=(8, 1, 4, 4)).astype("float32")
    y = np.arange(8) % 2
    trunk_params = {"channels": (4,)} if trunk == "conv2d" else None
    clf = MultiTaskClassifier(trunk=trunk, trunk_params=trunk_params, max_epochs=1,
                              random_state=0, **params)
    with pytest.raises(ValueError, match=match):
        clf.fit(X, y)
    if trunk == "conv2d":  # given to the trunk, it builds it
        clf.set_params(dropout=0.0, batch_norm=False,
                       trunk_params={"channels": (4,), "dropout": 0.3}).fit(X, y)
        drops = [m.p for m in clf.net_.module_.trunk.modules()
                 if isinstance(m, torch.nn.Dropout2d)]
        assert drops == [0.3]


def test_preprocessor_reads_a_category_written_as_text_at_predict():
    # a bool column, or integer codes, given as text at predict (a CSV file read with
    # dtype=str, a form's fields, another tool's "true"/"TRUE") were unseen categories:
    # all zeros, silently other predictions for the same values
    X = pd.DataFrame({"flag": [True, False, True, False],
                      "code": pd.Categorical([1, 2, 3, 2]),
                      "shop": ["1", "2", "1", "2"]})
    pre = TabularPreprocessor().fit(X)
    expected = pre.transform(X)
    for flag in (["1", "0", "1", "0"], ["true", "false", "TRUE", " False "],
                 ["1.0", "0.0", "1", "0"]):
        again = X.assign(flag=flag, code=["1.0", "2", "3.0", "2.0"], shop=["1", 2, 1.0, "2"])
        np.testing.assert_array_equal(pre.transform(again), expected)
    # text that is neither stays unseen; a number's text never reads as a gap
    other = X.assign(flag=["yes", "1_0", "nan", "inf"], shop=["1", "2", "1", "2"])
    np.testing.assert_array_equal(pre.transform(other)[:, :2], np.zeros((4, 2)))


def test_preprocessor_reads_a_text_columns_value_as_written():
    # a number's or bool's text is read as the number or bool in a column of numbers or
    # bools only: in a column of text (codes, zip codes), "007", "+7" or "7.0" is another
    # category than "7", and "true" than "1", unseen in training, and was silently taken
    # for it
    X = pd.DataFrame({"code": ["7", "8", "x", "1"],
                      "cat": pd.Categorical(["1", "2", "1", "2"]),
                      "flag": [True, False, None, True]})
    pre = TabularPreprocessor().fit(X)
    names = list(pre.get_feature_names_out())
    one_hot = [names.index(n) for n in ("code_7", "code_1", "cat_1", "flag_True")]
    for code, cat in (("007", "01"), ("+7", "1.0"), ("7e0", "true"), ("7.0", "+1")):
        out = pre.transform(X.iloc[[0]].assign(code=[code], cat=[cat], flag=["1"]))
        np.testing.assert_array_equal(out[0, one_hot], [0, 0, 0, 1])
    out = pre.transform(X.iloc[[0]].assign(code=["true"], cat=[" 1"], flag=["true"]))
    np.testing.assert_array_equal(out[0, one_hot], [0, 0, 0, 1])
    # a number for a category of its text, as before; the text as written
    out = pre.transform(X.iloc[[0]].assign(code=[7], cat=["1"], flag=["TRUE"]))
    np.testing.assert_array_equal(out[0, one_hot], [1, 0, 1, 1])


def test_preprocessor_reads_a_batch_of_rows_whose_durations_are_all_nat_as_gaps():
    # a duration column given as rows (X.to_numpy(), lists) in a batch whose only value
    # there is NaT: pandas reads the lone NaT as a date, and the row was refused as a
    # date where a duration was (one row predicted at a time, the network's batches)
    X = pd.DataFrame({"wait": pd.to_timedelta(["1h", "2h", None, "5h"]), "n": [1., 2, 3, 4]})
    pre = TabularPreprocessor().fit(X)
    expected = pre.transform(X.iloc[[2]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # X has no feature names
        for rows in (X.iloc[[2]].to_numpy(), X.iloc[[2]].to_numpy().tolist()):
            np.testing.assert_array_equal(pre.transform(rows), expected)
    np.testing.assert_array_equal(expected, [[0.0, pre.transform(X)[2, 1], 1.0]])


def test_preprocessor_passthrough_reads_a_column_without_training_values_as_zero():
    # numeric="passthrough" passed a column that held no value in training (and a
    # log-ratio whose columns were never both present) through at prediction, where
    # the network only ever saw 0: as in the other modes, it reads as 0
    X = pd.DataFrame({"a": [1., 2, 3, np.nan, np.nan, np.nan],
                      "b": [np.nan, np.nan, np.nan, 4., 5, 6],
                      "empty": np.nan})
    later = pd.DataFrame({"a": [2., 1], "b": [5., 4], "empty": [7., -1e6]})
    for how in ("robust", "standard", "passthrough"):
        pre = TabularPreprocessor(numeric=how, ratios=True, point_mass=None).fit(X)
        names = list(pre.get_feature_names_out())
        out = pre.transform(later)
        np.testing.assert_array_equal(out[:, [names.index("empty"),
                                              names.index("log(a/b)")]], np.zeros((2, 2)))
    np.testing.assert_array_equal(out[:, :2], [[2, 5], [1, 4]])  # the others as they are


def test_preprocessor_reads_a_category_written_otherwise_next_to_pd_na():
    # a bool column given as nullable text or integers with a gap (pd.NA: dtype "string",
    # "Int64", read_parquet's numpy_nullable) crashed with "boolean value of NA is
    # ambiguous" where the other values were read as the categories fitted
    X = pd.DataFrame({"flag": [True, False, True, None],
                      "code": pd.Categorical([1, 2, 3, 2])})
    pre = TabularPreprocessor().fit(X)
    expected = pre.transform(X.assign(flag=[True, None, False, True], code=[1, 2, 2, 3]))
    for flag, code in ((pd.array(["true", None, "0", "1"], dtype="string"),
                        pd.array(["1", "2", "2.0", "3"], dtype="string")),
                       (pd.array([1, None, 0, 1], dtype="Int64"),
                        pd.array([1.0, 2.0, 2.0, 3.0], dtype="Float64")),
                       (["true", pd.NA, "0", 1.0], [1.0, "2", 2, "3.0"])):
        np.testing.assert_array_equal(pre.transform(X.assign(flag=flag, code=code)), expected)
    np.testing.assert_array_equal(  # a gap where the code column had none: all zeros
        pre.transform(X.assign(code=pd.array([1.0, None, 2.0, 3.0], dtype="Float64")))[1, -3:],
        [0, 0, 0])


def test_preprocessor_reads_an_object_column_of_durations_as_durations():
    # an object column of timedelta objects (astype(object), Series.dt.to_pytimedelta,
    # a database driver's TIME values) was one-hot encoded, a category per duration,
    # where an object column of dates is read as dates and a timedelta64 one as days
    wait = pd.to_timedelta(["1h", "2h", None, "30min", "5h"])
    expected = TabularPreprocessor().fit(pd.DataFrame({"wait": wait}))
    for objects in (pd.Series(wait).astype(object),
                    pd.Series([None if pd.isna(v) else v.to_pytimedelta() for v in wait],
                              dtype=object)):
        X = pd.DataFrame({"wait": objects})
        before = X.copy()
        pre = TabularPreprocessor().fit(X)
        assert list(pre.get_feature_names_out()) == ["wait", "wait_missing"]
        np.testing.assert_array_equal(pre.time_columns_, [0])
        np.testing.assert_array_equal(pre.transform(X), expected.transform(X))
        np.testing.assert_array_equal(pre.transform(pd.DataFrame({"wait": wait})),
                                      expected.transform(pd.DataFrame({"wait": wait})))
        pd.testing.assert_frame_equal(X, before)  # the caller's frame as it was


@pytest.mark.parametrize("metric", ["Error", "accuracy", None])
def test_member_holdout_rejects_an_unknown_metric(metric):
    # select and views were checked, metric not: any value but "error" (a typo, a
    # capital, None) chose the epoch by the held-out loss, silently
    with pytest.raises(ValueError, match=f"metric must be 'error' or 'loss'; got {metric!r}"):
        MemberHoldout(metric=metric).on_train_begin(net=None)
    X, Y = raw_table(n=40)
    clf = MultiTaskClassifier(hidden_layer_sizes=(4,), max_epochs=1, ensemble_size=2,
                              random_state=0, callbacks=[MemberHoldout(metric=metric)])
    with pytest.raises(ValueError, match="MemberHoldout's metric must be"):
        clf.fit(X, Y)


@pytest.mark.parametrize("values", [
    pd.date_range("2020-01-01", periods=3),
    pd.date_range("2020-01-01", periods=3, tz="UTC"),
    pd.to_timedelta([1, 2, 3], unit="D"),
    pd.period_range("2020-01", periods=3, freq="M"),
])
def test_preprocessor_refuses_dates_in_a_column_of_numbers_naming_it(values):
    # a column of numbers in training given dates at prediction read them as nanoseconds
    # since 1970, some 1e18 beyond the training values: silently clipped to 3
    X = pd.DataFrame({"days": [1.0, 2.0, 3.0], "empty": [np.nan] * 3})
    pre = TabularPreprocessor().fit(X)
    with pytest.raises(ValueError, match="X's column 'days' held numbers in training but "
                                         "holds .* values; expected numbers"):
        pre.transform(X.assign(days=values))
    if not isinstance(values, pd.PeriodIndex):  # (periods do not read as numbers)
        # a column without a value in training reads as 0 whatever it holds, dates too
        np.testing.assert_array_equal(pre.transform(X.assign(empty=values)),
                                      pre.transform(X))


@pytest.mark.parametrize("numeric", ["passthrough", "standard"])
def test_preprocessor_refuses_a_value_float32_cannot_hold_unless_clipped(numeric):
    # numeric="passthrough" (and "standard" past a constant training column) wrote 1e300
    # into the float32 output as infinity, silently: the network's loss went NaN
    X = pd.DataFrame({"a": [1.0, 1.0, 1.0], "empty": [np.nan] * 3})
    pre = TabularPreprocessor(numeric=numeric).fit(X)
    for new in (X.assign(a=[1.0, -1e300, 1.0]), X.assign(a=[1.0, -1e300, 1.0]).to_numpy()):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # (the array has no names)
            with pytest.raises(ValueError, match=r"X holds a value beyond float32's "
                               r"range at row 1, column ('a'|0) \(-1e\+300 once "
                               rf"preprocessed\); numeric='{numeric}'"):
                pre.transform(new)
    # a column without a value in training reads as 0 whatever it holds; "robust" clips
    np.testing.assert_array_equal(pre.transform(X.assign(empty=1e300)), pre.transform(X))
    clipped = TabularPreprocessor().fit(X).transform(X.assign(a=[1.0, -1e300, 1.0]))
    np.testing.assert_array_equal(clipped[:, 0], [0.0, -3.0, 0.0])


def test_point_mass_of_float64_is_not_the_value_float32_rounds_it_to():
    # a mass at 1_700_000_001 (epoch seconds censored at a cut-off) marked the rows at
    # 1_700_000_000 too, float32's rounding of the mass, in a float64 or int64 table
    t = np.array([1_700_000_001] * 4 + [1_700_000_000, 1_699_999_990, 1_699_999_950])
    pre = TabularPreprocessor().fit(pd.DataFrame({"t": t}))
    np.testing.assert_array_equal(pre.point_mass_values_, [1_700_000_001])
    expected = [1, 1, 1, 1, 0, 0, 0]
    for X in (pd.DataFrame({"t": t}), pd.DataFrame({"t": t.astype(np.float64)}),
              t[:, None].astype(np.float64)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # (the array has no names)
            np.testing.assert_array_equal(pre.transform(X)[:, -1], expected)
    # given in float32, whose values it cannot tell apart, the mass is float32's
    z = np.array([2.3] * 4 + [1.0, 1.5, 2.0])
    pre = TabularPreprocessor().fit(pd.DataFrame({"z": z}))
    for dtype in (np.float32, "Float32"):
        np.testing.assert_array_equal(
            pre.transform(pd.DataFrame({"z": z}).astype(dtype))[:, -1], expected)


@pytest.mark.parametrize("dtype", ["Float32", "float[pyarrow]"])
def test_point_mass_found_in_a_nullable_float32_column_is_compared_in_float32(dtype):
    # a mass found in pandas' nullable Float32 (or pyarrow's float) is float32's 2.3, as
    # one found in numpy's float32: 2.3 given in float64 is at it (as in the ONNX graph,
    # whose inputs are float32), where the indicator never fired
    if "pyarrow" in dtype:
        pytest.importorskip("pyarrow")
    z = np.array([2.3] * 4 + [1.0, 1.5, 2.0])
    pre = TabularPreprocessor().fit(pd.DataFrame({"z": z}).astype(dtype))
    np.testing.assert_array_equal(pre.point_mass_float32_, [True])
    for X in (pd.DataFrame({"z": z}), pd.DataFrame({"z": z}).astype(dtype)):
        np.testing.assert_array_equal(pre.transform(X)[:, -1], [1, 1, 1, 1, 0, 0, 0])
