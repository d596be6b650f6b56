"""Columns under which shuffled cross-validation misleads: identifiers, rows that follow
the labels, subjects' identifiers (alone or numbered anew within a centre)."""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sklearn_mtl import LeakageWarning, compare
from sklearn_mtl._compare import MostFrequentBaseline
from sklearn_mtl._encoder import StructuredLabelEncoder
from sklearn_mtl._leakage import (
    looks_like_identifier,
    sorted_tasks,
    subject_columns,
    warn_leaky_columns,
)


def visits(n_subjects=20, n_visits=3, seed=0):
    """Three visits of each patient, numbered 1..n; 'treated' a patient's own label, 'better'
    a visit's."""
    rng = np.random.RandomState(seed)
    subject = np.repeat(np.arange(1, n_subjects + 1), n_visits)
    X = pd.DataFrame({"patient": subject, "visit": np.tile(np.arange(1, n_visits + 1),
                                                           n_subjects),
                      "x": rng.normal(size=len(subject))})
    Y = pd.DataFrame({"treated": rng.choice(["yes", "no"], n_subjects)[subject - 1],
                      "better": rng.choice(["y", "n"], len(subject))})
    return X, Y


def centres(seed=0):
    """Two centres whose patients are numbered from 1 in each: the number alone names two
    patients, the centre and the number one."""
    rng = np.random.RandomState(seed)
    centre = np.repeat([1, 2], 30 * 4)
    number = np.tile(np.repeat(np.arange(1, 31), 4), 2)
    patient = (centre - 1) * 30 + number - 1
    X = pd.DataFrame({"centre": centre, "id": number, "visit": np.tile([1, 2, 3, 4], 60),
                      "age": rng.randint(20, 70, 60)[patient]})
    Y = pd.DataFrame({"treat": rng.choice(["A", "P"], 60)[patient],
                      "outcome": rng.choice(["good", "poor"], 240)})
    return X, Y


def test_identifier_forms():
    assert looks_like_identifier(pd.Series(["p1", "p2", "p3"]))
    assert looks_like_identifier(pd.Series(["Gare du Nord", "Châtelet les Halles"]))
    # prose, each row's own text, is no identifier: a TfidfVectorizer's column
    assert not looks_like_identifier(pd.Series(["the new city plan says more", "a big "
                                                "report after the week", "first people"]))
    assert looks_like_identifier(pd.Series([1003, 1001, 1002]))  # row numbers, any start
    assert looks_like_identifier(pd.Series([1, 2, 4, 5]))  # one row left out
    assert not looks_like_identifier(pd.Series([0, 20, 40, 60]))  # spread as a measurement
    assert not looks_like_identifier(pd.Series([1, 2, 2]))  # repeated
    assert not looks_like_identifier(pd.Series([1.0, 2.0, 3.0]))
    assert not looks_like_identifier(pd.Series(["a", None, "b"]))
    assert not looks_like_identifier(pd.Series([True, False]))


def test_a_category_column_is_read_as_its_values():
    # a row identifier held as pandas' "category" dtype was passed over, as text was not
    assert looks_like_identifier(pd.Series(["p1", "p2", "p3"], dtype="category"))
    assert looks_like_identifier(pd.Series([1003, 1001, 1002], dtype="category"))
    assert not looks_like_identifier(pd.Series([0, 20, 40, 60], dtype="category"))
    assert not looks_like_identifier(pd.Series(["a", None, "b"], dtype="category"))
    assert not looks_like_identifier(pd.Series(["a", "b", "a"], dtype="category"))
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"id": pd.Categorical([f"P{i:04d}" for i in range(40)]),
                      "x": rng.normal(size=40)})
    Y = pd.DataFrame({"a": rng.choice(["x", "y"], 40)})
    with pytest.warns(LeakageWarning) as caught:
        warn_leaky_columns(X, StructuredLabelEncoder().fit_transform(Y))
    assert [str(w.message).split(";")[0] for w in caught] == [
        "The column 'id' of X holds a different value in every row, as an identifier does"]


