"""Tests of Task and Schema: declarations, validation, gate order and gate application."""

import json
import re

import numpy as np
import pandas as pd
import pytest

from sklearn_mtl import MISSING, NOT_APPLICABLE, Schema, Task
from sklearn_mtl._schema import as_task_list


def car_schema():
    return Schema(
        [
            Task("car", kind="binary", classes=["no", "yes"]),
            Task("color", kind="multiclass", classes=["red", "black", "white", "blue"],
                 gate=("car", "yes")),
            Task("body", kind="multiclass", classes=["berline", "4x4", "suv", "coupe"],
                 gate=("car", "yes")),
            Task("driver", kind="binary", classes=[False, True], gate=("car", "yes")),
        ]
    )


def test_task_normalises_gate_and_classes():
    task = Task("color", classes=np.array(["red", "black"]), gate=("car", "yes"))
    assert task.gate == ("car", frozenset({"yes"}))
    assert task.classes == ["red", "black"]
    assert all(type(c) is str for c in task.classes)  # not numpy scalars
    assert repr(task) == "Task('color', classes=['red', 'black'], gate=('car', {'yes'}))"
    multi = Task("color", classes=[1, 2], gate=("car", {"yes", "maybe"}))
    assert multi.gate == ("car", frozenset({"yes", "maybe"}))
    ints = Task("n", classes=np.arange(3), gate=("m", np.int64(4)))
    assert ints.classes == [0, 1, 2] and type(ints.classes[0]) is int
    assert ints.gate == ("m", frozenset({4}))


@pytest.mark.parametrize(
    "values",
    [{"yes", "maybe"}, ["yes", "maybe"], ("yes", "maybe"), frozenset({"yes", "maybe"}),
     np.array(["yes", "maybe"]), pd.Index(["yes", "maybe"])],
    ids=["set", "list", "tuple", "frozenset", "array", "index"],
)
def test_a_gate_takes_several_values_in_any_collection(values):
    # an array or an index raised "unhashable type"; a range was read as one value
    assert Task("color", gate=("car", values)).gate == ("car", frozenset({"yes", "maybe"}))
    assert Task("n", gate=("m", range(2))).gate == ("m", frozenset({0, 1}))
    assert Task("color", gate=("car", "yes")).gate == ("car", frozenset({"yes"}))  # one


