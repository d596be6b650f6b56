"""StructuredLabelEncoder: dtypes and odd rows in each form of Y (frame, arrays, groups)."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from sklearn_mtl import MISSING, EncodedLabels, StructuredLabelEncoder, Task

BIG = 2**64 - 1  # a uint64 past int64's maximum
GROUPS = {"A": [0, 1], "B": [2, 3, 4]}
MULTI_HOT = np.array([[1, 0, 0, 1, 0], [0, 1, 1, 0, 0]])


def predicted(enc, values):
    """A prediction of the encoder's one regression task; NaN is masked."""
    values = np.array(values, dtype=float)
    codes = np.where(np.isnan(values), MISSING, 0)[:, None]
    return EncodedLabels(codes, {}, {enc.tasks_[0].name: values}, enc.schema_)


# ------------------------------------------------------------------------- regression
@pytest.mark.parametrize(
    "fitted, dtype",
    [
        (pd.array([30, 41, 25], dtype="int64"), np.float64),
        (pd.array([30, 41, 25], dtype="uint8"), np.float64),
        (pd.array([30, 41, 25], dtype="float32"), np.float32),
        (pd.array([30, None, 25], dtype="Int64"), pd.Float64Dtype()),
        # star ratings as ordered categories, or numbers read as text: numbers out (a
        # category column gave NaN for every prediction, a string column text)
        (pd.Categorical([3, 4, 5], categories=[1, 2, 3, 4, 5], ordered=True),
         pd.Float64Dtype()),
        (pd.array(["30", "41", "25"], dtype="string"), pd.Float64Dtype()),
    ],
)
def test_regression_frame_fitted_on_integers_gives_floats(fitted, dtype):
    enc = StructuredLabelEncoder([Task("age", kind="regression")]).fit(
        pd.DataFrame({"age": fitted})
    )
    out = enc.inverse_transform(predicted(enc, [33.75, -0.5, np.nan]))["age"]
    assert out.dtype == dtype
    assert out[:2].tolist() == [33.75, -0.5]  # not cut to 33 and 0
    assert pd.isna(out[2])


def test_regression_arrays_fitted_on_integers_give_float64():
    enc = StructuredLabelEncoder([Task("y", kind="regression")]).fit(np.array([30, 41, 25]))
    out = enc.inverse_transform(predicted(enc, [33.75, np.nan]))
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, [33.75, np.nan])

    tasks = [Task("age", kind="regression"), Task("b", classes=[0, 1])]
    enc = StructuredLabelEncoder(tasks).fit(np.array([[30, 1], [41, 0], [25, 1]]))
    encoded = EncodedLabels(
        np.array([[0, 1], [MISSING, 0]]), {}, {"age": np.array([33.75, np.nan])}, enc.schema_
    )
    out = enc.inverse_transform(encoded)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, [[33.75, 1.0], [np.nan, 0.0]])


def test_regression_polars_fitted_on_integers_stays_float():
    pl = pytest.importorskip("polars")
    enc = StructuredLabelEncoder([Task("age", kind="regression")]).fit(
        pl.DataFrame({"age": [30, 41, 25]})
    )
    out = enc.inverse_transform(predicted(enc, [34.0, 2.0]))  # whole numbers, still floats
    assert out.schema["age"] == pl.Float64
    assert out["age"].to_list() == [34.0, 2.0]


# --------------------------------------------------------------------------- uint64
def test_uint64_labels_past_int64_round_trip_exactly():
    y = np.array([BIG, 0, 5], dtype=np.uint64)
    for Y in (y, y.reshape(-1, 1), pd.DataFrame({"a": y})):
        enc = StructuredLabelEncoder()
        out = enc.inverse_transform(enc.fit_transform(Y))
        out = out["a"] if isinstance(out, pd.DataFrame) else out.ravel()
        assert out.dtype == np.uint64
        assert out.tolist() == [BIG, 0, 5]
        assert enc.classes_[0].dtype == np.uint64
        assert enc.classes_[0].tolist() == [0, 5, BIG]

    Y = pd.DataFrame({"a": pd.array([BIG, None, 5], dtype="UInt64")})
    enc = StructuredLabelEncoder()
    out = enc.inverse_transform(enc.fit_transform(Y))["a"]
    assert out.dtype == "UInt64"
    assert out[[0, 2]].tolist() == [BIG, 5] and out[1] is pd.NA