def test_an_object_array_is_read_as_its_frame_would_be():
    # df.to_numpy() of a table with a text column is an object array: its measurements,
    # each distinct, are no identifier, as they are not in the DataFrame
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"weight": rng.normal(80, 10, 40).round(3),
                      "city": rng.choice(["Paris", "Lyon"], 40)})
    Y = pd.DataFrame({"a": rng.choice(["x", "y"], 40)})
    for form in (X, X.to_numpy()):
        with warnings.catch_warnings():
            warnings.simplefilter("error", LeakageWarning)
            warn_leaky_columns(form, StructuredLabelEncoder().fit_transform(Y))


def test_sorted_tasks_counts_changes():
    # 'kind' changes twice along the rows, where a shuffled order changes about 39 times
    kind = pd.DataFrame({"kind": np.repeat(["a", "b", "c"], 20)})
    (task, changes, expected), = sorted_tasks(pd.Series(np.arange(60)), kind)
    assert (task, changes) == ("kind", 2) and expected == pytest.approx(59 * (1 - 3 / 9))
    assert sorted_tasks(pd.Series(np.random.RandomState(0).permutation(60)), kind) == []


def test_a_subjects_identifier_is_found():
    X, Y = visits()
    assert subject_columns(X, Y) == [(("patient",), 20, [("treated", 1.0)])]
    # three rows of 20 patients, one of whose labels differs on one visit: 59 of 60 agree
    Y.loc[0, "treated"] = "no" if Y.loc[0, "treated"] == "yes" else "yes"
    assert subject_columns(X, Y) == [(("patient",), 20, [("treated", 59 / 60)])]
    for dtype in ("category", str):  # a patient's code, as text or a category
        found = subject_columns(X.assign(patient=X["patient"].astype(dtype)), Y)
        assert found == [(("patient",), 20, [("treated", 59 / 60)])]


@pytest.mark.parametrize("case", ["few values", "one row each", "base", "many rows",
                                  "ordered", "floats"])
def test_no_subject_where_the_labels_do_not_say_so(case):
    X, Y = visits()
    if case == "few values":  # 9 patients: too few to tell from chance
        X, Y = visits(n_subjects=9)
    elif case == "one row each":
        X, Y = visits(n_subjects=40, n_visits=1)
    elif case == "base":  # a label on 95% of the rows agrees almost everywhere anyway
        Y["treated"] = np.where(X["patient"] == 1, "yes", "no")
    elif case == "many rows":  # a category of 100 rows a value (a team's games)
        X, Y = visits(n_subjects=12, n_visits=100)
    elif case == "ordered":  # a measurement that sets the label: a type by age at onset
        Y["treated"] = np.where(X["patient"] <= 10, "young", "old")
    else:
        X["patient"] = X["patient"].astype(float)
    assert subject_columns(X, Y) == []


def test_an_identifier_numbered_anew_in_each_centre():
    X, Y = centres()
    assert subject_columns(X[["id", "visit", "age"]], Y) == []  # the number names two
    assert subject_columns(X, Y) == [(("centre", "id"), 60, [("treat", 1.0)])]
    # a column that alone names the patients is found by itself
    X["patient"] = X["centre"] * 100 + X["id"]
    assert subject_columns(X, Y) == [(("patient",), 60, [("treat", 1.0)])]


def test_no_pair_where_the_outer_column_alone_agrees():
    # the treatment given per centre: the centre alone explains it, the number adds nothing
    X, Y = centres()
    Y["treat"] = np.where(X["centre"] == 1, "A", "P")
    Y["ward"] = np.where(X["centre"] == 1, "a", "b")
    assert subject_columns(X, Y) == []


def test_compare_warns_of_a_subject_and_names_the_groups():
    X, Y = visits()
    model = {"prior": MostFrequentBaseline()}
    with pytest.warns(LeakageWarning) as caught:
        compare(model, X, Y, cv=3, progress=False)
    (message,) = [str(w.message) for w in caught if w.category is LeakageWarning]
    assert message.startswith("The column 'patient' of X holds 20 values, most of them on "
                              "several rows, and within a value the labels of 'treated' "
                              "(100%) agree")
    assert message.endswith("pass groups=X['patient'].")
    with warnings.catch_warnings():
        warnings.simplefilter("error", LeakageWarning)
        compare(model, X, Y, cv=3, progress=False, groups=X["patient"])


