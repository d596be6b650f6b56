import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

from sklearn_mtl import StructuredLabelEncoder, Task
from sklearn_mtl._compare import MostFrequentBaseline
from sklearn_mtl.metrics import (
    consistency_violations,
    cooccurrence_difference,
    cooccurrence_matrix,
    exact_match_score,
    exact_match_scorer,
    hamming_loss,
    label_f1_score,
    make_task_scorer,
    mcnemar_test,
    mean_task_accuracy,
    mean_task_accuracy_scorer,
    neg_hamming_loss_scorer,
    task_accuracy_score,
    task_f1_score,
    task_precision_score,
    task_recall_score,
    task_report,
)

CAR_TASKS = [
    Task("car", classes=["no", "yes"]),
    Task("color", classes=["red", "blue"], gate=("car", "yes")),
]


@pytest.fixture
def car():
    """Hand-built: row 3's color is missing, rows 1 and 4 are gated off (car = no)."""
    Y_true = pd.DataFrame({
        "car": ["yes", "no", "yes", "yes", "no"],
        "color": ["red", None, "blue", None, None],
    })
    Y_pred = pd.DataFrame({
        "car": ["yes", "no", "yes", "no", "yes"],
        "color": ["red", None, "red", None, "blue"],
    })
    return Y_true, Y_pred


# ------------------------------------------------------------------ hand-built values
def test_exact_match_and_hamming_by_hand(car):
    Y_true, Y_pred = car
    before = Y_true.copy(), Y_pred.copy()
    # row 0 ok; 1 ok; 2 color wrong; 3 car wrong (missing color ignored); 4 car wrong
    assert exact_match_score(Y_true, Y_pred, schema=CAR_TASKS) == pytest.approx(2 / 5)
    # labelled entries: car x5, color x2 (rows 0, 2): wrong = color@2, car@3, car@4
    assert hamming_loss(Y_true, Y_pred, schema=CAR_TASKS) == pytest.approx(3 / 7)
    pd.testing.assert_frame_equal(Y_true, before[0])
    pd.testing.assert_frame_equal(Y_pred, before[1])


def test_missing_and_gated_labels_are_not_errors(car):
    Y_true, Y_pred = car
    acc = task_accuracy_score(Y_true, Y_pred, schema=CAR_TASKS)
    assert acc.to_dict() == pytest.approx({"car": 3 / 5, "color": 1 / 2})
    report = task_report(Y_true, Y_pred, schema=CAR_TASKS)
    assert report.loc[("color", ""), "n_labelled"] == 2
    assert report.loc[("color", ""), "n_missing"] == 1
    assert report.loc[("color", ""), "n_not_applicable"] == 2
    # without the schema, gated-off labels count as missing: same scores
    assert task_accuracy_score(Y_true, Y_pred).to_dict() == acc.to_dict()
    assert task_report(Y_true, Y_pred).loc[("color", ""), "n_missing"] == 3


def test_missing_prediction_is_wrong_and_lowers_recall_only():
    Y_true = pd.DataFrame({"a": ["x", "x", "y", "y"]})
    Y_pred = pd.DataFrame({"a": ["x", None, "y", "y"]})
    assert task_accuracy_score(Y_true, Y_pred, task="a") == pytest.approx(3 / 4)
    assert task_precision_score(Y_true, Y_pred, task="a", average="micro") == 1.0
    assert task_recall_score(Y_true, Y_pred, task="a", average="micro") == pytest.approx(3 / 4)
    # macro: recall x = 1/2, y = 1 ; F1 x = 2/3, y = 1
    assert task_f1_score(Y_true, Y_pred, task="a") == pytest.approx((2 / 3 + 1) / 2)


def test_rows_without_any_label_are_left_out():
    Y_true = pd.DataFrame({"a": ["x", None, "y"], "b": [1, None, 0]})
    Y_pred = pd.DataFrame({"a": ["x", "y", "x"], "b": [1, 0, 0]})
    assert exact_match_score(Y_true, Y_pred) == pytest.approx(1 / 2)


def test_multilabel_task_by_hand():
    Y_true = pd.DataFrame({"tags": [["a"], ["a", "b"], ["b"], [], None]})
    Y_pred = pd.DataFrame({"tags": [["a"], ["a"], ["b"], ["b"], ["a", "b"]]})
    assert task_accuracy_score(Y_true, Y_pred, task="tags") == pytest.approx(2 / 4)
    f1 = label_f1_score(Y_true, Y_pred, task="tags")
    assert f1.to_dict() == pytest.approx({"a": 1.0, "b": 0.5})
    assert hamming_loss(Y_true, Y_pred) == pytest.approx(2 / 8)
    report = task_report(Y_true, Y_pred)
    assert list(report.index) == [("tags", ""), ("tags", "a"), ("tags", "b")]
    assert report.loc[("tags", "b"), "f1_macro"] == pytest.approx(0.5)
    assert report.loc[("tags", ""), "f1_macro"] == pytest.approx(0.75)
    assert report.loc[("tags", ""), "n_missing"] == 1



def test_report_label_accuracy_counts_a_missing_or_gated_off_prediction_as_wrong():
    # Per-label accuracy reads a prediction that does not give the label as wrong, as
    # hamming_loss and the task's accuracy do (before: as a correct 0).
    tasks = [Task("car", classes=["no", "yes"]),
             Task("tags", kind="multilabel", classes=["a", "b"], gate=("car", "yes"))]
    Y_true = pd.DataFrame({"car": ["yes", "yes", "yes"], "tags": [["a"], [], ["b"]]})
    # row 1: tags gated off by car = no; row 2: tags missing
    Y_pred = pd.DataFrame({"car": ["yes", "no", "yes"], "tags": [["a"], None, None]})
    report = task_report(Y_true, Y_pred, schema=tasks, zero_division=0.0)
    # each label is right on row 0 only
    assert report["accuracy"].to_dict() == pytest.approx({
        ("car", ""): 2 / 3, ("tags", ""): 1 / 3, ("tags", "a"): 1 / 3, ("tags", "b"): 1 / 3,
    })
    # no positive prediction either: a's one true label is predicted, b's is not
    assert report.loc[("tags", "a"), ["precision_macro", "recall_macro", "f1_macro"]].tolist() \
        == [1.0, 1.0, 1.0]
    assert report.loc[("tags", "b"), ["precision_macro", "recall_macro"]].tolist() == [0.0, 0.0]
    # car wrong on row 1, four of the six tag labels wrong
    assert hamming_loss(Y_true, Y_pred, schema=tasks) == pytest.approx(5 / 9)
    # without a schema, a missing multilabel prediction
    Y_true = pd.DataFrame({"tags": [["a"], []]})
    Y_pred = pd.DataFrame({"tags": [["a"], None]})
    report = task_report(Y_true, Y_pred, zero_division=0.0)
    assert report.loc[("tags", "a"), "accuracy"] == 0.5 == hamming_loss(Y_true, Y_pred)


def test_exact_match_requires_gated_off_prediction():
    true = StructuredLabelEncoder(tasks=CAR_TASKS).fit_transform(
        pd.DataFrame({"car": ["no"], "color": [None]})
    )
    pred = StructuredLabelEncoder(tasks=CAR_TASKS).fit_transform(
        pd.DataFrame({"car": ["no"], "color": [None]})
    )
    pred.codes[0, 1] = 0  # an encoded prediction that ignores the gate
    assert exact_match_score(true, pred) == 0.0
    assert hamming_loss(true, pred) == 0.0  # the gated-off label is not counted


def test_sample_weight():
    Y_true = np.array([["a", "x"], ["b", "x"], ["a", "y"]], dtype=object)
    Y_pred = np.array([["a", "x"], ["a", "x"], ["a", "y"]], dtype=object)
    w = np.array([1.0, 3.0, 0.0])
    assert exact_match_score(Y_true, Y_pred, sample_weight=w) == pytest.approx(1 / 4)
    assert hamming_loss(Y_true, Y_pred, sample_weight=w) == pytest.approx(3 / 8)
    with pytest.raises(ValueError, match="sample_weight has shape"):
        exact_match_score(Y_true, Y_pred, sample_weight=[1.0])


@pytest.mark.parametrize("metric", [
    exact_match_score, hamming_loss, task_accuracy_score, mean_task_accuracy,
    task_f1_score, label_f1_score, task_report,
])
def test_all_zero_sample_weight_is_refused_as_scikit_learn_refuses_it(metric):
    # every score would be 0 / 0: an error, not a NaN that reads as "no label to score"
    Y = pd.DataFrame({"a": ["p", "q", "p"], "b": ["x", "x", "y"]})
    with pytest.raises(ValueError, match="sample_weight is 0 for each of the 3 samples"):
        metric(Y, Y, sample_weight=np.zeros(3))
    with pytest.raises((ValueError, ZeroDivisionError)):  # scikit-learn's own refusal
        skm.accuracy_score(Y["a"], Y["a"], sample_weight=np.zeros(3))


# --------------------------------------------------------- equality with scikit-learn
def _random_labels(seed, n=40):
    rng = np.random.RandomState(seed)
    Y_true = pd.DataFrame({
        "a": rng.choice(["p", "q", "r"], n),
        "b": rng.choice([0, 1], n),
        "c": rng.choice(["u", "v", "w", "z"], n),
    })
    Y_pred = Y_true.copy()
    flip = rng.uniform(size=Y_true.shape) < 0.35
    Y_pred["a"] = np.where(flip[:, 0], rng.choice(["p", "q", "r"], n), Y_true["a"])
    Y_pred["b"] = np.where(flip[:, 1], 1 - Y_true["b"], Y_true["b"])
    Y_pred["c"] = np.where(flip[:, 2], rng.choice(["u", "v", "w"], n), Y_true["c"])
    return Y_true, Y_pred


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("weighted", [False, True])
def test_per_task_metrics_equal_sklearn(seed, weighted):
    Y_true, Y_pred = _random_labels(seed)
    w = np.random.RandomState(seed).uniform(0.5, 2, len(Y_true)) if weighted else None
    acc = task_accuracy_score(Y_true, Y_pred, sample_weight=w)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in Y_true.columns:
            t, p = Y_true[name], Y_pred[name]
            assert acc[name] == skm.accuracy_score(t, p, sample_weight=w)
            for average in ("macro", "micro", "weighted"):
                kw = {"average": average, "sample_weight": w}
                got = task_precision_score(Y_true, Y_pred, task=name, **kw)
                assert got == pytest.approx(skm.precision_score(t, p, **kw), rel=1e-12, abs=0)
                got = task_recall_score(Y_true, Y_pred, task=name, **kw)
                assert got == pytest.approx(skm.recall_score(t, p, **kw), rel=1e-12, abs=0)
                got = task_f1_score(Y_true, Y_pred, task=name, **kw)
                assert got == pytest.approx(skm.f1_score(t, p, **kw), rel=1e-12, abs=0)


