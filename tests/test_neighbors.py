"""Neighbour blending: votes, the nearest-sample search, the choice on held-out folds, and
the estimator's ``neighbors`` parameter."""

import copy
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch

import sklearn_mtl
from sklearn_mtl import MultiTaskClassifier
from sklearn_mtl.neural import _neighbors
from sklearn_mtl.neural._ensemble import held_out_pass
from sklearn_mtl.neural._neighbors import nearest, select_blend, votes


def lookup_table(n_keys=30, repeats=6, seed=0):
    """Labels that are a lookup: each of ``n_keys`` points carries random labels, and its
    near-repeats carry the same ones. Returns train and test parts (a repeat each)."""
    rng = np.random.RandomState(seed)
    keys = rng.normal(size=(n_keys, 4)) * 3
    colour = rng.choice(["red", "green", "blue", "grey", "black"], size=n_keys)
    size = rng.choice(["s", "m", "l"], size=n_keys)
    which = np.repeat(np.arange(n_keys), repeats)
    X = keys[which] + rng.normal(scale=0.05, size=(len(which), 4))
    Y = pd.DataFrame({"colour": colour[which], "size": size[which]})
    test = np.arange(len(which)) % repeats == 0
    return X[~test], Y[~test].reset_index(drop=True), X[test], Y[test].reset_index(drop=True)


def small_net(**params):
    params = {"neighbors": "auto", **params}
    return MultiTaskClassifier(hidden_layer_sizes=(16,), max_epochs=6, random_state=0, **params)


# ---------------------------------------------------------------- the parts
def test_votes_exact_values_and_masked_neighbours():
    codes = torch.tensor([0, 1, -1, 1, -2])
    index = torch.tensor([[0, 1, 2], [2, 3, 0], [2, 4, 0]])
    shares, has = votes(codes, index, 2, n_classes=2)
    np.testing.assert_allclose(shares.numpy(), [[0.5, 0.5], [0.0, 1.0], [0.0, 0.0]])
    assert has.tolist() == [True, True, False]  # masked neighbours do not vote
    shares, has = votes(codes, index, 3, n_classes=3)
    np.testing.assert_allclose(shares.numpy(), [[0.5, 0.5, 0], [0.5, 0.5, 0], [1, 0, 0]])
    assert has.all()


def test_nearest_matches_brute_force_in_chunks(monkeypatch):
    gen = torch.Generator().manual_seed(0)
    queries, keys = torch.randn(37, 5, generator=gen), torch.randn(23, 5, generator=gen)
    expected = np.argsort(((queries[:, None] - keys[None]) ** 2).sum(-1).numpy(), 1)[:, :4]
    monkeypatch.setattr(_neighbors, "_CHUNK_ELEMENTS", 50)  # two queries at a time
    got = nearest(queries, keys, 4).numpy()
    np.testing.assert_array_equal(np.sort(got, 1), np.sort(expected, 1))
    assert nearest(queries, keys[:2], 4).shape == (37, 2)  # never more than the keys


class _Identity(torch.nn.Module):
    """Two members whose features are the input itself."""

    n_members = 2

    def forward(self, x):
        return x.unsqueeze(0).expand(2, *x.shape)


class _Uniform(torch.nn.Module):
    """Heads that know nothing: equal logits for two classes."""

    def forward(self, z):
        return [torch.zeros(z.shape[0] * z.shape[1], 2)]


def _choose(X, codes, folds, kinds=("multiclass",)):
    module = SimpleNamespace(trunk=_Identity(), heads=_Uniform(), eval=lambda: None)
    feats, held_out = held_out_pass(module, X, folds, list(kinds), 3, "cpu")
    return select_blend(feats, held_out, codes[:, None], list(kinds), [2], folds, None)


def test_choice_scores_each_sample_with_the_other_folds_only():
    # Samples come in identical pairs, one of each pair in each fold.
    X = np.repeat(np.arange(20, dtype=np.float32) * 10, 2)[:, None]
    folds = np.tile([0, 1], 20)
    # The twin carries the same label: the nearest sample of the other fold is right,
    # and the blend fixes the 20 samples of class 1 the network gets wrong.
    counts, weights = _choose(X, np.repeat(np.arange(20) % 2, 2), folds)
    assert counts.tolist() == [1] and weights.tolist() == [0.25]  # ties: the smallest weight
    # Fold 0 is all class 0, fold 1 all class 1: every held-out vote is wrong, so the
    # network alone is kept. Were a sample its own neighbour, one vote would be right.
    counts, weights = _choose(X, np.tile([0, 1], 20), folds)
    assert weights.tolist() == [0.0]


def test_a_sample_no_member_held_out_only_votes():
    # Fold -1 (the samples of members dropped after training, see input_view_): each
    # member trained on them, so they vote for every member's held-out samples and are
    # never scored. Each sample of fold 0 has a twin of fold -1 with its label.
    X = np.repeat(np.arange(20, dtype=np.float32) * 10, 2)[:, None]
    counts, weights = _choose(X, np.repeat(np.arange(20) % 2, 2), np.tile([0, -1], 20))
    assert counts.tolist() == [1] and weights.tolist() == [0.25]


def test_choice_skips_tasks_without_labels_or_votes():
    X = np.arange(6, dtype=np.float32)[:, None]
    counts, weights = _choose(X, np.full(6, -1), np.tile([0, 1], 3))
    assert weights.tolist() == [0.0]
    counts, weights = _choose(X, np.zeros(6, dtype=int), np.tile([0, 1], 3), ["regression"])
    assert weights.tolist() == [0.0]


# ---------------------------------------------------------------- the estimator
@pytest.fixture(scope="module")
def lookup_fits():
    X, Y, X_test, Y_test = lookup_table()
    return (small_net().fit(X, Y), small_net(neighbors=None).fit(X, Y), X, Y, X_test, Y_test)


