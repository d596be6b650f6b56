"""Tests of StructuredLabelEncoder and EncodedLabels."""

import copy
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from sklearn_mtl import (
    MISSING,
    NOT_APPLICABLE,
    EncodedLabels,
    StructuredLabelEncoder,
    Task,
)

NA = NOT_APPLICABLE
COLORS = ["red", "black", "white", "blue"]
BODIES = ["berline", "4x4", "suv", "coupe"]
GROUPS = {"A": [0, 1], "B": [2, 3, 4], "C": [5, 6], "D": range(7, 13), "E": range(13, 17)}


def car_tasks():
    return [
        Task("car", kind="binary", classes=["no", "yes"]),
        Task("color", classes=COLORS, gate=("car", "yes")),
        Task("body", classes=BODIES, gate=("car", "yes")),
        Task("driver", kind="binary", classes=[False, True], gate=("car", "yes")),
    ]


def car_frame():
    return pd.DataFrame(
        {
            "car": ["yes", "no", "yes", None, "yes"],
            "color": ["blue", None, None, "red", "white"],
            "body": ["suv", None, "4x4", None, "coupe"],
            "driver": [True, None, False, None, None],
        }
    )


def is_missing(value):
    return not isinstance(value, (list, set, frozenset, tuple)) and bool(pd.isna(value))


def assert_same_labels(out, expected):
    """Element-wise equality where every missing marker (None, NaN, pd.NA) is alike."""
    out, expected = list(out), list(expected)
    assert len(out) == len(expected)
    for row, (a, b) in enumerate(zip(out, expected, strict=True)):
        if is_missing(b):
            assert is_missing(a), (row, a, b)
        else:
            assert not is_missing(a) and a == b and type(a) is type(b), (row, a, b)


def assert_same_frame(out, expected):
    assert list(out.columns) == list(expected.columns)
    pd.testing.assert_index_equal(out.index, expected.index)  # the rows as labelled
    for column in expected.columns:
        assert_same_labels(out[column], expected[column])


# ---------------------------------------------------------------------- car example
def test_car_example_codes_and_inverse():
    Y = car_frame()
    enc = StructuredLabelEncoder(tasks=car_tasks())
    encoded = enc.fit_transform(Y)
    assert isinstance(encoded, EncodedLabels)
    assert encoded.codes.tolist() == [
        [1, 3, 2, 1],
        [0, NA, NA, NA],  # gated off: not applicable, not missing
        [1, MISSING, 1, 0],
        [MISSING, 0, MISSING, MISSING],  # unknown gate: the child's own label is kept
        [1, 2, 3, MISSING],
    ]
    assert encoded.mask.tolist()[1] == [True, False, False, False]
    assert enc.n_tasks_ == 4
    assert [c.tolist() for c in enc.classes_] == [["no", "yes"], COLORS, BODIES, [False, True]]
    out = enc.inverse_transform(encoded)
    assert_same_frame(out, Y)
    assert list(out.dtypes) == list(Y.dtypes)
    np.testing.assert_array_equal(enc.transform(Y).codes, encoded.codes)


def test_car_label_on_gated_off_sample_raises_or_masks():
    Y = car_frame()
    Y.loc[1, "color"] = "red"
    with pytest.raises(
        ValueError,
        match=r"Task 'color' has a label in row 1, where its gate is off \('car' is 'no'; the "
        r"task applies only when 'car' is one of \['yes'\]\).*gated_labels='mask'",
    ):
        StructuredLabelEncoder(tasks=car_tasks()).fit(Y)
    enc = StructuredLabelEncoder(tasks=car_tasks(), gated_labels="mask")
    assert enc.fit_transform(Y).codes[1].tolist() == [0, NA, NA, NA]
    fitted = StructuredLabelEncoder(tasks=car_tasks()).fit(car_frame())
    with pytest.raises(ValueError, match="Task 'color' has a label in row 1"):
        fitted.transform(Y)


def test_docstring_example_inverse_is_missing_where_gated_off():
    Y = pd.DataFrame({"car": ["yes", "no", "yes"], "color": ["red", None, "blue"]})
    enc = StructuredLabelEncoder(tasks=[Task("car"), Task("color", gate=("car", "yes"))])
    encoded = enc.fit_transform(Y)
    assert encoded.codes.tolist() == [[1, 1], [0, NA], [1, 0]]
    assert_same_labels(enc.inverse_transform(encoded)["color"], ["red", None, "blue"])


def test_transform_accepts_reordered_columns():
    Y = car_frame()
    enc = StructuredLabelEncoder(tasks=car_tasks()).fit(Y)
    reordered = Y[["driver", "body", "car", "color"]]
    np.testing.assert_array_equal(enc.transform(reordered).codes, enc.transform(Y).codes)
    assert list(enc.inverse_transform(enc.transform(reordered)).columns) == list(Y.columns)


# ------------------------------------------------------------------ dtypes and forms
def test_dataframe_dtypes_round_trip_exactly():
    Y = pd.DataFrame(
        {
            "s": pd.Series(["x", "y", None, "x"], dtype="str"),
            "i": [3, 1, 2, 1],
            "b": [True, False, True, True],
            "cat": pd.Categorical(["lo", None, "hi", "lo"], categories=["lo", "mid", "hi"]),
            "ni": pd.array([1, None, 3, 3], dtype="Int64"),
            "nb": pd.array([True, None, True, True], dtype="boolean"),
            "f": [1.0, np.nan, 2.0, 2.0],
        }
    )
    enc = StructuredLabelEncoder()
    encoded = enc.fit_transform(Y)
    assert [t.kind for t in enc.tasks_] == [
        "binary", "multiclass", "binary", "multiclass", "binary", "binary", "binary",
    ]
    assert [list(c) for c in enc.classes_] == [
        ["x", "y"], [1, 2, 3], [False, True], ["lo", "mid", "hi"], [1, 3], [False, True],
        [1.0, 2.0],
    ]
    assert encoded.codes.tolist() == [
        [0, 2, 1, 0, 0, 1, 0],
        [1, 0, 0, MISSING, MISSING, MISSING, MISSING],
        [MISSING, 1, 1, 2, 1, 1, 1],
        [0, 0, 1, 0, 1, 1, 1],
    ]
    pd.testing.assert_frame_equal(enc.inverse_transform(encoded), Y)


def test_missing_labels_in_numpy_int_and_bool_columns_come_back_nullable():
    Y = pd.DataFrame({"car": ["yes", "no", "yes"], "seats": [2, 4, 5], "ok": [True, False, True]})
    tasks = [
        Task("car"),
        Task("seats", classes=[2, 4, 5], gate=("car", "yes")),
        Task("ok", gate=("car", "yes")),
    ]
    enc = StructuredLabelEncoder(tasks=tasks, gated_labels="mask")
    out = enc.inverse_transform(enc.fit_transform(Y))
    assert str(out["seats"].dtype) == "Int64" and str(out["ok"].dtype) == "boolean"
    assert out["seats"].tolist() == [2, pd.NA, 5]
    assert out["ok"].tolist() == [True, pd.NA, True]


def test_categorical_transform_with_other_categories():
    Y = pd.DataFrame({"a": pd.Categorical(["x", "y", "x"], categories=["y", "x"])})
    enc = StructuredLabelEncoder().fit(Y)
    assert enc.classes_[0].tolist() == ["y", "x"]  # category order, not sorted
    other = pd.DataFrame({"a": pd.Categorical(["x", None], categories=["z", "x"])})
    assert enc.transform(other).codes.tolist() == [[1], [MISSING]]
    with pytest.raises(ValueError, match=r"Task 'a' got label 'z' in row 1, which is not among "
                       r"its classes \['y', 'x'\]"):
        enc.transform(pd.DataFrame({"a": pd.Categorical(["x", "z"])}))


def test_two_d_arrays():
    Y = np.array([[0, 5], [1, 7], [1, 5]])
    enc = StructuredLabelEncoder()
    encoded = enc.fit_transform(Y)
    assert enc.schema_.names == ["task0", "task1"]
    assert encoded.codes.tolist() == [[0, 0], [1, 1], [1, 0]]
    out = enc.inverse_transform(encoded)
    assert out.dtype == Y.dtype
    np.testing.assert_array_equal(out, Y)

    obj = np.array([["a", 1], ["b", None], [None, 2]], dtype=object)
    enc = StructuredLabelEncoder().fit(obj)
    assert enc.transform(obj).codes.tolist() == [[0, 0], [1, MISSING], [MISSING, 1]]
    out = enc.inverse_transform(enc.transform(obj))
    assert out.dtype == object and out.tolist() == obj.tolist()

    floats = np.array([[0.0, np.nan], [1.0, 2.0], [np.nan, 3.0]])
    enc = StructuredLabelEncoder().fit(floats)
    np.testing.assert_array_equal(enc.inverse_transform(enc.transform(floats)), floats)