@pytest.mark.parametrize("zero_division", ["warn", 0.0, 1.0, np.nan])
def test_zero_division_equals_sklearn(zero_division):
    """A class never predicted (precision divides by zero) and, in the multilabel task,
    a label never on and a sample with no label: each value of ``zero_division`` scores
    them as scikit-learn does, and "warn" warns as it does."""
    from sklearn.exceptions import UndefinedMetricWarning

    t = np.array(["a", "b", "c", "a", "b", "c", "a"])
    p = np.array(["a", "b", "b", "a", "a", "b", "a"])  # 'c' never predicted
    Y_true, Y_pred = pd.DataFrame({"x": t}), pd.DataFrame({"x": p})
    rng = np.random.RandomState(0)
    T = rng.randint(0, 2, (30, 5))
    T[:, 4] = 0
    T[0] = 0  # a sample with no true label ...
    P = np.where(rng.uniform(size=T.shape) < 0.3, 1 - T, T)
    P[:, 4] = 0
    P[0] = 0  # ... nor a predicted one
    P[:, 3] = 0  # a label never predicted
    tasks = [Task("tags", kind="multilabel", columns=[f"l{k}" for k in range(5)])]
    Yt = pd.DataFrame(T, columns=[f"l{k}" for k in range(5)])
    Yp = pd.DataFrame(P, columns=[f"l{k}" for k in range(5)])
    ours = {"precision": task_precision_score, "recall": task_recall_score,
            "f1": task_f1_score}
    theirs = {"precision": skm.precision_score, "recall": skm.recall_score,
              "f1": skm.f1_score}
    for metric in ours:
        for average in ("macro", "micro", "weighted", "samples"):
            kw = {"average": average, "zero_division": zero_division}
            cases = [(dict(schema=tasks, task="tags"), Yt, Yp, T, P),
                     # no label ever on in the truth: the weights of "weighted" are all 0
                     (dict(schema=tasks, task="tags"), Yt * 0, Yp, T * 0, P)]
            if average != "samples":
                cases.append(({"task": "x"}, Y_true, Y_pred, t, p))
            for extra, ours_t, ours_p, ref_t, ref_p in cases:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    got = ours[metric](ours_t, ours_p, **kw, **extra)
                ours_warned = any(w.category is UndefinedMetricWarning for w in caught)
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    expected = theirs[metric](ref_t, ref_p, **kw)
                ref_warned = any(w.category is UndefinedMetricWarning for w in caught)
                assert got == pytest.approx(expected, rel=1e-12, nan_ok=True), (metric, kw)
                assert ours_warned == ref_warned, (metric, kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_allclose(
            label_f1_score(Yt, Yp, schema=tasks, task="tags", zero_division=zero_division),
            skm.f1_score(T, P, average=None, zero_division=zero_division), rtol=1e-12)
        report = task_report(Y_true, Y_pred, zero_division=zero_division)
        for average in ("macro", "weighted"):
            expected = skm.precision_score(t, p, average=average, zero_division=zero_division)
            assert report.loc[("x", ""), f"precision_{average}"] == pytest.approx(expected)


def test_zero_division_refuses_other_values():
    with pytest.raises(ValueError, match=r"zero_division must be 'warn', 0.0, 1.0 or np.nan"):
        task_f1_score(pd.DataFrame({"x": [0, 1]}), pd.DataFrame({"x": [0, 1]}),
                      zero_division=0.5)


def test_mcnemar_test_counts_the_samples_one_model_alone_gets_right(car):
    """The discordant samples, with gates and missing labels read as exact_match_score
    reads them, and scipy's two-sided binomial test of their split."""
    from scipy.stats import binomtest

    Y_true, Y_pred = car  # Y_pred is an exact match on rows 0 and 1 only
    assert mcnemar_test(Y_true, Y_true, Y_pred, schema=CAR_TASKS) == (3, 0, 0.25)
    assert mcnemar_test(Y_true, Y_pred, Y_true, schema=CAR_TASKS) == (0, 3, 0.25)
    assert mcnemar_test(Y_true, Y_pred, Y_pred, schema=CAR_TASKS) == (0, 0, 1.0)
    # no color predicted: wrong on row 0 (labelled red), right on row 1 (gated off)
    result = mcnemar_test(Y_true, Y_pred, Y_pred.assign(color=None), schema=CAR_TASKS)
    assert (result.only_a, result.only_b) == (1, 0)
    assert result.pvalue == binomtest(0, 1).pvalue == 1.0
    # a class that the truth never holds is one more wrong answer, not an error
    assert mcnemar_test(Y_true, Y_pred.assign(color="green"), Y_pred,
                        schema=None).only_b == 1


def test_single_task_equals_sklearn_accuracy_and_hamming():
    Y_true, Y_pred = _random_labels(3)
    t, p = Y_true["a"].to_numpy(), Y_pred["a"].to_numpy()
    assert exact_match_score(t, p) == skm.accuracy_score(t, p)
    assert hamming_loss(t, p) == pytest.approx(skm.hamming_loss(t, p), rel=1e-12)


@pytest.mark.parametrize("seed", [0, 1])
def test_multilabel_indicator_equals_sklearn(seed):
    rng = np.random.RandomState(seed)
    T = rng.randint(0, 2, (30, 5))
    T[:, 4] = 0  # a label never on in the truth
    P = np.where(rng.uniform(size=T.shape) < 0.3, 1 - T, T)
    P[:, 4] = 0  # ... nor in the predictions: F1 0, as in scikit-learn
    tasks = [Task("tags", kind="multilabel", columns=[f"l{k}" for k in range(5)])]
    Yt = pd.DataFrame(T, columns=[f"l{k}" for k in range(5)])
    Yp = pd.DataFrame(P, columns=[f"l{k}" for k in range(5)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert exact_match_score(Yt, Yp, schema=tasks) == skm.accuracy_score(T, P)
        assert hamming_loss(Yt, Yp, schema=tasks) == pytest.approx(skm.hamming_loss(T, P))
        for average in ("macro", "micro", "weighted"):
            got = task_f1_score(Yt, Yp, schema=tasks, task="tags", average=average)
            assert got == pytest.approx(skm.f1_score(T, P, average=average), rel=1e-12)
            got = task_precision_score(Yt, Yp, schema=tasks, task="tags", average=average)
            assert got == pytest.approx(skm.precision_score(T, P, average=average), rel=1e-12)
            got = task_recall_score(Yt, Yp, schema=tasks, task="tags", average=average)
            assert got == pytest.approx(skm.recall_score(T, P, average=average), rel=1e-12)
        per_label = label_f1_score(Yt, Yp, schema=tasks, task="tags").to_numpy()
        np.testing.assert_allclose(per_label, skm.f1_score(T, P, average=None), rtol=1e-12)


def test_binary_tasks_hamming_equals_sklearn_multilabel():
    rng = np.random.RandomState(0)
    T = rng.randint(0, 2, (25, 4))
    P = np.where(rng.uniform(size=T.shape) < 0.25, 1 - T, T)
    assert hamming_loss(T, P) == pytest.approx(skm.hamming_loss(T, P), rel=1e-12)
    assert exact_match_score(T, P) == skm.accuracy_score(T, P)


# ---------------------------------------------------------------- inputs and forms
def test_forms_agree(car):
    Y_true, Y_pred = car
    enc = StructuredLabelEncoder(tasks=CAR_TASKS).fit(Y_true)
    expected = exact_match_score(Y_true, Y_pred, schema=CAR_TASKS)
    assert exact_match_score(Y_true, Y_pred, schema=enc) == expected
    true, pred = enc.transform(Y_true), enc.transform(Y_pred)
    assert exact_match_score(true, pred) == expected
    assert exact_match_score(true, Y_pred) == expected
    # a 2-D array of predictions for a DataFrame truth, and reordered columns
    assert exact_match_score(Y_true, Y_pred.to_numpy(), schema=CAR_TASKS) == expected
    assert exact_match_score(Y_true, Y_pred[["color", "car"]], schema=CAR_TASKS) == expected



def test_label_sets_predicted_for_a_frame_truth():
    # A column of lists in a DataFrame truth, its predictions as a list of label sets
    # (before: pandas' TypeError from pd.concat).
    Y_true = pd.DataFrame({"tags": [["a"], ["a", "b"], []]})
    assert exact_match_score(Y_true, [["a"], ["b", "a"], []]) == 1.0
    # row 1 misses label a: one wrong label of six
    for Y_pred in ([["a"], ["b"], []], np.array([{"a"}, {"b"}, set()], dtype=object)):
        assert exact_match_score(Y_true, Y_pred) == pytest.approx(2 / 3)
        assert hamming_loss(Y_true, Y_pred) == pytest.approx(1 / 6)
    with pytest.raises(ValueError, match=r"Y_pred is a list of label sets \(one multilabel "
                                         r"task\), but Y_true is a DataFrame with 2 columns "
                                         r"\['tags', 'x'\]; expected Y_pred in Y_true's form: "
                                         r"a DataFrame with the same columns or a 2-D array "
                                         r"\(n_samples, 2\)\."):
        exact_match_score(Y_true.assign(x=[0, 1, 0]), [["a"], ["b"], []])
    with pytest.raises(ValueError, match=r"but Y_true is a column 'x' of one label per row "
                                         r"\(e\.g\. 'u'\); expected Y_pred in Y_true's form"):
        exact_match_score(pd.DataFrame({"x": [None, "u", "v"]}), [["a"], ["b"], []])


def test_grouped_multihot_form():
    enc = StructuredLabelEncoder.from_groups({"A": [0, 1], "B": [2, 3, 4]})
    T = np.array([[1, 0, 1, 0, 0], [0, 1, 0, 0, 1], [1, 0, 0, 1, 0]])
    P = np.array([[1, 0, 1, 0, 0], [0, 1, 0, 1, 0], [1, 0, 0, 0, 0]])  # row 2: B empty
    enc.fit(T)
    assert exact_match_score(T, P, schema=enc) == pytest.approx(1 / 3)
    assert task_accuracy_score(T, P, schema=enc).to_dict() == pytest.approx(
        {"A": 1.0, "B": 1 / 3}
    )



def test_exclusive_group_with_two_active_labels_scores_as_wrong():
    # A predicted group with two active labels has no single value: its task is a missing
    # prediction, wrong where the truth has a label (before: the metric raised).
    groups = {"A": ["a0", "a1"], "B": ["b2", "b3", "b4"]}
    T = np.array([[1, 0, 0, 1, 0], [0, 1, 1, 0, 0], [1, 0, 0, 0, 1]])
    P = np.array([[1, 0, 0, 1, 1], [1, 1, 1, 0, 0], [1, 0, 0, 0, 1]])  # B on row 0, A on 1
    enc = StructuredLabelEncoder.from_groups({"A": [0, 1], "B": [2, 3, 4]})
    assert consistency_violations(P, enc)[["row", "task"]].values.tolist() == [[0, "B"], [1, "A"]]
    labels = [label for members in groups.values() for label in members]
    named = StructuredLabelEncoder.from_groups(groups)
    forms = [
        (enc, T, P),
        (named, pd.DataFrame(T, columns=labels), pd.DataFrame(P, columns=labels)),
        (named, [{labels[c] for c in np.flatnonzero(row)} for row in T],
         [[labels[c] for c in np.flatnonzero(row)] for row in P]),
    ]
    for schema, Y_true, Y_pred in forms:
        before = [list(row) for row in Y_pred] if isinstance(Y_pred, list) else Y_pred.copy()
        assert exact_match_score(Y_true, Y_pred, schema=schema) == pytest.approx(1 / 3)
        assert task_accuracy_score(Y_true, Y_pred, schema=schema).to_dict() == pytest.approx(
            {"A": 2 / 3, "B": 2 / 3})
        assert hamming_loss(Y_true, Y_pred, schema=schema) == pytest.approx(2 / 6)
        # no prediction of any class: it lowers recall, not precision
        assert task_precision_score(Y_true, Y_pred, schema=schema, average="micro").to_dict() \
            == {"A": 1.0, "B": 1.0}
        assert task_recall_score(Y_true, Y_pred, schema=schema, average="micro").to_dict() \
            == pytest.approx({"A": 2 / 3, "B": 2 / 3})
        if isinstance(Y_pred, list):
            assert [list(row) for row in Y_pred] == before
        else:
            np.testing.assert_array_equal(Y_pred, before)
    # with a gate, the children of such a group have an unknown gate: B is read as it is
    gated = StructuredLabelEncoder.from_groups({"A": [0, 1], "B": [2, 3, 4]},
                                               gates={"B": ("A", 1)})
    T = np.array([[1, 0, 0, 0, 0], [0, 1, 1, 0, 0]])  # B gated off on row 0
    P = np.array([[1, 1, 0, 0, 0], [0, 1, 1, 1, 0]])  # A on row 0, B on row 1
    assert exact_match_score(T, P, schema=gated) == 0.0
    assert task_accuracy_score(T, P, schema=gated).to_dict() == {"A": 0.5, "B": 0.0}
    # an inconsistent truth is refused, by name
    with pytest.raises(ValueError, match=r"^Y_true: Row 1 has 2 active labels \[0, 1\] in "
                                         r"exclusive group 'A' \(labels \[0, 1\]\); expected "
                                         r"at most one\."):
        exact_match_score(np.array([[1, 0, 0, 1, 0], [1, 1, 1, 0, 0]]), T[[0, 0]], schema=enc)


def test_single_class_task_without_schema():
    Y = pd.DataFrame({"a": ["x", "x"], "b": ["u", "v"]})
    assert task_accuracy_score(Y, Y).to_dict() == {"a": 1.0, "b": 1.0}
    assert list(cooccurrence_matrix(Y).columns) == ["a=x", "b=u", "b=v"]



def test_schema_without_classes_scores_a_single_class_task_as_without_schema():
    # The form task_report's docstring uses: a gated task shows one colour in a small test
    # set (before: "Task 'color' has one class ['red'] in the data").
    tasks = [Task("car"), Task("color", gate=("car", "yes"))]
    Y_true = pd.DataFrame({"car": ["yes", "no", "yes"], "color": ["red", None, "red"]})
    Y_pred = pd.DataFrame({"car": ["yes", "no", "no"], "color": ["red", None, None]})
    for schema in (tasks, None):
        assert task_accuracy_score(Y_true, Y_pred, schema=schema).to_dict() == pytest.approx(
            {"car": 2 / 3, "color": 1 / 2})
        assert exact_match_score(Y_true, Y_pred, schema=schema) == pytest.approx(2 / 3)
        assert list(cooccurrence_matrix(Y_true, schema=schema).columns) == [
            "car=no", "car=yes", "color=red"]
    report = task_report(Y_true, Y_pred, schema=tasks)
    assert report.loc[("color", ""), ["n_labelled", "n_not_applicable"]].tolist() == [2, 1]


def test_task_without_any_label_scores_nan():
    # The docstrings' "NaN for a task without any applicable, annotated sample", also
    # where no prediction has a label either (before: "Task 'b' has no labels: all 4
    # values are missing", counting the truth and the predictions stacked).
    T = pd.DataFrame({"a": ["x", "y"], "b": [None, None]})
    out = task_accuracy_score(T, T)
    assert out["a"] == 1.0 and np.isnan(out["b"])
    assert np.isnan(task_f1_score(T, T, average="macro")["b"])
    assert exact_match_score(T, T) == 1.0
    assert list(cooccurrence_matrix(T).columns) == ["a=x", "a=y"]
    # a gated task off on every test row, with a schema that leaves its classes out
    tasks = [Task("car"), Task("color", gate=("car", "yes"))]
    Y_true = pd.DataFrame({"car": ["no", "no"], "color": [None, None]})
    Y_pred = pd.DataFrame({"car": ["no", "yes"], "color": [None, None]})
    out = task_accuracy_score(Y_true, Y_pred, schema=tasks)
    assert out["car"] == 0.5 and np.isnan(out["color"])
    assert exact_match_score(Y_true, Y_pred, schema=tasks) == 0.5
    report = task_report(Y_true, Y_pred, schema=tasks, zero_division=0)
    assert report.loc[("color", ""), ["n_labelled", "n_not_applicable"]].tolist() == [0, 2]


def test_single_category_categorical_scores_as_its_object_twin():
    # A categorical column with one category (a constant task) is a single-class task,
    # as the same labels as str are (before: "Task 'a' has one class").
    Y = pd.DataFrame({"a": ["x", "x", "x"], "b": ["u", "v", "u"]})
    Y_pred = pd.DataFrame({"a": ["x", None, "x"], "b": ["u", "v", "v"]})
    for form in (lambda Y: Y, lambda Y: Y.astype("category")):
        assert task_accuracy_score(form(Y), form(Y)).to_dict() == {"a": 1.0, "b": 1.0}
        assert task_accuracy_score(form(Y), form(Y_pred)).to_dict() == pytest.approx(
            {"a": 2 / 3, "b": 2 / 3})
        assert exact_match_score(form(Y), form(Y_pred)) == pytest.approx(1 / 3)
        assert list(cooccurrence_matrix(form(Y)).columns) == ["a=x", "b=u", "b=v"]


def test_errors_name_what_was_expected(car):
    Y_true, Y_pred = car
    with pytest.raises(ValueError, match=r"Y_pred lacks \['color'\]"):
        exact_match_score(Y_true, Y_pred[["car"]].assign(colour="red"))
    with pytest.raises(ValueError, match="expected \\(n_samples, 2\\)"):
        exact_match_score(Y_true, np.zeros((5, 3)))
    with pytest.raises(ValueError, match="Unknown task 'size'"):
        task_accuracy_score(Y_true, Y_pred, task="size")
    with pytest.raises(ValueError, match="average must be one of"):
        task_f1_score(Y_true, Y_pred, average="binary")
    with pytest.raises(ValueError, match="Task 'car' is a binary task; label_f1_score"):
        label_f1_score(Y_true, Y_pred, task="car")
    with pytest.raises(ValueError, match="Task 'color' got label 'green'"):
        exact_match_score(Y_true, Y_pred.assign(color="green"), schema=CAR_TASKS)



@pytest.mark.parametrize("tasks", [
    CAR_TASKS,
    [Task("car", classes=["no", "yes"]), Task("color", classes=["red", "blue"],
                                              gate=("car", "yes"))],
    [Task("car", classes=["no", "yes"]), Task("color", gate=("car", "yes"))],
], ids=["complete", "classes-without-kind", "inferred-classes"])
def test_unknown_label_names_its_argument_and_row(tasks):
    # A label that a task does not know is reported in Y_true or Y_pred, at its row
    # there (before, with a task without kind: at its row in both stacked, unnamed).
    Y_true = pd.DataFrame({"car": ["yes", "no", "yes"], "color": ["red", None, "blue"]})
    Y_pred = pd.DataFrame({"car": ["yes", "no", "no"], "color": ["red", None, None]})
    # row 2: car wrong (its color, gated off, is right)
    assert exact_match_score(Y_true, Y_pred, schema=tasks) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match=r"^Y_pred: Task 'car' got label 'maybe' in row 2, "
                                         r"which is not among its classes \['no', 'yes'\]\.$"):
        task_accuracy_score(Y_true, Y_pred.assign(car=["yes", "no", "maybe"]), schema=tasks)
    with pytest.raises(ValueError, match=r"^Y_true: Task 'car' got label 'maybe' in row 1, "
                                         r"which is not among its classes \['no', 'yes'\]\.$"):
        task_accuracy_score(Y_true.assign(car=["yes", "maybe", "yes"]), Y_pred, schema=tasks)


# ---------------------------------------------------------------- co-occurrence
def test_cooccurrence_counts_and_normalization():
    Y = pd.DataFrame({
        "car": ["yes", "yes", "no", "yes"],
        "color": ["red", "blue", None, None],  # row 3: missing color
    })
    counts = cooccurrence_matrix(Y, schema=CAR_TASKS)
    assert list(counts.columns) == ["car=no", "car=yes", "color=red", "color=blue"]
    assert counts.loc["car=yes", "car=yes"] == 3
    assert counts.loc["car=yes", "color=red"] == 1
    assert counts.loc["car=no", "color=red"] == 0
    row = cooccurrence_matrix(Y, schema=CAR_TASKS, normalize="row")
    # P(color=red | car=yes) over rows where color is known: rows 0, 1
    assert row.loc["car=yes", "color=red"] == pytest.approx(1 / 2)
    assert np.allclose(np.diag(row), 1.0)
    joint = cooccurrence_matrix(Y, schema=CAR_TASKS, normalize="all")
    # color known on rows 0, 1 and 2 (gated off = known to be off)
    assert joint.loc["color=red", "color=red"] == pytest.approx(1 / 3)
    assert joint.loc["car=yes", "car=yes"] == pytest.approx(3 / 4)
    with pytest.raises(ValueError, match="normalize must be one of"):
        cooccurrence_matrix(Y, normalize="column")


def test_cooccurrence_difference():
    Y_true = pd.DataFrame({"a": ["x", "y", "y"], "b": ["u", "v", "v"]})
    Y_pred = pd.DataFrame({"a": ["x", "y", "y"], "b": ["u", "u", "v"]})
    diff = cooccurrence_difference(Y_true, Y_pred, normalize=None)
    assert diff.loc["a=y", "b=u"] == 1
    assert diff.loc["a=y", "b=v"] == -1
    assert diff.loc["a=x", "a=x"] == 0


# ---------------------------------------------------------------- violations
def test_gate_violations():
    tasks = CAR_TASKS + [Task("shade", classes=["light", "dark"], gate=("color", "red"))]
    Y_pred = pd.DataFrame({
        "car": ["yes", "no", None, "no", "yes"],
        "color": ["red", "blue", "red", None, "blue"],
        "shade": ["dark", None, "light", "dark", "light"],
    })
    out = consistency_violations(Y_pred, tasks)
    assert out[["row", "task", "violation"]].values.tolist() == [
        [1, "color", "gate"],
        [3, "shade", "gate"],   # color is gated off by car = no
        [4, "shade", "gate"],   # color is blue
    ]
    assert "'car' is not applicable" not in out.loc[0, "detail"]
    assert "'color' is not applicable" in out.loc[1, "detail"]
    # row 2: car missing -> gate unknown -> no violation
    assert consistency_violations(Y_pred.iloc[[0, 2]], tasks).empty


def test_gate_violation_where_the_grandparent_is_missing():
    # color's own gate is unknown (car missing), but its value is known: shade, gated on
    # color = red, has no place where color is blue, as the encoder reads it (before: no
    # violation, and the metrics masked shade there).
    tasks = CAR_TASKS + [Task("shade", classes=["light", "dark"], gate=("color", "red"))]
    Y_pred = pd.DataFrame({
        "car": [None, None, None],
        "color": ["blue", "red", None],
        "shade": ["dark", "dark", "light"],
    })
    out = consistency_violations(Y_pred, tasks)
    assert out[["row", "task", "violation"]].values.tolist() == [[0, "shade", "gate"]]
    assert "'color' is 'blue'" in out.loc[0, "detail"]
    with pytest.raises(ValueError, match=r"Task 'shade' has a label in row 0, where its gate "
                                         r"is off \('color' is 'blue'"):
        StructuredLabelEncoder(tasks=tasks).fit(Y_pred)
    StructuredLabelEncoder(tasks=tasks).fit(Y_pred.iloc[1:])
    # the same in a flat label space: G0 has no active label, G1 is 3, G2 is gated on 2
    enc = StructuredLabelEncoder.from_groups(
        {"G0": [0, 1], "G1": [2, 3], "G2": [4, 5]}, gates={"G1": ("G0", 0), "G2": ("G1", 2)}
    )
    out = consistency_violations(np.array([[0, 0, 0, 1, 0, 1], [0, 0, 1, 0, 0, 1]]), enc)
    assert out[["row", "task", "violation"]].values.tolist() == [[0, "G2", "gate"]]


def test_duplicate_column_names_are_refused_naming_the_argument():
    # (before: pandas' "Length mismatch: Expected axis has 4 elements ...")
    Y = pd.DataFrame([["x", "u"], ["y", "v"]], columns=["a", "a"])
    ok = pd.DataFrame({"a": ["x", "y"], "b": ["u", "v"]})
    with pytest.raises(ValueError, match=r"^Y_true has more than one column named \['a'\]; "
                                         r"expected each name once"):
        exact_match_score(Y, Y)
    with pytest.raises(ValueError, match=r"^Y_pred has more than one column named \['a'\]"):
        mean_task_accuracy(ok, Y)
    with pytest.raises(ValueError, match=r"^Y has more than one column named \['a'\]"):
        cooccurrence_matrix(Y)
    with pytest.raises(ValueError, match=r"^Y_pred has more than one column named \['a'\]"):
        consistency_violations(Y, [Task("a"), Task("b")])


def test_exclusivity_and_gate_violations_in_multihot():
    enc = StructuredLabelEncoder.from_groups(
        {"A": [0, 1], "B": [2, 3, 4]}, gates={"B": ("A", 1)}
    )
    P = np.array([[0, 1, 1, 0, 0], [1, 0, 1, 0, 0], [0, 1, 1, 1, 0], [1, 1, 0, 0, 0]])
    out = consistency_violations(P, enc)
    assert out[["row", "task", "violation"]].values.tolist() == [
        [1, "B", "gate"],
        [2, "B", "exclusivity"],
        [3, "A", "exclusivity"],
    ]
    assert "[2, 3]" in out.loc[1, "detail"]
    sets = [{1, 2}, {0, 2}]
    assert consistency_violations(sets, enc)["row"].tolist() == [1]


def test_violations_of_encoded_predictions():
    enc = StructuredLabelEncoder(tasks=CAR_TASKS).fit(
        pd.DataFrame({"car": ["no", "yes"], "color": [None, "red"]})
    )
    pred = enc.transform(pd.DataFrame({"car": ["no", "yes"], "color": [None, "red"]}))
    assert consistency_violations(pred, enc).empty
    pred.codes[0, 1] = 0
    assert consistency_violations(pred, enc)["row"].tolist() == [0]


# ---------------------------------------------------------------- scorers
def _penguin_like(n=60, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 3))
    Y = pd.DataFrame({
        "a": np.where(X[:, 0] > 0, "p", "q"),
        "b": np.where(X[:, 1] + X[:, 2] > 0, "u", "v"),
    })
    return X, Y


def test_scorers_on_fitted_estimator():
    X, Y = _penguin_like()
    est = MostFrequentBaseline().fit(X, Y)
    pred = est.predict(X)
    assert exact_match_scorer(est, X, Y) == exact_match_score(Y, pred)
    assert mean_task_accuracy_scorer(est, X, Y) == mean_task_accuracy(Y, pred)
    assert neg_hamming_loss_scorer(est, X, Y) == -hamming_loss(Y, pred)
    scorer = make_task_scorer("f1_macro", task="b")
    assert scorer(est, X, Y) == task_f1_score(Y, pred, task="b", average="macro")
    assert repr(scorer) == "make_task_scorer('f1_macro', task='b')"
    with pytest.raises(ValueError, match="Unknown task metric 'f1_binary'"):
        make_task_scorer("f1_binary", task="b")  # "f1" is scikit-learn's binary scorer


def test_regression_task_scorers_equal_scikit_learn():
    # scikit-learn's regression scorer names score a regression task over the samples
    # with a value, weighted as asked; a classification task is refused by name.
    from sklearn import metrics as skm

    from sklearn_mtl import MultiTaskClassifier, Task

    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3))
    Y = pd.DataFrame({"a": np.where(X[:, 0] > 0, "p", "q"),
                      "size": 1000 + 50 * X[:, 1] + rng.normal(scale=5, size=60)})
    Y.loc[[3, 7], "size"] = np.nan  # not measured: left out of the score
    est = MultiTaskClassifier(tasks=[Task("a"), Task("size", kind="regression")],
                              hidden_layer_sizes=(8,), max_epochs=3, random_state=0).fit(X, Y)
    pred = est.predict(X)["size"].to_numpy()
    rows = Y["size"].notna().to_numpy()
    w = rng.uniform(0.5, 2, size=60)
    for name, func, sign in [("r2", skm.r2_score, 1),
                             ("neg_mean_absolute_error", skm.mean_absolute_error, -1),
                             ("neg_mean_squared_error", skm.mean_squared_error, -1),
                             ("neg_root_mean_squared_error", skm.root_mean_squared_error, -1)]:
        scorer = make_task_scorer(name, task="size")
        assert scorer(est, X, Y) == pytest.approx(sign * func(Y["size"][rows], pred[rows]))
        assert scorer(est, X, Y, sample_weight=w) == pytest.approx(
            sign * func(Y["size"][rows], pred[rows], sample_weight=w[rows]))
    with pytest.raises(ValueError, match=r"Task 'a' is a binary task; 'r2' scores a "
                                         r"regression task"):
        make_task_scorer("r2", task="a")(est, X, Y)


