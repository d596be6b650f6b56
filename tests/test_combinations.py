"""The combination probe: its fit (scikit-learn's logistic regression), the choice of its
weight on held-out folds, decoding with it, and ``decode="auto"`` using it."""

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.linear_model import LogisticRegression

import sklearn_mtl
from sklearn_mtl import JointDecoder, MultiTaskClassifier, Task
from sklearn_mtl._schema import Schema
from sklearn_mtl.neural import _combinations
from sklearn_mtl.neural._combinations import (
    best_combinations,
    choose_decoding,
    combination_index,
    combination_scores,
    decoding_error,
    fit_probes,
    held_out_probe,
)


def test_combination_index_exact_values():
    observed = np.array([[0, 1], [1, 0], [1, 1]])
    codes = np.array([[1, 1], [0, 1], [0, 0], [1, -1]])
    assert combination_index(codes, observed).tolist() == [2, 0, -1, -1]


def test_probe_is_scikit_learns_logistic_regression(monkeypatch):
    monkeypatch.setattr(_combinations, "_LBFGS_STEPS", 500)  # to convergence
    rng = np.random.RandomState(0)
    features = rng.normal(size=(2, 60, 3)).astype(np.float32)
    target = rng.randint(0, 3, size=60)
    target[::10] = -1  # rows outside the observed combinations train nothing
    folds = np.arange(60) % 2
    weight, bias = fit_probes(torch.from_numpy(features), target, folds, 3)
    for m in range(2):
        rows = (folds != m) & (target >= 0)
        lr = LogisticRegression(C=1.0, tol=1e-10, max_iter=10_000).fit(
            features[m, rows], target[rows])
        mine = torch.softmax(torch.from_numpy(features[m]) @ weight[m] + bias[m], 1).numpy()
        np.testing.assert_allclose(mine, lr.predict_proba(features[m]), atol=1e-3)
    own = held_out_probe(torch.from_numpy(features), weight, bias, folds)
    expected = torch.log_softmax(torch.from_numpy(features[1, 1]) @ weight[1] + bias[1], 0)
    np.testing.assert_allclose(own[1], expected.numpy(), rtol=1e-5)  # row 1: member 1


def test_weighted_probe_is_scikit_learns_weighted_logistic_regression(monkeypatch):
    """sample_weight reaches the probe as it reaches LogisticRegression (the probe read
    every sample alike: the labels of samples of weight 0 moved it)."""
    monkeypatch.setattr(_combinations, "_LBFGS_STEPS", 500)  # to convergence
    rng = np.random.RandomState(0)
    features = rng.normal(size=(2, 60, 3)).astype(np.float32)
    target = rng.randint(0, 3, size=60)
    folds = np.arange(60) % 2
    w = rng.choice([0.0, 0.5, 3.0], size=60)
    weight, bias = fit_probes(torch.from_numpy(features), target, folds, 3, sample_weight=w)
    for m in range(2):
        rows = folds != m
        lr = LogisticRegression(C=1.0, tol=1e-10, max_iter=10_000).fit(
            features[m, rows], target[rows], sample_weight=w[rows])
        mine = torch.softmax(torch.from_numpy(features[m]) @ weight[m] + bias[m], 1).numpy()
        np.testing.assert_allclose(mine, lr.predict_proba(features[m]), atol=1e-3)
    target[w == 0] = (target[w == 0] + 1) % 3  # other labels where the weight is 0
    again = fit_probes(torch.from_numpy(features), target, folds, 3, sample_weight=w)
    torch.testing.assert_close(again[0], weight)


def test_probe_loss_in_chunks_is_the_whole_loss(monkeypatch):
    """The gradient summed chunk by chunk (bounded memory) gives the same probe."""
    rng = np.random.RandomState(0)
    features = torch.from_numpy(rng.normal(size=(3, 90, 4)).astype(np.float32))
    target = rng.randint(-1, 5, size=90)
    folds = np.arange(90) % 4 - 1  # fold -1: trained on by every member
    whole = fit_probes(features, target, folds, 5)
    monkeypatch.setattr(_combinations, "_CHUNK_ELEMENTS", 3 * 5 * 7)  # 7 rows a chunk
    chunked = fit_probes(features, target, folds, 5)
    for a, b in zip(whole, chunked):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-5)