def test_two_d_int_array_with_gated_off_predictions_becomes_object():
    Y = np.array([[1, 3], [0, 2], [1, 2]])
    tasks = [Task("a"), Task("b", gate=("a", 1))]
    enc = StructuredLabelEncoder(tasks=tasks, gated_labels="mask")
    out = enc.inverse_transform(enc.fit_transform(Y))
    assert out.dtype == object and out.tolist() == [[1, 3], [0, None], [1, 2]]


def test_one_d_behaves_like_a_label_encoder():
    y = np.array(["b", "a", "c", "a"])
    enc = StructuredLabelEncoder()
    encoded = enc.fit_transform(y)
    assert enc.schema_.names == ["y"] and enc.tasks_[0].kind == "multiclass"
    assert encoded.codes.ravel().tolist() == [1, 0, 2, 0]
    np.testing.assert_array_equal(enc.inverse_transform(encoded), y)
    series = pd.Series([1, 0, 1], name="target")
    enc = StructuredLabelEncoder().fit(series)
    assert enc.schema_.names == ["target"] and enc.tasks_[0].kind == "binary"
    assert enc.transform([0, 1]).codes.tolist() == [[0], [1]]


def test_integral_floats_are_classes_and_others_are_refused():
    enc = StructuredLabelEncoder().fit(np.array([1.0, 2.0, np.nan]))
    assert enc.classes_[0].tolist() == [1.0, 2.0]
    with pytest.raises(ValueError, match=r"Task 'y' holds non-integral numbers \(e.g. \[1.5\]\)"
                       r".*kind='regression'"):
        StructuredLabelEncoder().fit(np.array([1.5, 2.0]))


def test_declared_int_classes_read_float_labels():
    enc = StructuredLabelEncoder(tasks=[Task("a", classes=[1, 2, 3])])
    assert enc.fit_transform(np.array([3.0, 1.0, np.nan])).codes.ravel().tolist() == [2, 0, -1]
    assert enc.tasks_[0].kind == "multiclass"


# ------------------------------------------------------------------- multilabel, regression
def test_multilabel_column_of_lists_and_sets():
    Y = pd.DataFrame({"tags": [["b", "a"], [], None, ["c"]], "k": ["x", "y", "x", "y"]})
    enc = StructuredLabelEncoder()
    encoded = enc.fit_transform(Y)
    assert enc.tasks_[0].kind == "multilabel" and enc.tasks_[0].classes == ["a", "b", "c"]
    assert encoded.multilabel["tags"].tolist() == [[1, 1, 0], [0, 0, 0], [-1, -1, -1], [0, 0, 1]]
    assert encoded.codes[:, 0].tolist() == [0, 0, MISSING, 0]
    out = enc.inverse_transform(encoded)
    assert out["tags"].tolist()[:2] == [["a", "b"], []] and is_missing(out["tags"][2])

    sets = [{"a"}, {"a", "b"}, set()]
    enc = StructuredLabelEncoder()
    encoded = enc.fit_transform(sets)
    assert encoded.task_values("y").tolist() == [[1, 0], [1, 1], [0, 0]]
    assert list(enc.inverse_transform(encoded)) == sets


def test_multilabel_column_of_one_d_arrays_reads_as_lists():
    # pyarrow (pd.read_parquet, ParquetShards) gives a Parquet list column as 1-D arrays
    lists = [["b", "a"], [], None, ["c"]]
    arrays = [None if v is None else np.array(v, dtype=object) for v in lists]
    Y = pd.DataFrame({"tags": arrays, "k": ["x", "y", "x", "y"]})
    expected = StructuredLabelEncoder().fit_transform(Y.assign(tags=lists))
    for tasks in (None, [Task("tags", kind="multilabel", classes=["a", "b", "c"]), Task("k")]):
        enc = StructuredLabelEncoder(tasks=tasks)
        encoded = enc.fit_transform(Y)
        assert enc.tasks_[0].kind == "multilabel" and enc.tasks_[0].classes == ["a", "b", "c"]
        np.testing.assert_array_equal(encoded.multilabel["tags"], expected.multilabel["tags"])
        np.testing.assert_array_equal(encoded.codes, expected.codes)
        out = enc.inverse_transform(encoded)  # given back as lists
        assert out["tags"].tolist()[:2] == [["a", "b"], []] and is_missing(out["tags"][2])
    ints = StructuredLabelEncoder().fit(pd.DataFrame({"t": [np.array([2, 1]), np.array([1])]}))
    assert ints.tasks_[0].classes == [1, 2]
    # a row that is not a 1-D container is refused, as before
    enc = StructuredLabelEncoder([Task("tags", kind="multilabel", classes=["a", "b"])])
    for bad in ("a", np.array([["a", "b"]]), np.array("a")):
        with pytest.raises(ValueError, match="Multilabel task 'tags' expects a list or set of "
                           "labels per row; got .* in row 1"):
            enc.fit(pd.DataFrame({"tags": [["a"], bad]}))


def test_multilabel_group_of_columns():
    Y = pd.DataFrame({"t1": [1, 0, np.nan], "t2": [0, 0, 1], "k": ["x", "y", "x"]})
    enc = StructuredLabelEncoder(tasks=[Task("tags", columns=["t1", "t2"]), Task("k")])
    encoded = enc.fit_transform(Y)
    assert encoded.multilabel["tags"].tolist() == [[1, 0], [0, 0], [-1, 1]]
    pd.testing.assert_frame_equal(enc.inverse_transform(encoded), Y)
    with pytest.raises(ValueError, match=r"Multilabel task 'tags' column 't2' has value 2.0 in "
                       r"row 1; expected 0, 1 or missing"):
        enc.transform(Y.assign(t2=[0, 2, 1]))


def test_gated_multilabel_and_regression():
    Y = pd.DataFrame(
        {
            "car": ["yes", "no", "yes", "yes"],
            "tags": [["gps"], None, [], ["gps", "roof"]],
            "price": [1.5, np.nan, np.nan, 3.25],
        }
    )
    tasks = [
        Task("car"),
        Task("tags", kind="multilabel", gate=("car", "yes")),
        Task("price", kind="regression", gate=("car", "yes")),
    ]
    enc = StructuredLabelEncoder(tasks=tasks)
    encoded = enc.fit_transform(Y)
    assert encoded.codes.tolist() == [[1, 0, 0], [0, NA, NA], [1, 0, MISSING], [1, 0, 0]]
    assert encoded.multilabel["tags"].tolist() == [[1, 0], [-1, -1], [0, 0], [1, 1]]
    np.testing.assert_array_equal(encoded.regression["price"], [1.5, np.nan, np.nan, 3.25])
    assert enc.classes_[2] is None
    assert_same_frame(enc.inverse_transform(encoded), Y)
    with pytest.raises(ValueError, match="Task 'price' has a label in row 1"):
        enc.transform(Y.assign(price=[1.5, 2.0, np.nan, 3.25]))
    with pytest.raises(ValueError, match="expects numbers; got 'cheap' in row 3"):
        enc.transform(Y.assign(price=[1.5, np.nan, np.nan, "cheap"]))
    # numbers read as text are numbers: the error names the cell that is not one
    with pytest.raises(ValueError, match="expects numbers; got 'unknown' in row 3"):
        enc.transform(Y.assign(price=["1.5", None, None, "unknown"]))


# ---------------------------------------------------------------------------- groups
def seventeen_wide():
    sets = [{0, 3, 5, 9, 14}, {1, 2, 6, 7, 13}, {0, 4, 6, 12, 16}]
    hot = np.zeros((3, 17), dtype=np.int64)
    for row, labels in enumerate(sets):
        hot[row, sorted(labels)] = 1
    return sets, hot


def test_seventeen_label_grouped_scheme():
    sets, hot = seventeen_wide()
    expected = [[0, 1, 0, 2, 1], [1, 0, 1, 0, 0], [0, 2, 1, 5, 3]]
    enc = StructuredLabelEncoder.from_groups(GROUPS)
    encoded = enc.fit_transform(hot)
    assert enc.schema_.names == ["A", "B", "C", "D", "E"]
    assert [t.kind for t in enc.tasks_] == ["binary", "multiclass", "binary", "multiclass",
                                            "multiclass"]
    assert encoded.codes.tolist() == expected
    np.testing.assert_array_equal(enc.inverse_transform(encoded), hot)

    enc = StructuredLabelEncoder.from_groups(GROUPS)
    assert enc.fit_transform(sets).codes.tolist() == expected
    assert enc.inverse_transform(enc.transform(sets)) == sets

    frame = pd.DataFrame(hot, columns=[f"{i}" for i in range(17)])
    enc = StructuredLabelEncoder.from_groups(GROUPS)
    assert enc.fit_transform(frame).codes.tolist() == expected
    pd.testing.assert_frame_equal(enc.inverse_transform(enc.transform(frame)), frame)
    assert clone(enc).get_params()["groups"] == enc.get_params()["groups"]