# ---------------------------------------------------------------------------- groups
def test_groups_active_column_in_no_group_raises():
    M = np.array([[1, 0, 0, 1, 0, 0], [0, 1, 1, 0, 0, 1]])  # column 5 is in no group
    with pytest.raises(
        ValueError,
        match=r"^Row 1 has label 5 \(column 5 is 1\), which is in no group; the labels are "
        r"\[0, 1, 2, 3, 4\]\.",
    ):
        StructuredLabelEncoder.from_groups(GROUPS).fit(M)
    F = pd.DataFrame(M, columns=["no", "yes", "r", "g", "b", "extra"])
    enc = StructuredLabelEncoder.from_groups({"A": ["no", "yes"], "B": ["r", "g", "b"]})
    with pytest.raises(
        ValueError, match=r"^Row 1 has label 'extra' \(column 'extra' is 1\), which is in no group"
    ):
        enc.fit(F)

    # a column in no group that is all 0 is allowed, and comes back all 0
    M[:, 5] = 0
    enc = StructuredLabelEncoder.from_groups(GROUPS)
    assert enc.inverse_transform(enc.fit_transform(M)).tolist() == M.tolist()
    with pytest.raises(ValueError, match=r"^Row 0 has label 5 \(column 5 is 1\)"):
        enc.transform(np.array([[1, 0, 0, 1, 0, 1]]))


@pytest.mark.parametrize("dtype", [bool, np.int8, np.float32])
@pytest.mark.parametrize("sparse", [False, True])
def test_groups_multi_hot_comes_back_in_its_fitted_dtype(dtype, sparse):
    Y = MULTI_HOT.astype(dtype)
    Y = sp.csr_matrix(Y) if sparse else Y
    enc = StructuredLabelEncoder.from_groups(GROUPS)
    out = enc.inverse_transform(enc.fit_transform(Y))
    assert sp.issparse(out) == sparse
    assert out.dtype == dtype
    assert (out.toarray() if sparse else out).tolist() == MULTI_HOT.astype(dtype).tolist()


def test_groups_multi_hot_frame_comes_back_in_its_fitted_dtypes():
    F = pd.DataFrame(MULTI_HOT.astype(bool), columns=list("vwxyz"))
    F["x"] = F["x"].astype(np.int8)
    F["z"] = F["z"].astype("Int64")
    enc = StructuredLabelEncoder.from_groups({"A": ["v", "w"], "B": ["x", "y", "z"]})
    out = enc.inverse_transform(enc.fit_transform(F))
    assert dict(out.dtypes) == dict(F.dtypes)
    assert out.to_dict("list") == F.to_dict("list")

    del enc._reader.dtypes  # a model saved before the dtypes were kept: int64, as it was
    out = enc.inverse_transform(enc.transform(F))
    assert (out.dtypes == np.int64).all()
    assert out.to_numpy().tolist() == MULTI_HOT.tolist()


def test_groups_multi_hot_array_of_a_model_saved_before_gives_int64():
    enc = StructuredLabelEncoder.from_groups(GROUPS)
    encoded = enc.fit_transform(MULTI_HOT.astype(bool))
    del enc._reader.dtype
    out = enc.inverse_transform(encoded)
    assert out.dtype == np.int64 and out.tolist() == MULTI_HOT.tolist()


@pytest.mark.parametrize("missing", [None, np.nan, pd.NA])
@pytest.mark.parametrize("container", [set, list])
def test_groups_missing_label_set_row_has_no_label(missing, container):
    groups = {"A": ["no", "yes"], "B": ["r", "g"]}
    Y = [container(["no", "r"]), missing, container(["yes", "g"])]
    with pytest.raises(
        ValueError,
        match=r"^Row 1 has no active label in group 'A' \(labels \['no', 'yes'\]\); expected "
        "exactly one",
    ):
        StructuredLabelEncoder.from_groups(groups).fit(Y)
    enc = StructuredLabelEncoder.from_groups(groups, missing_groups="mask")
    encoded = enc.fit_transform(Y)
    assert encoded.codes.tolist() == [[0, 0], [MISSING, MISSING], [1, 1]]
    assert enc.transform([missing, container(["no", "g"])]).codes.tolist() == [
        [MISSING, MISSING],
        [0, 1],
    ]