def test_compare_names_the_groups_of_an_identifier_numbered_anew():
    X, Y = centres()
    model = {"prior": MostFrequentBaseline()}
    with pytest.warns(LeakageWarning, match=r"The column 'id' of X, within the values of "
                      r"the column 'centre' of X, holds 60 values") as caught:
        compare(model, X, Y, cv=3, progress=False)
    (message,) = [str(w.message) for w in caught if w.category is LeakageWarning]
    given = "X.groupby(['centre', 'id']).ngroup()"
    assert message.endswith(f"pass groups={given}.")
    groups = eval(given, {"X": X})  # the expression named works as it reads
    assert groups.nunique() == 60
    with warnings.catch_warnings():
        warnings.simplefilter("error", LeakageWarning)
        compare(model, X, Y, cv=3, progress=False, groups=groups)
    # an integer array, and a polars frame: the expressions named work as they read too
    X_array = X.to_numpy()
    with pytest.warns(LeakageWarning, match=r"The column 1 of X, within the values of the "
                      r"column 0 of X, holds 60 values") as caught:
        compare(model, X_array, Y, cv=3, progress=False)
    given = str(caught[-1].message).rsplit("groups=", 1)[1][:-1]
    assert given == "pd.DataFrame(X[:, [0, 1]]).groupby([0, 1]).ngroup()"
    np.testing.assert_array_equal(eval(given, {"X": X_array, "pd": pd}), groups)
    pl = pytest.importorskip("polars")
    X_polars = pl.from_pandas(X)
    with pytest.warns(LeakageWarning) as caught:
        compare(model, X_polars, Y, cv=3, progress=False)
    given = str(caught[-1].message).rsplit("groups=", 1)[1][:-1]
    assert given == "X.to_pandas().groupby(['centre', 'id']).ngroup()"
    np.testing.assert_array_equal(eval(given, {"X": X_polars}), groups)


def test_compare_warns_of_an_identifier_and_of_labels_along_it():
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"row": np.arange(1, 61), "x": rng.normal(size=60)})
    Y = pd.DataFrame({"kind": np.repeat(["a", "b", "c"], 20), "coin": rng.choice(["h", "t"], 60)})
    with pytest.warns(LeakageWarning) as caught:
        compare({"prior": MostFrequentBaseline()}, X, Y, cv=3, progress=False)
    (message,) = [str(w.message) for w in caught if w.category is LeakageWarning]
    assert message.startswith("The column 'row' of X holds a different value in every row, "
                              "as an identifier does")
    assert ("Along it the rows follow the labels of 'kind' (they change 2 time(s) from row "
            "to row, where a shuffled order's would change about 39 times)") in message
    assert "'coin'" not in message
    # a shuffled identifier: the first sentence only; an integer array names its column
    X["row"] = rng.permutation(60) + 1
    with pytest.warns(LeakageWarning) as caught:
        compare({"prior": MostFrequentBaseline()}, X[["row"]].to_numpy(), Y, cv=3,
                progress=False)
    (message,) = [str(w.message) for w in caught if w.category is LeakageWarning]
    assert message.startswith("The column 0 of X holds a different value in every row")
    assert "Along it" not in message


def test_compare_says_nothing_of_floats_or_few_rows():
    X, Y = visits()
    with warnings.catch_warnings():
        warnings.simplefilter("error", LeakageWarning)
        compare({"prior": MostFrequentBaseline()}, X.astype(float).to_numpy(), Y, cv=3,
                progress=False)
        compare({"prior": MostFrequentBaseline()}, X.iloc[:15], Y.iloc[:15], cv=3,
                progress=False)


def test_checks_do_not_mutate_the_data():
    X, Y = centres()
    X_before, Y_before = X.copy(), Y.copy()
    with pytest.warns(LeakageWarning):
        compare({"prior": MostFrequentBaseline()}, X, Y, cv=3, progress=False)
    pd.testing.assert_frame_equal(X, X_before)
    pd.testing.assert_frame_equal(Y, Y_before)


N_ROWS = 30