def test_groups_read_label_lists_as_label_sets():
    # The form of MultiLabelBinarizer's input (a list of lists, as str.split gives them)
    # is label sets with groups too, given back as lists in the groups' order; ragged
    # rows included, where no multi-hot reading is possible.
    sets, hot = seventeen_wide()
    lists = [sorted(labels, reverse=True) for labels in sets]
    enc = StructuredLabelEncoder.from_groups(GROUPS)
    codes = enc.fit_transform(lists).codes.tolist()
    assert codes == StructuredLabelEncoder.from_groups(GROUPS).fit_transform(sets).codes.tolist()
    back = enc.inverse_transform(enc.transform(lists))
    assert back == [sorted(labels) for labels in sets]  # GROUPS lists labels in order
    tuples = [tuple(row) for row in lists]
    assert StructuredLabelEncoder.from_groups(GROUPS).fit(tuples).inverse_transform(
        enc.transform(tuples)) == [tuple(sorted(labels)) for labels in sets]
    with pytest.raises(ValueError, match=r"groups\['a'\] is 'xyz'; expected a list of its "
                                         r"labels"):
        StructuredLabelEncoder(groups={"a": "xyz"}).fit(lists)


def test_groups_with_gates():
    enc = StructuredLabelEncoder.from_groups(GROUPS, gates={"C": ("A", 1)})
    sets = [{0, 2, 7, 13}, {1, 2, 5, 7, 13}]
    encoded = enc.fit_transform(sets)
    assert encoded.codes.tolist() == [[0, 0, NA, 0, 0], [1, 0, 0, 0, 0]]
    assert enc.inverse_transform(encoded) == sets
    with pytest.raises(ValueError, match="Task 'C' has a label in row 0, where its gate is off"):
        enc.transform([{0, 2, 5, 7, 13}])
    with pytest.raises(ValueError, match=r"gates name unknown group\(s\) \['Z'\]"):
        StructuredLabelEncoder.from_groups(GROUPS, gates={"Z": ("A", 1)})


def test_group_errors():
    sets, hot = seventeen_wide()
    enc = StructuredLabelEncoder.from_groups(GROUPS).fit(hot)
    two = hot.copy()
    two[1, 3] = 1
    with pytest.raises(ValueError, match=r"Row 1 has 2 active labels \[2, 3\] in exclusive group "
                       r"'B' \(labels \[2, 3, 4\]\); expected at most one"):
        enc.transform(two)
    with pytest.raises(ValueError, match=r"Row 0 has 2 active labels \[0, 1\] in exclusive group "
                       "'A'"):
        StructuredLabelEncoder.from_groups(GROUPS).fit([{0, 1, 2, 5, 7, 13}])
    none = hot.copy()
    none[2, 7:13] = 0
    with pytest.raises(ValueError, match=r"Row 2 has no active label in group 'D' \(labels \[7, "
                       r"8, 9, 10, 11, 12\]\); expected exactly one.*missing_groups='mask'"):
        enc.transform(none)
    masking = StructuredLabelEncoder.from_groups(GROUPS, missing_groups="mask")
    assert masking.fit_transform(none).codes[2].tolist() == [0, 2, 1, MISSING, 3]
    with pytest.raises(ValueError, match=r"Y has shape \(3, 16\); expected a multi-hot matrix "
                       r"of shape \(n_samples, 17\)"):
        enc.transform(hot[:, :16])
    with pytest.raises(ValueError, match=r"value 2.0 in row 0, column 0; expected 0 or 1"):
        enc.transform(hot * 2)
    with pytest.raises(ValueError, match=r"label\(s\) \[16\] are not in range\(0, 16\)"):
        StructuredLabelEncoder.from_groups(GROUPS).fit(hot[:, :16])
    sets_enc = StructuredLabelEncoder.from_groups(GROUPS).fit(sets)
    with pytest.raises(ValueError, match=r"Row 0 has label 99, which is in no group"):
        sets_enc.transform([{99}])
    with pytest.raises(ValueError, match=r"Label\(s\) \[1\] belong to more than one group"):
        StructuredLabelEncoder.from_groups({"A": [0, 1], "B": [1, 2]}).fit(hot)


@pytest.mark.parametrize("kind", ["binary", "multiclass"])
@pytest.mark.parametrize("tags, row", [([["x"], ["y"], ["x", "y"]], 0), (["x", ["y"], "z"], 1)])
def test_declared_kind_is_kept_for_a_column_of_label_sets(kind, tags, row):
    # A column of lists for a task declared binary or multiclass is refused (before: the
    # task silently became multilabel, or the error blamed the rows that were not lists).
    Y = pd.DataFrame({"a": tags})
    shown = repr(tags[row])
    with pytest.raises(ValueError, match=rf"^Task 'a' is declared {kind}, but its column holds "
                                         rf"label sets \({re.escape(shown)} in row {row}\); a "
                                         rf"{kind} task has one label per row\. Declare "
                                         r"Task\('a', kind='multilabel'\)"):
        StructuredLabelEncoder(tasks=[Task("a", kind=kind, classes=["x", "y", "z"])]).fit(Y)
    # with the kind left out, a column of lists is inferred multilabel, as documented
    enc = StructuredLabelEncoder(tasks=[Task("a", classes=["x", "y"])])
    assert enc.fit(pd.DataFrame({"a": [["x"], ["y"]]})).tasks_[0].kind == "multilabel"


def test_declared_kind_on_a_list_column_of_gaps_alone_names_the_dtype():
    # a pyarrow list column of gaps alone holds no list to show: a bare StopIteration
    pa = pytest.importorskip("pyarrow")
    Y = pd.DataFrame({"a": pd.Series([None, None], dtype=pd.ArrowDtype(pa.list_(pa.string())))})
    with pytest.raises(ValueError, match=r"^Task 'a' is declared binary, but its column holds "
                                         r"label sets \(its dtype is list<item: string>"):
        StructuredLabelEncoder(tasks=[Task("a", kind="binary", classes=["x", "y"])]).fit(Y)


# ---------------------------------------------------------------------- other errors
def test_unseen_label_lists_known_classes():
    enc = StructuredLabelEncoder().fit(car_frame()[["car", "color"]])
    with pytest.raises(ValueError, match=r"Task 'color' got label 'purple' in row 1, which is not "
                       r"among its classes \['blue', 'red', 'white'\]"):
        enc.transform(pd.DataFrame({"car": ["yes", "yes"], "color": ["red", "purple"]}))
    one_d = StructuredLabelEncoder().fit([1, 2, 3])
    with pytest.raises(ValueError, match=r"Task 'y' got label 7 in row 2, .* \[1, 2, 3\]"):
        one_d.transform([1, 2, 7])


def test_column_count_and_names_must_match_the_schema():
    enc = StructuredLabelEncoder().fit(np.array([[0, 1], [1, 0]]))
    with pytest.raises(ValueError, match=r"Y has shape \(1, 3\), but the schema has 2 tasks; "
                       r"expected \(n_samples, 2\)"):
        enc.transform(np.array([[0, 1, 1]]))
    with pytest.raises(ValueError, match=r"Y has 2 columns, but the schema has 3 tasks "
                       r"\['a', 'b', 'c'\]; expected one column per task"):
        StructuredLabelEncoder([Task("a"), Task("b"), Task("c")]).fit(np.array([[0, 1], [1, 0]]))
    frame_enc = StructuredLabelEncoder(tasks=car_tasks()).fit(car_frame())
    with pytest.raises(ValueError, match=r"Y has no column 'body' for task 'body'"):
        frame_enc.transform(car_frame().drop(columns="body"))
    with pytest.raises(ValueError, match=r"Y column\(s\) \['x'\] are not in the schema"):
        frame_enc.transform(car_frame().assign(x=1))
    with pytest.raises(ValueError, match="The encoder was fitted on a DataFrame; got ndarray"):
        frame_enc.transform(car_frame().to_numpy())
    with pytest.raises(ValueError, match=r"The encoded labels have 2 tasks, but the encoder has 4"):
        frame_enc.inverse_transform(enc.transform(np.array([[0, 1]])))


@pytest.mark.parametrize(
    "Y, match",
    [
        (np.array(["a", 1, None], dtype=object), r"labels of mixed types \['int', 'str'\]"),
        (pd.DataFrame({"a": [None, None]}), "Task 'a' has no labels: all 2 values are missing"),
        (np.array(["a", "a"]), r"Task 'y' has one class \['a'\] in the data"),
        (np.array([[0, 1]]).reshape(1, 1, 2), "got a 3-D array"),
        (np.array([], dtype=int), "Y is empty"),
    ],
)
def test_fit_errors(Y, match):
    with pytest.raises(ValueError, match=match):
        StructuredLabelEncoder().fit(Y)


