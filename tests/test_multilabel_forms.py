"""Multi-label data in the forms scikit-learn users have: a 0/1 indicator matrix and a list
of tag lists, through estimators, metrics, thresholds and ``compare``."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_multilabel_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, hamming_loss, precision_score, recall_score
from sklearn.multioutput import ClassifierChain, MultiOutputClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MultiLabelBinarizer, StandardScaler

from sklearn_mtl import (
    IndependentTaskClassifier,
    LabelProductClassifier,
    MultiTaskClassifier,
    StructuredLabelEncoder,
    Task,
    TaskChainClassifier,
    TaskThresholdTuner,
    compare,
)
from sklearn_mtl._compare import MostFrequentBaseline
from sklearn_mtl.metrics import (
    consistency_violations,
    cooccurrence_difference,
    cooccurrence_matrix,
    exact_match_score,
    label_f1_score,
    make_task_scorer,
    task_f1_score,
    task_precision_score,
    task_recall_score,
    task_report,
)
from sklearn_mtl.metrics import hamming_loss as mtl_hamming_loss


def lr():
    return LogisticRegression(max_iter=500)


@pytest.fixture(scope="module")
def indicator():
    """X, Y (80 x 6 indicator) and predictions P of a binary-relevance model."""
    X, Y = make_multilabel_classification(n_samples=80, n_classes=6, random_state=0)
    # standardised word counts: the logistic regressions fitted on them converge in a few
    # iterations (on the raw counts, several times as many; nothing here depends on it)
    X = StandardScaler().fit_transform(X)
    P = MultiOutputClassifier(lr()).fit(X[:40], Y[:40]).predict(X)
    return X, Y, P


ESTIMATORS = {
    "MultiTaskClassifier": lambda **kw: MultiTaskClassifier(
        hidden_layer_sizes=(8,), max_epochs=2, random_state=0, **kw
    ),
    "IndependentTaskClassifier": lambda **kw: IndependentTaskClassifier(lr(), **kw),
    "TaskChainClassifier": lambda **kw: TaskChainClassifier(lr(), **kw),
    "LabelProductClassifier": lambda **kw: LabelProductClassifier(lr(), **kw),
}


# ----------------------------------------------------------------- metrics vs sklearn
@pytest.mark.parametrize("average", ["micro", "macro", "weighted"])
def test_indicator_metrics_equal_sklearn(indicator, average):
    _, Y, P = indicator
    assert task_f1_score(Y, P, average=average).to_dict() == {
        "labels": pytest.approx(f1_score(Y, P, average=average))
    }
    assert task_precision_score(Y, P, average=average)["labels"] == pytest.approx(
        precision_score(Y, P, average=average)
    )
    assert task_recall_score(Y, P, average=average)["labels"] == pytest.approx(
        recall_score(Y, P, average=average)
    )


def test_samples_average_equals_sklearn(indicator):
    _, Y, P = indicator
    assert (Y.sum(axis=1) == 0).any() and (P.sum(axis=1) == 0).any()  # empty rows too
    weight = np.random.default_rng(0).uniform(0.5, 2.0, len(Y))
    for ours, theirs in [(task_precision_score, precision_score),
                         (task_recall_score, recall_score), (task_f1_score, f1_score)]:
        for w in (None, weight):
            assert ours(Y, P, average="samples", sample_weight=w)["labels"] == pytest.approx(
                theirs(Y, P, average="samples", sample_weight=w, zero_division=0)
            )
    # exact values: row 0 has tp 1, fp 1, fn 1 -> 0.5 each; row 1 no label either way
    # -> 0; row 2's second label is missing, so only its first counts: tp 1 -> 1
    Yt = np.array([[1, 1, 0], [0, 0, 0], [1, np.nan, 0]])
    Yp = np.array([[1, 0, 1], [0, 0, 0], [1, 1, 0]])
    assert task_f1_score(Yt, Yp, average="samples")["labels"] == pytest.approx(0.5)
    assert task_precision_score(Yt, Yp, average="samples")["labels"] == pytest.approx(0.5)
    model = IndependentTaskClassifier(lr(), tasks=[Task("labels", kind="multilabel")])
    X = indicator[0]
    model.fit(X[:40], Y[:40])
    scorer = make_task_scorer("f1_samples", task="labels")
    assert scorer(model, X, Y) == pytest.approx(
        f1_score(Y, model.predict(X), average="samples", zero_division=0))
    with pytest.raises(ValueError, match="average='samples' .* task 'species' is multiclass"):
        task_f1_score(pd.DataFrame({"species": list("abca")}),
                      pd.DataFrame({"species": list("abcc")}), average="samples")


def test_indicator_per_label_f1_and_cooccurrence(indicator):
    _, Y, P = indicator
    per_label = label_f1_score(Y, P)
    np.testing.assert_allclose(per_label.to_numpy(), f1_score(Y, P, average=None))
    assert per_label.index.tolist() == [("labels", k) for k in range(6)]
    np.testing.assert_allclose(
        label_f1_score(Y, P, task="labels").to_numpy(), f1_score(Y, P, average=None)
    )
    matrix = cooccurrence_matrix(Y)
    assert matrix.shape == (6, 6)
    assert matrix.index.tolist() == [f"labels={k}" for k in range(6)]
    np.testing.assert_array_equal(matrix.to_numpy(), Y.T @ Y)
    diff = cooccurrence_difference(Y, P, normalize=None)
    np.testing.assert_array_equal(diff.to_numpy(), P.T @ P - Y.T @ Y)
    assert mtl_hamming_loss(Y, P) == pytest.approx(hamming_loss(Y, P))
    assert exact_match_score(Y, P) == pytest.approx(np.mean((Y == P).all(axis=1)))
    report = task_report(Y, P)
    np.testing.assert_allclose(
        report.xs("labels").iloc[1:]["f1_macro"].to_numpy(), f1_score(Y, P, average=None)
    )
    assert consistency_violations(P, schema=[Task("labels", kind="multilabel",
                                                  classes=list(range(6)))]).empty


def test_indicator_metrics_follow_a_model_fitted_on_it(indicator):
    """A model reads an indicator matrix as binary tasks; scored with schema=model the
    positive classes are the labels, as without a schema."""
    X, Y, _ = indicator
    model = IndependentTaskClassifier(lr()).fit(X[:40], Y[:40])
    P = model.predict(X)
    assert [t.name for t in model.tasks_] == [f"task{j}" for j in range(6)]
    for average in ("micro", "macro"):
        assert task_f1_score(Y, P, average=average, schema=model)["labels"] == pytest.approx(
            f1_score(Y, P, average=average)
        )
    np.testing.assert_allclose(
        label_f1_score(Y, P, schema=model).to_numpy(), f1_score(Y, P, average=None)
    )
    assert cooccurrence_matrix(P, schema=model).shape == (6, 6)
    # The scorers follow the model's schema too; its task list scores binary tasks.
    scorer = make_task_scorer("f1_micro", task="labels")
    assert scorer(model, X, Y) == pytest.approx(f1_score(Y, P, average="micro"))
    per_task = task_f1_score(Y, P, average="macro", schema=model.tasks_)
    assert per_task.index.tolist() == [f"task{j}" for j in range(6)]
    assert per_task["task2"] == pytest.approx(f1_score(Y[:, 2], P[:, 2], average="macro"))


@pytest.mark.parametrize("dtype", [bool, float])
def test_indicator_in_other_dtypes_and_multilabelbinarizer(indicator, dtype):
    _, Y, P = indicator
    Yd, Pd = Y.astype(dtype), P.astype(dtype)
    np.testing.assert_allclose(label_f1_score(Yd, Pd).to_numpy(), f1_score(Y, P, average=None))
    tags = [["beach", "dog"], ["people", "sunset"], ["dog", "people"], ["beach", "sunset"]]
    pred = [["beach"], ["people", "sunset"], ["dog"], ["beach", "dog"]]
    mlb = MultiLabelBinarizer().fit(tags)
    T, Q = mlb.transform(tags), mlb.transform(pred)
    expected = f1_score(T, Q, average=None)
    np.testing.assert_allclose(label_f1_score(T, Q).to_numpy(), expected)
    # The tag lists themselves score the same, indexed by the tags.
    by_tag = label_f1_score(tags, pred)
    assert [label for _, label in by_tag.index] == list(mlb.classes_)
    np.testing.assert_allclose(by_tag.to_numpy(), expected)
    assert task_f1_score(tags, pred, average="micro")["y"] == pytest.approx(
        f1_score(T, Q, average="micro")
    )


@pytest.mark.parametrize("bad", [np.nan, np.inf, -1.0])
def test_metrics_refuse_bad_sample_weight(indicator, bad):
    _, Y, P = indicator
    weight = np.ones(len(Y))
    weight[5] = bad
    with pytest.raises(ValueError, match=rf"sample_weight\[5\] is {bad!r}; expected finite"):
        task_f1_score(Y, P, sample_weight=weight)


def test_missing_labels_in_a_float_indicator_are_left_out(indicator):
    _, Y, P = indicator
    Yf = Y.astype(float)
    Yf[0, 1] = np.nan
    Y0 = Yf.copy()
    keep = np.ones(len(Y), dtype=bool)
    keep[0] = False
    got = label_f1_score(Yf, P).to_numpy()
    assert got[1] == pytest.approx(f1_score(Y[keep, 1], P[keep, 1]))
    assert got[0] == pytest.approx(f1_score(Y[:, 0], P[:, 0]))
    np.testing.assert_array_equal(Yf, Y0)  # never mutated


# -------------------------------------------------------------------- estimators
@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_indicator_in_indicator_out(indicator, name):
    X, Y, _ = indicator
    Y0 = Y.copy()
    model = ESTIMATORS[name]().fit(X, Y)
    P = model.predict(X)
    assert isinstance(P, np.ndarray) and P.shape == Y.shape and P.dtype == Y.dtype
    assert set(np.unique(P)) <= {0, 1}
    np.testing.assert_array_equal(Y, Y0)
    Yb = Y.astype(bool)
    assert ESTIMATORS[name]().fit(X, Yb).predict(X).dtype == bool


def test_binary_tasks_reading_matches_sklearn_meta_estimators(indicator):
    X, Y, _ = indicator
    ours = IndependentTaskClassifier(lr()).fit(X, Y)
    np.testing.assert_array_equal(
        ours.predict(X), MultiOutputClassifier(lr()).fit(X, Y).predict(X)
    )
    order = [3, 1, 0, 2, 5, 4]
    chain = TaskChainClassifier(lr(), order=order, chain_method="predict").fit(X, Y)
    ref = ClassifierChain(lr(), order=order, chain_method="predict").fit(X, Y)
    np.testing.assert_array_equal(chain.predict(X), ref.predict(X))


@pytest.mark.filterwarnings("ignore:LabelProductClassifier left out")
@pytest.mark.parametrize("form", ["array", "float", "frame"])
def test_a_label_absent_from_the_training_rows_keeps_classes_0_and_1(indicator, form):
    # A rare label missing from a cross-validation fold's training rows: as with
    # MLPClassifier and OneVsRestClassifier, the model fits and predicts 0 for it.
    X, Y, _ = indicator
    Y = Y.copy()
    Y[:, 2] = 0
    if form == "float":
        Y = Y.astype(float)
        Y[0, 4] = np.nan
    elif form == "frame":
        Y = pd.DataFrame(Y, columns=[f"tag{j}" for j in range(6)])
    model = ESTIMATORS["MultiTaskClassifier"]()
    with pytest.warns(UserWarning, match=r"'(task|tag)2' has a single class 0"):
        model.fit(X, Y)
    first = 0.0 if form == "float" else 0
    assert model.tasks_[2].classes == [first, 1]
    assert type(model.tasks_[2].classes[1]) is type(first)
    P = model.predict(X)
    np.testing.assert_array_equal(np.asarray(P)[:, 2], 0)
    assert model.predict_proba(X)[2].shape == (len(X), 2)
    # The label product needs no class of its own per label either.
    LabelProductClassifier(lr()).fit(X, Y).predict(X)
    # A base estimator that needs two classes (MultiOutputClassifier would fail) gets a
    # constant for the label, as in OneVsRestClassifier: 0, with probability 1.
    with pytest.warns(UserWarning, match=r"'(task|tag)2' has a single class 0"):
        independent = IndependentTaskClassifier(lr()).fit(X, Y)
    np.testing.assert_array_equal(np.asarray(independent.predict(X))[:, 2], 0)
    np.testing.assert_array_equal(independent.predict_proba(X)[2], [[1, 0]] * len(X))


def test_a_frame_of_other_numbers_still_infers_its_classes():
    # bool and 0/1 columns side by side: an indicator, each column with its two classes
    encoder = StructuredLabelEncoder().fit(pd.DataFrame({"a": [True, False], "b": [0, 0]}))
    assert [t.classes for t in encoder.tasks_] == [[False, True], [0, 1]]
    Y = pd.DataFrame({"a": [0, 0, 2], "b": [0, 1, 1]})
    encoder = StructuredLabelEncoder().fit(Y)
    assert [t.classes for t in encoder.tasks_] == [[0, 2], [0, 1]]
    with pytest.raises(ValueError, match="'a' has one class"):
        StructuredLabelEncoder().fit(pd.DataFrame({"a": [3, 3, 3], "b": [0, 1, 1]}))


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_declared_multilabel_task_on_an_indicator(indicator, name):
    X, Y, _ = indicator
    model = ESTIMATORS[name](tasks=[Task("labels", kind="multilabel")]).fit(X, Y)
    assert model.tasks_ == [Task("labels", kind="multilabel", classes=list(range(6)))]
    np.testing.assert_array_equal(model.classes_, np.arange(6))
    P = model.predict(X)
    assert P.shape == Y.shape and P.dtype == Y.dtype
    proba = model.predict_proba(X)
    assert proba.shape == (80, 6) and ((proba >= 0) & (proba <= 1)).all()
    assert model.score(X, Y) == pytest.approx(np.mean((P == Y).all(axis=1)))
    named = ESTIMATORS[name](tasks=[Task("labels", kind="multilabel", classes=list("abcdef"))])
    assert named.fit(X, Y).predict(X).shape == Y.shape
    with pytest.raises(ValueError, match=r"declares 2 labels \['a', 'b'\], but the indicator "
                                         r"matrix Y has 6 columns"):
        ESTIMATORS[name](tasks=[Task("labels", kind="multilabel", classes=["a", "b"])]).fit(X, Y)


def test_declared_multilabel_independent_equals_multioutput(indicator):
    X, Y, _ = indicator
    ours = IndependentTaskClassifier(lr(), tasks=[Task("labels", kind="multilabel")]).fit(X, Y)
    ref = MultiOutputClassifier(lr()).fit(X, Y)
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))
    np.testing.assert_allclose(
        ours.predict_proba(X), np.column_stack([p[:, 1] for p in ref.predict_proba(X)])
    )


def test_per_label_thresholds_on_an_indicator(indicator):
    X, Y, _ = indicator
    declared = IndependentTaskClassifier(lr(), tasks=[Task("labels", kind="multilabel")])
    tuner = TaskThresholdTuner(declared, cv=3).fit(X, Y)
    thresholds = tuner.thresholds_["labels"]
    assert thresholds.shape == (6,)
    proba = tuner.predict_proba(X)
    np.testing.assert_array_equal(tuner.predict(X), (proba > thresholds).astype(Y.dtype))
    # Read as binary tasks, each label gets its threshold too.
    tuner2 = TaskThresholdTuner(IndependentTaskClassifier(lr()), cv=3).fit(X, Y)
    assert sorted(tuner2.thresholds_) == [f"task{j}" for j in range(6)]


# --------------------------------------------------------------------- tag lists
TAGS = [["beach", "dog"], ["people", "sunset"], ["dog", "people"], ["beach", "sunset"]] * 6


@pytest.mark.parametrize(
    "Y",
    [
        TAGS,
        [tuple(t) for t in TAGS],
        [["beach"], ["people", "sunset", "dog"], [], ["beach", "sunset"]] * 6,
    ],
    ids=["equal-length lists", "tuples", "ragged lists"],
)
def test_tag_lists_are_label_sets(Y):
    enc = StructuredLabelEncoder().fit(Y)
    assert enc.tasks_ == [
        Task("y", kind="multilabel", classes=["beach", "dog", "people", "sunset"])
    ]
    back = enc.inverse_transform(enc.transform(Y))
    assert [sorted(b) for b in back] == [sorted(y) for y in Y]


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_tag_lists_through_estimators(name):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(len(TAGS), 3))
    model = ESTIMATORS[name]().fit(X, TAGS)
    assert model.tasks_[0].kind == "multilabel"
    pred = model.predict(X)  # a 1-D object array of lists, as for any 1-D y
    assert isinstance(pred, np.ndarray) and pred.shape == (len(TAGS),)
    assert all(isinstance(p, list) for p in pred)
    assert set().union(*map(set, pred)) <= {"beach", "dog", "people", "sunset"}
    assert model.predict_proba(X).shape == (len(TAGS), 4)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("ensemble_size", [1, "auto"])
def test_a_multilabel_task_of_one_label_trains(ensemble_size):
    # One label, one logit: its loss read a target of shape (n,) against logits of shape
    # (n, 1) and the fit failed, where the baselines fit it.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(120, 3))
    Y = pd.DataFrame({"tags": [{"t"} if v > 0 else set() for v in X[:, 1]],
                      "b": X[:, 0] > 0})
    model = MultiTaskClassifier(max_epochs=30, ensemble_size=ensemble_size,
                                random_state=0).fit(X, Y)
    assert model.tasks_[0] == Task("tags", kind="multilabel", classes=["t"])
    assert model.predict_proba(X, task="tags").shape == (120, 1)
    assert model.score(X, Y) > 0.9
    alone = MultiTaskClassifier(max_epochs=30, ensemble_size=ensemble_size,
                                random_state=0).fit(X, list(Y["tags"]))
    assert np.mean([set(p) == y for p, y in zip(alone.predict(X), Y["tags"])]) > 0.9


def test_rows_of_mixed_types_in_a_list_say_how_to_give_columns():
    with pytest.raises(ValueError, match=r"mixed types[\s\S]*read as label sets[\s\S]*pass a "
                                         r"2-D array or a DataFrame"):
        StructuredLabelEncoder().fit([["a", 0], ["b", 1]])


def test_rows_of_tasks_still_read_from_arrays():
    Y = np.array([["a", "x"], ["b", "y"], ["a", "y"]], dtype=object)
    enc = StructuredLabelEncoder().fit(Y)
    assert [t.name for t in enc.tasks_] == ["task0", "task1"]
    # A list of 0/1 lists is scikit-learn's indicator (``Y.tolist()``), not label sets.
    assert [t.kind for t in StructuredLabelEncoder().fit([[0, 1], [1, 0]]).tasks_] == [
        "binary", "binary"
    ]


# ------------------------------------------------------------------------ compare
def _grouped_data():
    rng = np.random.RandomState(0)
    groups = {"A": [0, 1], "B": [2, 3, 4], "C": [5, 6], "D": list(range(7, 13)),
              "E": list(range(13, 17))}
    n = 60
    X = rng.normal(size=(n, 4))
    M = np.zeros((n, 17), dtype=int)
    for labels in groups.values():
        M[np.arange(n), rng.choice(labels, size=n)] = 1
    return X, M, groups


def test_compare_follows_the_models_own_schema():
    X, M, groups = _grouped_data()
    encoder = StructuredLabelEncoder.from_groups(groups)
    models = {
        "independent": IndependentTaskClassifier(lr(), encoder=encoder),
        "pipeline": make_pipeline(StandardScaler(), MostFrequentBaseline(encoder=encoder)),
    }
    table = compare(models, X, M, cv=2, progress=False)
    per_task = [c for c in table.columns.get_level_values(0).unique() if c.endswith("accuracy")]
    assert per_task == ["mean_task_accuracy"] + [f"{g} accuracy" for g in "ABCDE"]
    explicit = compare(models, X, M, cv=2, progress=False, schema=encoder)
    pd.testing.assert_frame_equal(
        table.drop(columns=["fit_time", "predict_time"], level=0),
        explicit.drop(columns=["fit_time", "predict_time"], level=0),
    )
    # Fitted on the grouped matrix, a model is also what the metrics follow.
    model = IndependentTaskClassifier(lr(), encoder=encoder).fit(X, M)
    assert task_f1_score(M, model.predict(X), schema=model).index.tolist() == list("ABCDE")


def test_compare_refuses_models_with_different_schemas():
    X, M, groups = _grouped_data()
    other = {"A": [0, 1], "B": [2, 3, 4], "C": [5, 6], "D": list(range(7, 17))}
    with pytest.raises(ValueError, match=r"declare different schemas[\s\S]*'a':[\s\S]*'b':"
                                         r"[\s\S]*Pass schema="):
        compare({"a": IndependentTaskClassifier(lr(), encoder=StructuredLabelEncoder
                                                .from_groups(groups)),
                 "b": IndependentTaskClassifier(lr(), encoder=StructuredLabelEncoder
                                                .from_groups(other))},
                X, M, cv=2, progress=False)


def test_compare_scores_an_indicator_as_multilabel(indicator):
    X, Y, _ = indicator
    table = compare({"independent": IndependentTaskClassifier(lr())}, X, Y, cv=2,
                    progress=False)
    assert "labels f1_macro" in table.columns.get_level_values(0)


@pytest.mark.parametrize("form", ["declared indicator", "binary tasks", "tag lists"])
def test_save_load_keeps_the_form(indicator, form, tmp_path):
    from sklearn_mtl import load, save

    X, Y, _ = indicator
    if form == "tag lists":
        Y = [[f"t{j}" for j in np.flatnonzero(row)] for row in Y]
    tasks = [Task("labels", kind="multilabel")] if form == "declared indicator" else None
    model = IndependentTaskClassifier(lr(), tasks=tasks).fit(X, Y)
    loaded = load(save(model, tmp_path / "m.mtl"))
    expected, got = model.predict(X), loaded.predict(X)
    if form == "tag lists":
        assert [list(g) for g in got] == [list(e) for e in expected]
    else:
        np.testing.assert_array_equal(got, expected)
        assert got.dtype == expected.dtype
    assert task_f1_score(Y, got, schema=loaded).equals(task_f1_score(Y, expected, schema=model))


# ---------------------------------------------------------- a sparse indicator matrix
SPARSE = {"csr_matrix": sp.csr_matrix, "csr_array": sp.csr_array, "csc_matrix": sp.csc_matrix}


@pytest.fixture(scope="module")
def dense_twin(indicator):
    """``dense_twin(name)``: the predictions and score of ``ESTIMATORS[name]`` fitted on
    the dense indicator, fitted once a module for the sparse containers that compare with
    it (only its outputs are handed out: nothing can refit it)."""
    X, Y, _ = indicator
    fitted = {}

    def outputs(name):
        if name not in fitted:
            model = ESTIMATORS[name]().fit(X, Y)  # (in the test: its filters apply)
            fitted[name] = (model.predict(X), model.score(X, Y))
        predicted, score = fitted[name]
        return predicted.copy(), score

    return outputs


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("container", list(SPARSE))
@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_sparse_indicator_in_sparse_indicator_out(indicator, dense_twin, name, container):
    # MultiLabelBinarizer(sparse_output=True) gives Y as a sparse matrix; the estimators
    # read it as its dense twin and predict a sparse CSR matrix (a CSR array for a
    # sparse array), as OneVsRestClassifier does
    X, Y, _ = indicator
    Ys = SPARSE[container](Y)
    before = Ys.copy()
    model = ESTIMATORS[name]().fit(X, Ys)
    P = model.predict(X)
    assert sp.issparse(P) and P.format == "csr" and P.dtype == Y.dtype
    assert isinstance(P, sp.sparray) == isinstance(Ys, sp.sparray)
    dense_predicted, dense_score = dense_twin(name)  # the same estimator fitted on Y
    np.testing.assert_array_equal(P.toarray(), dense_predicted)
    assert model.score(X, Ys) == dense_score
    assert (Ys != before).nnz == 0  # never mutated


def test_sparse_indicator_equals_one_vs_rest(indicator):
    from sklearn.multiclass import OneVsRestClassifier

    X, Y, _ = indicator
    Ys = sp.csr_matrix(Y)
    expected = OneVsRestClassifier(lr()).fit(X, Ys).predict(X)
    got = IndependentTaskClassifier(lr()).fit(X, Ys).predict(X)
    assert type(got) is type(expected)
    np.testing.assert_array_equal(got.toarray(), expected.toarray())


def test_sparse_indicator_metrics_equal_sklearn(indicator):
    _, Y, P = indicator
    Ys, Ps = sp.csr_matrix(Y), sp.csr_array(P)
    for average in ("micro", "macro", "samples"):
        assert task_f1_score(Ys, Ps, average=average)["labels"] == pytest.approx(
            f1_score(Ys, Ps, average=average, zero_division=0)
        )
    np.testing.assert_allclose(label_f1_score(Ys, Ps).to_numpy(), f1_score(Y, P, average=None))
    assert mtl_hamming_loss(Ys, Ps) == pytest.approx(hamming_loss(Ys, Ps))
    assert exact_match_score(Ys, Ps) == pytest.approx(np.mean((Y == P).all(axis=1)))
    np.testing.assert_array_equal(cooccurrence_matrix(Ys).to_numpy(), Y.T @ Y)


def test_sparse_indicator_in_a_grid_search(indicator):
    # (scikit-learn's cross_validate refuses a sparse y itself)
    from sklearn.model_selection import GridSearchCV

    X, Y, _ = indicator
    model = IndependentTaskClassifier(lr())
    grid = {"estimator__C": [0.01, 1.0]}
    search = GridSearchCV(model, grid, cv=3).fit(X, sp.csr_matrix(Y))
    dense = GridSearchCV(model, grid, cv=3).fit(X, Y)
    np.testing.assert_allclose(search.cv_results_["mean_test_score"],
                               dense.cv_results_["mean_test_score"])
    assert sp.issparse(search.predict(X))
    # the project's cross_val_predict gives the sparse form back
    from sklearn_mtl.model_selection import cross_val_predict

    oof = cross_val_predict(model, X, sp.csr_matrix(Y), cv=3)
    assert sp.issparse(oof)
    np.testing.assert_array_equal(oof.toarray(), cross_val_predict(model, X, Y, cv=3))


def test_sparse_indicator_declared_multilabel_groups_and_missing_labels(indicator):
    X, Y, _ = indicator
    # one declared multilabel task: sparse in, sparse out
    declared = IndependentTaskClassifier(lr(), tasks=[Task("labels", kind="multilabel")])
    P = declared.fit(X, sp.csr_matrix(Y)).predict(X)
    assert sp.issparse(P)
    np.testing.assert_array_equal(P.toarray(), declared.fit(X, Y).predict(X))
    # exclusive groups of a multi-hot matrix
    hot = np.zeros((4, 5), dtype=np.int64)
    hot[[0, 1, 2, 3], [0, 1, 0, 1]] = 1
    hot[[0, 1, 2, 3], [2, 3, 4, 2]] = 1
    enc = StructuredLabelEncoder(groups={"a": [0, 1], "b": [2, 3, 4]})
    encoded = enc.fit_transform(sp.csr_array(hot))
    np.testing.assert_array_equal(encoded.codes, enc.fit_transform(hot).codes)
    back = StructuredLabelEncoder(groups={"a": [0, 1], "b": [2, 3, 4]}).fit(
        sp.csr_array(hot)).inverse_transform(encoded)
    assert isinstance(back, sp.csr_array)
    np.testing.assert_array_equal(back.toarray(), hot)
    # an explicit NaN in a float sparse matrix is a missing label
    Yf = sp.csr_matrix(Y.astype(float))
    Yf[0, 1] = np.nan
    codes = StructuredLabelEncoder().fit_transform(Yf).codes
    assert codes[0, 1] == -1 and (codes[1:] >= 0).all()


def test_sparse_indicator_save_load_keeps_the_form(indicator, tmp_path):
    from sklearn_mtl import load, save

    X, Y, _ = indicator
    model = IndependentTaskClassifier(lr()).fit(X, sp.csr_array(Y))
    got = load(save(model, tmp_path / "m.mtl")).predict(X)
    assert isinstance(got, sp.csr_array)
    np.testing.assert_array_equal(got.toarray(), model.predict(X).toarray())


@pytest.mark.filterwarnings("ignore:LabelProductClassifier left out")
@pytest.mark.filterwarnings("ignore:Task 'tag2' has a single class")
@pytest.mark.parametrize("dtype", ["Int64", "UInt8", "Float64", "int64[pyarrow]", "polars"])
def test_a_frame_of_nullable_0_1_numbers_is_an_indicator(indicator, dtype):
    # Int64 columns (read_csv(dtype_backend="numpy_nullable"), a polars column with a null)
    # were no indicator: a label always 0 in the training rows failed ("'tag2' has one
    # class [0]"), where the int64 frame keeps its classes [0, 1]
    X, Y, _ = indicator
    Y = Y.copy()
    Y[:, 2] = 0
    columns = [f"tag{j}" for j in range(6)]
    if dtype == "polars":
        pl = pytest.importorskip("polars")
        frame = pl.DataFrame(Y, schema=columns).with_columns(
            pl.when(pl.int_range(pl.len()) == 0).then(None).otherwise(pl.col("tag4"))
            .alias("tag4")
        )
    else:
        frame = pd.DataFrame(Y, columns=columns).astype(dtype)
        frame.loc[0, "tag4"] = pd.NA
    encoder = StructuredLabelEncoder()
    encoded = encoder.fit_transform(frame)
    assert [t.classes for t in encoder.tasks_] == [[0, 1]] * 6
    assert encoded.codes[:, 2].tolist() == [0] * len(Y) and encoded.codes[0, 4] == -1
    with pytest.warns(UserWarning, match=r"'tag2' has a single class 0"):
        model = IndependentTaskClassifier(lr()).fit(X, frame)
    P = model.predict(X)
    if dtype == "polars":
        assert P.schema == frame.schema
        P = P.to_pandas()
    else:
        assert list(P.dtypes) == list(frame.dtypes) and list(P.columns) == columns
    np.testing.assert_array_equal(P["tag2"].to_numpy(dtype=int), 0)
    assert LabelProductClassifier(lr()).fit(X, frame).predict(X).shape == Y.shape


@pytest.mark.parametrize("Y", [
    [[1, 2], [np.nan], [2]],
    pd.DataFrame({"t": [["a", "b"], ["a", None], ["b"]]}),
])
def test_a_missing_value_inside_a_label_set_is_refused_naming_its_row(Y):
    # a gap is no label: not a class of the task (fillna cannot reach into a set)
    with pytest.raises(ValueError, match=r"has a missing value \((nan|None)\) in the label "
                                         r"set of row 1; .*give \[\] for a row with none"):
        StructuredLabelEncoder().fit(Y)
    declared = StructuredLabelEncoder(tasks=[Task("t", kind="multilabel", classes=["a", "b"])])
    for fit in (declared.fit, declared.fit([["a"], ["b"]]).transform):  # declared, later
        with pytest.raises(ValueError, match=r"has a missing value \(None\) in the label "
                                             r"set of row 1"):
            fit(pd.DataFrame({"t": [["a", "b"], ["a", None], ["b"]]}))


# ------------------------------------------------- drop-in for scikit-learn (session 54)
@pytest.mark.parametrize("frame", [False, True])
def test_compare_takes_sklearns_multilabel_single_output_models(indicator, frame):
    # MLPClassifier and RidgeClassifier fit a 0/1 indicator matrix themselves (their
    # multi_label tag): compare scores them as scikit-learn does, next to ours.
    import warnings

    from sklearn.base import clone
    from sklearn.linear_model import RidgeClassifier
    from sklearn.metrics import accuracy_score
    from sklearn.neural_network import MLPClassifier

    X, Y, _ = indicator
    Y_in = pd.DataFrame(Y, columns=[f"l{j}" for j in range(Y.shape[1])]) if frame else Y
    folds = [(np.arange(40), np.arange(40, 80)), (np.arange(40, 80), np.arange(40))]
    models = {"mlp": MLPClassifier(hidden_layer_sizes=(8,), max_iter=30, random_state=0),
              "ridge": RidgeClassifier()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the small MLP does not converge
        table = compare(models, X, Y_in, cv=folds, progress=False)
        for name, model in models.items():
            expected = np.mean([
                accuracy_score(Y[test], clone(model).fit(X[train], Y[train]).predict(X[test]))
                for train, test in folds
            ])
            assert table.loc[name, ("exact_match", "mean")] == pytest.approx(expected)
    not_indicator = Y.copy()
    not_indicator[0, 0] = 2  # a column of 0/1/2: multiclass, which MLPClassifier refuses
    with pytest.raises(ValueError, match="'mlp' .* predicts a single target"):
        compare({"mlp": models["mlp"]}, X, not_indicator, cv=2, progress=False)


# ------------------------------------- label sets held as arrays (followups, session 57)
def _parquet_like(rows):
    """A column of label sets as ``pd.read_parquet`` reads a list column: 1-D arrays."""
    return pd.Series([np.array(r, dtype=object) for r in rows], dtype=object)


_ARRAY_ROWS = [["x", "y"], [], ["y"], ["x"], ["x", "y"], []]


def test_array_label_sets_score_as_lists_do():
    # pd.read_parquet of a list<string> column gives np.ndarray cells, empty ones too:
    # every metric reads them as the same lists, instead of "truth value ... ambiguous"
    from sklearn_mtl.metrics import hamming_loss as mtl_hamming
    from sklearn_mtl.metrics import label_f1_score

    as_lists = pd.DataFrame({"a": [0, 1, 0, 1, 0, 1], "tags": _ARRAY_ROWS})
    pred_lists = pd.DataFrame({"a": [0, 1, 1, 1, 0, 0],
                               "tags": [["x"], [], ["y"], ["x", "y"], ["x", "y"], ["y"]]})
    as_arrays = as_lists.assign(tags=_parquet_like(as_lists["tags"]))
    pred_arrays = pred_lists.assign(tags=_parquet_like(pred_lists["tags"]))
    for true, pred in [(as_arrays, pred_arrays), (as_arrays, pred_lists),
                       (as_lists, pred_arrays)]:
        assert mtl_hamming(true, pred) == pytest.approx(5 / 18)
        assert exact_match_score(true, pred) == pytest.approx(2 / 6)
        pd.testing.assert_series_equal(label_f1_score(true, pred),
                                       label_f1_score(as_lists, pred_lists))
        pd.testing.assert_frame_equal(cooccurrence_difference(true, pred),
                                      cooccurrence_difference(as_lists, pred_lists))
    pd.testing.assert_frame_equal(cooccurrence_matrix(as_arrays), cooccurrence_matrix(as_lists))
    assert mtl_hamming(as_arrays["tags"].to_numpy(), pred_arrays["tags"].to_numpy()) == (
        pytest.approx(3 / 12))


def test_array_label_sets_through_estimators_and_splitters():
    from sklearn.linear_model import SGDClassifier

    from sklearn_mtl.model_selection import MultiTaskStratifiedKFold, label_indicators

    rng = np.random.RandomState(0)
    rows = [list(rng.choice(["x", "y", "z"], size=rng.randint(0, 3), replace=False))
            for _ in range(30)]
    as_lists = pd.DataFrame({"a": rng.choice(["p", "q"], 30), "tags": rows})
    as_arrays = as_lists.assign(tags=_parquet_like(rows))
    X = rng.randn(30, 3)
    # the splitters read the array column as its labels, not as a label-less one
    np.testing.assert_array_equal(label_indicators(as_arrays), label_indicators(as_lists))
    cv = MultiTaskStratifiedKFold(3, shuffle=True, random_state=0)
    assert [t.tolist() for t, _ in cv.split(X, as_arrays)] == [
        t.tolist() for t, _ in cv.split(X, as_lists)]
    # partial_fit keeps a multilabel task's classes in the given order, as for lists
    model = IndependentTaskClassifier(SGDClassifier(random_state=0))
    model.partial_fit(X, as_arrays, classes={"a": ["p", "q"], "tags": ["z", "x", "y"]})
    assert list(model.schema_["tags"].classes) == ["z", "x", "y"]
    fitted = IndependentTaskClassifier(LogisticRegression()).fit(X, as_arrays)
    expected = IndependentTaskClassifier(LogisticRegression()).fit(X, as_lists)
    assert fitted.score(X, as_arrays) == expected.score(X, as_lists)


def test_array_label_sets_with_groups():
    # StructuredLabelEncoder(groups=...) reads label sets given as a Series, an array of
    # arrays or a list of arrays (a parquet column) as it reads a list of lists
    rows = [["x", "z"], ["y", "w"], ["y", "z"], ["x", "w"]]
    groups = {"g1": ["x", "y"], "g2": ["z", "w"]}
    expected = StructuredLabelEncoder(groups=groups).fit_transform(rows).codes
    arrays = _parquet_like(rows)
    for Y in (pd.Series(rows), arrays, arrays.to_numpy(), list(arrays)):
        enc = StructuredLabelEncoder(groups=groups)
        np.testing.assert_array_equal(enc.fit_transform(Y).codes, expected)
        assert enc.inverse_transform(enc.transform(Y)) == rows


def test_metrics_with_groups_read_label_sets_as_the_encoder_does():
    # a missing row (None) and a frame's column of label sets (a Series, e.g. read from
    # Parquet) fit the encoder, but the metrics given it as schema refused them ("setting
    # an array element with a sequence", "Y_pred has shape (6,)")
    groups = {"g1": ["x", "y"], "g2": ["z", "w"]}
    truth = [["x", "z"], ["y", "w"], None, ["x"], ["y", "z"], []]
    pred = [["x", "z"], ["x", "w"], ["y"], ["x", "y"], None, []]  # row 3: g1 conflict
    enc = StructuredLabelEncoder(groups=groups, missing_groups="mask").fit(truth)
    # of the four labelled rows, row 0 alone matches: row 3's prediction reads as
    # missing in g1 (a conflict), row 4's (None) as missing in both
    assert exact_match_score(truth, pred, schema=enc) == pytest.approx(1 / 4)
    no_gap = [[] if r is None else r for r in truth], [[] if r is None else r for r in pred]
    assert exact_match_score(*no_gap, schema=enc) == pytest.approx(1 / 4)
    def parquet(rows):  # a missing row stays None, as pd.read_parquet gives it
        return pd.Series([None if r is None else np.array(r, dtype=object) for r in rows],
                         dtype=object)

    for Y_true, Y_pred in [(parquet(truth), parquet(pred)),
                           (pd.Series(truth, dtype=object), pred),
                           (list(parquet(truth)), list(parquet(pred)))]:
        assert exact_match_score(Y_true, Y_pred, schema=enc) == pytest.approx(1 / 4)
