"""StructuredLabelEncoder: dtypes and odd rows in each form of Y (frame, arrays, groups)."""

import os
import subprocess
import sys

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


@pytest.mark.parametrize("missing", [pd.NA, None, np.nan, pd.NaT], ids=repr)
@pytest.mark.parametrize("container", [set, list])
def test_groups_missing_value_in_a_label_set_is_named_as_one(missing, container):
    # it was "Row 1 has label <NA>, which is in no group ... Add it to a group"
    groups = {"A": ["no", "yes"], "B": ["r", "g"]}
    Y = [container(["no", "r"]), container(["yes", missing])]
    gap = rf"^Row 1 has a missing value \({missing!r}\) in its label set; with groups, a label set"
    for missing_groups in ("raise", "mask"):
        enc = StructuredLabelEncoder.from_groups(groups, missing_groups=missing_groups)
        with pytest.raises(ValueError, match=gap):
            enc.fit(Y)
    # as the error says: left out, the group is missing (masked with missing_groups="mask")
    enc = StructuredLabelEncoder.from_groups(groups, missing_groups="mask")
    fixed = [container(["no", "r"]), container(["yes"]), container([])]
    assert enc.fit_transform(fixed).codes.tolist() == [[0, 0], [1, MISSING], [MISSING, MISSING]]
    with pytest.raises(ValueError, match=gap):
        enc.transform(Y)


@pytest.mark.parametrize(
    "rows",
    [lambda n: [None] * n, lambda n: np.array([None] * n, dtype=object),
     lambda n: pd.Series([np.nan] * n), lambda n: tuple([pd.NA] * n)],
    ids=["list", "object array", "series", "tuple"],
)
def test_groups_read_a_batch_of_label_sets_where_no_row_is_annotated(rows):
    # a fold or batch of which no row is annotated: masked as in a batch beside an
    # annotated row, where it was refused ("fitted on a list of label sets; got list")
    groups = {"A": ["x", "y"], "B": ["u", "v"]}
    enc = StructuredLabelEncoder.from_groups(groups, missing_groups="mask")
    enc.fit([{"x", "u"}, {"y", "v"}])
    assert enc.transform([None, {"x", "u"}]).codes.tolist() == [[MISSING] * 2, [0, 0]]
    for n in (1, 3):
        encoded = enc.transform(rows(n))
        assert encoded.codes.tolist() == [[MISSING] * 2] * n
        assert enc.inverse_transform(encoded) == [set()] * n
    # groups declare their labels: an encoder fits on such a batch, as Task(classes=...)
    assert StructuredLabelEncoder.from_groups(groups, missing_groups="mask").fit(
        rows(2)).transform([{"y", "u"}]).codes.tolist() == [[1, 0]]
    with pytest.raises(ValueError, match="^Row 0 has no active label in group 'A'"):
        StructuredLabelEncoder.from_groups(groups).fit([{"x", "u"}]).transform(rows(2))


TUPLE_GROUPS = {"pos": [(0, 1), (1, 0), (1, 1)], "size": ["s", "l"]}


@pytest.mark.parametrize("container", [set, list, tuple])
def test_groups_with_tuple_labels_read_label_sets_and_round_trip(container):
    # a group of tuples, as MultiLabelBinarizer takes any hashable label: numpy made a 2-D
    # array of them ("shape mismatch: value array of shape (3,2) could not be broadcast")
    Y = [container([(0, 1), "s"]), container([(1, 1), "l"]), container([(1, 0), "s"])]
    enc = StructuredLabelEncoder(groups=TUPLE_GROUPS)
    encoded = enc.fit_transform(Y)
    assert encoded.codes.tolist() == [[0, 0], [2, 1], [1, 0]]
    assert [c.tolist() for c in enc.classes_] == [[(0, 1), (1, 0), (1, 1)], ["s", "l"]]
    assert enc.classes_[0].shape == (3,)
    back = enc.inverse_transform(encoded)  # in Y's containers, labels in groups' order
    assert back == Y and {type(row) for row in back} == {container}
    with pytest.raises(ValueError, match=r"^Row 0 has label \(0, 0\), which is in no group"):
        enc.transform([container([(0, 0), "s"])])
    with pytest.raises(ValueError, match=r"^Row 0 has 2 active labels \[\(0, 1\), \(1, 0\)\] in "):
        enc.transform([container([(0, 1), (1, 0), "s"])])