def test_duplicate_column_names_in_a_frame_are_refused():
    # (before: a bare StopIteration, numpy's "Buffer has wrong number of dimensions", or
    # "labels of mixed types" for the two columns read as one)
    message = r"^Y has more than one column named \['a'\]; expected each name once"
    frames = [
        pd.DataFrame([["x", "u"], ["y", "v"]], columns=["a", "a"]),
        pd.DataFrame([[0, 1, "p"], [1, 2, "q"]], columns=["a", "a", "b"]),
        pd.DataFrame([[0, "u"], [1, "v"]], columns=["a", "a"]),
    ]
    for Y in frames:
        for tasks in (None, [Task(str(c)) for c in dict.fromkeys(Y.columns)]):
            with pytest.raises(ValueError, match=message):
                StructuredLabelEncoder(tasks=tasks).fit(Y)
    with pytest.raises(ValueError, match=r"^Y has more than one column named \['1'\] \(names "
                                         r"are read as strings: 1 and '1' alike\)"):
        StructuredLabelEncoder().fit(pd.DataFrame([[0, 1], [1, 0]], columns=[1, "1"]))
    enc = StructuredLabelEncoder().fit(pd.DataFrame({"a": ["x", "y"], "b": ["u", "v"]}))
    with pytest.raises(ValueError, match=message):
        enc.transform(pd.DataFrame([["x", "u"], ["y", "v"]], columns=["a", "a"]))
    # a multi-hot frame of exclusive groups: a label's column named twice
    groups = StructuredLabelEncoder.from_groups({"A": ["no", "yes"], "B": ["r", "g"]})
    hot = pd.DataFrame([[1, 0, 1, 0], [0, 1, 0, 1]], columns=["no", "yes", "r", "r"])
    with pytest.raises(ValueError, match=r"^Y has more than one column named \['r'\]"):
        groups.fit(hot)
    groups.fit(hot.set_axis(["no", "yes", "r", "g"], axis=1))
    with pytest.raises(ValueError, match=r"^Y has more than one column named \['r'\]"):
        groups.transform(hot)


def test_invalid_parameter_is_reported_at_fit():
    enc = StructuredLabelEncoder(gated_labels="ignore")  # __init__ does not validate
    with pytest.raises(ValueError, match="gated_labels"):
        enc.fit(car_frame())


# ------------------------------------------------------------------- inputs untouched
@pytest.mark.parametrize(
    "make",
    [
        lambda: (StructuredLabelEncoder(tasks=car_tasks()), car_frame()),
        lambda: (
            StructuredLabelEncoder(),
            pd.DataFrame(
                {
                    "tags": [["a", "b"], ["b"], None],
                    "k": pd.Categorical(["x", "y", None]),
                    "n": pd.array([1, None, 2], dtype="Int64"),
                }
            ),
        ),
        lambda: (
            StructuredLabelEncoder(),
            np.array([["a", 1], [None, 2], ["b", 1]], dtype=object),
        ),
        lambda: (StructuredLabelEncoder.from_groups(GROUPS), seventeen_wide()[0]),
        lambda: (StructuredLabelEncoder.from_groups(GROUPS), seventeen_wide()[1]),
    ],
)
def test_user_inputs_are_never_modified(make):
    enc, Y = make()
    snapshot = copy.deepcopy(Y)
    params = copy.deepcopy(enc.get_params())
    encoded = enc.fit_transform(Y)
    encoded.codes[:] = MISSING  # writing to the output does not reach the input
    enc.fit(Y)
    out = enc.inverse_transform(enc.transform(Y))
    if isinstance(out, pd.DataFrame) and "tags" in out:
        out["tags"][0].append("zzz")
    if isinstance(Y, pd.DataFrame):
        pd.testing.assert_frame_equal(Y, snapshot)
    elif isinstance(Y, np.ndarray):
        assert Y.dtype == snapshot.dtype and Y.tolist() == snapshot.tolist()
    else:
        assert Y == snapshot
    assert repr(enc.get_params()) == repr(params)


# -------------------------------------------------------------- estimator behaviour
def test_sklearn_transformer_api():
    enc = StructuredLabelEncoder(tasks=car_tasks(), gated_labels="mask")
    assert enc.get_params() == {
        "tasks": enc.tasks, "groups": None, "gated_labels": "mask", "missing_groups": "raise",
    }
    cloned = clone(enc)
    assert cloned.get_params()["gated_labels"] == "mask" and cloned.tasks == enc.tasks
    assert not hasattr(cloned, "schema_")
    enc.set_params(gated_labels="raise")
    assert enc.gated_labels == "raise"
    first = enc.fit(car_frame()).schema_
    assert enc.fit(car_frame()).schema_ == first  # refitting is idempotent
    with pytest.raises(Exception, match="not fitted"):
        StructuredLabelEncoder().transform(car_frame())


def test_encoded_labels_accessors():
    enc = StructuredLabelEncoder(tasks=car_tasks())
    encoded = enc.fit_transform(car_frame())
    sub = encoded[np.array([0, 2])]
    assert isinstance(sub, EncodedLabels) and len(sub) == 2 and sub.n_samples == 2
    assert sub.codes.tolist() == [[1, 3, 2, 1], [1, MISSING, 1, 0]]
    assert sub.schema is encoded.schema
    assert encoded.task_values("body").tolist() == [2, NA, 1, MISSING, 3]
    assert repr(sub) == "EncodedLabels(n_samples=2, tasks=['car', 'color', 'body', 'driver'])"
    with pytest.raises(TypeError, match="inverse_transform expects EncodedLabels"):
        enc.inverse_transform(encoded.codes)


# -------------------------------------------------------------- hypothesis round trips
@st.composite
def schemas_and_labels(draw):
    """Random tasks (some gated on earlier ones) and labels consistent with the gates."""
    n_tasks = draw(st.integers(1, 4))
    n_rows = draw(st.integers(1, 12))
    tasks, columns, off = [], {}, {}
    for j in range(n_tasks):
        name = f"t{j}"
        parents = [t for t in tasks if t.kind in ("binary", "multiclass")]
        gate = None
        if parents and draw(st.booleans()):
            parent = draw(st.sampled_from(parents))
            values = draw(st.sets(st.sampled_from(parent.classes), min_size=1))
            gate = (parent.name, values)
        kind = draw(st.sampled_from(["binary", "multiclass", "multilabel", "regression"]))
        if kind == "regression":
            task = Task(name, kind=kind, gate=gate)
            pool = st.floats(-1e6, 1e6, allow_nan=False)
        else:
            n = 2 if kind == "binary" else draw(st.integers(1 if kind == "multilabel" else 3, 5))
            classes = draw(st.sampled_from([[f"c{i}" for i in range(n)], list(range(10, 10 + n))]))
            task = Task(name, kind=kind, classes=classes, gate=gate)
            if kind == "multilabel":
                pool = st.sets(st.sampled_from(classes))
            else:
                pool = st.sampled_from(classes)
        column, off[name] = [], []
        for row in range(n_rows):
            # gated off: the parent is off, or has a label outside the gate's values
            is_off = gate is not None and (
                off[gate[0]][row]
                or (columns[gate[0]][row] is not None and columns[gate[0]][row] not in gate[1])
            )
            present = not is_off and draw(st.booleans() | st.just(True))
            column.append(draw(pool) if present else None)
            off[name].append(is_off)
        if kind == "regression":
            column = [np.nan if v is None else v for v in column]
        tasks.append(task)
        columns[name] = column
    return tasks, columns


@settings(max_examples=100, deadline=None)
@given(schemas_and_labels(), st.sampled_from(["frame", "array"]))
def test_round_trip_over_random_schemas(data, form):
    tasks, columns = data
    if form == "frame":  # rows labelled as a user's are (given back by inverse_transform)
        n = len(columns["t0"])
        Y = pd.DataFrame(columns, index=pd.Index([f"r{i}" for i in range(n, 0, -1)]))
    else:
        Y = np.empty((len(columns["t0"]), len(columns)), dtype=object)
        for j, values in enumerate(columns.values()):
            Y[:, j] = values
    snapshot = copy.deepcopy(Y)
    enc = StructuredLabelEncoder(tasks=tasks)
    encoded = enc.fit_transform(Y)
    out = enc.inverse_transform(encoded)
    # gated-off entries are never active, and are always masked
    for j, task in enumerate(enc.tasks_):
        if task.gate is None:
            assert (encoded.codes[:, j] != NA).all()
    assert (encoded.mask == (encoded.codes >= 0)).all()
    if form == "frame":
        assert_same_frame(out, Y)
        pd.testing.assert_frame_equal(Y, snapshot)
    else:
        for j in range(Y.shape[1]):
            assert_same_labels(out[:, j], Y[:, j])
            assert_same_labels(Y[:, j], snapshot[:, j])
    np.testing.assert_array_equal(enc.transform(Y).codes, encoded.codes)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from(["a", "b", "c", None]), min_size=3, max_size=3),
        min_size=2,
        max_size=10,
    ),
    st.sampled_from(["frame", "array"]),
)
def test_round_trip_with_inferred_schema(rows, form):
    Y = np.array(rows, dtype=object)
    for j in range(3):  # inference needs two classes per column
        Y[:2, j] = ["a", "b"]
    if form == "frame":
        Y = pd.DataFrame(Y, columns=["x", "y", "z"])
    enc = StructuredLabelEncoder()
    encoded = enc.fit_transform(Y)
    for task in enc.tasks_:
        column = np.asarray(Y)[:, enc.schema_.index(task.name)]
        present = sorted({v for v in column if isinstance(v, str)})
        assert task.classes == present  # sorted distinct non-missing values
        assert task.kind == ("binary" if len(present) == 2 else "multiclass")
    out = enc.inverse_transform(encoded)
    if form == "frame":
        assert_same_frame(out, Y)
    else:
        for j in range(3):
            assert_same_labels(out[:, j], Y[:, j])