#: Columns as users' frames hold them, the odd ones included: arrays and lists in cells,
#: numbers next to strings, nullable integers, dates.
COLUMNS = st.sampled_from([
    lambda rng: rng.randint(0, 5, N_ROWS),
    lambda rng: rng.permutation(N_ROWS) + 1,
    lambda rng: np.repeat(np.arange(N_ROWS // 3), 3),
    lambda rng: rng.normal(size=N_ROWS),
    lambda rng: [f"p{i}" for i in rng.permutation(N_ROWS)],
    lambda rng: [f"s{i // 3}" for i in range(N_ROWS)],
    lambda rng: [np.arange(2) + i for i in range(N_ROWS)],
    lambda rng: [[i] for i in range(N_ROWS)],
    lambda rng: [i if i % 2 else str(i) for i in range(N_ROWS)],
    lambda rng: pd.array([*range(N_ROWS - 1), None], dtype="Int64"),
    lambda rng: np.repeat(np.arange(N_ROWS // 3, dtype=np.uint64) + 2**63, 3),
    lambda rng: pd.Categorical([f"c{i % 12}" for i in range(N_ROWS)]),
    lambda rng: pd.date_range("2024-01-01", periods=N_ROWS),
    lambda rng: rng.rand(N_ROWS) > 0.5,
])


@settings(max_examples=60, deadline=None)
@given(st.lists(COLUMNS, min_size=1, max_size=4), st.integers(0, 2**16),
       st.booleans())
def test_the_checks_take_any_frame_and_change_nothing(makers, seed, duplicate_names):
    # The checks are advice: whatever the columns hold, they warn or stay silent, never
    # raise, and leave X as it was.
    rng = np.random.RandomState(seed)
    X = pd.DataFrame({f"x{j}": make(rng) for j, make in enumerate(makers)})
    if duplicate_names:
        X.columns = ["x"] * X.shape[1]
    labels = rng.permutation(np.array(["a", "b"] * (N_ROWS // 6)))  # both, whatever seed
    Y = pd.DataFrame({"t": labels[np.arange(N_ROWS) // 3]})
    encoded = StructuredLabelEncoder().fit_transform(Y)
    before = X.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LeakageWarning)
        warn_leaky_columns(X, encoded)
        warn_leaky_columns(X.to_numpy(), encoded)
    pd.testing.assert_frame_equal(X, before)


def test_a_rare_class_on_one_row_is_no_label_column():
    # The one fraud's row is the only row of its city: the city's dummy column matches the
    # task's labels row for row by chance, which is no sign of a label left in X. A copy of
    # the labels is still found where its classes hold two rows or more.
    from sklearn_mtl._leakage import label_columns

    rng = np.random.RandomState(0)
    city = np.array([f"c{i // 2}" for i in range(58)] + ["c99", "c98"])
    X = pd.get_dummies(pd.DataFrame({"city": city}), columns=["city"])
    fraud = np.zeros(60)
    fraud[58] = 1  # on the row of city 'c99', which no other row has
    assert label_columns(X, pd.DataFrame({"fraud": fraud})) == []
    fraud[59] = 1
    X["copy"] = fraud.astype(bool)
    assert label_columns(X, pd.DataFrame({"fraud": fraud})) == [("copy", ["fraud"])]
    X["sex"] = rng.choice(["f", "m"], 60)
    labels = pd.DataFrame({"sex": pd.factorize(X["sex"])[0].astype(float)})
    assert label_columns(X, labels) == [("sex", ["sex"])]


def test_numpy_text_and_bool_arrays_are_checked_as_object_arrays_are():
    # np.array of strings has numpy's own str dtype, not object: its columns are text
    # all the same, and a bool array's column can hold a task's labels (is_female).
    rng = np.random.RandomState(0)
    Y = pd.DataFrame({"sex": rng.choice(["f", "m"], 40)})
    encoded = StructuredLabelEncoder().fit_transform(Y)
    arrays = {
        "str": np.column_stack([rng.choice(["a", "b", "c"], 40), Y["sex"].to_numpy(str)]),
        "bool": np.column_stack([rng.rand(40) > 0.5, Y["sex"].to_numpy() == "f"]),
    }
    for kind, X in arrays.items():
        assert X.dtype.kind == {"str": "U", "bool": "b"}[kind]
        with pytest.warns(LeakageWarning) as caught:
            warn_leaky_columns(X, encoded)
        (message,) = [str(w.message) for w in caught]
        assert message.startswith("The column 1 of X holds the labels of 'sex'")
        assert message.endswith("np.delete(X, 1, axis=1).")
    names = np.array([f"p{i}" for i in rng.permutation(40)])[:, None]
    with pytest.warns(LeakageWarning, match="The column 0 of X holds a different value"):
        warn_leaky_columns(names, encoded)


@pytest.mark.skipif(not hasattr(np, "dtypes") or not hasattr(np.dtypes, "StringDType"),
                    reason="numpy 2's StringDType")
def test_a_numpy_stringdtype_array_is_checked_as_a_str_array_is():
    # numpy 2's variable-width str dtype (kind "T") was left unchecked where "U" is checked
    rng = np.random.RandomState(0)
    Y = pd.DataFrame({"sex": rng.choice(["f", "m"], 40)})
    encoded = StructuredLabelEncoder().fit_transform(Y)
    X = np.column_stack([rng.choice(["a", "b", "c"], 40), Y["sex"].to_numpy(str)])
    X = X.astype(np.dtypes.StringDType())
    assert X.dtype.kind == "T"
    with pytest.warns(LeakageWarning) as caught:
        warn_leaky_columns(X, encoded)
    (message,) = [str(w.message) for w in caught]
    assert message.startswith("The column 1 of X holds the labels of 'sex'")


def test_the_command_line_points_out_a_label_left_among_the_features(tmp_path, capsys):
    # The command line silences compare's LeakageWarning, as its note says the same; the
    # note left out a column holding a target's labels (is_female next to sex), so that a
    # perfect score came with no word of why.
    from sklearn_mtl import cli

    rng = np.random.RandomState(0)
    sex = rng.choice(["f", "m"], 60)
    frame = pd.DataFrame({"x": rng.normal(size=60), "is_female": sex == "f", "sex": sex,
                          "coin": rng.choice(["h", "t"], 60)})
    path = tmp_path / "leak.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "out"
    base = ["compare", "--data", str(path), "--targets", "sex,coin", "--models", "dummy",
            "--cv", "3", "--out", str(out), "--no-plots", "--quiet"]
    assert cli.main(base) == 0
    expected = ("Column 'is_female' holds the labels of 'sex': one value of it for each "
                "class, on every labelled row. A model that reads it reads the answer, which "
                "a new row does not have, and the scores overrate it; ")
    assert expected + "name the features with --features to leave it out" in (
        out / "report.md").read_text()
    assert cli.main([*base, "--features", "x,is_female"]) == 0
    assert expected + "leave it out of --features" in (out / "report.md").read_text()
    assert cli.main([*base, "--features", "x"]) == 0
    assert "holds the labels" not in (out / "report.md").read_text()
    capsys.readouterr()


def test_a_label_in_a_float_array_is_found_as_in_a_float_frame():
    # A float array was not looked at (only arrays of integers, text or bools were): the
    # labels stacked into X as 0.0/1.0 were found in a DataFrame and missed in its array.
    rng = np.random.RandomState(0)
    Y = pd.DataFrame({"sick": rng.choice(["no", "yes"], 40)})
    encoded = StructuredLabelEncoder().fit_transform(Y)
    X = np.column_stack([rng.normal(size=40), (Y["sick"] == "yes").to_numpy(float)])
    X[3, 1] = np.nan  # a gap is no other value
    before = X.copy()
    for table in (X, pd.DataFrame(X), X.astype(np.float32)):
        with pytest.warns(LeakageWarning) as caught:
            warn_leaky_columns(table, encoded)
        (message,) = [str(w.message) for w in caught]
        assert message.startswith("The column 1 of X holds the labels of 'sick'")
    assert message.endswith("np.delete(X, 1, axis=1).")
    np.testing.assert_array_equal(X, before)
    with warnings.catch_warnings():  # measurements only: nothing to say
        warnings.simplefilter("error", LeakageWarning)
        warn_leaky_columns(X[:, :1], encoded)


def test_a_label_set_label_or_a_regression_target_left_in_x_is_found(tmp_path, capsys):
    # The label check read the binary and multiclass tasks only: a label set's label
    # (is_comedy next to the genres) or the quantity to predict (the price in thousands)
    # left in X went unremarked, where a class's copy is pointed out.
    from sklearn_mtl import Task, cli

    rng = np.random.RandomState(0)
    genres = [set(rng.choice(["comedy", "drama", "war"], rng.randint(0, 3), replace=False))
              for _ in range(60)]
    price = rng.gamma(2.0, 100.0, 60)
    Y = pd.DataFrame({"genres": genres, "price": price})
    tasks = [Task("genres", kind="multilabel"), Task("price", kind="regression")]
    encoded = StructuredLabelEncoder(tasks=tasks).fit_transform(Y)
    X = pd.DataFrame({"x": rng.normal(size=60),
                      "is_comedy": ["comedy" in g for g in genres],
                      "price_k": price / 1000, "near": price + rng.normal(size=60)})
    with pytest.warns(LeakageWarning) as caught:
        warn_leaky_columns(X, encoded)
    assert [str(w.message).split(", on every")[0] for w in caught] == [
        "The column 'is_comedy' of X holds the labels of 'genres[comedy]': one value of it "
        "for each class",
        "The column 'price_k' of X holds the values of 'price', as they are or scaled and "
        "shifted"]
    assert str(caught[1].message).endswith("X.drop(columns=['price_k']).")
    with warnings.catch_warnings():  # a measurement close to the price is no copy of it
        warnings.simplefilter("error", LeakageWarning)
        warn_leaky_columns(X[["x", "near"]], encoded)
    # the command line's note says it too (it silences compare's warnings)
    frame = X[["x", "price_k"]].assign(kind=rng.choice(["a", "b"], 60), price=price)
    frame.to_csv(tmp_path / "prices.csv", index=False)
    assert cli.main(["compare", "--data", str(tmp_path / "prices.csv"), "--targets",
                     "kind,price", "--regression-targets", "price", "--models", "dummy",
                     "--cv", "3", "--out", str(tmp_path / "out"), "--no-plots",
                     "--quiet"]) == 0
    assert ("Column 'price_k' holds the values of 'price', as they are or scaled and "
            "shifted, on every labelled row.") in (tmp_path / "out" / "report.md").read_text()
    capsys.readouterr()


def test_a_regression_target_that_varies_on_one_row_is_no_copy_of_a_column():
    # The one refund's row is the only row of its city: the city's 0/1 column is the
    # refunds scaled, row for row, by chance, as a rare class's one row matches it (which
    # the label check knows is no evidence). Values that vary on two rows or more still are.
    from sklearn_mtl import Task
    from sklearn_mtl._leakage import quantity_columns

    city = np.array([f"c{i // 2}" for i in range(58)] + ["c99", "c98"])
    X = pd.get_dummies(pd.DataFrame({"city": city}), columns=["city"], dtype=float)
    refund = np.zeros(60)
    refund[58] = 120.0  # on the row of city 'c99', which no other row has
    Y = pd.DataFrame({"refund": refund})
    encoded = StructuredLabelEncoder(tasks=[Task("refund", kind="regression")]).fit_transform(Y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", LeakageWarning)
        warn_leaky_columns(X, encoded)
        warn_leaky_columns(X.to_numpy(), encoded)
    assert quantity_columns(X, Y) == []
    refund[59] = 80.0
    X["refund_k"] = refund / 1000
    X.loc[5, "refund_k"] = np.nan  # a gap is no other value
    assert quantity_columns(X, pd.DataFrame({"refund": refund})) == [("refund_k", ["refund"])]


def test_the_label_check_tabulates_a_column_only_against_labels_it_may_hold(monkeypatch):
    # Every column was counted against every label of a label set on all rows where its
    # first rows had no more values than the label has classes (any 0/1 column): a wide
    # X against many labels took minutes before compare fitted anything. A column is now
    # looked at on all rows only for the labels it holds on the rows looked at first.
    from sklearn_mtl import Task, _leakage

    rng = np.random.RandomState(0)
    n, n_labels = 200, 30
    sets = [set(np.flatnonzero(rng.random_sample(n_labels) < 0.5).astype(str))
            for _ in range(n)]
    Y = pd.DataFrame({"tags": sets})
    encoded = StructuredLabelEncoder(tasks=[Task("tags", kind="multilabel")]).fit_transform(Y)
    X = (rng.random_sample((n, 40)) < 0.5).astype(float)
    X[:, 7] = [str(3) in s for s in sets]  # label 3 left in X
    calls = []
    table = _leakage._table
    monkeypatch.setattr(_leakage, "_table", lambda *a: calls.append(1) or table(*a))
    with pytest.warns(LeakageWarning) as caught:
        warn_leaky_columns(X, encoded)
    (message,) = [str(w.message) for w in caught]
    assert message.startswith("The column 7 of X holds the labels of 'tags[3]'")
    assert len(calls) == 1  # column 7 against label 3, nothing else


def test_a_regression_target_left_in_x_rounded_is_found():
    # The price in whole dollars, or in thousands to two decimals, next to the price to
    # predict went unremarked: only a correlation of +-1 up to float error counted. A
    # rounded copy is on a grid of decimals and within half a step of the line through
    # the two; a measurement near the price, rounded or not, is not.
    from sklearn_mtl import Task
    from sklearn_mtl._leakage import quantity_columns

    rng = np.random.RandomState(0)
    price = rng.gamma(2.0, 100.0, 40)
    X = pd.DataFrame({"dollars": price.round(), "price_k": (price / 1000).round(2),
                      "near": price + rng.normal(size=40),
                      "near_rounded": (price + rng.normal(size=40)).round(),
                      "count": rng.poisson(5, 40)})
    Y = pd.DataFrame({"price": price})
    assert quantity_columns(X, Y) == [("dollars", ["price"]), ("price_k", ["price"])]
    # the task's values rounded, the column exact: a copy too
    assert quantity_columns(pd.DataFrame({"exact": price}),
                            pd.DataFrame({"price": price.round()})) == [("exact", ["price"])]
    encoded = StructuredLabelEncoder(tasks=[Task("price", kind="regression")]).fit_transform(Y)
    with pytest.warns(LeakageWarning, match="The column 'dollars' of X holds the values of "
                      "'price', as they are or scaled and shifted"):
        warn_leaky_columns(X[["dollars", "near"]], encoded)
    with warnings.catch_warnings():
        warnings.simplefilter("error", LeakageWarning)
        warn_leaky_columns(X[["near", "near_rounded", "count"]], encoded)


def test_a_near_copy_of_small_values_or_of_whole_years_is_no_rounded_copy():
    # Values all within one power of ten (rates between 0 and 1, a million and a
    # fraction) were each "a whole multiple" of 1e6 up to float error, so any column
    # correlating to within 1e-3 was taken for a rounded copy; and a column of years
    # one after the task's on some rows (a year of sale next to the model year) was
    # within the slack of the line, though rounding a whole year changes nothing.
    from sklearn_mtl._leakage import quantity_columns

    rng = np.random.RandomState(0)
    rate = rng.uniform(0, 1, 200)
    lab = rate + rng.normal(0, 0.005, 200)  # a second lab's estimate
    assert quantity_columns(pd.DataFrame({"lab": lab}), pd.DataFrame({"rate": rate})) == []
    assert quantity_columns(pd.DataFrame({"lab": lab + 1e6}),
                            pd.DataFrame({"rate": rate + 1e6})) == []
    year = rng.randint(1950, 2020, 300)
    sale = pd.DataFrame({"sale": year + rng.randint(0, 2, 300)})
    assert quantity_columns(sale, pd.DataFrame({"year": year})) == []
    # rounded copies are still found, at any magnitude
    price = rng.gamma(2.0, 100.0, 200)
    for scale in (1e-9, 1e-3, 1e9):
        X = pd.DataFrame({"rounded": price.round() * scale,
                          "near": (price + rng.normal(size=200)) * scale})
        assert quantity_columns(X, pd.DataFrame({"price": price * scale})) == [
            ("rounded", ["price"])]