def test_scorer_with_a_class_unseen_in_training():
    X = np.zeros((4, 1))
    est = MostFrequentBaseline().fit(X[:3], pd.DataFrame({"a": ["x", "x", "y"]}))
    Y_test = pd.DataFrame({"a": ["x", "z", "x", "y"]})
    assert exact_match_scorer(est, X, Y_test) == pytest.approx(1 / 2)


def test_scorers_in_grid_search():
    from sklearn_mtl import IndependentTaskClassifier

    X, Y = _penguin_like()
    search = GridSearchCV(
        IndependentTaskClassifier(LogisticRegression()),
        {"estimator__C": [0.01, 1.0]},
        scoring={"exact": exact_match_scorer, "b_f1": make_task_scorer("f1_macro", task="b")},
        refit="exact",
        cv=2,
    )
    search.fit(X, Y)
    assert set(search.cv_results_) >= {"mean_test_exact", "mean_test_b_f1"}
    assert 0.5 < search.best_score_ <= 1.0


def test_scorers_take_sample_weight_as_scikit_learns_do():
    # In a dict of scorers, scikit-learn asks each scorer whether it takes sample
    # weights (before: an AttributeError); with metadata routing, set_score_request
    # routes them (before: no such method).
    import copy

    import sklearn
    from sklearn.inspection import permutation_importance
    from sklearn.model_selection import KFold, cross_validate

    from sklearn_mtl import IndependentTaskClassifier

    X, Y = _penguin_like(n=90)
    w = np.random.RandomState(1).uniform(0.2, 3, size=len(X))
    est = IndependentTaskClassifier(LogisticRegression(C=0.05)).fit(X, Y)
    kwargs = dict(sample_weight=w, n_repeats=2, random_state=0)
    alone = permutation_importance(est, X, Y, scoring=exact_match_scorer, **kwargs)
    both = permutation_importance(
        est, X, Y, scoring={"exact": exact_match_scorer, "tasks": mean_task_accuracy_scorer},
        **kwargs)
    np.testing.assert_array_equal(both["exact"].importances, alone.importances)
    cv = KFold(3)
    with sklearn.config_context(enable_metadata_routing=True):
        model = IndependentTaskClassifier(
            LogisticRegression(C=0.05).set_fit_request(sample_weight=True)
        ).set_fit_request(sample_weight=True)
        scores = {}
        for asked in (True, False):
            scorer = copy.deepcopy(exact_match_scorer).set_score_request(sample_weight=asked)
            scores[asked] = cross_validate(model, X, Y, cv=cv, scoring=scorer,
                                           params={"sample_weight": w})["test_score"]
        preds = [clone(model).fit(X[train], Y.iloc[train], sample_weight=w[train])
                 .predict(X[test]) for train, test in cv.split(X)]
    for fold, (_, test) in enumerate(cv.split(X)):
        pred = preds[fold]
        assert scores[True][fold] == pytest.approx(
            exact_match_score(Y.iloc[test], pred, sample_weight=w[test]))
        assert scores[False][fold] == pytest.approx(exact_match_score(Y.iloc[test], pred))
    assert not np.allclose(scores[True], scores[False])
    with pytest.raises(RuntimeError, match="only available when metadata routing is enabled"):
        copy.deepcopy(exact_match_scorer).set_score_request(sample_weight=True)


def test_predictions_in_another_row_order_warn():
    # Rows are paired by position, as scikit-learn's metrics pair them; predictions whose
    # index holds the truth's rows in another order (a sorted Y_test) would be scored
    # against other rows' labels.
    Y_true = pd.DataFrame({"a": ["x", "y", "x", "y"], "b": [0, 1, 1, 0]},
                          index=[10, 11, 12, 13])
    shuffled = Y_true.iloc[[1, 0, 3, 2]]
    with pytest.warns(UserWarning, match=r"Y_pred's index .* \(4 of 4 rows.*Y_pred.loc"):
        assert exact_match_score(Y_true, shuffled) == 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert exact_match_score(Y_true, shuffled.loc[Y_true.index]) == 1.0
        assert exact_match_score(Y_true, shuffled.reset_index(drop=True)) == 0.0