def test_inverse_transform_gives_back_the_row_labels_of_the_y_encoded():
    # inverse_transform(transform(Y)) came back with a RangeIndex where Y had its own
    Y = pd.DataFrame({"car": ["yes", "no", "yes"], "size": ["s", "m", None]},
                     index=pd.Index([10, 11, 12], name="id"))
    enc = StructuredLabelEncoder().fit(Y)
    for encoded in (enc.transform(Y), enc.fit_transform(Y)):
        pd.testing.assert_frame_equal(enc.inverse_transform(encoded), Y)
        # a subset keeps its rows' labels; labels read from an array have none
        pd.testing.assert_frame_equal(enc.inverse_transform(encoded[[2, 0]]),
                                      Y.iloc[[2, 0]])
    assert StructuredLabelEncoder().fit(Y.to_numpy()).transform(Y.to_numpy()).index is None
    codes = enc.transform(Y)  # labels built without an index (predictions): numbered rows
    codes = EncodedLabels(codes.codes, codes.multilabel, codes.regression, codes.schema)
    pd.testing.assert_index_equal(enc.inverse_transform(codes).index, pd.RangeIndex(3))
    series = pd.Series(["a", "b", "a"], index=[5, 3, 1], name="y")
    enc = StructuredLabelEncoder().fit(series)
    assert enc.transform(series).index.tolist() == [5, 3, 1]


def test_tasks_takes_a_fitted_schema():
    # The schema of the whole Y, given to an encoder that sees a part of it, keeps the
    # classes the part lacks (the cross-validation fold of a rare class).
    Y = pd.DataFrame({"a": ["x", "y", "z", "x"], "b": [0, 1, 1, 0]})
    schema = StructuredLabelEncoder().fit(Y).schema_
    part = StructuredLabelEncoder(tasks=schema).fit(Y.iloc[[0, 3]])
    assert part.schema_ == schema
    assert part.transform(Y).codes.tolist() == [[0, 0], [1, 1], [2, 1], [0, 0]]
    with pytest.raises(ValueError, match=r"Task 'a' has one class \['x'\].*schema_"):
        StructuredLabelEncoder().fit(Y.iloc[[0, 3]])


def test_a_dict_or_records_of_labels_is_refused_with_the_frame_to_build():
    Y = pd.DataFrame({"a": ["x", "y", "x"], "b": [0, 1, 1]})
    for labels, what in ((Y.to_dict("list"), "a dict of columns"),
                         (Y.to_dict("records"), r"a list of dicts \(one per row\)")):
        with pytest.raises(ValueError, match=rf"Y is {what}; give it as a DataFrame, one "
                                             r"column per task: pd.DataFrame\(Y\)"):
            StructuredLabelEncoder().fit(labels)
    with pytest.raises(ValueError, match=r"got a scalar 'x{76}\.\.\.\.$"):
        StructuredLabelEncoder().fit("x" * 200)


# ------------------------------------------- masked gated-off labels are not classes
def placeholder_frame():
    """color is "n/a" where car is "no": a placeholder where its gate is off."""
    car = ["yes", "no", "yes", "no", "yes", None]
    color = ["red", "n/a", "blue", "n/a", "red", "blue"]
    return pd.DataFrame({"car": car, "color": color})


def test_masked_gated_off_placeholder_is_no_class():
    tasks = [Task("car"), Task("color", gate=("car", "yes"))]
    Y = placeholder_frame()
    with_none = Y.assign(color=Y["color"].where(Y["car"] != "no", None))
    enc = StructuredLabelEncoder(tasks=tasks, gated_labels="mask")
    encoded = enc.fit_transform(Y)
    expected = StructuredLabelEncoder(tasks=tasks, gated_labels="mask")
    expected_encoded = expected.fit_transform(with_none)
    assert enc.tasks_[1] == Task("color", kind="binary", classes=["blue", "red"],
                                 gate=("car", "yes"))
    assert enc.schema_ == expected.schema_
    assert encoded.codes.tolist() == expected_encoded.codes.tolist() == [
        [1, 1], [0, NA], [1, 0], [0, NA], [1, 1], [MISSING, 0]
    ]
    np.testing.assert_array_equal(enc.transform(Y).codes, encoded.codes)
    assert_same_frame(enc.inverse_transform(encoded), with_none)
    # predictions decode alike: a binary color, masked where car is "no"
    pred = EncodedLabels(np.array([[1, 0], [0, NA], [1, 1]]), {}, {}, enc.schema_)
    assert_same_frame(enc.inverse_transform(pred), expected.inverse_transform(pred))
    assert_same_labels(enc.inverse_transform(pred)["color"], ["blue", None, "red"])
    # the placeholder no longer hides that the applicable rows show one class
    with pytest.raises(ValueError, match=r"Task 'color' has one class \['red'\] in the data "
                                         r"where its gate is on"):
        StructuredLabelEncoder(tasks=tasks, gated_labels="mask").fit(Y.iloc[[0, 1, 3, 4]])


def test_masked_gated_off_labels_under_nested_and_multi_valued_gates():
    # car -> color (multiclass parent of a gate on two of its values) -> shade
    Y = pd.DataFrame({
        "car": ["yes", "yes", "no", "yes", None, "yes", "no"],
        "color": ["red", "blue", "n/a", "green", "red", "blue", "red"],
        "shade": ["dark", "n/a", "n/a", "light", "light", "n/a", "?"],
    })
    tasks = [
        Task("car"),
        Task("color", gate=("car", "yes")),
        Task("shade", gate=("color", ["red", "green"])),
    ]
    enc = StructuredLabelEncoder(tasks=tasks, gated_labels="mask")
    encoded = enc.fit_transform(Y)
    assert enc.classes_[1].tolist() == ["blue", "green", "red"]
    assert enc.tasks_[2].kind == "binary" and enc.classes_[2].tolist() == ["dark", "light"]
    # row 6: color is "red", but car is "no": shade's gate is off (its parent is)
    assert encoded.codes.tolist() == [
        [1, 2, 0], [1, 0, NA], [0, NA, NA], [1, 1, 1], [MISSING, 2, 1], [1, 0, NA], [0, NA, NA]
    ]
    with_none = Y.copy()
    with_none.loc[[2, 6], "color"] = None
    with_none.loc[[1, 2, 5, 6], "shade"] = None
    expected = StructuredLabelEncoder(tasks=tasks, gated_labels="mask")
    assert expected.fit_transform(with_none).codes.tolist() == encoded.codes.tolist()
    assert expected.schema_ == enc.schema_
    assert_same_frame(enc.inverse_transform(encoded), with_none)


def test_masked_gates_encode_each_parent_once_as_apply_gates_reads_them(monkeypatch):
    # A parent's codes are read once for all its children (not once per child), and the
    # masked codes are what Schema.apply_gates leaves: no conflict, nothing more to mask.
    import sklearn_mtl._encoder as encoder_module
    from sklearn_mtl import Schema

    Y = pd.DataFrame({
        "car": ["yes", "no", "yes", None, "no"],
        **{f"c{k}": ["a", "n/a", "b", "a", "n/a"] for k in range(3)},
        "tags": [{"gps"}, "n/a", {"roof"}, None, "n/a"],
        "price": [1.0, "n/a", 2.0, 3.0, "n/a"],
    })
    tasks = [Task("car")] + [Task(f"c{k}", gate=("car", "yes")) for k in range(3)] + [
        Task("tags", gate=("car", "yes")), Task("price", kind="regression", gate=("car", "yes"))]
    calls = []
    real = encoder_module._encode_classes
    monkeypatch.setattr(encoder_module, "_encode_classes",
                        lambda task, *a, **k: calls.append(task.name) or real(task, *a, **k))
    enc = StructuredLabelEncoder(tasks=tasks, gated_labels="mask").fit(Y)
    assert calls.count("car") == 2  # to read the children's gates, then to encode it
    calls.clear()
    encoded = enc.transform(Y)
    assert calls.count("car") == 1
    assert encoded.codes[:, 1:].tolist() == [[0] * 5, [NA] * 5, [1, 1, 1, 0, 0],
                                             [0, 0, 0, MISSING, 0], [NA] * 5]
    codes = encoded.codes.copy()
    assert not Schema(enc.tasks_).apply_gates(codes).any()
    np.testing.assert_array_equal(codes, encoded.codes)