def test_groups_with_tuple_labels_read_a_multi_hot_frame_and_gates():
    # labels of unequal lengths (numpy refused them as an "inhomogeneous shape")
    groups = {"pos": [(0,), (1, 0)], "size": ["s", "l"]}
    frame = pd.DataFrame(
        [[1, 0, 1, 0], [0, 1, 0, 0]], columns=pd.Index([(0,), (1, 0), "s", "l"], dtype=object)
    )
    # a tuple that is a label of the parent group is that label, not the labels 1 and 0
    enc = StructuredLabelEncoder.from_groups(groups, gates={"size": ("pos", (0,))})
    assert enc.tasks[1].gate == ("pos", frozenset({(0,)}))
    encoded = enc.fit_transform(frame)
    assert encoded.codes.tolist() == [[0, 0], [1, -2]]
    pd.testing.assert_frame_equal(enc.inverse_transform(encoded), frame)
    # a 0/1 matrix addresses its labels by column index: no tuple is one
    with pytest.raises(ValueError, match=r"label\(s\) \[\(0,\), \(1, 0\), 's', 'l'\] are not in"):
        StructuredLabelEncoder(groups=groups).fit(frame.to_numpy())


def test_groups_refuse_a_tuple_gate_that_reads_both_ways():
    # (0, 1) is a label of pos, and so are 0 and 1: the gate could be either, as Task
    # refuses it in a Schema; from_groups read it as the one label without a word
    groups = {"pos": [(0, 1), 0, 1], "size": ["s", "l"]}
    with pytest.raises(ValueError, match=r"reads both as that one label and as the labels "
                                         r"0 and 1\. Write a list"):
        StructuredLabelEncoder.from_groups(groups, gates={"size": ("pos", (0, 1))})
    enc = StructuredLabelEncoder.from_groups(groups, gates={"size": ("pos", [(0, 1)])})
    assert enc.tasks[1].gate == ("pos", frozenset({(0, 1)}))
    enc = StructuredLabelEncoder.from_groups(groups, gates={"size": ("pos", [0, 1])})
    assert enc.tasks[1].gate == ("pos", frozenset({0, 1}))


def test_groups_refuse_a_task_declared_multilabel():
    tasks = [Task("A", kind="multilabel"), Task("B")]
    with pytest.raises(ValueError, match=r"^Task 'A' is declared multilabel, but a group is a "):
        StructuredLabelEncoder(tasks, groups={"A": ["x", "y"], "B": ["u", "v"]}).fit(
            [{"x", "u"}, {"y", "v"}]
        )


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
        assert out[column].tolist() == Y[column].tolist()  # None stays None
    assert out["r"].tolist() == [0, 1, None]  # ints stay ints


# ------------------------------------------------------------------- missing values
@pytest.mark.parametrize("gap", [None, np.nan, pd.NA])
@pytest.mark.parametrize("form", ["frame", "2d", "1d", "list"])
def test_masked_labels_come_back_as_the_gaps_of_y(gap, form):
    # inverse_transform(transform(Y)) is Y, its kind of missing value included (before:
    # pd.NA in every column of objects of a frame, None in every array of objects)
    column = ["a", gap, "b", "a"]
    if form == "frame":
        Y = pd.DataFrame({"t": pd.Series(column, dtype=object), "u": [1, 2, 1, 2]})
    elif form == "2d":
        Y = np.array([column, [1, 2, 1, 2]], dtype=object).T
    else:
        Y = np.array(column, dtype=object) if form == "1d" else column
    enc = StructuredLabelEncoder()
    out = enc.inverse_transform(enc.fit_transform(Y))
    got = {"frame": lambda: out["t"], "2d": lambda: out[:, 0]}.get(form, lambda: out)()
    assert got[1] is gap
    assert [got[i] for i in (0, 2, 3)] == ["a", "b", "a"]
    if form == "frame":
        pd.testing.assert_frame_equal(out, Y)

    # a prediction that a gate switches off is that gap too
    tasks = [Task("car", classes=["no", "yes"]), Task("t", classes=["a", "b"], gate=("car", "yes"))]
    Y = pd.DataFrame({"car": ["yes", "no", "yes"], "t": pd.Series(["a", gap, "b"], dtype=object)})
    enc = StructuredLabelEncoder(tasks).fit(Y)
    predicted = EncodedLabels(np.array([[0, -2], [1, 1]]), {}, {}, enc.schema_)
    assert enc.inverse_transform(predicted)["t"].tolist()[0] is gap