def test_scorers_of_a_fitted_search_equal_those_of_its_best_estimator():
    # Nested cross-validation, cross_validate(GridSearchCV(model, ...), scoring=...),
    # hands the scorers a fitted search: they read the schema of the model it holds
    # (before: guessed from the labels, the three exclusive groups of a multi-hot Y read
    # as one multilabel task of 7 labels, and task="B" unknown).
    from sklearn.model_selection import KFold, cross_validate
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from sklearn_mtl import IndependentTaskClassifier, TaskThresholdTuner

    rng = np.random.RandomState(0)
    X = rng.normal(size=(90, 3))
    Y = np.zeros((90, 7), dtype=int)
    Y[np.arange(90), (X[:, 0] > 0).astype(int)] = 1
    Y[np.arange(90), 2 + np.digitize(X[:, 1], [-0.5, 0.5])] = 1
    Y[np.arange(90), 5 + (X[:, 2] > 0).astype(int)] = 1
    model = IndependentTaskClassifier(
        LogisticRegression(C=0.05),
        encoder=StructuredLabelEncoder.from_groups({"A": [0, 1], "B": [2, 3, 4], "C": [5, 6]}))
    grid = {"estimator__C": [0.05, 1.0]}
    search = GridSearchCV(model, grid, cv=KFold(3)).fit(X[:60], Y[:60])
    best = search.best_estimator_
    tuner = TaskThresholdTuner(best, cv="prefit").fit(X[:60], Y[:60])
    piped = make_pipeline(StandardScaler(), GridSearchCV(model, grid, cv=KFold(3)))
    piped.fit(X[:60], Y[:60])
    X_test, Y_test = X[60:], Y[60:]
    scorers = [exact_match_scorer, mean_task_accuracy_scorer, neg_hamming_loss_scorer,
               make_task_scorer("f1_macro", task="B")]
    for scorer in scorers:
        assert scorer(search, X_test, Y_test) == scorer(best, X_test, Y_test)
        assert scorer(tuner, X_test, Y_test) == scorer(tuner.estimator_, X_test, Y_test)
        assert (scorer(piped, X_test, Y_test)
                == scorer(make_pipeline(piped[0], piped[-1].best_estimator_), X_test, Y_test))
    # three tasks a sample, not seven labels
    assert neg_hamming_loss_scorer(best, X_test, Y_test) == -hamming_loss(
        Y_test, best.predict(X_test), schema=best)
    nested = cross_validate(GridSearchCV(model, grid, cv=KFold(2)), X, Y, cv=KFold(2),
                            scoring=make_task_scorer("f1_macro", task="B"),
                            return_estimator=True, error_score="raise")
    for fitted, score, (_, test) in zip(nested["estimator"], nested["test_score"],
                                        KFold(2).split(X)):
        assert score == make_task_scorer("f1_macro", task="B")(
            fitted.best_estimator_, X[test], Y[test])


def test_scorers_follow_fitted_wrappers_to_a_bounded_depth():
    # a wrapper whose fitted estimator_ is itself does not loop: its tasks are guessed
    class Loop:
        def predict(self, X):
            return np.array(["p", "q"] * (len(X) // 2))

    loop = Loop()
    loop.estimator_ = loop
    X, Y = np.zeros((4, 1)), np.array(["p", "q", "q", "q"])
    assert exact_match_scorer(loop, X, Y) == 0.75


def _gated_multilabel_case(seed, n=40, n_labels=6):
    """A gated multilabel task with missing true labels, a label never annotated, labels
    never on or never predicted, and missing or gated-off predictions."""
    rng = np.random.RandomState(seed)
    cols = [f"l{k}" for k in range(n_labels)]
    T = rng.randint(0, 2, (n, n_labels)).astype(float)
    P = rng.randint(0, 2, (n, n_labels)).astype(float)
    T[:, 0] = P[:, 0] = 0  # never on: every ratio divides by zero
    P[:, 1] = 0  # never predicted
    T[:, 2] = 0  # never true
    T[rng.uniform(size=T.shape) < 0.2] = np.nan  # missing true labels
    T[:, n_labels - 1] = np.nan  # never annotated: NaN, left out of the averages
    P[rng.uniform(size=n) < 0.1] = np.nan  # a missing prediction of the task
    car_t, car_p = rng.choice(["no", "yes"], n), rng.choice(["no", "yes"], n)
    T[car_t == "no"] = np.nan
    P[car_p == "no"] = np.nan  # gated off
    tasks = [Task("car", classes=["no", "yes"]),
             Task("tags", kind="multilabel", columns=cols, gate=("car", "yes"))]
    Yt = pd.DataFrame(T, columns=cols).assign(car=car_t)
    Yp = pd.DataFrame(P, columns=cols).assign(car=car_p)
    return tasks, Yt, Yp, T, np.nan_to_num(P)  # no prediction: no positive


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("zero_division", ["warn", 0.0, 1.0, np.nan])
def test_label_scores_equal_sklearn_on_each_label(seed, zero_division):
    """The per-label figures of task_report and label_f1_score, and the task's macro,
    weighted and micro averages, are scikit-learn's precision_recall_fscore_support on
    each label's annotated samples (all labels stacked for micro), to the last bit,
    with sample weights, missing and gated-off labels and each zero_division."""
    tasks, Yt, Yp, T, P = _gated_multilabel_case(seed)
    weight = np.random.RandomState(seed).uniform(0, 3, len(T)) if seed else None
    w = np.ones(len(T)) if weight is None else weight
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = task_report(Yt, Yp, schema=tasks, sample_weight=weight,
                             zero_division=zero_division)
        f1 = label_f1_score(Yt, Yp, schema=tasks, task="tags", sample_weight=weight,
                            zero_division=zero_division)
        expected, support, known, stacked = [], [], [], ([], [], [])
        for k in range(T.shape[1]):
            rows = ~np.isnan(T[:, k])
            stacked[0].append(T[rows, k])
            stacked[1].append(P[rows, k])
            stacked[2].append(w[rows])
            known.append((rows & (w > 0)).any())
            if not known[-1]:
                expected.append([np.nan] * 3)
                support.append(0.0)
                continue
            p, r, f, _ = skm.precision_recall_fscore_support(
                T[rows, k], P[rows, k], labels=[1], average=None, sample_weight=w[rows],
                zero_division=zero_division)
            expected.append([p[0], r[0], f[0]])
            support.append(w[rows & (T[:, k] == 1)].sum())
        y_true, y_pred, stacked_weight = (np.concatenate(part) for part in stacked)
        micro = skm.precision_recall_fscore_support(
            y_true, y_pred, labels=[1], average="micro", sample_weight=stacked_weight,
            zero_division=zero_division)[:3]
    expected = np.array(expected)
    got = report.loc["tags"].drop(index="")[["precision_macro", "recall_macro", "f1_macro"]]
    np.testing.assert_array_equal(got.to_numpy(), expected)
    np.testing.assert_array_equal(f1.to_numpy(), expected[:, 2])
    known = np.array(known)
    for average, weights in (("macro", None), ("weighted", np.array(support)[known])):
        for m, metric in enumerate(("precision", "recall", "f1")):
            values = expected[known, m]
            keep = ~np.isnan(values)
            if not keep.any():
                want = np.nan
            else:
                kw = weights[keep] if weights is not None and weights[keep].sum() > 0 else None
                want = np.average(values[keep], weights=kw)
            got = report.loc[("tags", ""), f"{metric}_{average}"]
            np.testing.assert_array_equal(got, want, err_msg=f"{metric}_{average}")
    np.testing.assert_array_equal(
        report.loc[("tags", ""), ["precision_micro", "recall_micro", "f1_micro"]]
        .to_numpy(float), np.array(micro, dtype=float))


def test_task_report_scores_the_labels_in_one_pass(monkeypatch):
    """task_report and label_f1_score compute the labels' figures from their counts at
    once: scikit-learn's precision_recall_fscore_support ran several times per label (14
    seconds on 20,000 x 300 labels); the number of calls no longer grows with the
    labels."""
    from sklearn_mtl.metrics import _classification

    calls = []
    original = _classification.precision_recall_fscore_support

    def counted(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(_classification, "precision_recall_fscore_support", counted)
    counts = []
    for n_labels in (3, 30):
        tasks, Yt, Yp, _, _ = _gated_multilabel_case(0, n_labels=n_labels)
        calls.clear()
        task_report(Yt, Yp, schema=tasks, zero_division=0.0)
        label_f1_score(Yt, Yp, schema=tasks, zero_division=0.0)
        counts.append(len(calls))
    assert counts[0] == counts[1]


# ------------------------------------------- probability scorers of one task
def _proba_case(n=90, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 3))
    Y = pd.DataFrame({
        "a": np.where(X[:, 0] + rng.normal(size=n) > 0, "yes", "no"),
        "b": np.select([X[:, 1] < -0.5, X[:, 1] < 0.5], ["r", "g"], "b"),
        "c": np.where(X[:, 2] + rng.normal(size=n) > 0, "u", "v"),
    })
    Y.loc[[1, 5, 70], "a"] = None  # missing: left out
    Y.loc[[2, 9, 75], "b"] = None
    Y.loc[Y["a"] != "yes", "c"] = None  # gated off (or its gate unknown)
    # classes declared out of sorted order: scikit-learn reads a classifier's columns
    # in sorted order, and takes the last as the positive class ("yes")
    tasks = [Task("a", classes=["yes", "no"]), Task("b", classes=["r", "g", "b"]),
             Task("c", classes=["u", "v"], gate=("a", "yes"))]
    return X, Y, tasks, rng.uniform(0.5, 2, n)


@pytest.mark.parametrize("make", [
    lambda tasks: __import__("sklearn_mtl").IndependentTaskClassifier(
        LogisticRegression(), tasks=tasks),
    lambda tasks: __import__("sklearn_mtl").TaskChainClassifier(
        LogisticRegression(), tasks=tasks),
    lambda tasks: __import__("sklearn_mtl").MultiTaskClassifier(
        tasks=tasks, hidden_layer_sizes=(8,), max_epochs=3, random_state=0),
])
def test_task_scorer_probability_metrics_equal_sklearn_on_the_column(make):
    # scikit-learn's probability scorer names (before: "Unknown task metric") score one
    # task's column as scikit-learn scores a classifier of it: the rows with a label
    # (missing and gated-off ones left out), predict_proba's columns in the task's
    # classes order (the positive class of "no"/"yes" is "yes", classes_[-1]), weighted.
    X, Y, tasks, w = _proba_case()
    model = make(tasks).fit(X[:60], Y[:60])
    Xt, Yt, wt = X[60:], Y[60:], w[60:]
    proba = dict(zip("abc", model.predict_proba(Xt)))
    pred = model.predict(Xt)
    for task in "abc":
        rows = Yt[task].notna().to_numpy()
        classes = tasks["abc".index(task)].classes
        order = np.argsort(classes)  # the columns of a classifier of the column
        y, p, sw = Yt[task][rows].to_numpy(), proba[task][rows][:, order], wt[rows]
        guessed = pred[task][rows].astype(object).where(pred[task][rows].notna(),
                                                        "<gated off>").to_numpy()
        positive, negative = sorted(classes)[-1], sorted(classes)[0]
        ap = skm.make_scorer(skm.average_precision_score, pos_label=negative,
                             response_method="predict_proba")  # pos_label: its column
        brier = skm.make_scorer(skm.brier_score_loss, pos_label=positive,
                                greater_is_better=False, response_method="predict_proba")
        expected = {}
        for weight in (None, sw):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # balanced accuracy: a gated-off prediction
                for metric, value in [
                    ("neg_log_loss", -skm.log_loss(y, p, sample_weight=weight)),
                    ("balanced_accuracy", skm.balanced_accuracy_score(
                        y, guessed, sample_weight=weight)),
                ]:
                    expected.setdefault(metric, []).append(value)
            if task == "b":
                expected.setdefault("roc_auc_ovr", []).append(skm.roc_auc_score(
                    y, p, multi_class="ovr", sample_weight=weight))
                expected.setdefault("roc_auc_ovo", []).append(skm.roc_auc_score(
                    y, p, multi_class="ovo"))  # scikit-learn's takes no weights
                continue
            expected.setdefault("roc_auc", []).append(
                skm.roc_auc_score(y == positive, p[:, 1], sample_weight=weight))
            expected.setdefault(ap, []).append(skm.average_precision_score(
                y == negative, p[:, 0], sample_weight=weight))
            expected.setdefault(brier, []).append(-skm.brier_score_loss(
                y == positive, p[:, 1], sample_weight=weight))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for metric, (plain, weighted) in expected.items():
                scorer = make_task_scorer(metric, task=task)
                assert scorer(model, Xt, Yt) == pytest.approx(plain, abs=1e-12), metric
                if metric != "roc_auc_ovo":
                    assert scorer(model, Xt, Yt, sample_weight=wt) == pytest.approx(
                        weighted, abs=1e-12), metric
    assert repr(make_task_scorer("roc_auc", task="a")) == "make_task_scorer('roc_auc', task='a')"


def test_task_scorer_probability_metrics_in_cross_validation():
    # cross_validate and GridSearchCV, weights routed to the scorer; the score of each
    # fold is scikit-learn's on that fold's column, for wrappers of the model too.
    import copy

    import sklearn
    from sklearn.model_selection import KFold, cross_validate
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from sklearn_mtl import IndependentTaskClassifier, LabelProductClassifier, TaskThresholdTuner

    X, Y, tasks, w = _proba_case()
    with sklearn.config_context(enable_metadata_routing=True):
        auc = copy.deepcopy(make_task_scorer("roc_auc", task="a")).set_score_request(
            sample_weight=True)
        model = IndependentTaskClassifier(
            LogisticRegression().set_fit_request(sample_weight=False), tasks=tasks)
        scores = cross_validate(model, X, Y, cv=KFold(3), scoring={"auc": auc},
                                params={"sample_weight": w}, return_estimator=True,
                                error_score="raise")
    for fitted, score, (_, test) in zip(scores["estimator"], scores["test_auc"],
                                        KFold(3).split(X)):
        rows = test[Y["a"].iloc[test].notna().to_numpy()]
        assert score == pytest.approx(skm.roc_auc_score(
            Y["a"].iloc[rows] == "yes", fitted.predict_proba(X[rows])[0][:, 0],
            sample_weight=w[rows]), abs=1e-12)
    search = GridSearchCV(
        LabelProductClassifier(LogisticRegression(), tasks=tasks), {"estimator__C": [0.1, 1.0]},
        scoring={"ll": make_task_scorer("neg_log_loss", task="b")}, refit="ll", cv=KFold(3),
        error_score="raise")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # samples with a missing label left out of fit
        search.fit(X[:60], Y[:60])
    assert np.isfinite(search.cv_results_["mean_test_ll"]).all()
    ll = make_task_scorer("neg_log_loss", task="b")
    rows = Y["b"].iloc[60:].notna().to_numpy()
    expected = -skm.log_loss(Y["b"].iloc[60:][rows],
                             search.best_estimator_.predict_proba(X[60:])[1][rows][:, [2, 1, 0]])
    assert ll(search, X[60:], Y[60:]) == pytest.approx(expected, abs=1e-12)
    model = IndependentTaskClassifier(LogisticRegression(), tasks=tasks).fit(X[:60], Y[:60])
    tuner = TaskThresholdTuner(model, cv="prefit").fit(X[:60], Y[:60])
    piped = make_pipeline(StandardScaler(), clone(model)).fit(X[:60], Y[:60])
    auc = make_task_scorer("roc_auc", task="c")
    assert auc(tuner, X[60:], Y[60:]) == auc(model, X[60:], Y[60:])
    rows = Y["c"].iloc[60:].notna().to_numpy()
    assert auc(piped, X[60:], Y[60:]) == pytest.approx(skm.roc_auc_score(
        Y["c"].iloc[60:][rows], piped.predict_proba(X[60:])[2][rows, 1]), abs=1e-12)


def test_task_scorer_probability_metrics_classes_of_the_fold():
    # A class missing from the test fold: scikit-learn's labels= reads the columns in
    # the task's classes order, as for a classifier; a class the model never saw in
    # training raises, naming the task and the class, rather than scoring something else.
    from sklearn_mtl import IndependentTaskClassifier

    X, Y, tasks, _ = _proba_case()
    model = IndependentTaskClassifier(LogisticRegression(), tasks=tasks).fit(X, Y)
    test = (Y["b"] != "r").to_numpy()
    rows = test & Y["b"].notna().to_numpy()
    labelled = skm.make_scorer(skm.log_loss, labels=["b", "g", "r"], greater_is_better=False,
                               response_method="predict_proba")
    sorted_columns = model.predict_proba(X[rows])[1][:, [2, 1, 0]]  # b, g, r
    assert make_task_scorer(labelled, task="b")(model, X[test], Y[test]) == pytest.approx(
        -skm.log_loss(Y["b"][rows], sorted_columns, labels=["b", "g", "r"]), abs=1e-12)
    unseen = IndependentTaskClassifier(LogisticRegression()).fit(X[test], Y[test][["b"]])
    with pytest.raises(ValueError, match=r"Task 'b' has the class\(es\) \['r'\] in y, which "
                                         r"the estimator did not see in training"):
        make_task_scorer("neg_log_loss", task="b")(unseen, X, Y[["b"]])
    with pytest.raises(ValueError, match="Task 'x' is a regression task; 'roc_auc' scores a "
                                         "classification task"):
        frame = pd.DataFrame({"x": X[:, 0]})
        make_task_scorer("roc_auc", task="x")(
            __import__("sklearn_mtl").MultiTaskClassifier(
                tasks=[Task("x", kind="regression")], max_epochs=1).fit(X, frame), X, frame)


def test_task_scorer_probability_metrics_multilabel():
    # A multilabel task: its (n_samples, n_labels) block over the samples whose every
    # label is known, averaged as scikit-learn averages; a 0/1 indicator matrix: one
    # column by position, or task="labels", scikit-learn's own scorer on the model.
    from sklearn_mtl import IndependentTaskClassifier

    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 3))
    Y = pd.DataFrame({"a": np.where(X[:, 0] > 0, "yes", "no"),
                      "l0": (X[:, 1] + rng.normal(size=80) > 0).astype(float),
                      "l1": (X[:, 2] + rng.normal(size=80) > 0).astype(float)})
    Y.loc[[55, 60], "l1"] = np.nan
    tasks = [Task("a"), Task("tags", kind="multilabel", columns=["l0", "l1"])]
    model = IndependentTaskClassifier(LogisticRegression(), tasks=tasks).fit(X[:50], Y[:50])
    rows = Y[["l0", "l1"]].iloc[50:].notna().all(axis=1).to_numpy()
    T = Y[["l0", "l1"]].iloc[50:][rows].to_numpy(int)
    P = model.predict_proba(X[50:])[1][rows]
    for name, func in [("roc_auc", skm.roc_auc_score),
                       ("average_precision", skm.average_precision_score)]:
        assert make_task_scorer(name, task="tags")(model, X[50:], Y[50:]) == pytest.approx(
            func(T, P), abs=1e-12)
    Ym = (X + rng.normal(size=X.shape) > 0).astype(int)
    model = IndependentTaskClassifier(LogisticRegression()).fit(X[:50], Ym[:50])
    assert make_task_scorer("roc_auc", task=1)(model, X[50:], Ym[50:]) == pytest.approx(
        skm.roc_auc_score(Ym[50:, 1], model.predict_proba(X[50:])[1][:, 1]), abs=1e-12)
    for name in ("roc_auc", "average_precision"):
        assert make_task_scorer(name, task="labels")(model, X[50:], Ym[50:]) == pytest.approx(
            skm.get_scorer(name)(model, X[50:], Ym[50:]), abs=1e-12)