def test_masked_gated_off_placeholder_in_a_multilabel_child():
    Y = pd.DataFrame({
        "car": ["no", "yes", "no", "yes"],
        "tags": ["n/a", {"gps"}, ["bogus"], {"gps", "roof"}],
    })
    tasks = [Task("car"), Task("tags", gate=("car", "yes"))]
    enc = StructuredLabelEncoder(tasks=tasks, gated_labels="mask")
    encoded = enc.fit_transform(Y)
    assert enc.tasks_[1] == Task("tags", kind="multilabel", classes=["gps", "roof"],
                                 gate=("car", "yes"))
    assert encoded.codes.tolist() == [[0, NA], [1, 0], [0, NA], [1, 0]]
    assert encoded.multilabel["tags"].tolist() == [[-1, -1], [1, 0], [-1, -1], [1, 1]]
    out = enc.inverse_transform(encoded)
    assert_same_labels(out["tags"], [None, {"gps"}, None, {"gps", "roof"}])  # sets, as given
    with pytest.raises(ValueError, match=r"Multilabel task 'tags' got label 'bogus' in row 2, "
                                         r"which is not among its labels \['gps', 'roof'\]"):
        enc.transform(Y.assign(car=["no", "yes", "yes", "yes"]))


def test_masked_gated_off_placeholder_in_a_regression_child_is_not_read():
    Y = pd.DataFrame({"car": ["yes", "no", "yes"], "price": [1.5, "n/a", 2.0]})
    tasks = [Task("car"), Task("price", kind="regression", gate=("car", "yes"))]
    encoded = StructuredLabelEncoder(tasks=tasks, gated_labels="mask").fit_transform(Y)
    assert encoded.codes.tolist() == [[1, 0], [0, NA], [1, 0]]
    np.testing.assert_array_equal(encoded.regression["price"], [1.5, np.nan, 2.0])


def test_unknown_label_where_the_gate_is_on_still_raises():
    tasks = [Task("car"), Task("color", gate=("car", "yes"))]
    Y = placeholder_frame()
    enc = StructuredLabelEncoder(tasks=tasks, gated_labels="mask").fit(Y)
    for row in (2, 5):  # car is "yes" in row 2, missing (the gate unknown) in row 5
        bad = Y.copy()
        bad.loc[row, "color"] = "n/a"
        with pytest.raises(ValueError, match=rf"Task 'color' got label 'n/a' in row {row}, "
                                             r"which is not among its classes \['blue', 'red'\]"):
            enc.transform(bad)
    declared = [Task("car"), Task("color", classes=["blue", "red"], gate=("car", "yes"))]
    with pytest.raises(ValueError, match=r"Task 'color' got label 'green' in row 4"):
        StructuredLabelEncoder(tasks=declared, gated_labels="mask").fit(
            Y.assign(color=["red", "n/a", "blue", "n/a", "green", "blue"]))
    # declared classes stay as declared, the placeholder aside
    enc = StructuredLabelEncoder(tasks=declared, gated_labels="mask").fit(Y)
    assert enc.classes_[1].tolist() == ["blue", "red"]


def test_gated_off_placeholder_under_raise_is_the_gate_error():
    tasks = [Task("car"), Task("color", gate=("car", "yes"))]
    with pytest.raises(ValueError, match=r"Task 'color' has a label in row 1, where its gate is "
                                         r"off \('car' is 'no'; .*gated_labels='mask'"):
        StructuredLabelEncoder(tasks=tasks).fit(placeholder_frame())
    fitted = StructuredLabelEncoder(tasks=tasks, gated_labels="mask").fit(placeholder_frame())
    with pytest.raises(ValueError, match=r"Task 'color' has a label in row 1, where its gate"):
        clone(fitted).set_params(gated_labels="raise").fit(placeholder_frame())


def test_groups_with_gates_mask_a_label_where_the_gate_is_off():
    enc = StructuredLabelEncoder.from_groups(GROUPS, gates={"C": ("A", 1)}, gated_labels="mask")
    encoded = enc.fit_transform([{0, 2, 5, 7, 13}, {1, 2, 6, 7, 13}])
    assert encoded.codes.tolist() == [[0, 0, NA, 0, 0], [1, 0, 1, 0, 0]]
    assert enc.classes_[2].tolist() == [5, 6]


def test_metrics_do_not_count_a_gated_off_placeholder_as_a_class():
    from sklearn_mtl.metrics import cooccurrence_matrix
    from sklearn_mtl.metrics._inputs import encode_pair, encode_truth

    tasks = [Task("car"), Task("color", gate=("car", "yes"))]
    Y_true = placeholder_frame()
    Y_pred = Y_true.assign(car=["yes", "no", "no", "no", "yes", "yes"],
                           color=["red", "n/a", "n/a", "n/a", "blue", "blue"])
    true, pred = encode_pair(Y_true, Y_pred, tasks)
    assert true.schema[1].classes == ["blue", "red"] and true.schema[1].kind == "binary"
    assert true.codes[:, 1].tolist() == [1, NA, 0, NA, 1, 0]
    assert pred.codes[:, 1].tolist() == [1, NA, NA, NA, 0, 0]
    assert list(cooccurrence_matrix(Y_true, schema=tasks).index) == [
        "car=no", "car=yes", "color=blue", "color=red"
    ]
    # a scorer's test fold: the placeholder is no class the training fold lacked
    enc = StructuredLabelEncoder(tasks=tasks, gated_labels="mask").fit(Y_true)
    assert encode_truth(Y_true, enc).schema == enc.schema_


@st.composite
def gated_labels_with_placeholders(draw):
    """Random gated tasks whose classes are inferred, their labels with None where the
    gate is off, and the same labels with a placeholder there."""
    tasks, columns = draw(schemas_and_labels())
    off = StructuredLabelEncoder(tasks=tasks).fit_transform(pd.DataFrame(columns)).codes == NA
    # a parent whose labels lack a value of a gate on it keeps its classes: inferred, they
    # would lack it too, and Schema refuses the gate (both ways, not always first)
    unshown = {
        t.gate[0] for t in tasks
        if t.gate is not None and not t.gate[1] <= set(columns[t.gate[0]]) - {None}
    }
    inferred = [
        t if t.kind == "regression" or t.name in unshown else t._replace(
            classes=None, kind=t.kind if draw(st.booleans()) else None)
        for t in tasks
    ]
    placeholder = draw(st.sampled_from(["n/a", -1, ("x",)]))
    with_placeholders = {}
    for j, (name, column) in enumerate(columns.items()):
        column = list(column)
        for row in np.flatnonzero(off[:, j]):
            column[row] = placeholder
        with_placeholders[name] = column
    return inferred, columns, with_placeholders


def _fit_outcome(tasks, Y):
    enc = StructuredLabelEncoder(tasks=tasks, gated_labels="mask")
    try:
        encoded = enc.fit_transform(Y)
    except ValueError as exc:
        return str(exc)
    return (enc.schema_, encoded.codes.tolist(),
            {k: v.tolist() for k, v in encoded.multilabel.items()},
            {k: np.nan_to_num(v, nan=0.5).tolist() for k, v in encoded.regression.items()})


@settings(max_examples=100, deadline=None)
@given(gated_labels_with_placeholders(), st.sampled_from(["frame", "array"]))
def test_masked_placeholder_is_the_same_as_none_over_random_schemas(data, form):
    tasks, columns, with_placeholders = data

    def as_form(cols):
        if form == "frame":
            return pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in cols.items()})
        out = np.empty((len(cols["t0"]), len(cols)), dtype=object)
        for j, values in enumerate(cols.values()):
            out[:, j] = values
        return out

    assert _fit_outcome(tasks, as_form(with_placeholders)) == _fit_outcome(tasks, as_form(columns))


def test_classes_given_as_a_set_are_sorted_in_every_process():
    # a set of strings iterates in another order in each process (hash randomisation):
    # taken as it came, the codes and predict_proba's columns changed from run to run.
    # One interpreter a hash seed checks both forms (a Task's classes, and a group of
    # StructuredLabelEncoder.from_groups); it also prints the set's own order, which
    # differs between the two seeds and is sorted in neither, so each run can fail.
    import os
    import subprocess
    import sys

    code = (
        "from sklearn_mtl import Task, StructuredLabelEncoder as E\n"
        "print(list({'red', 'blue', 'green', 'white', 'black'}))\n"
        "print(Task('c', classes={'red', 'blue', 'green', 'white', 'black'}).classes)\n"
        "print(E.from_groups({'A': {'red', 'blue', 'green', 'white', 'black'}, "
        "'B': ['u', 'v']}).fit([{'red', 'u'}, {'blue', 'v'}]).classes_[0].tolist())\n"
    )
    # both interpreters start at once: each waits mostly on its imports
    procs = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True,
                         env={**os.environ, "PYTHONHASHSEED": str(seed)})
        for seed in range(2)
    ]
    runs = []
    try:
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
            runs.append(out.splitlines())
    finally:  # a failed or timed-out run leaves no interpreter behind
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert runs[0][0] != runs[1][0]
    expected = "['black', 'blue', 'green', 'red', 'white']"
    assert expected not in (runs[0][0], runs[1][0])
    assert [run[1:] for run in runs] == [[expected, expected]] * 2
    assert Task("c", classes=frozenset({3, 1, 2})).classes == [1, 2, 3]
    with pytest.raises(ValueError, match="cannot be ordered; give the classes as a list"):
        Task("c", classes={1, "a"})