@pytest.mark.parametrize(
    "y, classes, codes",
    [
        # numpy made the text 'nan' of the gap, a class ('nan' < 'x': the codes moved)
        (["x", np.nan, "y", "x"], ["x", "y"], [0, MISSING, 1, 0]),
        (("x", np.nan, "y", "x"), ["x", "y"], [0, MISSING, 1, 0]),
        # numpy made floats of the bools: predictions came back as 0.0 and 1.0
        ([True, np.nan, False, True], [False, True], [1, MISSING, 0, 1]),
    ],
)
def test_a_list_of_labels_with_a_gap_reads_it_as_missing(y, classes, codes):
    # as the same column of a DataFrame (pandas reads NaN there as a gap)
    enc = StructuredLabelEncoder()
    encoded = enc.fit_transform(y)
    assert enc.classes_[0].tolist() == classes
    assert encoded.codes.ravel().tolist() == codes
    out = enc.inverse_transform(encoded)
    assert [type(v) for v in out] == [type(v) for v in y]
    assert out[1] is y[1] and [out[i] for i in (0, 2, 3)] == [y[i] for i in (0, 2, 3)]
    frame = StructuredLabelEncoder().fit(pd.DataFrame({"y": list(y)}))
    assert frame.classes_[0].tolist() == classes


def test_a_list_of_text_and_numbers_is_refused_as_mixed_types():
    # (before: numpy's text '1', a class beside 'a'), as scikit-learn refuses it
    with pytest.raises(ValueError, match=r"^Task 'y' has labels of mixed types \['int', 'str'\]"):
        StructuredLabelEncoder().fit(["a", 1, "b"])


@pytest.mark.parametrize(
    "columns",
    [pd.Index(["t", "u"], name="task"),
     pd.MultiIndex.from_tuples([("g", "t"), ("g", "u")], names=["group", "task"])],
)
def test_frame_columns_keep_their_names(columns):
    # Y.rename_axis(columns="task"): the name was lost, and assert_frame_equal failed
    Y = pd.DataFrame([["a", 1], ["b", 2], ["a", 2]], columns=columns)
    enc = StructuredLabelEncoder()
    pd.testing.assert_frame_equal(enc.inverse_transform(enc.fit_transform(Y)), Y)


def test_a_pandas_array_is_read_as_its_series():
    # pd.cut's Categorical had its values sorted for classes (['adult', 'child', 'senior'],
    # the unused 'baby' left out), an Int64 array with a gap float classes [1.0, 2.0] and
    # float predictions: a Series of the same values kept both (docs/labels.md)
    grades = pd.cut([30, 10, 70, 40], [-1, 0, 18, 65, 120],
                    labels=["baby", "child", "adult", "senior"])
    ints = pd.array([1, None, 2, 1], dtype="Int64")
    for y, classes, codes in [
        (grades, ["baby", "child", "adult", "senior"], [2, 1, 3, 2]),
        (ints, [1, 2], [0, MISSING, 1, 0]),
    ]:
        enc = StructuredLabelEncoder()
        encoded = enc.fit_transform(y)
        assert enc.classes_[0].tolist() == classes
        assert [type(c) for c in enc.classes_[0].tolist()] == [type(c) for c in classes]
        assert encoded.codes.ravel().tolist() == codes
        assert enc.schema_ == StructuredLabelEncoder().fit(pd.Series(y)).schema_
    enc = StructuredLabelEncoder().fit(ints)
    out = enc.inverse_transform(enc.transform(ints[[0, 2]]))  # predictions: ints
    assert out.dtype == np.int64 and out.tolist() == [1, 2]


@pytest.mark.parametrize("make", [
    lambda y: pd.Series(y, name=""),
    pytest.param(lambda y: __import__("polars").Series(y), id="polars"),  # named ""
])
def test_a_series_without_a_name_is_the_task_y(make):
    pytest.importorskip("polars")
    y = ["a", "b", None, "a"]
    enc = StructuredLabelEncoder()
    encoded = enc.fit_transform(make(y))
    assert enc.schema_.names == ["y"]
    assert encoded.codes[:, 0].tolist() == [0, 1, MISSING, 0]