def test_probe_reads_a_seeded_sample_bounded_by_cells(monkeypatch):
    rng = np.random.RandomState(0)
    features = torch.from_numpy(rng.normal(size=(2, 120, 3)).astype(np.float32))
    target, folds = rng.randint(0, 4, size=120), np.arange(120) % 2
    monkeypatch.setattr(_combinations, "MAX_PROBE_CELLS", 4 * 50)
    assert _combinations.probe_rows(4) == 50
    sampled = fit_probes(features, target, folds, 4, seed=3)
    keep = np.sort(np.random.RandomState(3).permutation(120)[:50])
    by_hand = fit_probes(features[:, keep], target[keep], folds[keep], 4)
    for a, b in zip(sampled, by_hand):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.array_equal(fit_probes(features, target, folds, 4, seed=4)[0].numpy(),
                              sampled[0].numpy())


def _schema():
    return Schema([Task("a", kind="binary", classes=[0, 1]),
                   Task("b", kind="binary", classes=[0, 1])])


def test_decoding_with_weight_zero_is_observed_decoding_and_the_probe_moves_it():
    schema = _schema()
    observed = np.array([[0, 0], [0, 1], [1, 1]])
    rng = np.random.RandomState(1)
    p = rng.uniform(size=(50, 2))
    outputs = [np.c_[1 - p[:, 0], p[:, 0]], np.c_[1 - p[:, 1], p[:, 1]]]
    joint = np.log(rng.dirichlet(np.ones(3), size=50))
    plain = JointDecoder(allowed="observed").decode(outputs, schema, observed=observed)
    np.testing.assert_array_equal(
        observed[best_combinations(outputs, schema, observed, joint, 0.0)], plain.codes)
    strong = best_combinations(outputs, schema, observed, joint * 1e3, 1.0)
    np.testing.assert_array_equal(strong, joint.argmax(1))


def _agreeing_labels(second_head):
    """Twenty samples whose two labels agree ((0, 0) and (1, 1) in turn), heads that say
    nothing of the first label and ``second_head`` of the second, and a probe that puts
    0.9 on the truth: (schema, observed, truth, outputs, task scores, probe scores)."""
    schema = _schema()
    observed = np.array([[0, 0], [1, 1], [0, 1], [1, 0]])
    truth = np.array([[0, 0], [1, 1]] * 10)
    outputs = [np.tile([0.5, 0.5], (20, 1)), np.tile(second_head, (20, 1))]
    tasks = combination_scores(outputs, schema, observed)
    right = np.log(np.where(np.arange(4) == np.where(truth[:, :1] == 0, 0, 1), 0.9, 0.1 / 3))
    return schema, observed, truth, outputs, tasks, right


def test_weight_chosen_by_held_out_errors():
    # the task heads are indifferent, with a slight lean to (0, 1)
    _, observed, truth, _, tasks, right = _agreeing_labels([0.49, 0.51])
    assert choose_decoding(tasks, right, observed, truth) == ("observed", 0.5)  # the smallest
    assert choose_decoding(tasks, np.zeros((20, 4)), observed, truth) == ("observed", 0.0)
    assert choose_decoding(tasks, right[::-1], observed, truth) == ("observed", 0.0)  # worse
    # Task by task, the first candidate where given: kept unless beaten. Answers (0, 1)
    # (never the truth) lose to the observed decoding's (1, 1) (half the samples right);
    # answers (1, 1) tie with it and are kept; the truth itself beats even the probe.
    assert choose_decoding(tasks, np.zeros((20, 4)), observed, truth,
                           np.tile([0, 1], (20, 1))) == ("observed", 0.0)
    assert choose_decoding(tasks, right, observed, truth,
                           np.tile([0, 1], (20, 1))) == ("observed", 0.5)
    assert choose_decoding(tasks, np.zeros((20, 4)), observed, truth,
                           np.tile([1, 1], (20, 1))) == ("independent", 0.0)
    assert choose_decoding(tasks, right, observed, truth, truth) == ("independent", 0.0)