def test_lookup_table_blends_and_gains(lookup_fits):
    blended, alone, X, Y, X_test, Y_test = lookup_fits
    assert (blended.neighbor_weights_ > 0).all() and (blended.neighbor_counts_ >= 1).all()
    assert alone.neighbor_weights_.tolist() == [0.0, 0.0] and alone._neighbor_X is None
    # training is untouched: the same network
    for a, b in zip(blended.net_.module_.state_dict().values(),
                    alone.net_.module_.state_dict().values()):
        torch.testing.assert_close(a, b)
    exact = (blended.predict(X_test) == Y_test).all(axis=1).mean()
    assert exact > (alone.predict(X_test) == Y_test).all(axis=1).mean()
    for proba in blended.predict_proba(X_test):
        np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-6)


def test_zero_weights_give_the_network_alone(lookup_fits):
    blended, alone, X, Y, X_test, Y_test = lookup_fits
    zeroed = copy.deepcopy(blended)
    zeroed.neighbor_weights_ = np.zeros(2)
    for a, b in zip(zeroed.predict_proba(X_test), alone.predict_proba(X_test)):
        np.testing.assert_array_equal(a, b)


def test_samples_of_weight_zero_do_not_vote():
    """A sample of weight 0 is absent, as in scikit-learn: its labels neither vote nor
    choose the blend (they moved the chosen weight and the probabilities)."""
    X, Y, X_test, _ = lookup_table()
    rng = np.random.RandomState(5)
    extra = rng.choice(len(X), 60, replace=False)
    X2 = np.vstack([X, X[extra]])
    Y_a = pd.concat([Y, Y.iloc[extra]], ignore_index=True)
    Y_b = Y_a.copy()
    Y_b.loc[len(X):, "colour"] = rng.choice(["red", "green", "blue", "grey", "black"], 60)
    w = np.r_[np.ones(len(X)), np.zeros(60)]
    a = small_net(lookup=None, decode="independent").fit(X2, Y_a, sample_weight=w)
    b = small_net(lookup=None, decode="independent").fit(X2, Y_b, sample_weight=w)
    np.testing.assert_array_equal(a.neighbor_weights_, b.neighbor_weights_)
    for p, q in zip(a.predict_proba(X_test), b.predict_proba(X_test)):
        np.testing.assert_array_equal(p, q)


def test_round_trip_and_same_seed_same_predictions(lookup_fits, tmp_path):
    blended, alone, X, Y, X_test, Y_test = lookup_fits
    sklearn_mtl.save(blended, tmp_path / "m.mtl")
    loaded = sklearn_mtl.load(tmp_path / "m.mtl")
    np.testing.assert_array_equal(loaded.neighbor_weights_, blended.neighbor_weights_)
    for a, b in zip(loaded.predict_proba(X_test), blended.predict_proba(X_test)):
        np.testing.assert_array_equal(a, b)
    again = small_net().fit(X, Y)
    for a, b in zip(again.predict_proba(X_test), blended.predict_proba(X_test)):
        np.testing.assert_array_equal(a, b)


def test_user_data_untouched_and_keys_are_a_copy(lookup_fits):
    blended, alone, X, Y, X_test, Y_test = lookup_fits
    before = X_test.copy()
    blended.predict(X_test)
    np.testing.assert_array_equal(X_test, before)
    assert not np.shares_memory(blended._neighbor_X, X)


def test_partial_fit_leaves_the_network_alone():
    X, Y, X_test, _ = lookup_table()
    est = small_net().partial_fit(X, Y)
    assert est.neighbor_weights_.tolist() == [0.0, 0.0] and est._neighbor_X is None


def test_one_network_and_bad_values():
    X, Y, _, _ = lookup_table(n_keys=10)
    est = small_net(ensemble_size=1).fit(X, Y)  # no held-out folds to choose on
    assert est.neighbor_weights_.tolist() == [0.0, 0.0]
    with pytest.raises(ValueError, match="'neighbors' parameter of MultiTaskClassifier must be"):
        small_net(neighbors="yes").fit(X, Y)


def test_export_refuses_a_blend(lookup_fits):
    pytest.importorskip("onnx")
    from sklearn_mtl import export_onnx
    from sklearn_mtl._export import OnnxExportError

    blended, alone, X, Y, X_test, Y_test = lookup_fits
    with pytest.raises(OnnxExportError, match="neighbors=None"):
        export_onnx(blended, X_sample=X_test)


def test_samples_of_weight_zero_are_no_ones_neighbours():
    """A sample of weight 0 is absent, wherever it lies: it took the place of one of the
    nearest voters (the query's own copy, of weight 0, left 1 of 3 votes unlabelled),
    and where it lay moved the chosen vote count (3 near the queries, 1 far away)."""
    X, Y, X_test, _ = lookup_table()
    fill = pd.DataFrame({"colour": ["red"] * len(X_test), "size": ["s"] * len(X_test)})
    Y2 = pd.concat([Y, fill], ignore_index=True)
    w = np.r_[np.ones(len(X)), np.zeros(len(X_test))]
    near, far = (small_net(lookup=None, decode="independent").fit(
        np.vstack([X, X_test + shift]), Y2, sample_weight=w) for shift in (0.0, 100.0))
    np.testing.assert_array_equal(near.neighbor_counts_, far.neighbor_counts_)
    np.testing.assert_array_equal(near.neighbor_weights_, far.neighbor_weights_)
    assert near.neighbor_weights_.any() and len(near._neighbor_X) == len(X)
    for p, q in zip(near.predict_proba(X_test), far.predict_proba(X_test)):
        np.testing.assert_array_equal(p, q)