@pytest.mark.parametrize("columns, given", [("ab", "a string"), (5, "a single value")])
def test_task_columns_must_be_a_collection_not_a_string(columns, given):
    # columns="ab" used to read Y's columns 'a' and 'b' (its characters) without a word.
    Y = pd.DataFrame({"a": [1, 0, 1], "b": [0, 0, 1], "s": ["x", "y", "x"]})
    with pytest.raises(ValueError, match=rf"Task 'tags' has columns=.*not {given}"):
        StructuredLabelEncoder(tasks=[Task("tags", columns=columns), Task("s")]).fit(Y)
    tasks = [Task("tags", columns=("a", "b")), Task("s")]  # any collection is fine
    assert StructuredLabelEncoder(tasks=tasks).fit(Y).tasks_[0].columns == ["a", "b"]


def test_task_columns_given_as_a_set_are_sorted_in_every_process():
    # A set of strings iterates in another order in each process (hash randomisation):
    # the labels' codes and predict_proba's columns changed from run to run.
    code = ("from sklearn_mtl import Task; "
            "print(Task('t', columns={'sunset', 'beach', 'dog'}).columns)")
    for seed in range(4):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env={**os.environ, "PYTHONHASHSEED": str(seed)}, check=True)
        assert out.stdout.strip() == "['beach', 'dog', 'sunset']"


@pytest.mark.parametrize("ordered", [False, True])
def test_a_class_that_no_category_holds_is_decoded_as_itself(ordered):
    # A class declared (partial_fit's first batch lacked it) or opening a gate, that the
    # fitted categorical column has no category for, was decoded as NaN: a prediction of
    # it was silently lost, and its gated child's label shown under a missing parent.
    Y = pd.DataFrame({
        "car": pd.Categorical(["yes", "no", "yes"], categories=["no", "yes"], ordered=ordered),
        "color": ["red", None, "blue"],
    })
    tasks = [Task("car", classes=["no", "yes", "maybe"]),
             Task("color", gate=("car", {"yes", "maybe"}))]
    enc = StructuredLabelEncoder(tasks=tasks).fit(Y)
    encoded = enc.transform(Y)
    # the categories are the classes, whichever a batch of predictions holds (batches
    # concatenate as one categorical)
    expected = Y.assign(car=Y["car"].cat.add_categories(["maybe"]))
    pd.testing.assert_frame_equal(enc.inverse_transform(encoded), expected)
    encoded.codes[0, 0] = 2  # "maybe"
    out = enc.inverse_transform(encoded)
    assert out["car"].tolist() == ["maybe", "no", "yes"]
    assert list(out["car"].cat.categories) == ["no", "yes", "maybe"]
    assert out["car"].cat.ordered == ordered
    # a gate value is a class of its parent even where no category holds it
    enc = StructuredLabelEncoder(tasks=[Task("car"), tasks[1]]).fit(Y)
    assert enc.classes_[0].tolist() == ["no", "yes", "maybe"]
    encoded = enc.transform(Y)
    encoded.codes[2, 0] = 2
    assert enc.inverse_transform(encoded)["car"].tolist() == ["yes", "no", "maybe"]


