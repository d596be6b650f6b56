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