# ------------------------------------------------------------------------ multilabel
@pytest.mark.parametrize("row", [0, 2])
def test_multilabel_column_with_a_bare_label_names_task_and_row(row):
    tags = [["x", "y"], [], ["y"], ["x"]]
    tags[row] = "y"
    Y = pd.DataFrame({"kind": ["a", "b", "a", "b"], "tags": tags})
    with pytest.raises(
        ValueError,
        match=rf"^Multilabel task 'tags' expects a list or set of labels per row; got 'y' in "
        rf"row {row}\.$",
    ):
        StructuredLabelEncoder().fit(Y)


def test_groups_label_sets_refuse_a_bare_label_naming_the_row():
    # "no" for {"no"}: read as a set of letters, it was refused as label 'n'
    enc = StructuredLabelEncoder(groups={"car": ["yes", "no"], "color": ["red", "blue"]})
    enc.fit([{"yes", "red"}, {"no", "blue"}])
    with pytest.raises(ValueError, match=r"Row 1 holds 'no'; with groups, each row is a set "
                                         r"or list of labels, e\.g\. \{'no'\}"):
        enc.transform([{"yes", "red"}, "no"])


# ------------------------------------------------------------------- 1-D Series dtypes
@pytest.mark.parametrize("labels", [[0, 1, 2], [2**62 + 1, 2**62 + 2, 2**62 + 3]])
def test_nullable_integer_series_with_a_gap_keeps_integer_classes(labels):
    # A 1-D y is read as the same column of a DataFrame (before: float classes, and
    # labels near 2**62 merged into one class).
    y = pd.Series(labels + [None], dtype="Int64", name="y")
    for Y in (y, y.to_frame()):
        enc = StructuredLabelEncoder()
        encoded = enc.fit_transform(Y)
        assert enc.classes_[0].dtype == np.int64 and enc.classes_[0].tolist() == labels
        assert encoded.codes.ravel().tolist() == [0, 1, 2, MISSING]
    enc = StructuredLabelEncoder()
    out = enc.inverse_transform(enc.fit_transform(y)[:3])  # predictions: ints, not floats
    assert out.dtype == np.int64 and out.tolist() == labels


def test_polars_integer_series_with_nulls_keeps_integer_classes():
    pl = pytest.importorskip("polars")
    y = pl.Series("y", [5, None, 7, 5], dtype=pl.Int16)
    enc = StructuredLabelEncoder()
    encoded = enc.fit_transform(y)
    assert enc.classes_[0].tolist() == [5, 7] and enc.classes_[0].dtype.kind == "i"
    assert encoded.codes.ravel().tolist() == [0, MISSING, 1, 0]


def test_categorical_series_keeps_its_categories_in_order():
    # docs/labels.md: a categorical column takes its categories, in their order, unused
    # ones included (before, a 1-D y: its sorted values ['hi', 'lo', 'mid'])
    y = pd.Series(pd.Categorical(["lo", "hi", "mid", "lo"], categories=["lo", "mid", "hi", "top"]),
                  name="grade")
    for Y in (y, y.to_frame()):
        enc = StructuredLabelEncoder()
        encoded = enc.fit_transform(Y)
        assert enc.classes_[0].tolist() == ["lo", "mid", "hi", "top"]
        assert encoded.codes.ravel().tolist() == [0, 2, 1, 0]
    enc = StructuredLabelEncoder().fit(y)
    assert enc.transform(np.array(["top", "lo"])).codes.ravel().tolist() == [3, 0]
    assert enc.inverse_transform(enc.transform(y)).tolist() == ["lo", "hi", "mid", "lo"]