def test_large_weight_lets_the_probe_overrule_confident_task_heads():
    # the second head says 1 with 0.999 for every sample: (0, 0) scores log 0.5 + log
    # 0.001 = -7.6 against (0, 1)'s -0.69; the probe's 0.9 on the truth against 0.1 / 3
    # (a log ratio of 3.3) overrules that margin of 6.9 only with a weight above 2.1
    schema, observed, truth, outputs, tasks, right = _agreeing_labels([0.001, 0.999])
    for a in (1.0, 2.0):
        pred = observed[best_combinations(outputs, schema, observed, right, a)]
        assert (pred == truth).all(1).mean() == 0.5
    assert _combinations.PROBE_WEIGHTS[-1] == 8.0
    assert choose_decoding(tasks, right, observed, truth) == ("observed", 8.0)


def test_decoding_error_exact_values():
    truth = np.array([[0, 1], [1, -1], [2, 0], [0, 0]])
    pred = np.array([[0, 1], [0, 1], [2, 1], [0, 0]])
    # exact: samples 1 and 2 wrong of 4; tasks: 1 of 4 and 1 of 3 wrong
    assert decoding_error(pred, truth) == pytest.approx(0.5 + (0.25 + 1 / 3) / 2)
    weights = np.array([1.0, 0.0, 1.0, 2.0])  # sample 1 does not count
    assert decoding_error(pred, truth, weights) == pytest.approx(0.25 + (0.0 + 0.25) / 2)


def dependent_tasks(n=400, seed=0):
    """Two tasks that agree where x0 > 0 and disagree elsewhere, each a coin flip alone."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 4))
    a = rng.randint(0, 2, size=n)
    b = np.where(X[:, 0] > 0, a, 1 - a)
    return X, pd.DataFrame({"a": a, "b": b})


@pytest.fixture(scope="module")
def probed():
    X, Y = dependent_tasks()
    est = MultiTaskClassifier(hidden_layer_sizes=(32,), max_epochs=20, random_state=0)
    return est.fit(X, Y), X, Y


def test_auto_decoding_uses_the_probe_where_tasks_depend(probed):
    est, X, Y = probed
    X_test, Y_test = dependent_tasks(200, 1)
    assert est.combination_weight_ > 0 and est._probe_weight.shape[:2] == (8, 32)
    plain = MultiTaskClassifier(hidden_layer_sizes=(32,), max_epochs=20, random_state=0,
                                decode=JointDecoder(allowed="observed")).fit(X, Y)
    assert plain.combination_weight_ == 0.0  # an explicit decoder wins
    exact = (est.predict(X_test) == Y_test).all(axis=1).mean()
    assert exact > (plain.predict(X_test) == Y_test).all(axis=1).mean() + 0.15  # 0.44, 0.25
    for a, b in zip(est.predict_proba(X_test), plain.predict_proba(X_test)):
        np.testing.assert_array_equal(a, b)  # the per-task probabilities are the network's


def test_warm_start_and_partial_fit_add_the_combinations_they_see():
    """Decoding over the observed combinations reads those of every fit (it kept the
    first fit's: a warm start on other combinations could not predict its own)."""
    tasks = [Task("t1", classes=["a", "b"]), Task("t2", classes=["x", "y"])]
    X = np.random.RandomState(0).normal(size=(8, 2))
    first = pd.DataFrame({"t1": ["a", "b"] * 4, "t2": ["x", "y"] * 4})
    other = pd.DataFrame({"t1": ["a", "b"] * 4, "t2": ["y", "x"] * 4})
    params = dict(tasks=tasks, hidden_layer_sizes=(4,), max_epochs=1, random_state=0)
    est = MultiTaskClassifier(**params).fit(X, first)
    assert est.observed_combinations_.tolist() == [[0, 0], [1, 1]]
    est.set_params(warm_start=True).fit(X, other)
    assert est.observed_combinations_.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    streamed = MultiTaskClassifier(**params).partial_fit(X, first)
    streamed.partial_fit(X[:2], other[:2])
    assert streamed.observed_combinations_.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]