def test_task_columns_make_a_multilabel_task():
    task = Task("tags", columns=["t_a", "t_b"])
    assert task.kind == "multilabel"
    assert task.classes == ["t_a", "t_b"]
    assert task.n_outputs == 2


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"name": ""}, "non-empty string"),
        ({"name": 3}, "non-empty string"),
        ({"name": "a", "kind": "ordinal"}, "kind 'ordinal'; expected one of"),
        ({"name": "a", "gate": "car"}, "expected a pair"),
        ({"name": "a", "gate": ("car", set())}, "no value"),
        ({"name": "a", "kind": "binary", "columns": ["x", "y"]}, "only a multilabel task"),
        ({"name": "a", "columns": ["x", "y"], "classes": ["x"]}, "one class per column"),
        # a string is not split into its letters
        ({"name": "flag", "classes": "yes"},
         r"Task 'flag' has classes='yes'; classes must be a list of the task's classes "
         r"\(such as \['no', 'yes'\]\), not a string\."),
        ({"name": "n", "classes": 3}, r"Task 'n' has classes=3; .* not a single value\."),
        ({"name": "a", "gate": ("car", [["yes"]])},
         r"Task 'a' has a gate on 'car' with value\(s\) \[\['yes'\]\]; expected a value of "
         "the parent's classes, or a collection of them"),
    ],
)
def test_task_rejects_bad_declarations(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Task(**kwargs)


@pytest.mark.parametrize(
    "tasks, match",
    [
        (
            [Task("a", kind="binary", classes=[0, 1]), Task("a", kind="binary", classes=[0, 1])],
            "Duplicate task name 'a'",
        ),
        (
            [Task("a", kind="binary", classes=[0, 1], gate=("z", 1))],
            r"Task 'a' is gated on unknown task 'z'; the tasks are \['a'\]",
        ),
        (
            [
                Task("a", kind="binary", classes=[0, 1], gate=("b", 1)),
                Task("b", kind="binary", classes=[0, 1], gate=("a", 1)),
            ],
            "Gates form a cycle: a -> b -> a",
        ),
        (
            [Task("a", kind="binary", classes=[0, 1], gate=("a", 1))],
            "Gates form a cycle: a -> a",
        ),
        (
            [
                Task("car", kind="binary", classes=["no", "yes"]),
                Task("color", kind="binary", classes=["r", "b"], gate=("car", "maybe")),
            ],
            r"gated on 'car' = 'maybe', which is not among 'car''s classes \['no', 'yes'\]",
        ),
        (
            [
                Task("a", kind="binary", classes=["1", "2"]),
                Task("b", kind="binary", classes=[0, 1], gate=("a", 1)),
            ],
            r"gated on 'a' = 1, which is not among",
        ),
        (
            [
                Task("price", kind="regression"),
                Task("b", kind="binary", classes=[0, 1], gate=("price", 1)),
            ],
            "gated on 'price', a regression task; a gate's parent must be a binary or multiclass",
        ),
        (
            [
                Task("tags", kind="multilabel", classes=["x", "y"]),
                Task("b", kind="binary", classes=[0, 1], gate=("tags", "x")),
            ],
            "gated on 'tags', a multilabel task",
        ),
        (
            [Task("a", kind="multiclass", classes=["x"])],
            r"Task 'a' \(multiclass\) has 1 class\(es\) \['x'\]; a classification task needs "
            "at least two classes",
        ),
        ([Task("a", kind="binary")], r"Task 'a' \(binary\) has 0 class\(es\)"),
        ([Task("a", kind="multilabel", classes=[])], "Multilabel task 'a' has no labels"),
        ([Task("a", kind="binary", classes=[0, 1, 2])], "is binary but has 3 classes"),
        ([Task("a", kind="multiclass", classes=[0, 1, 1])], "duplicate classes"),
        ([Task("a", kind="regression", classes=[0, 1])], "cannot declare classes"),
        ([Task("a")], "Task 'a' has no kind"),
        (["a"], "Expected Task objects"),
    ],
)
def test_schema_validation_errors(tasks, match):
    with pytest.raises(ValueError, match=match):
        Schema(tasks)


def test_multilabel_task_may_have_a_single_label():
    schema = Schema([Task("tags", kind="multilabel", classes=["x"])])
    assert schema["tags"].n_outputs == 1


def test_gate_on_numpy_class_values():
    schema = Schema(
        [
            Task("a", kind="binary", classes=np.array([1, 2])),
            Task("b", kind="binary", classes=[0, 1], gate=("a", np.int64(2))),
        ]
    )
    np.testing.assert_array_equal(schema.gate_codes(schema["b"]), [1])


def test_schema_access_and_order():
    schema = Schema(
        [
            Task("grand", kind="binary", classes=[0, 1], gate=("child", "x")),
            Task("child", kind="binary", classes=["x", "y"], gate=("root", {"b", "c"})),
            Task("root", kind="multiclass", classes=["a", "b", "c"]),
        ]
    )
    assert schema.names == ["grand", "child", "root"]
    assert len(schema) == 3
    assert schema["root"] is schema[2]
    assert schema.index("child") == 1
    assert schema.order == [2, 1, 0]  # parents first
    assert schema.children("root") == ["child"]
    np.testing.assert_array_equal(schema.gate_codes(schema["child"]), [1, 2])
    with pytest.raises(ValueError, match=r"Unknown task 'nope'; the tasks are \['grand'"):
        schema.index("nope")


def test_apply_gates_marks_not_applicable_and_conflicts():
    schema = Schema(
        [
            Task("root", kind="multiclass", classes=["a", "b", "c"]),
            Task("child", kind="binary", classes=["x", "y"], gate=("root", {"b", "c"})),
            Task("grand", kind="binary", classes=[0, 1], gate=("child", "x")),
        ]
    )
    codes = np.array(
        [
            [0, MISSING, MISSING],  # root = a: child off, grandchild off through it
            [0, 1, 0],  # root = a but labels given: conflicts
            [1, 0, 1],  # all on
            [MISSING, 1, 1],  # unknown root: child kept; child = y: grand off
            [2, 1, MISSING],  # child = y: grand off
        ]
    )
    conflicts = schema.apply_gates(codes)
    expected = [
        [0, NOT_APPLICABLE, NOT_APPLICABLE],
        [0, NOT_APPLICABLE, NOT_APPLICABLE],
        [1, 0, 1],
        [MISSING, 1, NOT_APPLICABLE],
        [2, 1, NOT_APPLICABLE],
    ]
    assert codes.tolist() == expected
    assert conflicts.tolist() == [
        [False, False, False],
        [False, True, True],
        [False, False, False],
        [False, False, True],
        [False, False, False],
    ]


def test_schema_dict_round_trip_is_json():
    schema = car_schema()
    data = json.loads(json.dumps(schema.to_dict()))
    assert Schema.from_dict(data) == schema
    assert data["tasks"][1]["gate"] == ["car", ["yes"]]


def test_schema_equality_and_repr():
    assert car_schema() == car_schema()
    other = Schema([Task("car", kind="binary", classes=["yes", "no"])])
    assert other != car_schema()
    assert repr(other) == "Schema([\n  Task('car', kind='binary', classes=['yes', 'no']),\n])"


def test_as_task_list():
    assert as_task_list(None) is None
    task = Task("a")
    assert as_task_list(task) == [task]
    with pytest.raises(ValueError, match="tasks must be a list of Task objects or None"):
        as_task_list("a")
    with pytest.raises(ValueError, match="tasks must be a list of Task objects; got 3"):
        as_task_list([task, 3])
    with pytest.raises(ValueError, match=r"Duplicate task name\(s\) \['a'\]"):
        as_task_list([task, Task("a")])


def test_nanosecond_date_labels_are_classes_as_dates():
    # datetime64[ns] labels (pandas < 3 reads every date so) had ints for classes, their
    # nanoseconds, and fit refused its own labels as not among them
    from sklearn.linear_model import LogisticRegression

    from sklearn_mtl import IndependentTaskClassifier

    X = np.arange(20, dtype=float).reshape(-1, 1)
    when = pd.Series(np.array(["2020-01-01", "2021-06-30"] * 10, dtype="datetime64[ns]"))
    model = IndependentTaskClassifier(LogisticRegression()).fit(X, pd.DataFrame({"when": when}))
    assert model.schema_["when"].classes == [pd.Timestamp("2020-01-01"),
                                             pd.Timestamp("2021-06-30")]
    predicted = model.predict(X)["when"]
    assert predicted.dtype == when.dtype and predicted.isin(when).all()


@pytest.mark.parametrize("unit", ["D", "W", "M", "Y"])
def test_day_and_month_date_labels_are_classes_as_dates(unit):
    # datetime64[D] (or [M]...) labels had datetime.date classes, which equal no
    # Timestamp (as pandas reads the labels): fit refused its own label
    # datetime.date(2020, 1, 1) as "not among its classes [datetime.date(2020, 1, 1), ...]"
    from sklearn.linear_model import LogisticRegression

    from sklearn_mtl import IndependentTaskClassifier, StructuredLabelEncoder

    days = np.array(["2020-01-01", "2022-01-01", "2020-01-01", "NaT"], dtype=f"datetime64[{unit}]")
    first, last = pd.Timestamp(days[0]), pd.Timestamp(days[1])
    assert Task("t", classes=days[:2]).classes == [first, last]
    for Y in (days, days.reshape(-1, 1), np.c_[days, days[[1, 0, 0, 1]]]):
        enc = StructuredLabelEncoder()
        encoded = enc.fit_transform(Y)
        assert enc.tasks_[0].classes == [first, last]
        assert encoded.codes[:, 0].tolist() == [0, 1, 0, MISSING]
        back = enc.inverse_transform(encoded)
        assert pd.isna(back[3]) if back.ndim == 1 else pd.isna(back[3, 0])
        known = enc.inverse_transform(enc.transform(Y[:3]))
        assert known.dtype == days.dtype and (known == Y[:3]).all()

    X = np.arange(8, dtype=float).reshape(-1, 1)
    y = days[[0, 1] * 4]
    model = IndependentTaskClassifier(LogisticRegression()).fit(X, y)
    expected = LogisticRegression().fit(X, y).predict(X)
    predicted = model.predict(X)
    assert predicted.dtype == expected.dtype and (predicted == expected).all()


@pytest.mark.parametrize("gap", [None, np.nan, pd.NA, pd.NaT, np.float32("nan")])
def test_a_missing_value_among_declared_classes_is_refused(gap):
    # A gap in Y is a missing label: a class None (say, for "unknown") was one that no
    # sample had, that the model trained on and never predicted, without a word.
    from sklearn_mtl import StructuredLabelEncoder

    with pytest.raises(
        ValueError,
        match=r"^Task 'smoker' has classes=\[.*\], with the missing value .*; a missing value "
        r"in Y is a missing label, not a class\. Leave it out of classes, or fill the gaps "
        r"with a label of their own \(e\.g\. Y\['smoker'\]\.fillna\('unknown'\)\)",
    ):
        StructuredLabelEncoder([Task("smoker", classes=["no", "yes", gap])]).fit(
            pd.DataFrame({"smoker": ["no", "yes", None]})
        )
    with pytest.raises(ValueError, match="with the missing value"):
        Task("tags", kind="multilabel", classes=["a", gap])


def test_order_of_a_deep_gate_chain_listed_children_first():
    """A gate chain thousands of tasks deep, listed children first: parents come first
    (the order was a recursion, one call per gate level: RecursionError past a thousand);
    a cycle closing such a chain is still named."""
    n = 3000
    tasks = [Task(f"t{i}", kind="binary", classes=["no", "yes"],
                  gate=(f"t{i - 1}", "yes") if i else None) for i in range(n)][::-1]
    schema = Schema(tasks)
    assert schema.order == list(range(n - 1, -1, -1))  # t0 (listed last) first
    assert schema.children("t0") == ["t1"]
    looped = [Task("t0", kind="binary", classes=["no", "yes"], gate=(f"t{n - 1}", "yes"))]
    with pytest.raises(ValueError, match=r"Gates form a cycle: t2999 -> t2998 -> .* -> t2999"):
        Schema(tasks[:-1] + looped)


@pytest.mark.parametrize("gated_labels", ["raise", "mask"])
def test_gate_value_that_no_training_row_shows_is_a_class_of_the_parent(gated_labels):
    """A parent whose classes are inferred takes the values its children's gates name,
    as the metrics and the splitters read them: a rare value that a cross-validation
    fold's training rows lack no longer fails the fold (it was refused as 'not among the
    parent's classes'), and the fitted model equals one whose classes are declared."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import KFold, cross_val_score

    from sklearn_mtl import IndependentTaskClassifier, StructuredLabelEncoder

    Y = pd.DataFrame({"car": ["no", "yes", "yes", "no"], "color": [None, "red", "blue", None]})
    tasks = [Task("car"), Task("color", gate=("car", {"yes", "van"}))]
    enc = StructuredLabelEncoder(tasks, gated_labels=gated_labels).fit(Y)
    assert enc.tasks_[0] == Task("car", kind="multiclass", classes=["no", "van", "yes"])
    assert enc.transform(Y).codes.tolist() == [[0, -2], [2, 1], [2, 0], [0, -2]]

    rng = np.random.RandomState(0)
    X = rng.randn(30, 2)
    car = np.where(X[:, 0] > 0, "yes", "no")
    car[:3] = "van"  # only in the first fold's test rows
    Y = pd.DataFrame({"car": car, "color": np.where(car != "no", np.where(X[:, 1] > 0, "red",
                                                                          "blue"), None)})
    model = IndependentTaskClassifier(LogisticRegression(), tasks=tasks)
    scores = cross_val_score(model, X, Y, cv=KFold(3), error_score="raise")
    declared = [Task("car", classes=["no", "van", "yes"]), tasks[1]]
    expected = cross_val_score(model.set_params(tasks=declared), X, Y, cv=KFold(3))
    np.testing.assert_array_equal(scores, expected)
    # a gate value of another type than the parent's labels is still named by the schema
    with pytest.raises(ValueError, match=r"gated on 'car' = 1, which is not among 'car''s"):
        StructuredLabelEncoder([Task("car"), Task("color", gate=("car", 1))]).fit(Y)


def test_label_where_gate_is_off_error_tells_an_estimator_how_to_mask_it():
    """The estimators take no ``gated_labels``: the error of ``fit`` on a label given
    where its gate is off named only that option (``MultiTaskClassifier(gated_labels=...)``
    is a TypeError); it now says how an estimator gets it, and that way works."""
    from sklearn.linear_model import LogisticRegression

    from sklearn_mtl import IndependentTaskClassifier, StructuredLabelEncoder

    X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]])
    Y = pd.DataFrame({"car": ["no", "yes", "yes", "no", "yes", "yes"],
                      "color": ["n/a", "red", "blue", "n/a", "red", "blue"]})
    tasks = [Task("car"), Task("color", gate=("car", "yes"))]
    with pytest.raises(
        ValueError,
        match=r"^Task 'color' has a label in row 0, where its gate is off \('car' is 'no'; the "
        r"task applies only when 'car' is one of \['yes'\]\)\. Remove the label, or pass "
        r"gated_labels='mask' to mask it \(an estimator takes it through its encoder: "
        r"encoder=StructuredLabelEncoder\(tasks, gated_labels='mask'\) in place of tasks=\)\.$",
    ):
        IndependentTaskClassifier(LogisticRegression(), tasks=tasks).fit(X, Y)
    encoder = StructuredLabelEncoder(tasks, gated_labels="mask")
    model = IndependentTaskClassifier(LogisticRegression(), encoder=encoder).fit(X, Y)
    assert model.classes_[1].tolist() == ["blue", "red"]  # "n/a" is no class
    pred = model.predict(X)
    assert pred["color"].isna().tolist() == (pred["car"] == "no").tolist()


@pytest.mark.parametrize("gated_labels", ["raise", "mask"])
@pytest.mark.parametrize(
    "parent, value, classes",
    [
        (pd.array([True, False, True], dtype="boolean"), "True", [False, True]),
        (np.array([True, False, True]), 2, [False, True]),
        (pd.Categorical(["yes", "no", "yes"]), 1, ["no", "yes"]),
    ],
)
def test_a_gate_value_of_another_type_is_no_class_of_a_bool_or_categorical_parent(
    gated_labels, parent, value, classes
):
    """A gate value of another type than a bool or categorical parent's labels (the
    string 'True' of a config file) became a class of the parent: the binary task
    turned multiclass, [False, True, 'True'], and its child was gated off everywhere.
    As for a parent of other labels, the schema now names the gate value."""
    from sklearn_mtl import StructuredLabelEncoder

    Y = pd.DataFrame({"car": parent, "color": ["red", None, "blue"]})
    tasks = [Task("car"), Task("color", gate=("car", {value, classes[1]}))]
    with pytest.raises(ValueError, match=rf"gated on 'car' = {value!r}, which is not among "
                                         rf"'car''s classes {re.escape(repr(classes))}"):
        StructuredLabelEncoder(tasks, gated_labels=gated_labels).fit(Y)
    # a value of the labels' type that no row shows is still a class
    tasks = [Task("car"), Task("color", gate=("car", {classes[1], "maybe"}))]
    if not isinstance(classes[0], bool):
        enc = StructuredLabelEncoder(tasks, gated_labels=gated_labels).fit(Y)
        assert enc.classes_[0].tolist() == ["no", "yes", "maybe"]


def test_a_gate_of_several_values_has_the_same_repr_in_every_process():
    # the values were printed as a set, whose order of strings changes with the process's
    # hash seed: a model saved in one process and warm-started in another took the
    # repr of its tasks for a change ("tasks (fitted [..., {'x', 'z', 'y'}], now ...")
    values = ["h", "c", "f", "a", "g", "e", "b", "d"]
    task = Task("t", gate=("parent", values))
    assert repr(task) == ("Task('t', gate=('parent', {'a', 'b', 'c', 'd', 'e', 'f', 'g', "
                          "'h'}))")
    assert repr(Task("t", gate=("parent", [10, 2]))) == "Task('t', gate=('parent', {10, 2}))"


def test_a_task_name_is_in_the_schema():
    # a Schema is indexed by name, but `in` iterated over its tasks and compared the name
    # with each Task: "car" in schema was False
    schema = car_schema()
    assert "car" in schema and "color" in schema
    assert "plane" not in schema
    assert schema["car"] in schema
    assert Task("car") not in schema  # a task, compared whole
    assert ["car"] not in schema  # an unhashable key is no name, not a TypeError


@pytest.mark.parametrize(
    "classes, shown",
    [([[0], [1]], r"\[0\], a list"), (np.array([[0, 1], [1, 0]]), r"array\(\[0, 1\]\), a ndarray")],
)
def test_an_unhashable_class_is_refused_naming_the_task(classes, shown):
    # a list (or a 2-D array's row) as a class passed Task and failed in Schema, or at
    # fit, with "TypeError: unhashable type: 'list'"
    with pytest.raises(ValueError, match=rf"Task 'a' has classes=.*, with the class {shown}; "
                       "each class must be a single label"):
        Task("a", classes=classes)
    assert Task("a", classes=[(0, 1), (1, 0)]).classes == [(0, 1), (1, 0)]  # tuples hash


def test_gate_values_of_one_text_print_in_one_order_in_every_process():
    # the values were sorted by their text alone: 1 and '1' tied and came in the order
    # of the set, which changes with the process's hash seed
    import os
    import subprocess
    import sys

    code = ("from sklearn_mtl import Task\n"
            "t = Task('t', gate=('p', ['1', 1, '2.5', 2.5, 'x']))\n"
            "print(repr(t), t.to_dict()['gate'])")
    seen = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                       env={**os.environ, "PYTHONHASHSEED": str(seed)}).stdout
        for seed in range(8)
    }
    assert seen == {"Task('t', gate=('p', {1, '1', 2.5, '2.5', 'x'})) "
                    "['p', [1, '1', 2.5, '2.5', 'x']]\n"}
    task = Task("t", gate=("p", ["1", 1, "x"]))
    assert eval(repr(task), {"Task": Task}) == task


def test_a_task_position_out_of_range_names_the_tasks():
    schema = car_schema()
    assert schema[-4] is schema[0]
    for j in (4, -5):
        with pytest.raises(IndexError, match=rf"Task position {j} is out of range; the schema "
                           r"has 4 tasks \['car', 'color', 'body', 'driver'\] \(positions 0 "
                           "to 3, or -1 to -4 from the end"):
            schema[j]


def test_a_column_named_twice_is_refused_as_a_column():
    # the error spoke of duplicate classes, which the user had not declared
    with pytest.raises(ValueError, match=r"Task 'tags' has columns=\['x', 'x'\], which names "
                       r"\['x'\] more than once"):
        Task("tags", columns=["x", "x"])


def test_an_empty_schema_repr_evaluates_back():
    assert repr(Schema([])) == "Schema([])"
    assert eval(repr(Schema([])), {"Schema": Schema}) == Schema([])


# --------------------------------------------------------------- gates on tuple labels
POS = [(0, 1), (1, 0), (1, 1)]  # a parent whose labels are tuples (a group's, say)


def _pos_schema(gate, classes=POS):
    return Schema([Task("pos", kind="multiclass", classes=classes),
                   Task("size", kind="binary", classes=["s", "l"], gate=("pos", gate))])


def test_a_gate_on_a_tuple_that_is_a_label_of_the_parent_reads_that_label():
    # ("pos", (0, 1)) read as the labels 0 and 1: "gated on 'pos' = [0, 1], which is not
    # among 'pos''s classes", where ("pos", [(0, 1)]) was read as the label
    schema = _pos_schema((0, 1))
    assert schema["size"].gate == ("pos", frozenset({(0, 1)}))
    assert schema["size"] == _pos_schema([(0, 1)])["size"]
    np.testing.assert_array_equal(schema.gate_codes(schema["size"]), [0])
    codes = np.array([[0, 1], [1, 0], [2, 1]])
    schema.apply_gates(codes)
    assert codes.tolist() == [[0, 1], [1, NOT_APPLICABLE], [2, NOT_APPLICABLE]]
    # a tuple label whose items are partly labels: no other reading holds
    mixed = _pos_schema((0, 1), classes=[(0, 1), 0, "x"])
    assert mixed["size"].gate == ("pos", frozenset({(0, 1)}))


def test_a_gate_on_a_tuple_label_through_groups_and_an_estimator():
    from sklearn.linear_model import LogisticRegression

    from sklearn_mtl import IndependentTaskClassifier, StructuredLabelEncoder

    groups = {"pos": POS, "size": ["s", "l"]}
    Y = [{(0, 1), "s"}, {(1, 0)}, {(0, 1), "l"}, {(1, 1)}] * 3
    tasks = [Task("pos"), Task("size", gate=("pos", (0, 1)))]
    for gated_labels in ("raise", "mask"):
        enc = StructuredLabelEncoder(tasks, groups=groups, gated_labels=gated_labels)
        assert enc.fit_transform(Y).codes.tolist()[:4] == [[0, 0], [1, -2], [0, 1], [2, -2]]
        assert enc.tasks_[1].gate == ("pos", frozenset({(0, 1)}))
    X = np.random.RandomState(0).normal(size=(len(Y), 2))
    model = IndependentTaskClassifier(LogisticRegression(), encoder=enc).fit(X, Y)
    assert model.schema_["size"].gate == ("pos", frozenset({(0, 1)}))
    assert tasks[1].gate == ("pos", frozenset({0, 1}))  # the declaration as given


def test_a_gate_on_a_tuple_of_several_labels_reads_them_as_before():
    schema = _pos_schema(("a", "b"), classes=["a", "b", "c"])
    assert schema["size"].gate == ("pos", frozenset({"a", "b"}))
    assert schema["size"] == _pos_schema(["a", "b"], classes=["a", "b", "c"])["size"]
    with pytest.raises(ValueError, match=re.escape(
            "Task 'size' is gated on 'pos' = [0, 2], which is not among 'pos''s classes "
            "[(0, 1), (1, 0), (1, 1)], nor is the tuple (0, 2).")):
        _pos_schema((0, 2))


@pytest.mark.parametrize("gate, labels, shown", [
    ((0, 1), [(0, 1), 0, 1, 2], "labels 0 and 1"),
    ((0,), [(0,), 0, 1], "label 0"),
])
def test_a_gate_on_a_tuple_that_reads_both_ways_is_refused(gate, labels, shown):
    item = "its items 0 and 1 are" if len(gate) > 1 else "its item 0 is"
    message = (
        f"Task 'size' has gate ('pos', {gate!r}): the tuple {gate!r} is one of 'pos''s "
        f"classes, and {item} too, so it reads both as that one label and as the {shown}. "
        f"Write a list: gate=('pos', [{gate!r}]) for the label {gate!r}, or "
        f"gate=('pos', {list(gate)!r}) for the {shown}."
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        _pos_schema(gate, classes=labels)
    # a list says which: the label, or its items
    assert _pos_schema([gate], classes=labels)["size"].gate == ("pos", frozenset({gate}))
    assert _pos_schema(list(gate), classes=labels)["size"].gate == ("pos", frozenset(gate))


def test_a_gate_given_as_a_tuple_is_kept_until_the_schema_reads_it(tmp_path):
    from sklearn.linear_model import LogisticRegression

    from sklearn_mtl import IndependentTaskClassifier, StructuredLabelEncoder, load, save

    task = Task("size", gate=("pos", (0, np.int64(1))))
    assert repr(task) == "Task('size', gate=('pos', (0, 1)))"
    assert eval(repr(task), {"Task": Task}) == task
    assert task != Task("size", gate=("pos", [0, 1]))  # may differ once read
    assert task._replace(kind="binary", classes=["s", "l"]) == Task(
        "size", kind="binary", classes=["s", "l"], gate=("pos", (0, 1)))
    assert Task.from_dict(task.to_dict()) == task
    # a model's declared tasks keep it through save and load; its schema is read
    groups = {"pos": POS, "size": ["s", "l"]}
    Y = [{(0, 1), "s"}, {(1, 0)}, {(0, 1), "l"}, {(1, 1)}] * 3
    enc = StructuredLabelEncoder([Task("pos"), task], groups=groups)
    X = np.random.RandomState(0).normal(size=(len(Y), 2))
    model = IndependentTaskClassifier(LogisticRegression(), encoder=enc).fit(X, Y)
    save(model, tmp_path / "model")
    loaded = load(tmp_path / "model")
    assert loaded.encoder.tasks[1] == task
    assert loaded.schema_ == model.schema_
    assert loaded.fit(X, Y).predict(X) == model.predict(X)


def test_a_hand_written_gate_of_one_value_and_gate_codes_of_an_ungated_task():
    # from_dict read a gate value written alone, ["car", "yes"], as the letters y, e, s;
    # gate_codes of a task without a gate raised "'NoneType' object is not subscriptable"
    task = Task.from_dict({"name": "color", "gate": ["car", "yes"]})
    assert task == Task("color", gate=("car", "yes"))
    assert Task.from_dict({"name": "color", "gate": ["car", ["yes", "no"]]}) == Task(
        "color", gate=("car", ["yes", "no"]))
    schema = Schema([Task("car", kind="binary", classes=["no", "yes"]),
                     task._replace(kind="binary", classes=["blue", "red"])])
    assert schema.gate_codes(schema.named("color")).tolist() == [1]
    with pytest.raises(ValueError, match="^Task 'car' has no gate; its gate_codes are "):
        schema.gate_codes(schema.named("car"))