def test_multilabel_task_declared_on_a_column_of_single_labels_names_a_row():
    Y = pd.DataFrame({"tags": [None, "beach", "dog"], "car": ["no", "yes", "no"]})
    enc = StructuredLabelEncoder(tasks=[Task("tags", kind="multilabel"), Task("car")])
    with pytest.raises(ValueError, match=re.escape(
            "Multilabel task 'tags' expects a list or set of labels per row; got 'beach' in "
            "row 1. For one label per row, declare Task('tags') without kind='multilabel'.")):
        enc.fit(Y)


@pytest.mark.parametrize("gated_labels", ["raise", "mask"])
def test_fit_task_without_labels_says_gated_off_not_missing(gated_labels):
    # A gated task with no label says how many of its values are not applicable (its
    # gate off), as the estimators' check words it, not that they are all missing.
    tasks = [Task("car"), Task("color", gate=("car", "yes"))]
    enc = StructuredLabelEncoder(tasks, gated_labels=gated_labels)
    with pytest.raises(ValueError, match=re.escape(
            "Task 'color' has no labels: all 3 values are not applicable (gate off), so")):
        enc.fit(pd.DataFrame({"car": ["no", "no", "no"], "color": [None] * 3}))
    with pytest.raises(ValueError, match=re.escape(
            "Task 'color' has no labels: of its 3 values, 1 are missing and 2 not "
            "applicable (gate off), so")):
        enc.fit(pd.DataFrame({"car": ["no", "yes", "no"], "color": [None] * 3}))
    # no gate off (a missing car leaves it unknown, on): the values are missing
    enc.set_params(tasks=[Task("car", classes=["no", "yes"]), tasks[1]])
    with pytest.raises(ValueError, match=re.escape(
            "Task 'color' has no labels: all 3 values are missing, so")):
        enc.fit(pd.DataFrame({"car": ["yes", None, "yes"], "color": [None] * 3}))


def test_from_groups_overlap_names_labels_as_given():
    hot = np.eye(4, dtype=int)
    with pytest.raises(ValueError, match=re.escape(
            "Label(s) [1] belong to more than one group (1 is in groups ['A', 'B']); groups "
            "must be disjoint.")):
        StructuredLabelEncoder.from_groups({"A": [0, 1], "B": [1, 2, 3]}).fit(hot)
    with pytest.raises(ValueError, match=re.escape(
            "Label(s) ['y'] belong to more than one group ('y' is in groups ['A', 'C'])")):
        StructuredLabelEncoder.from_groups(
            {"A": ["x", "y"], "B": ["z"], "C": ["w", "y"]}).fit([{"x"}, {"z"}])


@pytest.mark.parametrize("frame", ["pandas", "polars"])
def test_a_label_column_of_records_is_refused_naming_the_task_and_row(frame):
    # a column of dicts (JSON records, a polars Struct) failed with pandas' bare
    # "unhashable type: 'dict'", naming neither the task nor the row
    Y = pd.DataFrame({"b": [1, 2, 1], "a": [None, {"x": 1}, {"x": 2}]})
    if frame == "polars":
        pl = pytest.importorskip("polars")
        Y = pl.DataFrame({"b": [1, 2, 1], "a": [None, {"x": 1}, {"x": 2}]})
    with pytest.raises(TypeError, match=r"Task 'a' holds a dict in row 1 \(\{'x': 1\}\)"):
        StructuredLabelEncoder().fit(Y)


@pytest.mark.parametrize("members", ["ab", b"ab", 5, None])
def test_from_groups_refuses_a_string_or_single_value_as_a_group(members):
    # docs/labels.md: a group is a list of labels. from_groups read {"A": "ab"} as the
    # labels 'a' and 'b' (a string split into its characters) and crashed on {"A": 5}
    # with a bare "'int' object is not iterable", where groups={"A": "ab"} given to the
    # encoder itself was refused with a message, as Task(classes="ab") is.
    with pytest.raises(ValueError, match=r"groups\['A'\] is .*; expected a list of its labels"):
        StructuredLabelEncoder.from_groups({"A": members, "B": [2, 3]})


def test_from_groups_names_a_label_listed_twice_in_one_group():
    # It said "belong to more than one group (0 is in groups ['A'])", naming one group.
    with pytest.raises(ValueError, match=re.escape(
            "Group 'A' lists the label 0 more than once ([0, 0, 1]); a group's labels "
            "must be distinct.")):
        StructuredLabelEncoder.from_groups({"A": [0, 0, 1]}).fit(np.eye(2, dtype=int))


def test_groups_of_a_multihot_frame_read_its_columns_by_name_in_any_order():
    # transform read a frame's columns by their place at fit: with the labels' columns
    # in another order, one label's 1s were read as another's
    P = np.array([[1, 0, 0, 1], [0, 1, 1, 0], [1, 0, 1, 0]])
    enc = StructuredLabelEncoder(groups={"A": ["a", "b"], "B": ["c", "d"]})
    expected = enc.fit_transform(pd.DataFrame(P, columns=list("abcd"))).codes
    shuffled = pd.DataFrame(P, columns=list("abcd"))[list("badc")]
    np.testing.assert_array_equal(enc.transform(shuffled).codes, expected)


def test_groups_named_like_polars_positions_name_a_missing_column():
    # labels column_0, ... are read by name: one mistyped was reported as "label(s)
    # ['column_0', ...] are not in range(0, 4)" of a matrix read by position
    P = pd.DataFrame(np.array([[1, 0, 0, 1], [0, 1, 1, 0]]),
                     columns=[f"column_{i}" for i in range(4)])
    groups = {"A": ["column_0", "column_1"], "B": ["column_2", "column_9"]}
    with pytest.raises(ValueError, match=re.escape(
            "The multi-hot DataFrame has no column for label(s) ['column_9']")):
        StructuredLabelEncoder(groups=groups).fit(P)


def test_groups_of_a_polars_frame_from_numpy_decode_to_a_polars_frame():
    # fitted on pl.from_numpy(P) (read by position), inverse_transform failed with
    # "'numpy.ndarray' object has no attribute 'columns'"
    pl = pytest.importorskip("polars")
    P = pl.from_numpy(np.array([[1, 0, 0, 1], [0, 1, 1, 0], [1, 0, 1, 0]]))
    enc = StructuredLabelEncoder(groups={"A": [0, 1], "B": [2, 3]}).fit(P)
    out = enc.inverse_transform(enc.transform(P))
    assert isinstance(out, pl.DataFrame)
    assert out.equals(P)


def test_bools_held_as_objects_keep_the_classes_false_and_true():
    # a bool column with a gap (pandas holds it as objects: Y.mask(...), a reindex, JSON
    # nulls) whose rows show False alone, a rare label absent from a fold's training rows,
    # was refused ("Task 'rare' has one class [False]"), where the bool column fits
    Y = pd.DataFrame({"a": [True, False] * 4, "rare": [False] * 8})
    gappy = Y.mask(pd.DataFrame({"a": [False] * 8, "rare": [True] + [False] * 7}))
    assert gappy["rare"].dtype == object
    encoder = StructuredLabelEncoder().fit(gappy)
    assert [t.classes for t in encoder.tasks_] == [[False, True], [False, True]]
    encoded = encoder.transform(gappy)
    assert encoded.codes[:, 1].tolist() == [-1] + [0] * 7
    back = encoder.inverse_transform(encoded)
    assert back["rare"].tolist()[1:] == [False] * 7 and pd.isna(back["rare"][0])
    one = StructuredLabelEncoder().fit(np.array([True, None, True], dtype=object))
    assert one.tasks_ == [Task("y", kind="binary", classes=[False, True])]


def test_a_frame_of_sparse_0_1_columns_is_an_indicator():
    # pd.DataFrame.sparse.from_spmatrix(MultiLabelBinarizer(sparse_output=True)...)
    # holds Sparse[int64, 0] columns: it was no indicator, so a label always 0 in the
    # training rows was refused ("Task 'c' has one class [0]"), where the dense frame
    # keeps its classes [0, 1]
    import scipy.sparse as sp

    Y = np.array([[1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 0]])
    for M in (Y, Y.astype(float)):
        frame = pd.DataFrame.sparse.from_spmatrix(sp.csr_matrix(M), columns=list("abc"))
        encoder = StructuredLabelEncoder().fit(frame)
        dense = StructuredLabelEncoder().fit(frame.sparse.to_dense())
        assert [t.classes for t in encoder.tasks_] == [t.classes for t in dense.tasks_]
        assert [t.classes for t in encoder.tasks_] == [[0, 1]] * 3
        back = encoder.inverse_transform(encoder.transform(frame))
        assert list(back.dtypes) == list(frame.dtypes)
        np.testing.assert_array_equal(back.sparse.to_dense().to_numpy(), M)