def test_round_trip_partial_fit_and_same_seed(probed, tmp_path):
    est, X, Y = probed
    X_test, _ = dependent_tasks(50, 2)
    sklearn_mtl.save(est, tmp_path / "m.mtl")
    loaded = sklearn_mtl.load(tmp_path / "m.mtl")
    pd.testing.assert_frame_equal(loaded.predict(X_test), est.predict(X_test))
    again = MultiTaskClassifier(hidden_layer_sizes=(32,), max_epochs=20, random_state=0)
    pd.testing.assert_frame_equal(again.fit(X, Y).predict(X_test), est.predict(X_test))
    streamed = MultiTaskClassifier(hidden_layer_sizes=(32,), random_state=0).partial_fit(X, Y)
    assert streamed.combination_weight_ == 0.0 and streamed._probe_weight is None


def test_warm_start_refits_the_probe_on_the_continued_network(probed):
    est, X, Y = probed
    more = MultiTaskClassifier(hidden_layer_sizes=(32,), max_epochs=20, random_state=0,
                               warm_start=True).fit(X, Y)
    first = more._probe_weight.copy() if more._probe_weight is not None else None
    more.fit(X, Y)  # 20 more epochs: new features, a new probe chosen on them
    assert more.combination_weight_ in _combinations.PROBE_WEIGHTS
    if more.combination_weight_ > 0 and first is not None:
        assert not np.array_equal(more._probe_weight, first)
    X_test, Y_test = dependent_tasks(100, 3)
    assert (more.predict(X_test) == Y_test).all(axis=1).mean() > 0.35