# ------------------------------------------- Y_true and Y_pred of different shapes
@pytest.mark.parametrize("Y_true, Y_pred, shapes", [
    (np.array(["a", "b", "a"]), np.array([["a", "x"], ["b", "y"], ["a", "x"]]),
     r"Y_pred has shape \(3, 2\), but Y_true has shape \(3,\)"),
    (pd.Series(["a", "b", "a"], name="t"),
     pd.DataFrame({"t": ["a", "b", "a"], "u": ["x", "y", "x"]}),
     r"Y_pred has shape \(3, 2\), but Y_true has shape \(3,\)"),
    (np.array([["a", "x"], ["b", "y"], ["a", "x"]]), np.array(["a", "b", "a"]),
     r"Y_pred has shape \(3,\), but Y_true has shape \(3, 2\); expected .* \(n_samples, 2\)"),
    (np.array([["a", "x"], ["b", "y"]]), np.array([["a", "x", 1], ["b", "y", 1]]),
     r"Y_pred has shape \(2, 3\), but Y_true has shape \(2, 2\)"),
    (pd.DataFrame({"t": ["a", "b"], "u": ["x", "y"]}), pd.Series(["a", "b"], name="t"),
     r"Y_pred is a Series \(one column\), but Y_true is a DataFrame with 2 columns"),
])
def test_predictions_of_another_width_are_refused_naming_both_shapes(Y_true, Y_pred, shapes):
    # before: numpy's "all the input arrays must have same number of dimensions", pandas'
    # "Buffer has wrong number of dimensions" or pyarrow's "only handle 1-dimensional
    # arrays", from deep in the encoding of the stacked labels
    for metric in (exact_match_score, task_accuracy_score, cooccurrence_difference):
        with pytest.raises(ValueError, match=shapes):
            metric(Y_true, Y_pred)


def test_one_task_as_a_column_vector_or_a_series_is_read_as_one_task():
    # scikit-learn's metrics read a (n_samples, 1) column as the 1-D y it is; a Series of
    # predictions for a one-column DataFrame is that column, whatever its name
    y_true, y_pred = np.array(["a", "b", "a", "b"]), np.array(["a", "a", "a", "b"])
    expected = skm.accuracy_score(y_true, y_pred)
    assert exact_match_score(y_true, y_pred.reshape(-1, 1)) == expected
    assert exact_match_score(y_true.reshape(-1, 1), y_pred) == expected
    frame = pd.DataFrame({"t": y_true})
    for name in ("t", "other", None):
        assert task_accuracy_score(frame, pd.Series(y_pred, name=name)).to_dict() == {
            "t": expected}


def test_array_truth_of_a_model_fitted_on_a_frame_does_not_warn_of_row_order():
    # The labels of a shuffled X as an array: the predictions carry X's index, and the
    # truth, read as the fitted frame, a RangeIndex; before, the metrics given the model
    # as schema, and its scorers, warned that Y_pred's rows were in another order and
    # advised Y_pred.loc[Y_true.index], which would pair them wrongly.
    from sklearn_mtl import IndependentTaskClassifier

    rng = np.random.RandomState(0)
    X = pd.DataFrame(rng.normal(size=(40, 2)), columns=["p", "q"])
    Y = pd.DataFrame({"a": np.where(X.p > 0, "y", "n"), "b": np.where(X.q > 0, "u", "v")})
    model = IndependentTaskClassifier(LogisticRegression()).fit(X, Y)
    shuffled = X.sample(frac=1, random_state=0)
    frame = Y.loc[shuffled.index]
    y = frame.to_numpy()
    scorers = [exact_match_scorer, make_task_scorer("f1_macro", task="b"),
               make_task_scorer("roc_auc", task="a")]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert exact_match_score(y, model.predict(shuffled), schema=model) == np.mean(
            (y == model.predict(shuffled).to_numpy()).all(axis=1))
        for scorer in scorers:
            assert scorer(model, shuffled, y) == scorer(model, shuffled, frame)
    shuffled_pred = model.predict(X).sample(frac=1, random_state=0)
    with pytest.warns(UserWarning, match="Y_pred's index holds Y_true's row labels"):
        exact_match_score(Y, shuffled_pred, schema=model)  # still warned of


def test_a_task_scorers_metric_error_names_the_task():
    # a test fold of one class: scikit-learn's "y_true contains only one label" named
    # neither the task nor the scorer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from sklearn_mtl import IndependentTaskClassifier
    from sklearn_mtl.datasets import load_penguins

    X, Y = load_penguins()
    model = make_pipeline(StandardScaler(),
                          IndependentTaskClassifier(LogisticRegression())).fit(X, Y)
    adelie = (Y["species"] == "Adelie").to_numpy()
    with pytest.raises(ValueError, match=r"^'neg_log_loss' of task 'species': y_true "
                                         r"contains only one label \(Adelie\)"):
        make_task_scorer("neg_log_loss", task="species")(model, X[adelie], Y[adelie])


def test_task_scorer_of_text_labels_without_a_positive_class_says_how_to_name_it():
    # scikit-learn's "average_precision" and "neg_brier_score" refuse a column of text
    # labels without pos_label, as on a classifier of it: the error names the task and
    # its classes, and the scorer that names the positive class, which then scores.
    from sklearn_mtl import IndependentTaskClassifier

    X, Y, tasks, _ = _proba_case()
    model = IndependentTaskClassifier(LogisticRegression(), tasks=tasks).fit(X, Y)
    rows = Y["a"].notna().to_numpy()
    p_yes = model.predict_proba(X[rows])[0][:, 0]  # tasks declare "yes" first
    for name, func, sign in [("average_precision", skm.average_precision_score, 1),
                             ("neg_brier_score", skm.brier_score_loss, -1)]:
        loss = ", greater_is_better=False" if sign < 0 else ""
        with pytest.raises(ValueError, match=(
                rf"'{name}' of task 'a', whose classes are \['no', 'yes'\]: .*pos_label.* "
                rf"Name the positive class as for scikit-learn's scorer: make_task_scorer\("
                rf"make_scorer\({func.__name__}, pos_label='yes'{loss}, response_method=")):
            make_task_scorer(name, task="a")(model, X, Y)
        named = skm.make_scorer(func, pos_label="yes", greater_is_better=sign > 0,
                                response_method="predict_proba")
        assert make_task_scorer(named, task="a")(model, X, Y) == pytest.approx(
            sign * func(Y["a"][rows] == "yes", p_yes), abs=1e-12)
    # a scorer given its own pos_label raises scikit-learn's error, with the task's name
    with pytest.raises(ValueError, match="of task 'a': pos_label=1 is not a valid label"):
        make_task_scorer(skm.make_scorer(skm.average_precision_score, pos_label=1,
                                         response_method="predict_proba"),
                         task="a")(model, X, Y)


def test_task_scorer_takes_decision_function_where_scikit_learns_scorer_does():
    # "roc_auc", "average_precision" and "top_k_accuracy" take decision_function first,
    # as scikit-learn's scorers do on a classifier of the column (before: always
    # predict_proba, a different average precision of a multiclass task, and an
    # AttributeError on a LinearSVC, which has no predict_proba).
    from sklearn.svm import LinearSVC

    from sklearn_mtl import IndependentTaskClassifier

    rng = np.random.RandomState(0)
    X = rng.randn(90, 3)
    Y = pd.DataFrame({
        "car": np.where(X[:, 0] + rng.randn(90) > 0, "yes", "no"),
        "color": np.array(["r", "g", "b"])[(X[:, 1] > 0).astype(int) + (X[:, 2] > 0.5)],
    })
    tasks = [Task("car", classes=["yes", "no"]), Task("color", classes=["r", "g", "b"])]
    ap_yes = skm.make_scorer(skm.average_precision_score, pos_label="yes",
                             response_method=("decision_function", "predict_proba"))
    for base in (LogisticRegression(), LinearSVC()):
        model = IndependentTaskClassifier(base, tasks=tasks).fit(X, Y)
        for task, metrics in [("car", ["roc_auc", ap_yes]),
                              ("color", ["average_precision", "top_k_accuracy"])]:
            column = clone(base).fit(X, Y[task])
            for metric in metrics:
                scorer = skm.get_scorer(metric) if isinstance(metric, str) else metric
                assert make_task_scorer(metric, task=task)(model, X, Y) == pytest.approx(
                    scorer(column, X, Y[task]), abs=1e-12), (base, task, metric)
    # without predict_proba, a scorer that needs it names the estimator and the task
    with pytest.raises(AttributeError, match=r"IndependentTaskClassifier has none of the "
                       r"following attributes: predict_proba\. 'neg_log_loss' of task 'car'"):
        make_task_scorer("neg_log_loss", task="car")(model, X, Y)


def test_indicator_task_scorer_takes_decision_function_where_scikit_learns_scorer_does():
    # task="labels" of a model fitted on a 0/1 indicator matrix: scikit-learn's "roc_auc"
    # reads the model's decision_function (before: an AttributeError on a LinearSVC)
    from sklearn.datasets import make_multilabel_classification
    from sklearn.svm import LinearSVC

    from sklearn_mtl import IndependentTaskClassifier

    X, Y = make_multilabel_classification(n_samples=80, n_classes=4, random_state=0)
    model = IndependentTaskClassifier(LinearSVC()).fit(X, Y)
    decision = model.decision_function(X)
    assert make_task_scorer("roc_auc", task="labels")(model, X, Y) == pytest.approx(
        skm.roc_auc_score(Y, decision), abs=1e-12)
    assert make_task_scorer("average_precision", task="labels")(model, X, Y) == (
        pytest.approx(skm.average_precision_score(Y, decision), abs=1e-12))
    with pytest.raises(AttributeError, match=r"IndependentTaskClassifier has none of the "
                       r"following attributes: predict_proba\. 'neg_log_loss' of task "
                       r"'labels'"):
        make_task_scorer("neg_log_loss", task="labels")(model, X, Y)


@pytest.mark.parametrize("metric", ["f1", "balanced_accuracy", "matthews_corrcoef",
                                    "precision", "roc_auc"])
def test_a_column_of_an_indicator_matrix_scores_as_scikit_learns_scorer_on_its_model(metric):
    # task=k of a model fitted on a 0/1 matrix: the predicted labels were read as one
    # multilabel task, whose one column was scored as column k ("f1" 0.0 for the first
    # column, an IndexError past it), where the probability scorers were right
    import scipy.sparse as sparse
    from sklearn.datasets import make_multilabel_classification
    from sklearn.linear_model import LogisticRegression
    from sklearn.multioutput import MultiOutputClassifier

    from sklearn_mtl import IndependentTaskClassifier

    X, Y = make_multilabel_classification(n_samples=120, n_features=6, n_classes=4,
                                          random_state=0)
    model = IndependentTaskClassifier(LogisticRegression()).fit(X, Y)
    reference = MultiOutputClassifier(LogisticRegression()).fit(X, Y)
    for k in range(Y.shape[1]):
        expected = skm.get_scorer(metric)(reference.estimators_[k], X, Y[:, k])
        for given in (Y, sparse.csr_matrix(Y)):
            assert make_task_scorer(metric, task=k)(model, X, given) == pytest.approx(
                expected, abs=1e-12)