def test_a_multilabel_task_declared_on_a_frame_says_to_name_its_columns():
    # Task("tags", kind="multilabel") reads an indicator matrix whole; on a frame of 0/1
    # columns the error named no fix
    Y = pd.DataFrame({"beach": [1, 0, 1], "sunset": [0, 1, 1]})
    with pytest.raises(ValueError, match=re.escape(
            "Y has no column 'tags' for task 'tags'; Y's columns are ['beach', 'sunset']. "
            "A multilabel task held as 0/1 columns, one a label, declares them: "
            "Task('tags', kind='multilabel', columns=list(Y.columns)).")):
        StructuredLabelEncoder(tasks=[Task("tags", kind="multilabel")]).fit(Y)
    fitted = StructuredLabelEncoder(
        tasks=[Task("tags", kind="multilabel", columns=list(Y.columns))]).fit(Y)
    assert fitted.tasks_[0].classes == ["beach", "sunset"]
    # with other tasks declared, a missing column is only that
    with pytest.raises(ValueError, match=r"columns are \['beach', 'sunset'\]\.$"):
        StructuredLabelEncoder(tasks=[Task("tags", kind="multilabel"), Task("beach"),
                                      Task("sunset")]).fit(Y)


def test_a_multilabel_task_declared_on_a_frame_not_of_0_1_columns_gets_no_column_hint():
    # the hint to declare columns=list(Y.columns) was given for any frame: on a column
    # of label lists or of text it names a fix that misreads them as 0/1 labels
    for Y in (pd.DataFrame({"labels": [["a"], ["b", "a"], []]}),
              pd.DataFrame({"color": ["r", "g", "b"], "size": ["s", "m", "l"]})):
        with pytest.raises(ValueError, match=r"^Y has no column 'tags' for task 'tags'; "
                                             r"Y's columns are \[[^]]*\]\.$"):
            StructuredLabelEncoder(tasks=[Task("tags", kind="multilabel")]).fit(Y)


def test_a_multilabel_column_group_with_text_names_the_column_row_and_value():
    # text in a group of 0/1 columns gave "Task 'tags' expects numbers (0/1 labels or
    # regression values).", naming neither the column, the row nor the value
    Y = pd.DataFrame({"beach": [1, 0, 1], "sunset": [0, "yes", None]})
    with pytest.raises(ValueError, match=re.escape(
            "Multilabel task 'tags' column 'sunset' has value 'yes' in row 1; expected 0, "
            "1 or missing")):
        StructuredLabelEncoder(tasks=[Task("tags", columns=["beach", "sunset"])]).fit(Y)
    # declared classes are no column names: the column is named as Y names it
    Y = pd.DataFrame({"beach": [1, 0, 1], "sunset": [0, 2, 1]})
    tasks = [Task("tags", columns=["beach", "sunset"], classes=["B", "S"])]
    with pytest.raises(ValueError, match=re.escape(
            "Multilabel task 'tags' column 'sunset' has value 2.0 in row 1")):
        StructuredLabelEncoder(tasks=tasks).fit(Y)


def test_groups_of_a_multihot_frame_refuse_a_renamed_or_missing_column_at_transform():
    # a column renamed since fit ('r' -> 's') was read by position as label 'r'
    groups = {"A": ["x", "y"], "B": ["p", "q", "r"]}
    M = pd.DataFrame({"x": [1, 0], "y": [0, 1], "p": [1, 0], "q": [0, 0], "r": [0, 1]})
    encoder = StructuredLabelEncoder.from_groups(groups).fit(M)
    with pytest.raises(ValueError, match=re.escape(
            "The multi-hot DataFrame has columns ['x', 'y', 'p', 'q', 's'], but the encoder "
            "was fitted on columns ['x', 'y', 'p', 'q', 'r'] (absent: ['r'], not fitted: "
            "['s'])")):
        encoder.transform(M.rename(columns={"r": "s"}))
    with pytest.raises(ValueError, match=re.escape("(absent: ['r'], not fitted: [])")):
        encoder.transform(M.drop(columns="r"))
    # the same columns in another order are still read by name
    assert encoder.transform(M[["r", "q", "p", "y", "x"]]).codes.tolist() == [[0, 0], [1, 2]]


def test_from_groups_names_non_string_groups_as_their_gates_do():
    # gates={1: (0, "x")} was "gates name unknown group(s) [1]; the groups are ['0',
    # '1']": the groups' names were read as str, the gates' keys were not
    encoder = StructuredLabelEncoder.from_groups(
        {0: ["x", "y"], 1: ["z", "w"]}, gates={1: (0, "x")})
    assert encoder.fit_transform([{"x", "w"}, {"y"}]).codes.tolist() == [[0, 1], [1, NA]]
    # 1 and '1' name one task: one group silently replaced the other
    with pytest.raises(ValueError, match=re.escape(
            "groups has two groups named '1', the keys 1 and '1'")):
        StructuredLabelEncoder.from_groups({1: ["a", "b"], "1": ["c", "d"]})
    with pytest.raises(ValueError, match="groups has two groups named '1'"):
        StructuredLabelEncoder(groups={1: ["a", "b"], "1": ["c", "d"]}).fit([{"a", "c"}])


def test_a_nested_container_in_a_label_set_names_the_task_row_and_value():
    # a list or dict among a row's labels was a bare "unhashable type: 'list'"
    with pytest.raises(TypeError, match=re.escape(
            "Multilabel task 'y' has a list (['b']) in the label set of row 0")):
        StructuredLabelEncoder().fit([["a", ["b"]], ["c"]])
    with pytest.raises(TypeError, match=re.escape(
            "Multilabel task 't' has a dict ({'b': 1}) in the label set of row 1")):
        StructuredLabelEncoder().fit(pd.DataFrame({"t": [["a"], ["c", {"b": 1}]]}))
    encoder = StructuredLabelEncoder().fit([["a"], ["c"]])
    with pytest.raises(TypeError, match=re.escape("has a list (['a']) in the label set of row 1")):
        encoder.transform([["a"], ["c", ["a"]]])
    groups = StructuredLabelEncoder.from_groups({"A": ["a", "b"], "B": ["c", "d"]})
    with pytest.raises(TypeError, match=re.escape(
            "Y has a list (['d']) in the label set of row 1")):
        groups.fit([["a", "c"], ["b", ["d"]]])


def test_groups_name_a_row_given_as_a_string_among_label_sets():
    # fit said "got an array of shape (2,)", transform "got another form"
    groups = {"A": ["a", "b"], "B": ["c", "d"]}
    expected = re.escape("Row 1 holds 'b'; with groups, each row is a set or list of labels")
    with pytest.raises(ValueError, match=expected):
        StructuredLabelEncoder.from_groups(groups).fit([["a", "c"], "b"])
    encoder = StructuredLabelEncoder.from_groups(groups).fit([{"a", "c"}, {"b", "d"}])
    with pytest.raises(ValueError, match=expected):
        encoder.transform([["a", "c"], "b"])
    with pytest.raises(ValueError, match=re.escape(
            "fitted on a list of label sets; got ndarray of shape (1, 4)")):
        encoder.transform(np.array([[1, 0, 1, 0]]))


def test_a_multilabel_task_of_empty_label_sets_says_to_declare_its_labels():
    # the schema's "has no labels; a multilabel task needs at least one label" gave no fix
    with pytest.raises(ValueError, match=re.escape(
            "Multilabel task 'y' has no labels: each of its 3 label sets is empty or missing, "
            "so its labels cannot be inferred. Declare them, Task('y', kind='multilabel', "
            "classes=[...])")):
        StructuredLabelEncoder().fit([[], [], None])
    tasks = [Task("y", kind="multilabel", classes=["a"])]
    assert StructuredLabelEncoder(tasks=tasks).fit([[], []]).tasks_ == tasks


def test_from_groups_refuses_two_gates_keyed_by_one_group_name():
    # {3: ..., "3": ...} both gate the group '3': one gate silently replaced the other
    groups = {1: ["a", "b"], 2: ["c", "d"], 3: ["e", "f"]}
    with pytest.raises(ValueError, match=re.escape(
            "gates has two gates for the group '3', the keys 3 and '3'")):
        StructuredLabelEncoder.from_groups(groups, gates={3: (1, "a"), "3": (2, "c")})
    # one key per group, whether named by the int or by its text, still reads
    for key in (3, "3"):
        tasks = StructuredLabelEncoder.from_groups(groups, gates={key: (1, "a")}).tasks
        assert tasks[2].gate == ("1", frozenset({"a"}))
