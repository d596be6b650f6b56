"""Tests of per-task decoding: independent decisions and the joint decoder."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from sklearn_mtl import IndependentTaskClassifier, JointDecoder, Schema, Task
from sklearn_mtl._decoding import (
    _unique_rows,
    count_combinations,
    decode,
    decode_independent,
    enumerate_combinations,
    observed_combinations,
)
from sklearn_mtl._schema import MISSING, NOT_APPLICABLE

NA = NOT_APPLICABLE


def clf_task(name, classes, gate=None):
    kind = "binary" if len(classes) == 2 else "multiclass"
    return Task(name, kind=kind, classes=classes, gate=gate)


def car_schema():
    return Schema(
        [
            clf_task("car", ["no", "yes"]),
            clf_task("color", ["red", "black", "white", "blue"], gate=("car", "yes")),
            clf_task("body", ["berline", "4x4", "suv", "coupe"], gate=("car", "yes")),
            clf_task("driver", ["no", "yes"], gate=("car", "yes")),
        ]
    )


def random_outputs(schema, n, rng):
    outputs = []
    for task in schema:
        if task.kind == "multilabel":
            outputs.append(rng.uniform(size=(n, len(task.classes))))
        elif task.kind == "regression":
            outputs.append(rng.normal(size=n))
        else:
            p = rng.dirichlet(np.ones(len(task.classes)) * 0.7, size=n)
            outputs.append(p)
    return outputs


def brute_force(outputs, schema, combos):
    """Best combination per sample by explicit products of probabilities."""
    best = []
    for i in range(len(outputs[0])):
        scores = []
        for combo in combos:
            prob = 1.0
            for j, task in enumerate(schema):
                if combo[j] < 0:
                    continue
                if task.kind == "multilabel":
                    p = outputs[j][i]
                    prob *= np.prod(np.maximum(p, 1 - p))
                elif task.is_classification:
                    prob *= outputs[j][i, combo[j]]
            scores.append(prob)
        best.append(combos[int(np.argmax(scores))])
    return np.array(best)


def test_count_and_enumerate_car_example():
    schema = car_schema()
    assert count_combinations(schema) == 1 + 4 * 4 * 2
    combos = enumerate_combinations(schema)
    assert combos.shape == (33, 4)
    assert len(np.unique(combos, axis=0)) == 33
    # no car: every gated task is not applicable
    assert (combos[combos[:, 0] == 0][:, 1:] == NA).all()
    assert (combos[combos[:, 0] == 1][:, 1:] >= 0).all()


def test_joint_gates_hand_computed():
    """Independent argmaxes say car=yes (0.6), color red; joint: 0.6*0.5 < 0.4 says no car."""
    schema = Schema(
        [clf_task("car", ["no", "yes"]), clf_task("color", ["red", "blue"], gate=("car", "yes"))]
    )
    outputs = [np.array([[0.4, 0.6], [0.2, 0.8]]), np.array([[0.5, 0.5], [0.1, 0.9]])]
    independent = decode_independent(outputs, schema).codes
    assert independent.tolist() == [[1, 0], [1, 1]]
    joint = JointDecoder().decode(outputs, schema).codes
    # row 0: yes&red = yes&blue = 0.3 < no = 0.4; row 1: yes&blue = 0.72 > 0.2
    assert joint.tolist() == [[0, NA], [1, 1]]
    assert decode(outputs, schema, method="joint").codes.tolist() == joint.tolist()


def test_joint_turns_unseen_pair_into_most_probable_valid_combination():
    """The car example: color and body each argmax to a pair never seen together."""
    schema = car_schema()
    observed = np.array(
        [
            [0, NA, NA, NA],
            [1, 0, 0, 1],  # red berline, driver
            [1, 3, 1, 1],  # blue 4x4, driver
        ]
    )
    outputs = [
        np.array([[0.2, 0.8]]),
        np.array([[0.5, 0.1, 0.1, 0.3]]),  # red
        np.array([[0.3, 0.6, 0.05, 0.05]]),  # 4x4
        np.array([[0.1, 0.9]]),
    ]
    independent = decode_independent(outputs, schema).codes
    assert independent.tolist() == [[1, 0, 1, 1]]  # red 4x4: never seen
    # candidates: no car 0.2; red berline 0.8*0.5*0.3*0.9 = 0.108;
    # blue 4x4 0.8*0.3*0.6*0.9 = 0.1296 -> no car wins
    got = JointDecoder(allowed="observed").decode(outputs, schema, observed=observed)
    assert got.codes.tolist() == [[0, NA, NA, NA]]
    outputs[0] = np.array([[0.1, 0.9]])  # now blue 4x4: 0.1458 > red berline 0.1215 > 0.1
    got = JointDecoder(allowed="observed").decode(outputs, schema, observed=observed)
    assert got.codes.tolist() == [[1, 3, 1, 1]]


def test_joint_with_zero_probabilities_keeps_the_labels_it_can():
    """A tree's probabilities of exactly 0: where every allowed combination holds an
    impossible label, the one with the fewest wins, by the others' probabilities (each
    scored -inf, the first candidate in the list won)."""
    schema = Schema([clf_task("a", ["a0", "a1", "a2"]), clf_task("b", ["b0", "b1", "b2"])])
    observed = np.array([[0, 0], [1, 1], [2, 1], [1, 2], [0, 1]])
    outputs = [np.array([[0.0, 0.0, 1.0], [0.0, 0.0, 1.0]]),
               np.array([[0.0, 0.0, 1.0], [0.0, 0.4, 0.6]])]
    got = JointDecoder(allowed="observed").decode(outputs, schema, observed=observed)
    # row 0: (a2, b1) and (a1, b2) each keep one certain label, (a2, b1) is listed first
    # among them; row 1: (a2, b1) holds no impossible label
    assert got.codes.tolist() == [[2, 1], [2, 1]]
    outputs[0][0] = [0.0, 0.3, 0.7]  # a1 possible now: (a1, b2) holds no impossible label
    got = JointDecoder(allowed="observed").decode(outputs, schema, observed=observed)
    assert got.codes[0].tolist() == [1, 2]
    # the scores of the combinations stay exact log probabilities
    scores = JointDecoder().score_combinations(outputs, schema, np.array([[0, 0]]))
    assert np.isneginf(scores).all()


def test_forbidden_pair_and_allowed_table():
    schema = Schema([clf_task("a", [0, 1]), clf_task("b", [0, 1])])
    outputs = [np.array([[0.4, 0.6]]), np.array([[0.3, 0.7]])]
    assert decode_independent(outputs, schema).codes.tolist() == [[1, 1]]
    # (0,0)=.12, (0,1)=.28, (1,0)=.18
    got = JointDecoder(forbidden=[(("a", 1), ("b", 1))]).decode(outputs, schema)
    assert got.codes.tolist() == [[0, 1]]
    table = pd.DataFrame({"a": [0, 1], "b": [0, 0]})
    assert JointDecoder(allowed=table).decode(outputs, schema).codes.tolist() == [[1, 0]]


def test_allowed_table_labels_and_gates():
    schema = car_schema()
    table = pd.DataFrame(
        {
            "car": ["no", "yes"],
            "color": [None, "white"],
            "body": [np.nan, "suv"],
            "driver": [None, "no"],
        }
    )
    outputs = random_outputs(schema, 5, np.random.RandomState(0))
    codes = JointDecoder(allowed=table).decode(outputs, schema).codes
    assert {tuple(r) for r in codes.tolist()} <= {(0, NA, NA, NA), (1, 2, 2, 0)}
    bad = table.assign(color=["red", "white"])
    with pytest.raises(ValueError, match="task 'color' has its gate off"):
        JointDecoder(allowed=bad).decode(outputs, schema)
    with pytest.raises(ValueError, match="'purple', which is not among its classes"):
        JointDecoder(allowed=table.assign(color=[None, "purple"])).decode(outputs, schema)
    with pytest.raises(ValueError, match="no column for task 'driver'"):
        JointDecoder(allowed=table.drop(columns="driver")).decode(outputs, schema)


@pytest.mark.parametrize("seed", range(4))
def test_tree_search_is_exact(seed):
    rng = np.random.RandomState(seed)
    schema = Schema(
        [
            clf_task("a", ["x", "y", "z"]),
            clf_task("b", [0, 1], gate=("a", {"y", "z"})),
            clf_task("c", ["p", "q", "r"], gate=("b", 1)),
            Task("d", kind="multilabel", classes=["l1", "l2"], gate=("a", "x")),
            Task("e", kind="regression"),
            clf_task("f", [0, 1]),
        ]
    )
    outputs = random_outputs(schema, 30, rng)
    got = JointDecoder().decode(outputs, schema)
    expected = brute_force(outputs, schema, enumerate_combinations(schema))
    assert (got.codes == expected).all()
    # multilabel labels: thresholded where the task is on, masked where it is off
    on = got.codes[:, 3] >= 0
    assert (got.multilabel["d"][on] == (outputs[3][on] > 0.5)).all()
    assert (got.multilabel["d"][~on] == MISSING).all()
    np.testing.assert_allclose(got.regression["e"], outputs[4])


@pytest.mark.parametrize("seed", range(3))
def test_enumeration_and_beam_agree_with_brute_force(seed):
    rng = np.random.RandomState(seed)
    schema = car_schema()
    outputs = random_outputs(schema, 25, rng)
    forbidden = [(("color", "red"), ("body", "4x4")), (("color", "blue"), ("driver", "yes"))]
    combos = [
        c
        for c in enumerate_combinations(schema)
        if not (c[1] == 0 and c[2] == 1) and not (c[1] == 3 and c[3] == 1)
    ]
    expected = brute_force(outputs, schema, combos)
    exact = JointDecoder(forbidden=forbidden).decode(outputs, schema).codes
    assert (exact == expected).all()
    beam = JointDecoder(forbidden=forbidden, max_combinations=1, beam_width=40)
    assert (beam.decode(outputs, schema).codes == expected).all()
    # a narrow beam still returns valid combinations
    narrow = JointDecoder(forbidden=forbidden, max_combinations=1, beam_width=2)
    codes = narrow.decode(outputs, schema).codes
    assert not ((codes[:, 1] == 0) & (codes[:, 2] == 1)).any()
    assert not ((codes[:, 1] == 3) & (codes[:, 3] == 1)).any()


def test_observed_combinations_skip_rows_with_missing_labels():
    schema = car_schema()
    from sklearn_mtl._encoder import EncodedLabels

    codes = np.array(
        [[0, NA, NA, NA], [1, 0, 0, 1], [1, 0, 0, 1], [1, MISSING, 2, 0], [MISSING, 0, 1, 1]]
    )
    observed = observed_combinations(EncodedLabels(codes, {}, {}, schema))
    assert observed.tolist() == [[0, NA, NA, NA], [1, 0, 0, 1]]


def test_observed_through_an_estimator():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 3))
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] > 0]).astype(int)
    Y[Y[:, 0] == 1, 1] = 0  # (1, 1) is never seen
    clf = IndependentTaskClassifier(LogisticRegression(), decode=JointDecoder(allowed="observed"))
    pred = clf.fit(X, Y).predict(rng.normal(size=(200, 3)) * 3)
    assert not ((pred[:, 0] == 1) & (pred[:, 1] == 1)).any()
    assert sorted(map(tuple, clf.observed_combinations_.tolist())) == [(0, 0), (0, 1), (1, 0)]


def test_errors():
    schema = car_schema()
    outputs = random_outputs(schema, 3, np.random.RandomState(0))
    with pytest.raises(ValueError, match="needs the label combinations seen in training"):
        JointDecoder(allowed="observed").decode(outputs, schema)
    with pytest.raises(ValueError, match="allowed must be None, 'observed' or a DataFrame"):
        JointDecoder(allowed="seen").decode(outputs, schema)
    with pytest.raises(ValueError, match="beam_width must be a positive int"):
        JointDecoder(beam_width=0).decode(outputs, schema)
    with pytest.raises(ValueError, match="'green', which is not among its classes"):
        JointDecoder(forbidden=[(("color", "green"), ("car", "yes"))]).decode(outputs, schema)
    with pytest.raises(ValueError, match=r"forbidden pair .*: Unknown task 'wheels'"):
        JointDecoder(forbidden=[(("wheels", 4), ("car", "yes"))]).decode(outputs, schema)
    with pytest.raises(ValueError, match="Task 'color' has outputs of shape"):
        JointDecoder().decode([outputs[0], outputs[0], outputs[2], outputs[3]], schema)
    with pytest.raises(ValueError, match="Unknown decode method"):
        decode(outputs, schema, method="greedy")


@pytest.mark.parametrize(
    "shape, low, high",
    [((1000, 3), -2, 5), ((50, 1), 0, 2), ((3000, 4), -2, 200), ((10, 2), -2, -1),
     ((200, 40), -2, 3)],  # bincount, sorted keys, and the row sort beyond int64 keys
)
def test_unique_rows_equals_numpy(shape, low, high):
    codes = np.random.default_rng(0).integers(low, high, size=shape)
    rows = _unique_rows(codes)
    expected = np.unique(codes, axis=0)
    np.testing.assert_array_equal(rows, expected)
    assert rows.dtype == expected.dtype
    rows, counts = _unique_rows(codes, return_counts=True)
    expected, expected_counts = np.unique(codes, axis=0, return_counts=True)
    np.testing.assert_array_equal(rows, expected)
    np.testing.assert_array_equal(counts, expected_counts)


@pytest.mark.parametrize("decoder, size", [
    (JointDecoder(), 33),  # gates only: every valid combination, 1 + 4 x 4 x 2
    # a forbidden pair: red 4x4, with a driver or without
    (JointDecoder(forbidden=[(("color", "red"), ("body", "4x4"))]), 31),
    (JointDecoder(allowed="observed"), 11),  # every third valid combination
])
def test_candidates_are_the_set_decode_takes_its_argmax_over(decoder, size):
    # (the ONNX export scores exactly this set: its argmax is decode's codes)
    schema = car_schema()
    rng = np.random.RandomState(0)
    outputs = random_outputs(schema, 200, rng)
    observed = enumerate_combinations(schema)[::3]
    combos = decoder.candidates(schema, observed)
    assert len(combos) == size
    expected = decoder.decode(outputs, schema, observed=observed).codes
    np.testing.assert_array_equal(brute_force(outputs, schema, combos), expected)


def test_candidates_none_beyond_the_limit():
    schema = Schema([clf_task(f"t{j}", ["a", "b"]) for j in range(13)])  # 8192
    assert JointDecoder().candidates(schema) is None
    assert len(JointDecoder().candidates(schema, max_combinations=10_000)) == 8192


def test_predict_log_proba_keeps_regression_values():
    # predict_log_proba takes the log of probabilities only: a regression task's entry
    # is its predicted values, as in predict_proba (their log was NaN below 0)
    from sklearn_mtl import MultiTaskClassifier

    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3)).astype("float32")
    Y = pd.DataFrame({"c": np.where(X[:, 0] > 0, "a", "b"), "r": X[:, 1] - 5.0})
    model = MultiTaskClassifier(
        tasks=[Task("c"), Task("r", kind="regression")], hidden_layer_sizes=(4,),
        ensemble_size=1, max_epochs=2, random_state=0,
    ).fit(X, Y)
    proba = model.predict_proba(X[:5])
    log = model.predict_log_proba(X[:5])
    np.testing.assert_array_equal(log[0], np.log(proba[0]))
    np.testing.assert_array_equal(log[1], proba[1])
    assert (log[1] < 0).all()
    np.testing.assert_array_equal(model.predict_log_proba(X[:5], task="r"), proba[1])


def _reference_unseen_mass(encoded):
    """Good–Turing mass by its definition, row by row (rows with labels missing count as
    seen where some complete row agrees with every label they have)."""
    codes = encoded.codes
    complete = codes[(codes != MISSING).all(axis=1)]
    seen = {}
    for row in map(tuple, complete.tolist()):
        seen[row] = seen.get(row, 0) + 1
    unseen = sum(count == 1 for count in seen.values())
    rows = len(complete)
    for row in codes[~(codes != MISSING).all(axis=1) & (codes != MISSING).any(axis=1)]:
        known = row != MISSING
        unseen += not ((complete[:, known] == row[known]).all(axis=1)).any()
        rows += 1
    return unseen / rows


@pytest.mark.parametrize("seed", range(6))
def test_unseen_combination_mass_matches_its_definition_with_scattered_gaps(seed):
    from sklearn_mtl import StructuredLabelEncoder
    from sklearn_mtl._decoding import unseen_combination_mass

    rng = np.random.RandomState(seed)
    Y = rng.randint(0, 3, size=(300, 5)).astype(float)
    Y[:, 0] = Y[:, 0] > 0  # a binary task beside multiclass ones
    Y[rng.uniform(size=Y.shape) < 0.15] = np.nan
    encoded = StructuredLabelEncoder().fit_transform(Y)
    assert 0 < unseen_combination_mass(encoded) < 1
    assert unseen_combination_mass(encoded) == pytest.approx(_reference_unseen_mass(encoded))


def test_unseen_mass_of_many_tasks_with_labels_missing_at_random_matches_its_definition():
    # 30 tasks with 2% of labels missing at random: the partly annotated rows miss dozens
    # of different sets of tasks (each pattern its own group); the mass is the
    # row-by-row definition's, whatever the chunks the complete rows are matched in
    from sklearn_mtl import StructuredLabelEncoder
    from sklearn_mtl._decoding import _agrees_with_some, unseen_combination_mass

    rng = np.random.RandomState(0)
    Y = (rng.uniform(size=(400, 30)) < 0.02).astype(float)
    Y[rng.uniform(size=Y.shape) < 0.02] = np.nan
    encoded = StructuredLabelEncoder().fit_transform(Y)
    codes = encoded.codes
    partial = (codes == MISSING).any(axis=1)
    patterns = {tuple(row) for row in (codes[partial] == MISSING).tolist()}
    assert len(patterns) > 60 and partial.sum() > 150
    mass = unseen_combination_mass(encoded)
    assert 0 < mass < 1
    assert mass == pytest.approx(_reference_unseen_mass(encoded), abs=1e-12)
    complete = codes[~partial]
    part = codes[partial]
    known = part != MISSING
    expected = [(complete[:, k] == row[k]).all(axis=1).any() for row, k in zip(part, known)]
    for chunk_bytes in (1, 7, 1 << 24):
        np.testing.assert_array_equal(
            _agrees_with_some(part, known, complete, chunk_bytes=chunk_bytes), expected
        )


def test_cooccurrence_of_an_int8_indicator_matrix_is_exact_int64_counts():
    # counted in floating point (numpy's integer matmul has no BLAS) and returned as the
    # exact integer counts Y.T @ Y; the normalized forms divide by the known pairs
    from sklearn_mtl.metrics import cooccurrence_matrix

    rng = np.random.RandomState(0)
    Y = (rng.uniform(size=(500, 40)) < 0.05).astype(np.int8)
    counts = cooccurrence_matrix(Y).to_numpy()
    assert counts.dtype == np.int64
    np.testing.assert_array_equal(counts, Y.T.astype(np.int64) @ Y.astype(np.int64))
    i, j = 3, 17  # one entry by its definition: the rows where both labels are on
    assert counts[i, j] == sum(1 for row in Y if row[i] and row[j])
    Y = Y.astype(float)
    Y[rng.uniform(size=Y.shape) < 0.1] = np.nan
    known = ~np.isnan(Y)
    on = np.nan_to_num(Y)
    row = cooccurrence_matrix(Y, normalize="row").to_numpy()
    np.testing.assert_allclose(row, (on.T @ on) / (on.T @ known))
    both = cooccurrence_matrix(Y, normalize="all").to_numpy()
    np.testing.assert_allclose(both, (on.T @ on) / (known.T @ known.astype(float)))


def _dense_iterative_stratification(L, n_splits):
    """Iterative stratification without shuffling, on a dense 0/1 matrix, as written in
    Sechidis et al. (2011): the rarest label still to place first, each of its samples
    in order to the fold that lacks it most (ties: the fold lacking the most samples,
    then the first), the samples without a label last."""
    L = np.asarray(L, dtype=np.int64)
    n = len(L)
    desired_fold = np.full(n_splits, n / n_splits)
    remaining = L.sum(axis=0).astype(float)
    desired_label = np.outer(np.full(n_splits, 1.0 / n_splits), remaining)
    folds = np.full(n, -1)

    def first_lacking(candidates):
        need = desired_fold[candidates]
        return candidates[need == need.max()][0]

    def place(i, fold):
        folds[i] = fold
        desired_fold[fold] -= 1
        desired_label[fold] -= L[i]
        remaining[:] -= L[i]

    while (remaining > 0).any():
        label = np.where(remaining > 0, remaining, np.inf).argmin()
        for i in np.flatnonzero((L[:, label] == 1) & (folds < 0)):
            need = desired_label[:, label]
            place(i, first_lacking(np.flatnonzero(need == need.max())))
    for i in np.flatnonzero(folds < 0):
        place(i, first_lacking(np.arange(n_splits)))
    return folds


def test_stratified_folds_of_tasks_of_many_classes_are_those_of_the_dense_algorithm():
    # 3 tasks of 40 classes: 120 label columns, placed from sparse rows and columns;
    # the folds are those of the dense computation, and every class is spread evenly
    from sklearn_mtl.model_selection import MultiTaskStratifiedKFold, iterative_stratification

    rng = np.random.RandomState(0)
    Y = rng.randint(0, 40, size=(600, 3))
    Y[:, 2] += 100  # classes of their own, to tell the tasks' columns apart
    L = np.concatenate([Y[:, [t]] == np.unique(Y[:, t]) for t in range(3)], axis=1)
    expected = _dense_iterative_stratification(L, 5)
    folds = [test for _, test in MultiTaskStratifiedKFold(5).split(np.zeros((600, 1)), Y)]
    assert [sorted(test) for test in folds] == [
        np.flatnonzero(expected == k).tolist() for k in range(5)
    ]
    np.testing.assert_array_equal(iterative_stratification(L, 5), expected)
    per_fold = np.stack([L[expected == k].sum(axis=0) for k in range(5)])
    assert (np.abs(per_fold - L.sum(axis=0) / 5) <= 4).all()
    assert all(117 <= len(test) <= 123 for test in folds)
    shuffled = [test for _, test in MultiTaskStratifiedKFold(
        5, shuffle=True, random_state=0).split(np.zeros((600, 1)), Y)]
    assert sorted(np.concatenate(shuffled).tolist()) == list(range(600))
    assert all(110 <= len(test) <= 130 for test in shuffled)
    # by hand: the rarest label first (label 1, then 0, then 2), each of its samples to
    # the fold that lacks it most, ties to the fold that lacks the most samples, then
    # the first; the sample without a label last
    labels = np.array([[1, 0, 1], [1, 1, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0], [0, 0, 0]])
    assert iterative_stratification(labels, 2).tolist() == [1, 0, 1, 0, 0, 1]
    assert iterative_stratification(labels.astype(bool), 2).tolist() == [1, 0, 1, 0, 0, 1]
    assert _dense_iterative_stratification(labels, 2).tolist() == [1, 0, 1, 0, 0, 1]


def test_count_combinations_of_a_parent_gating_children_on_half_its_classes():
    # each child's gate codes are read once, not once per class of the parent
    classes = [f"c{i}" for i in range(40)]
    schema = Schema(
        [clf_task("p", classes)]
        + [clf_task(f"child{j}", ["n", "y"], gate=("p", set(classes[::2]))) for j in range(3)]
    )
    assert count_combinations(schema) == 20 * 2**3 + 20 == len(enumerate_combinations(schema))
    small = Schema(
        [clf_task("p", ["a", "b", "c"]), clf_task("q", ["x", "y"], gate=("p", {"a", "c"})),
         clf_task("r", ["u", "v", "w"], gate=("q", "y")), clf_task("s", ["m", "n"])]
    )
    assert count_combinations(small) == len(enumerate_combinations(small)) == (1 + 2 * 4) * 2
    assert isinstance(count_combinations(small), int)


def test_decoding_over_observed_combinations_of_many_tasks_matches_brute_force():
    # each combination scored over all its tasks at once (not each task's (n, C) columns
    # in turn), as MultiTaskClassifier's observed decoding and the combination probe's
    # held-out choice score them
    rng = np.random.RandomState(0)
    n, n_tasks, n_combos = 50, 20, 80
    schema = Schema([clf_task(f"t{j}", [0, 1]) for j in range(n_tasks - 2)]
                    + [clf_task("m", ["a", "b", "c"]),
                       Task("tags", kind="multilabel", classes=["x", "y"])])
    outputs = random_outputs(schema, n, rng)
    observed = (rng.uniform(size=(n_combos, n_tasks)) < 0.1).astype(np.int64)
    observed[:, -2] = rng.randint(0, 3, n_combos)
    observed[:, -1] = 0
    codes = JointDecoder(allowed="observed").decode(outputs, schema, observed=observed).codes
    np.testing.assert_array_equal(codes[:, :-1], brute_force(outputs, schema, observed)[:, :-1])
    # a probability of exactly 0 (not floored, as combination_scores reads them) scores
    # -inf for the combinations that take it, and no NaN for the others
    from sklearn_mtl.neural._combinations import combination_scores

    outputs[0][:5] = [1.0, 0.0]
    scores = combination_scores([o[:5] for o in outputs], schema, observed)
    assert not np.isnan(scores).any()
    assert np.isneginf(scores[:, observed[:, 0] == 1]).all()
    assert np.isfinite(scores[:, observed[:, 0] == 0]).all()


def test_beam_search_over_tasks_of_many_classes_finds_the_exact_answer_in_any_chunks():
    # the beam keeps only the kept candidates' codes, in chunks of samples
    from sklearn_mtl._decoding import _beam_search, _forbidden_codes, _log_factors

    rng = np.random.RandomState(0)
    k, n = 30, 60
    # c and d first: the beam keeps all their combinations, then the two best values
    # of a for the best of them, so that it finds the exact answer here
    schema = Schema([clf_task("c", [0, 1]), clf_task("d", [0, 1], gate=("c", 1)),
                     clf_task("a", list(range(k))), clf_task("b", list(range(k)))])
    outputs = random_outputs(schema, n, rng)
    forbidden = [(("a", 0), ("b", 0)), (("c", 1), ("d", 1))]
    # make the forbidden pair the best one of a few samples (b's second best clear)
    outputs[2][:5] = np.r_[0.85, np.full(k - 1, 0.15 / (k - 1))]
    outputs[3][:5] = np.r_[0.85, 0.1, np.full(k - 2, 0.05 / (k - 2))]
    codes = JointDecoder(forbidden=forbidden).decode(outputs, schema).codes
    # the exact answer: the best of a and b apart, unless that pair is forbidden
    logp = [np.log(o) for o in outputs]
    pair = logp[2][:, :, None] + logp[3][:, None, :]
    pair[:, 0, 0] = -np.inf
    best_ab = pair.reshape(len(pair), -1).argmax(axis=1)
    assert (best_ab[:5] != 0).all()
    np.testing.assert_array_equal(codes[:, 2], best_ab // k)
    np.testing.assert_array_equal(codes[:, 3], best_ab % k)
    cd = np.stack([logp[0][:, 0], logp[0][:, 1] + logp[1][:, 0]], axis=1)  # d = 1 forbidden
    np.testing.assert_array_equal(codes[:, 0], cd.argmax(axis=1))
    np.testing.assert_array_equal(codes[:, 1], np.where(cd.argmax(axis=1) == 1, 0, NA))
    fb = _forbidden_codes(forbidden, schema)
    logp_, onscore = _log_factors(outputs, schema, floor=True)
    for width in (1, 3):  # chunks of one sample give the same beams as one chunk
        np.testing.assert_array_equal(
            _beam_search(logp_, onscore, schema, fb, n, width, chunk_cells=1),
            _beam_search(logp_, onscore, schema, fb, n, width),
        )


def test_an_unknown_label_of_a_task_of_thousands_of_classes_gives_a_short_error():
    # the message listed all 5,000 classes (30,000 characters)
    from sklearn_mtl import StructuredLabelEncoder

    enc = StructuredLabelEncoder().fit(pd.DataFrame({"a": np.arange(5000)}))
    with pytest.raises(ValueError) as info:
        enc.transform(pd.DataFrame({"a": [99999]}))
    message = str(info.value)
    assert message == (
        "Task 'a' got label 99999 in row 0, which is not among its classes [0, 1, 2, 3, 4, "
        "5, 6, 7, 8, 9, 10, 11, 12, 13, 14, ..., 4996, 4997, 4998, 4999] (5000 in all)."
    )
    tags = StructuredLabelEncoder(tasks=[Task("t", kind="multilabel")])
    tags.fit([[f"tag{i}" for i in range(100)]])
    with pytest.raises(ValueError, match=r"among its labels \['tag0', .*, 'tag99'\] "
                                         r"\(100 in all\)\.$"):
        tags.transform([["new"]])
    schema = Schema([clf_task("a", list(range(3000)))])
    with pytest.raises(ValueError, match=r"label -1, which is not among its classes "
                                         r"\[0, 1, .*, 2999\] \(3000 in all\)\.$"):
        JointDecoder(allowed=pd.DataFrame({"a": [-1]})).decode([np.ones((1, 3000))], schema)


def _float32_neighbours():
    """Two adjacent float32 probabilities and the float64 threshold halfway between
    them, which float32 rounds (to even) onto the upper one."""
    low = np.float32(0.3)
    high = np.nextafter(low, np.float32(1))
    mid = (np.float64(low) + np.float64(high)) / 2
    if np.float32(mid) != high:
        low, high = high, np.nextafter(high, np.float32(1))
        mid = (np.float64(low) + np.float64(high)) / 2
    assert np.float32(mid) == high
    return low, high, mid


def test_a_threshold_decides_by_its_value_not_its_type():
    # a Python float was compared with the float32 probabilities in float32 (NumPy's
    # promotion), a NumPy float or an array in float64: a threshold halfway between two
    # float32 probabilities (as the tuner picks them) rounded onto the upper one and
    # turned its label off for a Python float only
    low, high, mid = _float32_neighbours()
    schema = Schema([clf_task("b", [0, 1]), Task("m", kind="multilabel", classes=["x", "y"])])
    outputs = [np.array([[1 - high, high], [1 - low, low]], dtype=np.float32),
               np.array([[high, low], [low, high]], dtype=np.float32)]
    for thr in (mid, float(mid), np.array(mid)):
        encoded = decode_independent(outputs, schema, thresholds={"b": thr, "m": thr})
        assert encoded.codes[:, 0].tolist() == [1, 0]
        assert encoded.multilabel["m"].tolist() == [[1, 0], [0, 1]]
    encoded = decode_independent(outputs, schema, thresholds={"m": [float(mid), 0.9]})
    assert encoded.multilabel["m"].tolist() == [[1, 0], [0, 0]]


def test_a_tuned_binary_threshold_decides_predict_as_the_probabilities_compare():
    # the tuner keeps a binary task's threshold as a Python float, which predict compared
    # with the network's float32 probabilities in float32
    from sklearn_mtl import MultiTaskClassifier, TaskThresholdTuner

    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 2))
    Y = pd.DataFrame({"b": (X[:, 0] > 0).astype(int), "c": (X[:, 1] > 0).astype(int)})
    model = MultiTaskClassifier(hidden_layer_sizes=(4,), max_epochs=1, decode="independent",
                                random_state=0).fit(X, Y)
    tuner = TaskThresholdTuner(model, cv="prefit").fit(X, Y)
    p = tuner.predict_proba(X, task="b")[:, 1]
    assert p.dtype == np.float32
    # a quarter of float32's spacing below p[0]: float32 rounds it onto p[0]
    thr = np.float64(p[0]) - (np.float64(p[0]) - np.nextafter(p[0], np.float32(0))) / 4
    assert np.float32(thr) == p[0]
    tuner.thresholds_ = {"b": float(thr), "c": 0.5}
    np.testing.assert_array_equal(tuner.predict(X)["b"].to_numpy(), (p > thr).astype(int))
    assert tuner.predict(X)["b"].iloc[0] == 1


@pytest.mark.parametrize(
    "thresholds, message",
    [
        ({"nope": 0.3}, r"thresholds gives task 'nope', which is not a task; the tasks are "
                        r"\['b', 'k', 'm'\]\."),
        ({"k": 0.3}, r"thresholds gives multiclass task 'k' a threshold; only binary tasks"),
        ({"b": np.nan}, r"The threshold of task 'b' is NaN; expected a number\."),
        # (it said "is NaN" of None)
        ({"b": None}, r"The threshold of task 'b' must be a number; got None\."),
        ({"b": [0.2, 0.3]}, r"The threshold of task 'b' must be a number; got an array of "
                            r"shape \(2,\)\."),
        ({"b": "0.3"}, r"The threshold of task 'b' must be a number; got '0.3'\."),
        ({"m": [0.1, 0.2, 0.3]}, r"The threshold of task 'm' must be a number or an array "
                                 r"of 2 numbers, one per label \['x', 'y'\]; got an array "
                                 r"of shape \(3,\)\."),
        ({"m": {"x": 0.1}}, r"task 'm' must be a number or an array of 2 numbers, one per "
                            r"label \['x', 'y'\]; got \{'x': 0.1\}\."),
        # NumPy's bools and bools or text in an array, as True and "0.3" alone (they
        # were read as 1.0, 0.0 and numbers)
        ({"b": np.True_}, r"The threshold of task 'b' must be a number; got np\.True_\."),
        ({"m": np.array([True, False])}, r"task 'm' must be a number or an array of 2 "
                                         r"numbers, one per label \['x', 'y'\]; got array"),
        ({"m": ["0.1", "0.2"]}, r"task 'm' must be a number or an array of 2 numbers, one "
                                r"per label \['x', 'y'\]; got \['0.1', '0.2'\]\."),
        ({"m": [0.1, True]}, r"task 'm' must be .*; got \[0.1, True\]\."),
    ],
)
def test_thresholds_that_decide_nothing_are_refused_naming_the_task(thresholds, message):
    # a threshold of an unknown or multiclass task was ignored, a NaN one turned every
    # label off, a wrong-length array failed in NumPy's broadcasting
    schema = Schema([clf_task("b", [0, 1]), clf_task("k", ["p", "q", "r"]),
                     Task("m", kind="multilabel", classes=["x", "y"])])
    outputs = [np.full((2, 2), 0.5), np.full((2, 3), 1 / 3), np.full((2, 2), 0.5)]
    with pytest.raises(ValueError, match=message):
        decode_independent(outputs, schema, thresholds=thresholds)


def test_an_array_of_allowed_combinations_is_refused_with_the_expected_forms():
    # an array was compared with "observed": NumPy's "truth value ... is ambiguous"
    schema = Schema([clf_task("a", [0, 1]), clf_task("b", [0, 1])])
    with pytest.raises(ValueError, match=r"allowed must be None, 'observed' or a DataFrame"):
        JointDecoder(allowed=np.array([[0, 1], [1, 0]])).decode(
            [np.full((1, 2), 0.5)] * 2, schema)


@pytest.mark.parametrize(
    "decoder, message",
    [
        (JointDecoder(allowed="observd"), r"allowed must be None, 'observed' or a DataFrame"),
        (JointDecoder(beam_width=0), r"beam_width must be a positive int; got 0\."),
        (JointDecoder(forbidden=[(("b", "w"), ("a", 1))]),
         r"gives task 'b' the label 'w', which is not among its classes \['u', 'v'\]\."),
        (JointDecoder(allowed=pd.DataFrame({"a": [1]})), r"no column for task 'b'"),
    ],
)
def test_a_joint_decoder_that_cannot_decode_is_refused_by_fit(decoder, message):
    # it was accepted by fit, and refused only by the first predict, after training
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 2))
    Y = pd.DataFrame({"a": (X[:, 0] > 0).astype(int), "b": np.where(X[:, 1] > 0, "u", "v")})
    model = IndependentTaskClassifier(LogisticRegression(), decode=decoder)
    with pytest.raises(ValueError, match=message):
        model.fit(X, Y)
    assert not hasattr(model, "estimators_")


def test_forbidden_pairs_read_once_only_are_refused():
    # a generator of pairs was used up by the first decode: the next decoded as if no
    # pair were forbidden
    schema = Schema([clf_task("a", [0, 1]), clf_task("b", [0, 1])])
    outputs = [np.array([[0.1, 0.9]]), np.array([[0.2, 0.8]])]
    decoder = JointDecoder(forbidden=(p for p in [(("a", 1), ("b", 1))]))
    with pytest.raises(TypeError, match=r"forbidden must be a list of pairs .*; got a "
                                        r"generator, which can be read once only\."):
        decoder.decode(outputs, schema)
    decoder.set_params(forbidden=[(("a", 1), ("b", 1))])
    for _ in range(2):
        assert decoder.decode(outputs, schema).codes.tolist() == [[1, 0]]


@pytest.mark.parametrize(
    "thresholds, message",
    [
        ({"c": 0.3}, r"thresholds gives multiclass task 'c' a threshold"),
        ({"b": float("nan")}, r"The threshold of task 'b' is NaN"),
        ({"zz": 0.2}, r"thresholds gives task 'zz', which is not a task"),
    ],
)
def test_export_refuses_the_thresholds_that_predict_refuses(thresholds, message):
    # predict refused them, export_onnx wrote a graph with them (a NaN threshold switched
    # every label off, a multiclass task's was dropped): the graph decided otherwise
    pytest.importorskip("skl2onnx")
    from sklearn_mtl import TaskThresholdTuner, export_onnx

    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3)).astype(np.float32)
    Y = pd.DataFrame({"a": np.where(X[:, 0] > 0, "p", "q"), "b": (X[:, 1] > 0).astype(int),
                      "c": rng.choice(["x", "y", "z"], 60)})
    tuner = TaskThresholdTuner(IndependentTaskClassifier(LogisticRegression()), cv=3)
    tuner.fit(X, Y)
    tuner.thresholds_ = thresholds
    with pytest.raises(ValueError, match=message):
        tuner.predict(X[:2])
    with pytest.raises(ValueError, match=message):
        export_onnx(tuner, X_sample=X[:1])


def test_allowed_table_may_be_a_polars_frame():
    # a polars table was refused as "must be ... a DataFrame of allowed combinations;
    # got shape: (2, 2) ..." (a DataFrame): it reads as its pandas copy, null where a
    # gate is off as None
    pl = pytest.importorskip("polars")
    schema = Schema([Task("car", kind="binary", classes=[0, 1]),
                     Task("color", kind="binary", classes=["red", "blue"], gate=("car", 1))])
    outputs = [np.array([[0.55, 0.45], [0.1, 0.9]]), np.array([[0.95, 0.05], [0.2, 0.8]])]
    table = {"car": [0, 1], "color": [None, "blue"]}
    expected = JointDecoder(pd.DataFrame(table)).decode(outputs, schema).codes
    np.testing.assert_array_equal(expected, [[0, NOT_APPLICABLE], [1, 1]])
    decoded = JointDecoder(pl.DataFrame(table)).decode(outputs, schema)
    np.testing.assert_array_equal(decoded.codes, expected)
    np.testing.assert_array_equal(
        JointDecoder(pl.DataFrame(table)).candidates(schema),
        JointDecoder(pd.DataFrame(table)).candidates(schema))
    # a gate on without a label is refused as in a pandas table
    with pytest.raises(ValueError, match="task 'car' has its gate on, so expected a label"):
        JointDecoder(pl.DataFrame({"car": [None], "color": [None]})).decode(outputs, schema)
    # read at fit as well, through an estimator's decode
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3))
    Y = pd.DataFrame({"y1": ["p", "q", "p", "q"] * 10, "y2": ["r", "r", "s", "s"] * 10})
    allowed = {"y1": ["p", "q"], "y2": ["r", "s"]}
    by_pandas = IndependentTaskClassifier(
        LogisticRegression(), decode=JointDecoder(pd.DataFrame(allowed))).fit(X, Y)
    by_polars = IndependentTaskClassifier(
        LogisticRegression(), decode=JointDecoder(pl.DataFrame(allowed))).fit(X, Y)
    pd.testing.assert_frame_equal(by_polars.predict(X), by_pandas.predict(X))
    with pytest.raises(ValueError, match="got LazyFrame"):
        JointDecoder(pl.DataFrame(table).lazy()).decode(outputs, schema)


@pytest.mark.parametrize("column, values, kind", [
    ("tags", [["x"], ["x", "y"]], "multilabel"),
    ("price", [1.0, 2.5], "regression"),
])
def test_an_allowed_table_column_for_a_task_it_cannot_restrict_is_refused(column, values, kind):
    # such a column was read as no restriction: predict gave combinations the table does
    # not list, without a word
    schema = Schema([Task("car", kind="binary", classes=[0, 1]),
                     Task("tags", kind="multilabel", classes=["x", "y"]),
                     Task("price", kind="regression")])
    outputs = [np.array([[0.2, 0.8]]), np.array([[0.9, 0.1]]), np.array([7.0])]
    codes = JointDecoder(pd.DataFrame({"car": [0]})).decode(outputs, schema).codes
    np.testing.assert_array_equal(codes[:, 0], [0])
    table = pd.DataFrame({"car": [0, 1], column: values})
    message = (rf"column\(s\) for task\(s\) '{column}' \({kind}\) that a table cannot "
               r"restrict: it holds one column per binary or multiclass task \['car'\]")
    with pytest.raises(ValueError, match=message):
        JointDecoder(table).decode(outputs, schema)
    with pytest.raises(ValueError, match=message):
        JointDecoder(table).candidates(schema)


@pytest.mark.parametrize("decoder, rows, message", [
    (JointDecoder(pd.DataFrame({"a": pd.Series([], dtype=object), "b": pd.Series([], dtype=int)})),
     None, r"allowed table has no row, so there is no combination to predict"),
    (JointDecoder(pd.DataFrame({"a": ["u"], "b": [1]}), forbidden=[(("a", "u"), ("b", 1))]),
     None, r"every combination of the allowed table, 1 in all, contains one of the forbidden"),
    (JointDecoder("observed", forbidden=[(("a", "u"), ("a", "u")), (("a", "v"), ("a", "v"))]),
     None, r"every observed combination, 4 in all, contains one of the forbidden pairs"),
    (JointDecoder(forbidden=[(("b", 0), ("b", 0)), (("b", 1), ("b", 1))]),
     None, r"every valid combination \(respecting the gates\), 4 in all, contains one"),
    (JointDecoder("observed"), "missing", r"No fully annotated training row"),
    (JointDecoder("observed"), "weight", r"No fully annotated training row"),
])
def test_a_decoder_left_with_nothing_to_predict_is_refused_by_fit(decoder, rows, message):
    # fit accepted these, and every predict after training failed ("No allowed combination
    # is left once forbidden pairs are removed", also where no pair was forbidden)
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 2))
    Y = pd.DataFrame({"a": np.where(X[:, 0] > 0, "u", "v"), "b": (X[:, 1] > 0).astype(int)})
    weight = None
    if rows == "missing":  # each row lacks one label: no combination is observed
        Y = Y.astype(object)
        Y.loc[::2, "a"] = None
        Y.loc[1::2, "b"] = None
    elif rows == "weight":  # the fully annotated rows weigh nothing
        Y = Y.astype(object)
        Y.loc[:9, "a"] = None
        Y.loc[10:19, "b"] = None
        weight = np.where(np.arange(40) < 20, 1.0, 0.0)
    model = IndependentTaskClassifier(LogisticRegression(), decode=decoder)
    with pytest.raises(ValueError, match=message):
        model.fit(X, Y, sample_weight=weight)


def test_score_combinations_refuses_codes_that_are_no_combination_of_the_tasks():
    # a gated-off task given a value was scored as if it could be predicted, a code past
    # a task's classes failed with an IndexError
    schema = Schema([Task("a", kind="binary", classes=["n", "y"]),
                     Task("b", kind="multiclass", classes=["u", "v", "w"], gate=("a", "y"))])
    outputs = [np.array([[0.3, 0.7]]), np.array([[0.2, 0.5, 0.3]])]
    decoder = JointDecoder()
    scores = decoder.score_combinations(outputs, schema, [[1, 1], [0, NOT_APPLICABLE]])
    np.testing.assert_allclose(scores, np.log([[0.7 * 0.5, 0.3]]))
    with pytest.raises(ValueError, match=r"Combination 0 gives task 'b' the code 1; "
                       r"expected NOT_APPLICABLE \(-2\), its gate being off"):
        decoder.score_combinations(outputs, schema, [[0, 1]])
    with pytest.raises(ValueError, match=r"Combination 1 gives task 'b' the code 5; "
                       r"expected a code in 0..2"):
        decoder.score_combinations(outputs, schema, [[0, NOT_APPLICABLE], [1, 5]])
    with pytest.raises(ValueError, match=r"integer codes of shape \(n_combinations, 2\)"):
        decoder.score_combinations(outputs, schema, [[1, 1, 0]])


def test_thresholds_set_by_hand_read_a_series_by_label_and_a_column_label_as_its_task():
    # a Series of a multilabel task's thresholds in another order than its classes gave
    # each label another's threshold (read by position); the 0 of pd.DataFrame(Y), which
    # predict_proba(task=0) takes, was "not a task"
    from sklearn_mtl import TaskThresholdTuner

    X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]] * 5)
    tags = [{"a", "c"}, {"b"}, {"a", "b", "c"}, set()] * 5
    tuner = TaskThresholdTuner(IndependentTaskClassifier(LogisticRegression()), cv=2)
    tuner.fit(X, pd.DataFrame({"tags": tags}))
    assert list(tuner.classes_[0]) == ["a", "b", "c"]
    proba = tuner.predict_proba(X[:4], task="tags")
    tuner.thresholds_ = {"tags": pd.Series({"c": 1.0, "a": 0.0, "b": 0.5})}
    expected = np.column_stack([proba[:, 0] > 0.0, proba[:, 1] > 0.5, proba[:, 2] > 1.0])
    np.testing.assert_array_equal(tuner.predict_encoded(X[:4]).multilabel["tags"], expected)
    tuner.thresholds_ = {"tags": pd.Series([0.0, 0.5, 1.0])}  # a range index: by position
    np.testing.assert_array_equal(tuner.predict_encoded(X[:4]).multilabel["tags"], expected)
    tuner.thresholds_ = {"tags": pd.Series({"a": 0.0, "b": 0.5, "d": 1.0})}
    with pytest.raises(ValueError, match=r"got a Series indexed by \['a', 'b', 'd'\]"):
        tuner.predict(X)

    Y = pd.DataFrame(np.column_stack([X[:, 0], X[:, 1]]).astype(int))
    tuner.fit(X, Y)
    assert sorted(tuner.thresholds_) == ["0", "1"]
    proba = tuner.predict_proba(X[:4], task=0)[:, 1]
    tuner.thresholds_ = {0: 1.0, 1: 0.0}
    pred = tuner.predict(X[:4])
    np.testing.assert_array_equal(pred[0], np.zeros(4, dtype=int))
    np.testing.assert_array_equal(pred[1], np.ones(4, dtype=int))
    assert proba.max() < 1.0
    tuner.thresholds_ = {"0": 0.5, 0: 1.0}
    with pytest.raises(ValueError, match=r"gives task '0' twice, as '0' and as 0"):
        tuner.predict(X)


def test_a_series_of_thresholds_indexed_by_positions_that_are_no_range_index_is_read():
    # pd.Series(t, index=[0, 1, 2]) (an Index, not a RangeIndex) was refused as "indexed
    # by [0, 1, 2]. Index it ... (or by position from 0)", where np.asarray had read it;
    # positions in another order (a Series sorted by value) are read by position label
    from sklearn_mtl import TaskThresholdTuner

    X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]] * 5)
    tags = [{"a", "c"}, {"b"}, {"a", "b", "c"}, set()] * 5
    tuner = TaskThresholdTuner(IndependentTaskClassifier(LogisticRegression()), cv=2)
    tuner.fit(X, pd.DataFrame({"tags": tags}))
    proba = tuner.predict_proba(X[:4], task="tags")
    expected = np.column_stack([proba[:, 0] > 0.0, proba[:, 1] > 0.5, proba[:, 2] > 1.0])
    for value in (pd.Series([0.0, 0.5, 1.0], index=[0, 1, 2]),
                  pd.Series([0.0, 0.5, 1.0], index=np.arange(3, dtype=np.int32)),
                  pd.Series([0.0, 0.5, 1.0]).sort_values(ascending=False)):
        tuner.thresholds_ = {"tags": value}
        np.testing.assert_array_equal(tuner.predict_encoded(X[:4]).multilabel["tags"],
                                      expected)
    tuner.thresholds_ = {"tags": pd.Series([0.0, 0.5, 1.0], index=[1, 2, 3])}
    with pytest.raises(ValueError, match=r"got a Series indexed by \[1, 2, 3\]"):
        tuner.predict(X)