def test_polars_enum_series_keeps_its_declared_categories():
    pl = pytest.importorskip("polars")
    y = pl.Series("grade", ["hi", "lo", "hi"], dtype=pl.Enum(["lo", "mid", "hi"]))
    enc = StructuredLabelEncoder()
    assert enc.fit_transform(y).codes.ravel().tolist() == [2, 0, 2]
    assert enc.classes_[0].tolist() == ["lo", "mid", "hi"]


# --------------------------------------------------------------- Arrow list columns
def test_arrow_label_columns_come_back_in_their_dtype():
    # A dictionary of integers (a Parquet categorical of codes) could not be written back
    # by astype: predict raised ArrowNotImplementedError.
    pa = pytest.importorskip("pyarrow")
    values = [1, 0, None, 1, 0, 1]
    codes = pa.array([1, 0, 0, 1, 0, 1]).dictionary_encode()  # no gap: no object detour
    columns = {
        "codes": pd.Series(pd.arrays.ArrowExtensionArray(codes)),
        "names": pd.Series(["b", "a", None, "b", "a", "b"],
                           dtype=pd.ArrowDtype(pa.dictionary(pa.int32(), pa.string()))),
        "ints": pd.Series(values, dtype=pd.ArrowDtype(pa.int64())),
        "text": pd.Series(["b", "a", None, "b", "a", "b"], dtype=pd.ArrowDtype(pa.string())),
    }
    Y = pd.DataFrame(columns)
    enc = StructuredLabelEncoder().fit(Y)
    back = enc.inverse_transform(enc.transform(Y))
    pd.testing.assert_frame_equal(back, Y)


def test_arrow_list_column_of_a_frame_is_a_multilabel_task():
    # A Parquet list column read with dtype_backend="pyarrow" (before: "unhashable type:
    # 'numpy.ndarray'"), read as the same column as a 1-D Series is.
    pa = pytest.importorskip("pyarrow")
    tags = pd.Series([["x"], ["x", "y"], None, []], dtype=pd.ArrowDtype(pa.list_(pa.string())))
    Y = pd.DataFrame({"tags": tags, "k": ["a", "b", "a", "b"]})
    enc = StructuredLabelEncoder()
    encoded = enc.fit_transform(Y)
    assert enc.tasks_[0] == Task("tags", kind="multilabel", classes=["x", "y"])
    assert encoded.multilabel["tags"].tolist() == [[1, 0], [1, 1], [-1, -1], [0, 0]]
    assert StructuredLabelEncoder().fit(tags).tasks_[0].classes == ["x", "y"]
    out = enc.inverse_transform(encoded)
    assert out["tags"].dtype == tags.dtype
    assert out["tags"][[0, 1, 3]].tolist() == [["x"], ["x", "y"], []]
    assert pd.isna(out["tags"][2])
    with pytest.raises(ValueError, match=r"^Task 'tags' is declared binary, but its column holds "
                                         r"label sets \(\['x'\] in row 0\)"):
        StructuredLabelEncoder([Task("tags", kind="binary", classes=["x", "y"]),
                                Task("k")]).fit(Y)


# ----------------------------------------------------------- 0/1 columns of objects
def test_multilabel_columns_of_object_bools_come_back_as_bools():
    # (before: 0 and 1, where the columns held False and True)
    Y = pd.DataFrame({"p": [None, False, True], "q": [False, None, True], "r": [0, 1, None]},
                     dtype=object)
    enc = StructuredLabelEncoder(tasks=[Task("tags", kind="multilabel", columns=["p", "q", "r"])])
    encoded = enc.fit_transform(Y)
    assert encoded.multilabel["tags"].tolist() == [[-1, 0, 0], [0, -1, 1], [1, 1, -1]]
    out = enc.inverse_transform(encoded)
    assert (out.dtypes == np.dtype(object)).all()
    for column in ("p", "q"):
        assert [type(v) for v in out[column] if not pd.isna(v)] == [bool, bool]
        assert out[column].tolist() == [v if v is not None else pd.NA for v in Y[column]]
    assert out["r"].tolist() == [0, 1, pd.NA]  # ints stay ints