@pytest.mark.parametrize(
    "dtype, extra, out_dtype",
    [
        ("int8", 300, np.dtype("int16")),  # wrapped to 44
        ("uint8", -1, np.dtype("int8")),  # wrapped to 255
        ("int64", 2.5, np.dtype("float64")),  # cut to 2
        ("Int8", 300, pd.Int16Dtype()),  # OverflowError with a gap
        ("UInt8", -1, pd.Int8Dtype()),
        ("int8[pyarrow]", 2.5, "double[pyarrow]"),  # cut to 2
    ],
)
def test_a_declared_class_the_fitted_integer_dtype_cannot_hold_is_decoded_exactly(
    dtype, extra, out_dtype
):
    # Classes declared beyond what a batch shows (partial_fit, a CSV chunk whose ratings
    # are all whole, a downcast column): the fitted dtype wrapped or cut the class.
    Y = pd.DataFrame({"a": pd.array([1, 2, 1], dtype=dtype)})
    enc = StructuredLabelEncoder(tasks=[Task("a", classes=[1, 2, extra])]).fit(Y)
    encoded = enc.transform(Y)
    encoded.codes[0, 0] = 2
    out = enc.inverse_transform(encoded)["a"]
    assert out.tolist() == [extra, 2, 1] and out.dtype == out_dtype
    encoded.codes[2, 0] = MISSING  # a gap: crashed (OverflowError, TypeError)
    out = enc.inverse_transform(encoded)["a"]
    assert out.tolist()[:2] == [extra, 2] and pd.isna(out.iloc[2])
    # a 1-D y and a 2-D array too
    y = np.array([1, 2, 1], dtype=np.int8)
    enc = StructuredLabelEncoder(tasks=[Task("y", classes=[1, 2, 300])]).fit(y)
    encoded = enc.transform(y)
    encoded.codes[0, 0] = 2
    assert enc.inverse_transform(encoded).tolist() == [300, 2, 1]
    enc = StructuredLabelEncoder(tasks=[Task("a", classes=[1, 2, 300]), Task("b")])
    encoded = enc.fit_transform(np.column_stack([y, y]))
    encoded.codes[0, 0] = 2
    assert enc.inverse_transform(encoded)[0].tolist() == [300, 1]
    # what the dtype holds keeps it: the round trip is exact
    enc = StructuredLabelEncoder(tasks=[Task("a", classes=[0, 1, 2])]).fit(Y)
    pd.testing.assert_frame_equal(enc.inverse_transform(enc.transform(Y)), Y)


def test_groups_multi_hot_with_a_gap_or_text_names_the_row_and_column():
    # A nullable (Int64, boolean) or polars multi-hot frame with a gap failed with
    # float()'s bare TypeError ("not 'NAType'"); text with numpy's ValueError, no row.
    frame = pd.DataFrame(MULTI_HOT, columns=list("abcde")).astype("Int64")
    frame.iloc[1, 2] = pd.NA
    enc = StructuredLabelEncoder.from_groups({"A": ["a", "b"], "B": ["c", "d", "e"]},
                                             missing_groups="mask")
    missing = r"missing value \(<NA>\) in row 1, column 2 \('c'\); expected 0 or 1\. A group"
    with pytest.raises(ValueError, match=missing):
        enc.fit(frame)
    with pytest.raises(ValueError, match=missing):
        enc.fit(frame.astype("boolean"))
    matrix = MULTI_HOT.astype(object)
    matrix[1, 2] = None
    with pytest.raises(ValueError, match=r"missing value \(None\) in row 1, column 2; exp"):
        StructuredLabelEncoder.from_groups(GROUPS).fit(matrix)
    matrix[1, 2] = "x"
    with pytest.raises(ValueError, match=r"has value 'x' in row 1, column 2; expected 0 or 1"):
        StructuredLabelEncoder.from_groups(GROUPS).fit(matrix)
    # as the error says: a group whose label is unknown has 0s, masked
    frame.iloc[1, 2] = 0
    assert enc.fit_transform(frame).codes.tolist() == [[0, 1], [1, -1]]


def test_a_declared_class_wider_than_the_fitted_numpy_text_is_decoded_whole():
    # partial_fit's first batch np.array(["no", "no"]) is <U2: a prediction of the
    # declared class "yes" came back cut to "ye" (in a 2-D array too; bytes alike).
    y = np.array(["no", "no", "no"])
    enc = StructuredLabelEncoder(tasks=[Task("y", classes=["no", "yes"])]).fit(y)
    encoded = enc.transform(y)
    encoded.codes[0, 0] = 1
    out = enc.inverse_transform(encoded)
    assert out.tolist() == ["yes", "no", "no"] and out.dtype == np.dtype("<U3")
    Y = np.array([["no", "x"], ["no", "y"]])
    enc = StructuredLabelEncoder(tasks=[Task("a", classes=["no", "yes"]), Task("b")]).fit(Y)
    encoded = enc.transform(Y)
    encoded.codes[0, 0] = 1
    assert enc.inverse_transform(encoded).tolist() == [["yes", "x"], ["no", "y"]]
    y = np.array([b"no", b"no"])
    enc = StructuredLabelEncoder(tasks=[Task("y", classes=[b"no", b"yes"])]).fit(y)
    encoded = enc.transform(y)
    encoded.codes[0, 0] = 1
    assert enc.inverse_transform(encoded).tolist() == [b"yes", b"no"]