def test_sparse_or_tensor_predictions_for_a_frame_truth_read_as_their_dense_twin():
    # a DataFrame of 0/1 label columns against the CSR matrix that a model fitted on a
    # sparse indicator predicts, or a tensor (before: a TypeError from pandas.concat)
    import scipy.sparse as sparse
    import torch

    Y = np.array([[0, 1, 1], [1, 0, 0], [1, 1, 0], [0, 0, 1]])
    P = np.array([[0, 1, 0], [1, 0, 0], [1, 0, 0], [1, 0, 1]])
    Y_true = pd.DataFrame(Y, columns=["a", "b", "c"])
    for pred in (sparse.csr_matrix(P), sparse.csr_array(P), torch.tensor(P)):
        assert hamming_loss(Y_true, pred) == skm.hamming_loss(Y, P) == 0.25
        assert exact_match_score(Y_true, pred) == exact_match_score(Y_true, P) == 0.25
        pd.testing.assert_series_equal(task_f1_score(Y_true, pred),
                                       task_f1_score(Y_true, P))
    one = Y_true[["a"]]
    assert exact_match_score(one, torch.tensor(P[:, 0])) == exact_match_score(one, P[:, 0])


def test_scorers_refuse_y_of_another_length_or_other_columns_naming_y():
    # a y shorter than X scored the first rows' predictions against it (make_task_scorer
    # of "roc_auc": a silent number), or named Y_pred, which the user did not pass
    from sklearn_mtl import IndependentTaskClassifier

    rng = np.random.RandomState(0)
    X = rng.randn(40, 3)
    Y = pd.DataFrame({"a": np.where(X[:, 0] > 0, "x", "y"),
                      "b": np.where(X[:, 1] > 0, "u", "v")})
    model = IndependentTaskClassifier(LogisticRegression()).fit(X, Y)
    scorers = [exact_match_scorer, make_task_scorer("f1_macro", task="a"),
               make_task_scorer("roc_auc", task="a"), make_task_scorer("neg_log_loss", task="a")]
    for scorer in scorers:
        for X_, Y_ in [(X, Y[:30]), (X, Y[:30].to_numpy()), (X[:30], Y)]:
            with pytest.raises(ValueError, match=r"inconsistent numbers of samples: "
                               rf"\[{len(X_)}, {len(Y_)}\] \(X has {len(X_)} samples, "
                               rf"y {len(Y_)}\)"):
                scorer(model, X_, Y_)
    with pytest.raises(ValueError, match=r"y has the columns \['a', 'b', 'c'\], but "
                       r"IndependentTaskClassifier was fitted on \['a', 'b'\]; y has "
                       r"columns it was not fitted on: \['c'\]"):
        exact_match_scorer(model, X, Y.assign(c=1))
    with pytest.raises(ValueError, match=r"y has the columns \['a'\], but .* y lacks \['b'\]"):
        neg_hamming_loss_scorer(model, X, Y[["a"]])


def test_label_sets_that_are_all_empty_score_as_an_all_zero_indicator():
    # every sample without a tag, in the truth and the predictions: scikit-learn scores
    # the all-zero indicator matrix (a Hamming loss of 0, every sample an exact match);
    # the metrics raised "Multilabel task 'y' has no labels" (before)
    Z = np.zeros((3, 2), dtype=int)
    for empty in ([set(), set(), set()], [[], [], []], pd.DataFrame({"y": [set()] * 3})):
        assert hamming_loss(empty, empty) == skm.hamming_loss(Z, Z) == 0.0
        assert exact_match_score(empty, empty) == skm.accuracy_score(Z, Z) == 1.0
        assert hamming_loss(empty, empty, sample_weight=[1, 2, 3]) == 0.0
        # no label: nothing to list per label, and a 0 x 0 co-occurrence (Y.T @ Y)
        assert label_f1_score(empty, empty).empty
        assert list(task_report(empty, empty).index) == [("y", "")]
        for normalize in (None, "row", "all"):
            assert cooccurrence_matrix(empty, normalize=normalize).shape == (0, 0)
    # beside another task, the empty sets count one right label each, as a column of zeros
    Y_true = pd.DataFrame({"t": [set(), set()], "a": ["x", "y"]})
    Y_pred = pd.DataFrame({"t": [set(), set()], "a": ["x", "x"]})
    assert hamming_loss(Y_true, Y_pred) == 0.25
    assert list(cooccurrence_matrix(Y_true).columns) == ["a=x", "a=y"]
    # a tag predicted where the truth has none is still wrong
    assert hamming_loss([set(), set()], [{"a"}, set()]) == 0.5


def test_a_schema_not_fitted_yet_raises_not_fitted_error():
    # an encoder without tasks: "'NoneType' object is not iterable" (before); a model not
    # fitted yet: "schema must be ... a fitted sklearn-mtl estimator; got
    # IndependentTaskClassifier", a TypeError; scikit-learn says NotFittedError
    from sklearn.exceptions import NotFittedError

    from sklearn_mtl import IndependentTaskClassifier

    Y = pd.DataFrame({"car": ["yes", "no"], "color": ["red", "blue"]})
    for schema, match in ((StructuredLabelEncoder(), "not fitted and declares no tasks"),
                          (IndependentTaskClassifier(LogisticRegression()), "not fitted yet")):
        with pytest.raises(NotFittedError, match=match):
            cooccurrence_matrix(Y, schema=schema)
        with pytest.raises(NotFittedError, match=match):
            hamming_loss(Y, Y, schema=schema)
        with pytest.raises(NotFittedError, match=match):
            consistency_violations(Y, schema)
    # an encoder that declares its tasks is a schema, fitted or not
    assert cooccurrence_matrix(Y, schema=StructuredLabelEncoder(
        tasks=[Task("car"), Task("color", gate=("car", "yes"))])).columns.tolist() == [
        "car=no", "car=yes", "color=red"]  # "blue" where the gate is off is masked


def test_structure_metrics_read_an_array_by_the_fitted_frames_column_order():
    # A model fitted on a DataFrame whose columns are not in its tasks' order predicts
    # them in the frame's order; the other metrics read an array of them so, but
    # cooccurrence_matrix and consistency_violations read it in the tasks' order: the
    # two yes/no tasks swapped (a silently wrong matrix), and every row a false violation.
    tasks = [Task("a", classes=["no", "yes"]), Task("b", classes=["no", "yes"])]
    Y = pd.DataFrame({"b": ["yes", "yes", "no"], "a": ["no", "no", "yes"]})
    enc = StructuredLabelEncoder(tasks=tasks).fit(Y)
    expected = cooccurrence_matrix(Y, schema=enc)
    assert expected.loc["a=no", "b=yes"] == 2
    pd.testing.assert_frame_equal(cooccurrence_matrix(Y.to_numpy(), schema=enc), expected)

    gated = [Task("car", classes=["no", "yes"]),
             Task("color", classes=["red", "blue"], gate=("car", "yes"))]
    Y = pd.DataFrame({"color": ["red", None, "blue"], "car": ["yes", "no", "yes"]})
    enc = StructuredLabelEncoder(tasks=gated).fit(Y)
    P = pd.DataFrame({"color": ["red", "blue", "blue"], "car": ["yes", "no", "yes"]})
    for pred in (P, P.to_numpy()):
        out = consistency_violations(pred, enc)
        assert out[["row", "task", "violation"]].values.tolist() == [[1, "color", "gate"]]


def test_consistency_violations_reads_labels_as_the_other_metrics_do():
    # a numpy array of text ("1" for the class 1) gave a false gate violation on every
    # row whose parent is "1", where the other metrics refuse the label the task does not
    # know; a float 1.0 is the class 1, as the encoder reads it
    tasks = [Task("car", classes=[0, 1]),
             Task("color", classes=["red", "blue"], gate=("car", 1))]
    text = np.array([["1", "red"], ["0", "blue"]])
    message = r"^Y_pred: Task 'car' got label '1' in row 0, which is not among its classes"
    with pytest.raises(ValueError, match=message):
        hamming_loss(np.array([[1, "red"], [0, None]], dtype=object), text, schema=tasks)
    with pytest.raises(ValueError, match=message):
        consistency_violations(text, tasks)
    labels = pd.DataFrame({"car": [1.0, 0.0, np.nan], "color": ["red", "blue", "red"]})
    out = consistency_violations(labels, tasks)
    assert out[["row", "task", "violation"]].values.tolist() == [[1, "color", "gate"]]
    assert "'car' is 0;" in out.loc[0, "detail"]


def test_consistency_violations_read_a_polars_frame_of_a_multihot_array_by_position():
    # pl.from_numpy(P) names its columns column_0, ...: "The multi-hot Y_pred has no
    # column for label 0", where P and pd.DataFrame(P) are read by position
    pl = pytest.importorskip("polars")
    enc = StructuredLabelEncoder.from_groups(
        {"A": [0, 1], "B": [2, 3, 4]}, gates={"B": ("A", 1)}
    )
    P = np.array([[0, 1, 1, 0, 0], [1, 0, 1, 0, 0], [0, 1, 1, 1, 0], [1, 1, 0, 0, 0]])
    expected = consistency_violations(P, enc)
    assert len(expected) == 3
    pd.testing.assert_frame_equal(consistency_violations(pl.from_numpy(P), enc), expected)
    truth = np.array([[0, 1, 1, 0, 0], [1, 0, 0, 0, 0], [0, 1, 0, 0, 1], [1, 0, 0, 0, 0]])
    assert hamming_loss(pl.from_numpy(truth), pl.from_numpy(P), schema=enc) == hamming_loss(
        truth, P, schema=enc)
    # columns that name the labels are read by name, in any order
    named = pd.DataFrame(P, columns=[0, 1, 2, 3, 4])[[4, 3, 2, 1, 0]]
    pd.testing.assert_frame_equal(consistency_violations(named, enc), expected)


def test_label_f1_of_label_sets_that_are_all_empty_lists_nothing_and_warns_nothing():
    # no label to list: the stand-in label was scored all the same, and warned that
    # "F-score is ill-defined ... in labels with no true nor predicted samples", of a
    # label the result does not hold
    empty = [set(), set(), set()]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert label_f1_score(empty, empty).empty
        assert label_f1_score(empty, empty, task="y").empty
        Y = pd.DataFrame({"t": [set(), set()], "u": [{"a"}, set()]})
        out = label_f1_score(Y, Y)
    assert out.to_dict() == {("u", "a"): 1.0}


@pytest.mark.parametrize("name, column", [
    ("f1", "b"), ("precision", "b"), ("recall", "b"), ("jaccard", "b"),
    ("jaccard_macro", "m"), ("jaccard_micro", "m"), ("jaccard_weighted", "m"),
])
def test_task_scorer_takes_sklearns_binary_and_jaccard_scorer_names(name, column):
    # scoring="f1" or "jaccard_macro", as on a classifier of the task's column, was
    # refused as an "Unknown task metric" where "f1_macro" and "matthews_corrcoef" run
    from sklearn.metrics import get_scorer

    from sklearn_mtl import IndependentTaskClassifier

    rng = np.random.RandomState(0)
    X = rng.normal(size=(120, 3))
    Y = pd.DataFrame({"b": (X[:, 0] + rng.normal(size=120) > 0).astype(float),
                      "m": np.digitize(X[:, 1] + rng.normal(size=120), [-0.5, 0.5])})
    Y.loc[::7, column] = np.nan  # missing labels: left out, as a column of its own drops them
    model = IndependentTaskClassifier(LogisticRegression()).fit(X, Y)
    rows = Y[column].notna().to_numpy()
    alone = LogisticRegression().fit(X[rows], Y[column][rows].astype(int))
    expected = get_scorer(name)(alone, X[rows], Y[column][rows].astype(int))
    assert make_task_scorer(name, task=column)(model, X, Y) == pytest.approx(expected)


def test_structure_metrics_name_a_missing_label_of_groups_named_like_polars_positions():
    # labels column_0, ... name the frame's columns: one mistyped read the frame by
    # position, and the error was "Label 'column_0' is not a column index"
    enc = StructuredLabelEncoder.from_groups(
        {"A": ["column_0", "column_1"], "B": ["column_2", "column_3", "column_9"]})
    P = pd.DataFrame(np.array([[0, 1, 1, 0, 0], [1, 0, 1, 0, 0]]),
                     columns=[f"column_{i}" for i in range(5)])
    with pytest.raises(ValueError, match="has no column for label 'column_9'"):
        consistency_violations(P, enc)


@pytest.mark.parametrize("dtype", ["boolean", "bool[pyarrow]", "category"])
def test_conflicting_group_of_a_nullable_boolean_or_categorical_multihot_scores_as_missing(
        dtype):
    # a predicted group with two active labels is turned off with the integer 0, which a
    # "boolean" column (convert_dtypes, parquet) or a category column without a category 0
    # refused: TypeError "Invalid value '0' for dtype 'boolean'"
    labels = ["a0", "a1", "b0", "b1", "b2"]
    enc = StructuredLabelEncoder.from_groups({"A": labels[:2], "B": labels[2:]})
    Y_true = pd.DataFrame([[1, 0, 1, 0, 0], [0, 1, 0, 1, 0], [1, 0, 0, 0, 1]], columns=labels)
    P = pd.DataFrame([[1, 0, 1, 0, 0], [1, 1, 0, 1, 0], [1, 0, 1, 0, 1]], columns=labels)
    Y_pred = (P.astype(bool) if dtype != "category" else P).astype(dtype)
    before = Y_pred.copy()
    expected = task_accuracy_score(Y_true, P, schema=enc).to_dict()
    assert expected == pytest.approx({"A": 2 / 3, "B": 2 / 3})
    assert task_accuracy_score(Y_true, Y_pred, schema=enc).to_dict() == expected
    assert exact_match_score(Y_true, Y_pred, schema=enc) == pytest.approx(1 / 3)
    report = task_report(Y_true, Y_pred, schema=enc, zero_division=0)
    assert report["accuracy"].to_dict() == pytest.approx({("A", ""): 2 / 3, ("B", ""): 2 / 3})
    pd.testing.assert_frame_equal(Y_pred, before)


def test_encoded_truth_reads_the_other_argument_as_the_schemas_encoder_does():
    # Y_true as EncodedLabels and Y_pred raw ignored schema=: an array of a model fitted on
    # a frame was read in the declared tasks' order, not its columns' (silently wrong),
    # and a multi-hot matrix of exclusive groups was refused ("Y has no column 'A'")
    from sklearn_mtl import IndependentTaskClassifier

    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 2))
    Y = pd.DataFrame({"a": (X[:, 0] > 0).astype(int), "b": (X[:, 1] > 1).astype(int)})
    model = IndependentTaskClassifier(LogisticRegression(), tasks=[Task("b"), Task("a")])
    P = model.fit(X, Y).predict(X)
    expected = task_accuracy_score(Y, P, schema=model).to_dict()
    E = model.encoder_.transform(Y)
    assert task_accuracy_score(E, P.to_numpy(), schema=model).to_dict() == expected
    assert task_accuracy_score(Y.to_numpy(), model.encoder_.transform(P),
                               schema=model).to_dict() == expected

    labels = ["a0", "a1", "b0", "b1", "b2"]
    enc = StructuredLabelEncoder.from_groups({"A": labels[:2], "B": labels[2:]})
    Y_true = pd.DataFrame([[1, 0, 1, 0, 0], [0, 1, 0, 1, 0], [1, 0, 0, 0, 1]], columns=labels)
    Y_pred = pd.DataFrame([[1, 0, 1, 0, 0], [1, 1, 0, 1, 0], [1, 0, 1, 0, 0]], columns=labels)
    E = enc.fit(Y_true).transform(Y_true)
    expected = {"A": 2 / 3, "B": 2 / 3}  # row 1's A has two labels: a missing prediction
    assert task_accuracy_score(Y_true, Y_pred, schema=enc).to_dict() == pytest.approx(expected)
    assert task_accuracy_score(E, Y_pred, schema=enc).to_dict() == pytest.approx(expected)
    assert exact_match_score(E, Y_pred, schema=enc) == pytest.approx(1 / 3)
    assert task_accuracy_score(Y_true, enc.transform(Y_true.iloc[[0, 1, 0]]),
                               schema=enc).to_dict() == pytest.approx({"A": 1.0, "B": 2 / 3})