def many_combinations(n=300, seed=0):
    """Twelve binary labels, each from its own feature: most combinations occur once."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 12))
    Y = pd.DataFrame((X + 0.8 * rng.normal(size=X.shape) > 0).astype(int),
                     columns=[f"l{j}" for j in range(12)])
    return X, Y


@pytest.mark.parametrize("choice", [("independent", 0.0), ("observed", 0.0)])
def test_held_out_choice_sets_the_decoding_where_new_combinations_are_expected(
        choice, monkeypatch):
    # unseen_combination_mass_ above the rule's 0.05: "auto" would decode task by task;
    # the held-out choice decides, and predict follows it.
    X, Y = many_combinations()
    seen = {}

    def chosen(*args, **kwargs):
        seen["independent"] = args[4]
        return choice

    monkeypatch.setattr("sklearn_mtl._multitask.choose_decoding", chosen)
    params = dict(hidden_layer_sizes=(16,), max_epochs=5, random_state=0)
    est = MultiTaskClassifier(**params).fit(X, Y)
    assert est.unseen_combination_mass_ > 0.05
    assert seen["independent"].shape == (len(X), 12)  # task by task was a candidate
    decode = "independent" if choice[0] == "independent" else JointDecoder(allowed="observed")
    same = MultiTaskClassifier(decode=decode, **params).fit(X, Y)
    pd.testing.assert_frame_equal(est.predict(X), same.predict(X))
    assert est.combination_weight_ == 0.0


def test_real_choice_on_many_combinations_is_one_of_the_candidates(tmp_path):
    X, Y = many_combinations()
    est = MultiTaskClassifier(hidden_layer_sizes=(16,), max_epochs=5, random_state=0).fit(X, Y)
    assert est._held_out_decoding in ("independent", "observed")
    sklearn_mtl.save(est, tmp_path / "m.mtl")
    loaded = sklearn_mtl.load(tmp_path / "m.mtl")
    pd.testing.assert_frame_equal(loaded.predict(X), est.predict(X))


def test_choice_without_a_probe_is_the_choice_at_weight_zero():
    observed = np.array([[0, 0], [0, 1], [1, 1]])
    truth = np.array([[0, 1], [1, 1], [0, 0]])
    task_scores = np.log(np.array([[0.2, 0.5, 0.3], [0.1, 0.3, 0.6], [0.5, 0.4, 0.1]]))
    # a probe that only misleads: the held-out folds leave its weight at 0
    probe = np.log(np.array([[0.8, 0.1, 0.1], [0.8, 0.1, 0.1], [0.1, 0.1, 0.8]]))
    assert choose_decoding(task_scores, probe, observed, truth) == ("observed", 0.0)
    assert choose_decoding(task_scores, None, observed, truth) == ("observed", 0.0)
    independent = np.array([[0, 0], [1, 0], [0, 0]])  # 2 task errors, 2 rows wrong
    for scores in (probe, None):
        assert choose_decoding(task_scores, scores, observed, truth,
                               independent) == ("observed", 0.0)
    independent = truth.copy()
    for scores in (probe, None):
        assert choose_decoding(task_scores, scores, observed, truth,
                               independent) == ("independent", 0.0)


def test_no_probe_over_too_many_combinations(monkeypatch):
    """Labels that rarely repeat: past ``MAX_PROBE_COMBINATIONS`` the probe (whose cost
    grows with the combinations) is not fitted, and the held-out choice between deciding
    task by task and decoding over the observed combinations is the one it makes where
    the probe's weight is 0."""
    X, Y = many_combinations()
    params = dict(hidden_layer_sizes=(16,), max_epochs=5, random_state=0)
    probed = MultiTaskClassifier(**params).fit(X, Y)
    n_combinations = len(probed.observed_combinations_)
    assert n_combinations == 292 and probed.combination_weight_ == 2.0
    with monkeypatch.context() as patch:  # the probe fitted, its weight held at 0
        patch.setattr(_combinations, "PROBE_WEIGHTS", (0.0,))
        probed = MultiTaskClassifier(**params).fit(X, Y)

    def no_probe(*args, **kwargs):
        raise AssertionError("the probe was fitted")

    monkeypatch.setattr("sklearn_mtl._multitask.fit_probes", no_probe)
    monkeypatch.setattr("sklearn_mtl._multitask.MAX_PROBE_COMBINATIONS", n_combinations - 1)
    est = MultiTaskClassifier(**params).fit(X, Y)
    assert est.combination_weight_ == 0.0 and est._probe_weight is None
    assert est._held_out_decoding == probed._held_out_decoding
    pd.testing.assert_frame_equal(est.predict(X), probed.predict(X))
    monkeypatch.setattr("sklearn_mtl._multitask.MAX_PROBE_COMBINATIONS", n_combinations)
    with pytest.raises(AssertionError, match="the probe was fitted"):
        MultiTaskClassifier(**params).fit(X, Y)  # at the bound, the probe is fitted


def test_probe_decoding_scores_a_zero_probability_as_plain_observed_decoding_does():
    # every observed combination holds a label of probability 0 (a neighbour vote, an
    # underflowed softmax): the one with the fewest wins, as JointDecoder floors them,
    # not the first observed one (-inf everywhere, whose argmax is 0)
    schema = Schema([Task(name, kind="binary", classes=[0, 1]) for name in "abc"])
    observed = np.array([[0, 0, 0], [1, 1, 0]])
    outputs = [np.array([[0.0, 1.0]], dtype=np.float32)] * 3
    plain = JointDecoder(allowed="observed").decode(outputs, schema, observed=observed)
    assert plain.codes.tolist() == [[1, 1, 0]]
    for weight in (0.0, 0.5):
        best = best_combinations(outputs, schema, observed, np.log([[0.5, 0.5]]), weight)
        assert best.tolist() == [1]
    scores = combination_scores(outputs, schema, observed, floor=True)
    assert np.isfinite(scores).all() and scores[0, 1] > scores[0, 0]