@pytest.mark.parametrize("zero_division", [np.nan, 0.0, 1.0])
def test_samples_average_counts_nothing_of_a_sample_of_weight_zero(zero_division):
    # average="samples" scored a sample of weight 0 on its own labels: where every sample
    # of positive weight divides by zero (NaN with zero_division=np.nan), the score was
    # the weight-0 sample's (recall 1.0) where scikit-learn's is NaN
    Y = np.array([[0, 1], [0, 0], [1, 1]])
    P = np.array([[0, 1], [0, 1], [1, 0]])
    for weight in ([0.0, 2.0, 0.0], [0.0, 2.0, 1.0], [1.0, 0.0, 3.0]):
        for ours, theirs in ((task_precision_score, skm.precision_score),
                             (task_recall_score, skm.recall_score),
                             (task_f1_score, skm.f1_score)):
            expected = theirs(Y, P, average="samples", sample_weight=weight,
                              zero_division=zero_division)
            got = ours(Y, P, average="samples", sample_weight=weight,
                       zero_division=zero_division, task="labels")
            np.testing.assert_allclose(got, expected, err_msg=f"{theirs.__name__} {weight}")


def test_encoded_labels_of_different_classes_are_refused_naming_the_task():
    # Y_true and Y_pred each encoded by its own encoder: the predictions lack class "b",
    # so their code 1 is "c" where the truth's is "b"; the codes were compared as they
    # were (accuracy 0.5 where it is 0.75)
    Y = pd.DataFrame({"c": ["a", "b", "c", "c"], "d": ["x", "y", "x", "y"]})
    P = pd.DataFrame({"c": ["a", "c", "c", "c"], "d": ["x", "y", "y", "y"]})
    enc = StructuredLabelEncoder().fit(Y)
    assert task_accuracy_score(enc.transform(Y), enc.transform(P)).to_dict() == \
        task_accuracy_score(Y, P).to_dict() == {"c": 0.75, "d": 0.75}
    E_true = StructuredLabelEncoder().fit_transform(Y)
    E_pred = StructuredLabelEncoder().fit_transform(P)
    for metric in (task_accuracy_score, exact_match_score, hamming_loss, cooccurrence_difference):
        with pytest.raises(ValueError, match=r"task 'c' is multiclass with classes \['a', 'b', "
                           r"'c'\] in Y_true and binary with classes \['a', 'c'\] in Y_pred"):
            metric(E_true, E_pred)


def test_samples_average_warns_of_a_sample_of_weight_zero_as_scikit_learn():
    # A sample of weight 0 scores nothing, yet scikit-learn still warns where it divides
    # by zero; only samples of positive weight were looked at, so the warning was lost.
    from sklearn.exceptions import UndefinedMetricWarning

    from sklearn_mtl.metrics import task_f1_score, task_precision_score, task_recall_score

    Y = np.array([[0, 1], [0, 0], [1, 1]])
    P = np.array([[0, 1], [0, 0], [1, 0]])
    weight = [1.0, 0.0, 1.0]  # the sample with no labels at all weighs nothing
    for ours, theirs in ((task_precision_score, skm.precision_score),
                         (task_recall_score, skm.recall_score),
                         (task_f1_score, skm.f1_score)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UndefinedMetricWarning)
            expected = theirs(Y, P, average="samples", sample_weight=weight)
            n_theirs = len(caught)
            got = ours(Y, P, average="samples", sample_weight=weight, task="labels")
        assert got == pytest.approx(expected)
        assert n_theirs == 1
        assert len(caught) == 2, theirs.__name__
        assert "ill-defined" in str(caught[1].message)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.UndefinedMetricWarning")
def test_encoded_labels_whose_classes_extend_the_others_are_read_on_the_longer_classes():
    # The truth encoded on every class (an encoder fitted on the whole Y) and predictions
    # encoded by a model's encoder that never saw class "z": the codes of the shared
    # classes mean the same and are compared, but each side was read on its own classes,
    # so the co-occurrence difference had NaN for "z" and the report called the task
    # binary where the labels as they are give the differences and say multiclass.
    from sklearn_mtl.metrics import cooccurrence_matrices

    Y_all = pd.DataFrame({"c": ["a", "b", "a", "b", "z", "z"], "d": ["x", "y"] * 3})
    Y_test = Y_all.iloc[2:].reset_index(drop=True)
    P = pd.DataFrame({"c": ["a", "b", "a", "a"], "d": ["x", "y", "y", "y"]})
    true = StructuredLabelEncoder().fit(Y_all).transform(Y_test)
    pred = StructuredLabelEncoder().fit(Y_all.iloc[:4]).transform(P)  # no "z"
    for a, b, raw_a, raw_b in ((true, pred, Y_test, P), (pred, true, P, Y_test)):
        pd.testing.assert_frame_equal(cooccurrence_difference(a, b),
                                      cooccurrence_difference(raw_a, raw_b))
        for got, expected in zip(cooccurrence_matrices(a, b), cooccurrence_matrices(raw_a, raw_b)):
            pd.testing.assert_frame_equal(got, expected)
        pd.testing.assert_frame_equal(task_report(a, b), task_report(raw_a, raw_b))
    assert task_accuracy_score(true, pred).to_dict() == {"c": 0.5, "d": 0.75}


def test_task_scorer_of_a_position_on_a_declared_multilabel_model_names_its_task():
    # a model that declared the indicator matrix one multilabel task: task=0 was read as
    # the binary task of a column, "give Y as a DataFrame ... pd.DataFrame(Y,
    # columns=['labels'])", which cannot be done (Y has 3 columns), where "roc_auc" says
    # the task is unknown
    from sklearn.datasets import make_multilabel_classification

    from sklearn_mtl import IndependentTaskClassifier

    X, Y = make_multilabel_classification(n_samples=30, n_classes=3, random_state=0)
    model = IndependentTaskClassifier(
        LogisticRegression(max_iter=500), tasks=[Task("labels", kind="multilabel")]).fit(X, Y)
    for metric in ("f1_micro", "accuracy", "roc_auc"):
        with pytest.raises(ValueError, match=r"^Unknown task 0; the tasks are \['labels'\]\.$"):
            make_task_scorer(metric, task=0)(model, X, Y)
    assert make_task_scorer("f1_micro", task="labels")(model, X, Y) == pytest.approx(
        skm.f1_score(Y, model.predict(X), average="micro"))


def test_scorers_warn_of_a_sample_weight_series_ordered_apart_from_X(weights_apart_from_X):
    # model.score warned of weights whose index holds X's rows in another order (each
    # row weighed by another's weight); the scorers, which take the same weights
    # (permutation_importance, a direct call), said nothing
    from sklearn_mtl import IndependentTaskClassifier

    X, Y, w = weights_apart_from_X
    model = IndependentTaskClassifier(LogisticRegression()).fit(X, Y)
    message = r"sample_weight's index holds X's row labels in another order"
    for scorer in (exact_match_scorer, make_task_scorer("accuracy", task="t"),
                   make_task_scorer("roc_auc", task="t")):
        with pytest.warns(UserWarning, match=message):
            scorer(model, X, Y, sample_weight=w)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            scorer(model, X, Y, sample_weight=w.loc[X.index])


def test_consistency_violations_shows_gate_values_as_the_labels_they_are():
    # the gate's values were shown as text ("one of ['1']", "['True']"), naming labels
    # that the task refuses, and a parent's value of an array as "np.int64(0)"
    from sklearn_mtl.metrics import consistency_violations

    tasks = [Task("car", classes=[0, 1]), Task("color", classes=["red", "blue"],
                                               gate=("car", 1))]
    detail = consistency_violations(pd.DataFrame({"car": [0], "color": ["red"]}), tasks).detail
    assert detail[0].endswith("'car' is 0; it applies only when 'car' is one of [1].")
    flags = [Task("car", classes=[False, True]), Task("color", gate=("car", True))]
    detail = consistency_violations(pd.DataFrame({"car": [False], "color": ["red"]}),
                                    flags).detail
    assert detail[0].endswith("one of [True].")
    raw = [Task("car"), Task("color", gate=("car", 1))]
    detail = consistency_violations(np.array([[0, 2], [1, 3]]), raw).detail
    assert detail.tolist() == ["Task 'color' has a label but 'car' is 0; it applies only "
                               "when 'car' is one of [1]."]


def test_cooccurrence_takes_sample_weight_as_repeated_samples():
    # sample_weight was refused (TypeError), where every other metric and scikit-learn's
    # confusion_matrix take it: a weight of 2 counts as the sample twice
    from sklearn_mtl.metrics import (
        cooccurrence_difference,
        cooccurrence_matrices,
        cooccurrence_matrix,
    )

    Y = pd.DataFrame({"car": ["yes", "yes", "no", "yes", None],
                      "color": ["red", "blue", None, None, "red"]})
    tasks = [Task("car", classes=["no", "yes"]),
             Task("color", classes=["red", "blue"], gate=("car", "yes"))]
    w = np.array([2, 1, 3, 1, 2])
    repeated = Y.loc[Y.index.repeat(w)].reset_index(drop=True)
    for normalize in (None, "row", "all"):
        weighted = cooccurrence_matrix(Y, schema=tasks, normalize=normalize, sample_weight=w)
        expected = cooccurrence_matrix(repeated, schema=tasks, normalize=normalize)
        pd.testing.assert_frame_equal(weighted, expected.astype(float))
    counts = cooccurrence_matrix(Y, sample_weight=[0.5, 1, 1, 1, 1])
    assert counts.loc["car=yes", "color=red"] == 0.5  # pd.crosstab(values=w, aggfunc="sum")
    small = cooccurrence_matrix(Y, normalize="row", sample_weight=np.full(5, 0.1))
    pd.testing.assert_frame_equal(small, cooccurrence_matrix(Y, normalize="row"))
    pred = Y.assign(color="red")
    diff = cooccurrence_difference(Y, pred, schema=tasks, normalize=None, sample_weight=w)
    assert diff.loc["color=red", "color=red"] == 2.0  # rows 1 and 3 (weight 1 each)
    true, _ = cooccurrence_matrices(Y, pred, schema=tasks, sample_weight=w)
    assert true.loc["car=yes", "color=blue"] == 1.0
    with pytest.raises(ValueError, match=r"sample_weight has shape \(2,\); expected \(5,\)"):
        cooccurrence_matrix(Y, sample_weight=[1, 2])


def _gated_binary_model(neg, pos):
    """A model of a binary task "elec" gated on car = "yes", and four rows to score on,
    the first predicted gated off (car "no")."""
    from sklearn_mtl import IndependentTaskClassifier

    X = np.array([[-3.0], [-2.0], [-1.0], [1.0], [2.0], [3.0], [4.0], [5.0]])
    elec = pd.Series([None, None, None, neg, neg, pos, pos, pos], dtype=object)
    Y = pd.DataFrame({"car": ["no"] * 3 + ["yes"] * 5, "elec": elec})
    tasks = [Task("car"), Task("elec", gate=("car", "yes"))]
    model = IndependentTaskClassifier(LogisticRegression(C=100), tasks=tasks).fit(X, Y)
    return model, np.array([[-2.0], [1.0], [4.0], [5.0]])


@pytest.mark.parametrize("classes, metric", [
    ([False, True], "f1"),
    ([0, 1], "f1"),
    (["n", "y"], skm.make_scorer(skm.f1_score, pos_label="y")),
])
def test_task_scorer_binary_metric_reads_gated_off_prediction_as_the_other_class(
        classes, metric):
    # A binary task's prediction that switched its gate off, where the truth has a label,
    # was a third value: scikit-learn's binary "f1" (and make_scorer(f1_score,
    # pos_label=...)) raised "Target is multiclass but average='binary'", and on bools
    # every predict-based scorer raised a TypeError. It is the class the truth is not.
    neg, pos = classes
    model, Xs = _gated_binary_model(neg, pos)
    Ys = pd.DataFrame({"car": ["yes"] * 4,
                       "elec": pd.Series([pos, neg, pos, pos], dtype=object)})
    predicted = model.predict(Xs)
    assert predicted["car"].tolist() == ["no", "yes", "yes", "yes"]  # row 0: gated off
    assert predicted["elec"].tolist()[1:] == [neg, pos, pos]
    # TP 2, FN 1 (the gated-off row), FP 0: F1 4/5
    assert make_task_scorer(metric, task="elec")(model, Xs, Ys) == pytest.approx(0.8)
    assert make_task_scorer("matthews_corrcoef", task="elec")(model, Xs, Ys) == (
        pytest.approx(skm.matthews_corrcoef([1, 0, 1, 1], [0, 0, 1, 1])))
    assert make_task_scorer("accuracy", task="elec")(model, Xs, Ys) == 0.75


def test_metrics_name_the_argument_that_holds_probabilities_or_dicts():
    # Probabilities given as Y_pred were refused as "Task 'y' holds non-integral
    # numbers ... declare Task(name, kind='regression')", predict_proba's list of arrays
    # as "Y must be 1-D ... 3-D array" (or "Y_pred has shape (2,)"), and a dict of
    # columns as "Y is a dict" or with pandas' TypeError: none named the argument.
    y = np.array([0, 1, 1, 0])
    proba = np.array([[0.8, 0.2], [0.3, 0.7], [0.1, 0.9], [0.6, 0.4]])
    with pytest.raises(ValueError, match=r"^Y_pred: Unknown label type: continuous.*"
                                         r"probabilities \(predict_proba\)"):
        task_f1_score(y, proba[:, 1])
    with pytest.raises(ValueError, match=r"^Y_pred: .*non-integral"):
        hamming_loss(np.column_stack([y, y]), proba)
    with pytest.raises(ValueError, match=r"^Y_true: Unknown label type: continuous"):
        exact_match_score(proba[:, 1], y)
    Y = pd.DataFrame({"a": ["no", "yes", "yes", "no"], "b": ["u", "v", "u", "u"]})
    for shapes in ([(4, 2), (4, 2)], [(4, 2), (4, 3)]):
        listed = [np.full(shape, 1 / shape[1]) for shape in shapes]
        with pytest.raises(ValueError, match=r"^Y_pred is a list of 2 2-D arrays of shapes "
                                             r"\[\(4, 2\), \(4, \d\)\], as predict_proba"):
            exact_match_score(Y, listed)
    with pytest.raises(ValueError, match=r"^Y_pred is a dict of columns; .*"
                                         r"pd.DataFrame\(Y_pred\)"):
        task_accuracy_score(Y, Y.to_dict("list"))
    with pytest.raises(ValueError, match=r"^Y_true is a list of dicts \(one per row\)"):
        mcnemar_test(Y.to_dict("records"), Y, Y)


def test_mcnemar_test_names_the_predictions_it_refuses():
    # Its errors named "Y_pred", which is either of two arguments: Y_pred_a or Y_pred_b.
    Y = pd.DataFrame({"a": ["x", "y", "x"]})
    with pytest.raises(ValueError, match=r"^Y_true has 3 samples but Y_pred_b has 2;"):
        mcnemar_test(Y, Y, Y.iloc[:2])
    with pytest.raises(ValueError, match=r"^Y_pred_a: Task 'a' got label 'z' in row 1"):
        mcnemar_test(Y, Y.assign(a=["x", "z", "x"]), Y,
                     schema=[Task("a", classes=["x", "y"])])
    assert mcnemar_test(Y, Y, Y.assign(a=["x", "x", "x"])) == (1, 0, 1.0)


@pytest.mark.parametrize("classes, positive", [
    ([False, True], {}),
    ([0, 1], {}),
    (["n", "y"], {"pos_label": "y"}),
])
def test_task_scorer_binary_metric_counts_gated_off_prediction_as_task_precision_does(
        classes, positive):
    # A binary task's prediction that switched its gate off, where the truth is the
    # negative class, was read as the positive class: a false positive, so "precision"
    # and "f1" fell, while task_precision_score reads it as no prediction of any class
    # (it lowers recall, not precision). "matthews_corrcoef" still counts it wrong.
    neg, pos = classes
    model, Xs = _gated_binary_model(neg, pos)
    Ys = pd.DataFrame({"car": ["yes"] * 4,
                       "elec": pd.Series([neg, neg, pos, pos], dtype=object)})
    predicted = model.predict(Xs)
    assert pd.isna(predicted["elec"][0])  # gated off where the truth is negative
    own = task_precision_score(Ys, predicted, task="elec", schema=model, average="macro")
    assert float(own) == 1.0  # no class predicted wrongly
    for name in ("precision", "recall", "f1", "jaccard"):
        func = getattr(skm, f"{name}_score")
        scorer = make_task_scorer(skm.make_scorer(func, **positive) if positive else name,
                                  task="elec")
        # as the rows predicted: the positive class predicted and true on both its rows
        assert scorer(model, Xs, Ys) == 1.0, name
    # the negative class's recall falls: its gated-off row is a false negative
    negative = skm.make_scorer(skm.recall_score, pos_label=neg)
    assert make_task_scorer(negative, task="elec")(model, Xs, Ys) == 0.5
    assert make_task_scorer("matthews_corrcoef", task="elec")(model, Xs, Ys) == (
        pytest.approx(skm.matthews_corrcoef([0, 0, 1, 1], [1, 0, 1, 1])))


def _gated_models():
    """Models of a multiclass task "color" and a multilabel task "opts", both gated on
    car = "yes", and four rows to score on, the first predicted gated off (car "no")."""
    from sklearn.tree import DecisionTreeClassifier

    from sklearn_mtl import IndependentTaskClassifier

    X = np.array([[-2.0], [-1.0], [1.0], [2.0], [3.0], [4.0], [5.0], [6.0]])
    Y = pd.DataFrame({"car": ["no", "no"] + ["yes"] * 6,
                      "color": [None, None, "r", "r", "g", "g", "b", "b"],
                      "opts": [None, None, [], [], ["a"], ["a"], ["a", "b"], ["a", "b"]]})
    tasks = [Task("car"), Task("color", classes=["r", "g", "b"], gate=("car", "yes")),
             Task("opts", kind="multilabel", classes=["a", "b"], gate=("car", "yes"))]
    model = IndependentTaskClassifier(DecisionTreeClassifier(random_state=0), tasks=tasks)
    return model.fit(X, Y), np.array([[-1.0], [1.0], [3.0], [5.0]])


def test_task_scorer_averages_leave_a_gated_off_prediction_out_of_the_classes():
    # A prediction that switched a task's gate off, where the truth has a label, was a
    # class of its own to scikit-learn's averaged precision, recall, F-beta and Jaccard
    # ("jaccard_macro", make_scorer(f1_score, average="macro")): it scored 0 in the macro
    # average and took precision from the micro one. It is a miss of the true class
    # alone, as in task_f1_score.
    model, Xs = _gated_models()
    Ys = pd.DataFrame({"car": ["yes"] * 4, "color": ["r", "r", "g", "b"],
                       "opts": [[], [], ["a"], ["a", "b"]]})
    predicted = model.predict(Xs)
    assert predicted["car"].tolist() == ["no", "yes", "yes", "yes"]
    assert predicted["color"].tolist()[1:] == ["r", "g", "b"]
    # r: TP 1, FN 1 (the gated-off row); g and b: TP 1 each; no false positive
    assert make_task_scorer("jaccard_macro", task="color")(model, Xs, Ys) == (
        pytest.approx((1 / 2 + 1 + 1) / 3))
    assert make_task_scorer("jaccard_micro", task="color")(model, Xs, Ys) == 0.75
    assert make_task_scorer("jaccard_weighted", task="color")(model, Xs, Ys) == 0.75
    own = {average: task_f1_score(Ys, predicted, task="color", schema=model, average=average)
           for average in ("macro", "micro", "weighted")}
    assert own["macro"] == pytest.approx((2 / 3 + 1 + 1) / 3)
    for average, expected in own.items():
        f1 = make_task_scorer(skm.make_scorer(skm.f1_score, average=average), task="color")
        assert f1(model, Xs, Ys) == pytest.approx(expected), average
    micro = skm.make_scorer(skm.precision_score, average="micro")
    assert make_task_scorer(micro, task="color")(model, Xs, Ys) == 1.0
    # the user's labels are kept: scikit-learn's own reading of them
    named = skm.make_scorer(skm.f1_score, average="macro", labels=["r", "g", "b", "x"],
                            zero_division=np.nan)
    assert make_task_scorer(named, task="color")(model, Xs, Ys) == pytest.approx(
        own["macro"])


@pytest.mark.parametrize("classes", [[False, True], [0, 1]])
def test_task_scorer_averages_leave_a_gated_off_binary_prediction_out(classes):
    # On a binary task such a prediction was the class the truth is not: a false
    # positive of that class too, so the macro F1 fell to 0.733 and the macro Jaccard to
    # 0.583, where task_f1_score gives 0.9.
    neg, pos = classes
    model, Xs = _gated_binary_model(neg, pos)
    Ys = pd.DataFrame({"car": ["yes"] * 4,
                       "elec": pd.Series([pos, neg, pos, pos], dtype=object)})
    predicted = model.predict(Xs)
    assert pd.isna(predicted["elec"][0])
    own = task_f1_score(Ys, predicted, task="elec", schema=model, average="macro")
    assert float(own) == pytest.approx(0.9)  # neg: F1 1; pos: TP 2, FN 1
    f1 = skm.make_scorer(skm.f1_score, average="macro")
    assert make_task_scorer(f1, task="elec")(model, Xs, Ys) == pytest.approx(0.9)
    assert make_task_scorer("jaccard_macro", task="elec")(model, Xs, Ys) == (
        pytest.approx((1 + 2 / 3) / 2))
    assert make_task_scorer("matthews_corrcoef", task="elec")(model, Xs, Ys) == (
        pytest.approx(skm.matthews_corrcoef([1, 0, 1, 1], [0, 0, 1, 1])))


def test_task_scorer_counts_a_gated_off_multilabel_prediction_wrong():
    # A multilabel task predicted gated off was an all-zero row to scikit-learn's
    # scorers: right against a truth row with no label on in accuracy_score,
    # zero_one_loss and hamming_loss, where task_accuracy_score and hamming_loss count
    # it wrong. It is wrong on each label there, and still no positive prediction to
    # the averaged F1 (as in task_f1_score).
    model, Xs = _gated_models()
    Ys = pd.DataFrame({"car": ["yes"] * 4, "color": ["r", "r", "g", "b"],
                       "opts": [[], [], ["a"], ["a", "b"]]})
    predicted = model.predict(Xs)
    assert predicted["opts"].tolist()[0] is None  # gated off where the truth is []
    own = task_accuracy_score(Ys, predicted, task="opts", schema=model)
    assert float(own) == 0.75
    accuracy = skm.make_scorer(skm.accuracy_score)
    assert make_task_scorer(accuracy, task="opts")(model, Xs, Ys) == 0.75
    assert make_task_scorer("accuracy", task="opts")(model, Xs, Ys) == 0.75
    zero_one = skm.make_scorer(skm.zero_one_loss, greater_is_better=False)
    assert make_task_scorer(zero_one, task="opts")(model, Xs, Ys) == -0.25
    # both labels of row 0 wrong, out of 8 (the task alone: no prediction in row 0)
    alone = [Task("opts", kind="multilabel", classes=["a", "b"])]
    assert hamming_loss(Ys[["opts"]], predicted[["opts"]], schema=alone) == 0.25
    hamming = skm.make_scorer(skm.hamming_loss, greater_is_better=False)
    assert make_task_scorer(hamming, task="opts")(model, Xs, Ys) == -0.25
    samples = skm.make_scorer(skm.f1_score, average="samples", zero_division=0)
    assert make_task_scorer(samples, task="opts")(model, Xs, Ys) == 0.5
    assert float(task_f1_score(Ys, predicted, task="opts", schema=model,
                               average="samples", zero_division=0)) == 0.5


def test_metrics_and_scorers_name_sample_weight_that_holds_no_number():
    # sample_weight=["a", "b"] raised numpy's "could not convert string to float: 'a'",
    # which names no argument.
    Y = pd.DataFrame({"a": ["x", "y"]})
    message = (r"^sample_weight\[1\] is 'b', which is not a number; expected finite, "
               r"non-negative numbers, one weight per sample\.$")
    for metric in (exact_match_score, hamming_loss, task_f1_score, task_accuracy_score):
        with pytest.raises(ValueError, match=message):
            metric(Y, Y, sample_weight=[1, "b"])
    model, Xs = _gated_models()
    Ys = pd.DataFrame({"car": ["yes"] * 4, "color": ["r", "r", "g", "b"],
                       "opts": [[], [], ["a"], ["a", "b"]]})
    for scorer in (exact_match_scorer, make_task_scorer("f1_macro", task="color"),
                   make_task_scorer("jaccard_macro", task="color")):
        with pytest.raises(ValueError, match=r"^sample_weight\[0\] is 'a', which is not"):
            scorer(model, Xs, Ys, sample_weight=["a", "b", "c", "d"])


def test_task_scorer_averages_read_labels_none_as_no_labels():
    # labels=None, scikit-learn's default, was read as labels given: a prediction that
    # switched the gate off stayed a class of its own, 0 in the macro average.
    model, Xs = _gated_models()
    Ys = pd.DataFrame({"car": ["yes"] * 4, "color": ["r", "r", "g", "b"],
                       "opts": [[], [], ["a"], ["a", "b"]]})
    own = task_f1_score(Ys, model.predict(Xs), task="color", schema=model, average="macro")
    f1 = skm.make_scorer(skm.f1_score, average="macro", labels=None)
    assert make_task_scorer(f1, task="color")(model, Xs, Ys) == pytest.approx(float(own))
    jaccard = skm.make_scorer(skm.jaccard_score, average="macro", labels=None)
    assert make_task_scorer(jaccard, task="color")(model, Xs, Ys) == pytest.approx(
        make_task_scorer("jaccard_macro", task="color")(model, Xs, Ys))


def test_task_scorer_takes_decimal_weights_as_the_metrics_take_them():
    # sample_weight read as numbers by the scorer's check went on to scikit-learn's
    # metric as given: a list of Decimals raised a TypeError there, where the package's
    # metrics and exact_match_scorer take it.
    from decimal import Decimal

    model, Xs = _gated_models()
    Ys = pd.DataFrame({"car": ["yes"] * 4, "color": ["r", "r", "g", "b"],
                       "opts": [[], [], ["a"], ["a", "b"]]})
    decimals = [Decimal("1"), Decimal("2"), Decimal("1"), Decimal("0.5")]
    floats = [1.0, 2.0, 1.0, 0.5]
    for metric, task in (("jaccard_macro", "color"), ("jaccard_samples", "opts"),
                         (skm.make_scorer(skm.hamming_loss), "opts")):
        scorer = make_task_scorer(metric, task=task)
        assert scorer(model, Xs, Ys, sample_weight=decimals) == pytest.approx(
            scorer(model, Xs, Ys, sample_weight=floats))
    assert exact_match_scorer(model, Xs, Ys, sample_weight=decimals) == pytest.approx(
        exact_match_scorer(model, Xs, Ys, sample_weight=floats))


def test_consistency_violations_refuse_two_groups_of_one_name_on_an_unfitted_encoder():
    # groups={1: ..., "1": ...} read one group only (the other silently replaced), so
    # the two active labels of the group 1 in row 0 were no violation; fit refuses them
    enc = StructuredLabelEncoder(groups={1: ["a", "b"], "1": ["c", "d"]})
    with pytest.raises(ValueError, match="groups has two groups named '1'"):
        consistency_violations([{"a", "b", "c"}, {"b", "d"}], enc)
    with pytest.raises(ValueError, match="groups has two groups named '1'"):
        hamming_loss([{"a", "c"}, {"b", "d"}], [{"a", "c"}, {"b", "d"}], schema=enc)


def test_label_set_predictions_of_which_no_row_has_a_label():
    # Y_pred of no annotated row is a list of empty label sets, as beside a row that has
    # labels; it was refused ("Y_pred has shape (2,); expected a multi-hot matrix")
    enc = StructuredLabelEncoder.from_groups({"A": ["x", "y"], "B": ["u", "v"]},
                                             missing_groups="mask")
    enc.fit([{"x", "u"}, {"y", "v"}])
    truth = [{"x", "u"}, {"y"}, {"x", "v"}]
    for empty in ([None] * 3, [set(), None, set()], np.array([None] * 3, dtype=object)):
        assert exact_match_score(truth, empty, schema=enc) == 0.0
        assert mean_task_accuracy(truth, empty, schema=enc) == 0.0
    assert exact_match_score([{"x", "u"}, None], [{"x", "u"}, None], schema=enc) == 1.0
    # beside labels one per row, gaps alone are such labels (a task predicted off in
    # every row), not label sets
    assert exact_match_score(pd.DataFrame({"a": ["x", "y"]}), [None, None]) == 0.0


def test_task_given_as_a_list_is_named_as_one_name_expected():
    Y = pd.DataFrame({"a": [0, 1, 0], "b": ["x", "y", "y"]})
    for metric in (task_f1_score, task_accuracy_score, task_precision_score):
        with pytest.raises(ValueError, match=r"^A task is named by one name; got a list, "
                           r"\['a', 'b'\]\. The tasks are \['a', 'b'\]\.$"):
            metric(Y, Y, task=["a", "b"])
