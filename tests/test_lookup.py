"""The lookup of rows seen in training: row keys, the blend, the choice on held-out folds,
and the estimator's ``lookup`` parameter."""

import copy

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import sklearn_mtl
from sklearn_mtl import MultiTaskClassifier
from sklearn_mtl import _multitask as multitask
from sklearn_mtl.neural._lookup import fit_lookup, repeat_blend, row_keys, table_columns


def repeated_table(n_rows=40, repeats=4, seed=0):
    """A table whose labels are a lookup: ``n_rows`` distinct rows (whole numbers, as
    counts and years are), each repeated, each carrying random labels."""
    rng = np.random.RandomState(seed)
    rows = rng.randint(0, 50, size=(n_rows, 3)).astype(float)
    colour = rng.choice(["red", "green", "blue"], size=n_rows)
    size = rng.choice(["s", "l"], size=n_rows)
    which = np.repeat(np.arange(n_rows), repeats)
    X = pd.DataFrame(rows[which], columns=["a", "b", "c"])
    Y = pd.DataFrame({"colour": colour[which], "size": size[which]})
    return X, Y, pd.DataFrame(rows, columns=["a", "b", "c"]), pd.DataFrame(
        {"colour": colour, "size": size})


def small_net(**params):
    return MultiTaskClassifier(hidden_layer_sizes=(16,), max_epochs=6, random_state=0,
                               **params)


def keys_of(X):
    return row_keys(table_columns(X))


# ---------------------------------------------------------------- the parts
def test_keys_compare_values_as_the_network_reads_them():
    X = np.array([[1.0, 0.0], [1.0, -0.0], [1.0, np.nan], [1.0, np.nan], [2.0, 0.0]])
    keys = keys_of(X)
    assert keys[0] == keys[1]  # -0.0 is 0.0
    assert keys[2] == keys[3]  # missing equals missing
    assert len(set(keys[[0, 2, 4]])) == 3
    # an int table, the same table as floats, and as a DataFrame: the same keys
    ints = np.array([[1, 0], [2, 0]])
    np.testing.assert_array_equal(keys_of(ints), keys[[0, 4]])
    np.testing.assert_array_equal(keys_of(pd.DataFrame(ints)), keys[[0, 4]])
    # float32 is what the network reads: values equal in float32 are the same row
    assert keys_of(np.array([[0.1]]))[0] == keys_of(np.array([[np.float32(0.1)]]))[0]
    assert table_columns(np.zeros((2, 2, 2))) is None  # images are not tables


def test_keys_of_mixed_frames():
    X = pd.DataFrame({
        "n": pd.array([1, None, 1, 1], dtype="Int64"),
        "s": ["a", "a", None, "a"],
        "c": pd.Categorical(["x", "x", "x", "x"]),
    })
    keys = keys_of(X)
    assert keys[0] == keys[3]
    assert len(set(keys[:3])) == 3  # a missing number, a missing string: other rows
    # a category and the same values as strings: the same rows
    np.testing.assert_array_equal(keys, keys_of(X.astype({"c": object})))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(-3, 3), st.sampled_from(["p", "q", None])),
                min_size=1, max_size=20))
def test_equal_rows_equal_keys(rows):
    X = pd.DataFrame(rows, columns=["n", "s"])
    keys = keys_of(X)
    for i in range(len(rows)):
        for j in range(len(rows)):
            assert (keys[i] == keys[j]) == (rows[i] == rows[j])


def test_blend_exact_values():
    proba = np.array([[0.2, 0.8], [0.3, 0.7], [0.4, 0.6]], dtype=np.float32)
    counts = np.array([[2.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    expected = [[2.2 / 3, 0.8 / 3], [1.3 / 3, 1.7 / 3], [0.4, 0.6]]
    np.testing.assert_allclose(repeat_blend(proba, counts), expected, rtol=1e-6)
    np.testing.assert_allclose(
        repeat_blend(torch.from_numpy(proba), torch.from_numpy(counts).float()).numpy(),
        expected, rtol=1e-6)


def _choose(keys, truth, folds, net, kinds=("multiclass",), weight=None):
    held_out = [torch.tensor(net, dtype=torch.float32)]
    return fit_lookup(np.asarray(keys, dtype=np.uint64), [np.asarray(keys, np.float32)],
                      np.asarray(truth)[:, None], list(kinds), [2], np.asarray(folds),
                      held_out, weight)


def test_choice_reads_only_the_repeats_a_member_trained_on():
    # rows 0-1 repeat each other in different folds; their member is unsure and wrong
    net = [[0.6, 0.4], [0.6, 0.4], [0.9, 0.1], [0.1, 0.9]]
    lookup, blended = _choose([5, 5, 6, 7], [1, 1, 0, 1], [0, 1, 0, 1], net)
    assert lookup is not None and lookup.keys.tolist() == [5, 6, 7]
    np.testing.assert_array_equal(lookup.counts[0], [[0, 2], [1, 0], [0, 1]])
    # row 0 reads row 1 only (its own fold's rows are its member's held-out rows)
    np.testing.assert_allclose(blended[0].numpy()[:2], [[0.3, 0.7], [0.3, 0.7]])
    np.testing.assert_allclose(blended[0].numpy()[2:], net[2:])
    # the same repeats in the same fold: no member trained on the other, nothing to read
    lookup, blended = _choose([5, 5, 6, 7], [1, 1, 0, 1], [0, 0, 0, 1], net)
    assert lookup is None and blended[0].numpy().tolist() == np.float32(net).tolist()


def test_choice_keeps_the_network_where_the_repeats_disagree_with_the_truth():
    # the repeats carry the other label: reading them raises the held-out log loss
    net = [[0.2, 0.8], [0.2, 0.8], [0.5, 0.5]]
    lookup, _ = _choose([5, 5, 5], [1, 1, 0], [0, 1, 2], net)
    assert lookup is None
    # a regression task never reads it; no repeats at all: None
    assert _choose([5, 5], [1, 1], [0, 1], [[0.5, 0.5]] * 2, kinds=["regression"])[0] is None
    assert _choose([5, 6], [1, 1], [0, 1], [[0.5, 0.5]] * 2)[0] is None


def test_choice_weighs_samples():
    net = [[0.9, 0.1], [0.9, 0.1], [0.9, 0.1]]
    # rows 0, 1 carry 1, where the network is sure of 0; weighted, row 2 (0) decides
    keys, truth, folds = [5, 5, 5], [1, 1, 0], [0, 1, 2]
    assert _choose(keys, truth, folds, net)[0] is not None
    assert _choose(keys, truth, folds, net, weight=np.array([1.0, 1.0, 50.0]))[0] is None


def test_weights_count_as_frequencies():
    net = [[0.9, 0.1]] * 5
    keys, truth, folds = [5, 5, 5, 5, 6], [1, 1, 0, 1, 1], [0, 1, 2, 3, 0]
    weight = np.array([2.0, 1.0, 0.0, 1.0, 1.0])
    weighted, w_blend = _choose(keys, truth, folds, net, weight=weight)
    # weight 0: as if the row were absent; weight 2: as if it were there twice
    keep = [0, 0, 1, 3, 4]
    repeated, r_blend = _choose(np.take(keys, keep), np.take(truth, keep), np.take(folds, keep),
                                np.take(net, keep, axis=0))
    np.testing.assert_array_equal(weighted.counts[0], repeated.counts[0])
    np.testing.assert_array_equal(weighted.counts[0], [[0, 4], [0, 1]])
    np.testing.assert_allclose(w_blend[0].numpy()[[0, 1, 3, 4]],
                               r_blend[0].numpy()[[0, 2, 3, 4]], rtol=1e-6)


# ---------------------------------------------------------------- the estimator
@pytest.fixture(scope="module")
def repeated_fits():
    X, Y, rows, labels = repeated_table()
    return small_net().fit(X, Y), small_net(lookup=None).fit(X, Y), X, Y, rows, labels


def test_repeated_rows_read_their_labels(repeated_fits):
    looked, alone, X, Y, rows, labels = repeated_fits
    assert looked.lookup_tasks_.tolist() == [True, True]
    assert alone.lookup_tasks_.tolist() == [False, False] and alone._lookup is None
    # training is untouched: the same network
    for a, b in zip(looked.net_.module_.state_dict().values(),
                    alone.net_.module_.state_dict().values()):
        torch.testing.assert_close(a, b)
    assert (looked.predict(rows) == labels).all(axis=None)
    assert (alone.predict(rows) == labels).all(axis=1).mean() < 1.0
    for proba in looked.predict_proba(rows):
        np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-6)
        assert (proba.max(1) >= 0.8 - 1e-6).all()  # four repeats and the network: >= 4/5


def test_rows_not_seen_keep_the_network(repeated_fits):
    looked, alone, X, Y, rows, labels = repeated_fits
    unseen = rows + 0.5
    for a, b in zip(looked.predict_proba(unseen), alone.predict_proba(unseen)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("batch_size, chunk", [(7, 8192), (3, 5), (16, 5)])
def test_any_container_and_batch_size_give_the_same(repeated_fits, monkeypatch, tmp_path,
                                                     batch_size, chunk):
    looked, alone, X, Y, rows, labels = repeated_fits
    expected = looked.predict_proba(rows)
    for a, b in zip(looked.predict_proba(rows.astype(int)), expected):
        np.testing.assert_array_equal(a, b)  # ints are the same rows
    # keys hashed a chunk of rows at a time, chunks and batches unaligned
    monkeypatch.setattr(multitask, "_KEY_CHUNK", chunk)
    small = copy.deepcopy(looked).set_params(batch_size=batch_size)
    mapped = np.lib.format.open_memmap(tmp_path / "rows.npy", mode="w+", dtype=np.float64,
                                       shape=rows.shape)
    mapped[:] = rows.to_numpy()
    for Xq in (rows, mapped):
        for a, b in zip(small.predict_proba(Xq), expected):
            np.testing.assert_allclose(a, b, rtol=1e-5)
    before = rows.copy()
    looked.predict(rows)
    pd.testing.assert_frame_equal(rows, before)  # user data untouched


def test_numbers_in_an_object_array_or_lists_with_gaps_are_looked_up_as_numbers():
    """An object array of numbers, or lists with None for a gap, are validated to floats
    at prediction: the lookup compares them as such in fit too (it compared their text
    in fit, and no query ever matched, while lookup_tasks_ said it would)."""
    X, Y, rows, labels = repeated_table()
    values = X.to_numpy(copy=True)
    values[::9, 0] = np.nan
    as_floats = small_net().fit(values, Y)
    as_objects = small_net().fit(values.astype(object), Y)
    gaps = [[None if np.isnan(v) else v for v in row] for row in values.tolist()]
    as_lists = small_net().fit(gaps, Y)
    expected = as_floats.predict_proba(values)
    for fitted, Xq in ((as_objects, values.astype(object)), (as_lists, gaps)):
        assert fitted.lookup_tasks_.tolist() == as_floats.lookup_tasks_.tolist() == [True] * 2
        for a, b in zip(fitted.predict_proba(Xq), expected):
            np.testing.assert_array_equal(a, b)
    assert table_columns(np.array([["a", 1.0]], dtype=object))[0].dtype == object  # text


def test_a_table_whose_numbers_float32_cannot_tell_apart_reads_no_lookup():
    # The network reads a table in float64, the lookup (as the ONNX graph) in float32: the
    # repeats of 1_700_000_000 + k, k < 128, all read 1_700_000_000, and a row's lookup
    # pooled the labels of every other (probabilities moved by up to 0.78).
    X, Y, rows, labels = repeated_table()
    assert small_net().fit(X, Y).lookup_tasks_.any()
    seconds = X.assign(a=X["a"] + 1_700_000_000)
    model = small_net().fit(seconds, Y)
    assert not model.lookup_tasks_.any() and model._lookup is None
    alone = small_net(lookup=None).fit(seconds, Y)
    for a, b in zip(model.predict_proba(seconds), alone.predict_proba(seconds)):
        np.testing.assert_array_equal(a, b)


def test_a_table_without_repeats_is_untouched():
    X, Y, rows, labels = repeated_table(repeats=1)
    est = small_net().fit(X, Y)
    assert est.lookup_tasks_.tolist() == [False, False] and est._lookup is None
    for a, b in zip(est.predict_proba(X), small_net(lookup=None).fit(X, Y).predict_proba(X)):
        np.testing.assert_array_equal(a, b)


def test_round_trip_and_same_seed(repeated_fits, tmp_path):
    looked, alone, X, Y, rows, labels = repeated_fits
    sklearn_mtl.save(looked, tmp_path / "m.mtl")
    loaded = sklearn_mtl.load(tmp_path / "m.mtl")
    np.testing.assert_array_equal(loaded.lookup_tasks_, looked.lookup_tasks_)
    again = small_net().fit(X, Y)
    for est in (loaded, again):
        for a, b in zip(est.predict_proba(rows), looked.predict_proba(rows)):
            np.testing.assert_array_equal(a, b)


def test_where_the_lookup_is_not_read():
    X, Y, rows, labels = repeated_table(n_rows=12)
    assert not small_net(ensemble_size=1).fit(X, Y).lookup_tasks_.any()  # no folds
    assert not small_net().partial_fit(X, Y).lookup_tasks_.any()
    with pytest.raises(ValueError, match="'lookup' parameter of MultiTaskClassifier must be"):
        small_net(lookup="yes").fit(X, Y)


def test_export_compares_rows_in_the_graph(repeated_fits):
    pytest.importorskip("onnxruntime")
    from sklearn_mtl import export_onnx
    from sklearn_mtl._export import check_parity

    looked, alone, X, Y, rows, labels = repeated_fits
    onx = export_onnx(looked, X_sample=rows)
    queries = pd.concat([rows, rows + 0.5], ignore_index=True)
    queries.iloc[0, 1] = np.nan  # a missing value: this row repeats no training row
    diffs = check_parity(looked, onx, queries, atol=1e-5)
    assert set(diffs) == {"colour", "size"}
    # the blend is in the graph: the same network without it (``alone``, whose weights are
    # looked's) is not what the graph computes on the repeated rows (one export serves both)
    with pytest.raises(Exception, match="does not reproduce"):
        check_parity(alone, onx, rows)


def test_export_refuses_a_lookup_it_cannot_compare():
    pytest.importorskip("onnx")
    from sklearn.preprocessing import StandardScaler

    from sklearn_mtl import export_onnx
    from sklearn_mtl._export import OnnxExportError

    X, Y, rows, labels = repeated_table()
    est = small_net(preprocessing=StandardScaler()).fit(X, Y)  # rows as given != input
    assert est.lookup_tasks_.any()
    with pytest.raises(OnnxExportError, match="lookup=None"):
        export_onnx(est, X_sample=rows)


def test_gated_and_multilabel_tasks_with_repeats():
    from sklearn_mtl import Task

    X, Y, rows, labels = repeated_table(n_rows=30)
    # a gated task: the size is asked only of red things
    gated = Y.assign(size=Y["size"].where(Y["colour"] == "red", None))
    est = small_net(tasks=[Task("colour"), Task("size", gate=("colour", "red"))]).fit(X, gated)
    assert est.lookup_tasks_.shape == (2,)
    assert (est.predict(rows)["colour"] == labels["colour"]).mean() == 1.0
    # a label set next to a multiclass task: only the multiclass task can read it
    sets = Y.assign(size=[{"s"} if v == "s" else {"l", "s"} for v in Y["size"]])
    est = small_net().fit(X, sets)
    assert [t.kind for t in est.tasks_] == ["multiclass", "multilabel"]
    assert est.lookup_tasks_.tolist() == [True, False]
    assert (est.predict(rows)["colour"] == labels["colour"]).all()


def test_fit_passes_sample_weight_to_the_counts():
    X, Y, rows, labels = repeated_table(n_rows=20)
    weight = np.where(np.arange(len(X)) % 4 == 0, 3.0, 1.0)
    est = small_net().fit(X, Y, sample_weight=weight)
    assert est.lookup_tasks_.any()
    for counts in est._lookup.counts:
        if counts is not None:  # every row is labelled: the counts add up to the weights
            np.testing.assert_allclose(counts.sum(), weight.sum())


def test_numbers_in_object_columns_are_looked_up_as_numbers(repeated_fits):
    """The preprocessing reads a DataFrame's object column of numbers as numbers; the
    lookup compared it as text: a row given as ``X.iloc[i].to_frame().T`` (object
    columns) read no repeat (accuracy on the training rows 1.0 -> 0.35), and 12 and 12.0
    in one object column were two rows."""
    looked, alone, X, Y, rows, labels = repeated_fits
    # a table with a text column, read as a DataFrame: its numbers may come as objects
    texts = X.assign(s=np.where(X["a"] > 20, "hi", "lo"))
    queries = rows.assign(s=np.where(rows["a"] > 20, "hi", "lo"))
    with_text = small_net().fit(texts, Y)
    assert with_text.lookup_tasks_.all()
    expected = with_text.predict_proba(queries)
    for a, b in zip(with_text.predict_proba(queries.astype(object)), expected):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    one = queries.iloc[5].to_frame().T  # one row: its columns of objects
    assert (one.dtypes.to_numpy() == np.dtype(object)).all()
    for a, b in zip(with_text.predict_proba(one), expected):
        np.testing.assert_allclose(a, b[[5]], rtol=1e-6)
    # a gap alone in its column is a missing number: this row repeats no training row
    gap = queries.iloc[[3]].assign(b=np.nan)
    alone = small_net(lookup=None).fit(texts, Y)
    for a, b in zip(with_text.predict_proba(gap.astype(object)), alone.predict_proba(gap)):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    # in fit: whole numbers as ints and as floats in one object column, the same rows
    mixed = X.astype(object)
    mixed["a"] = [int(v) if i % 2 else v for i, v in enumerate(X["a"])]
    fitted = small_net().fit(mixed, Y)
    assert fitted.lookup_tasks_.tolist() == looked.lookup_tasks_.tolist()
    np.testing.assert_array_equal(fitted._lookup.keys, looked._lookup.keys)
    for a, b in zip(fitted.predict_proba(rows), looked.predict_proba(rows)):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_categories_written_otherwise_read_their_repeats():
    """The preprocessing reads a one-hot encoded column's value written otherwise than in
    training with its training spelling (a bool column's "true", a category of integer
    codes given as floats); the lookup compared their text, and such a row, which the
    network reads as a training row, read no repeat."""
    X, Y, rows, labels = repeated_table(n_rows=20)

    def typed(T):
        return T.assign(flag=T["a"] > 20, code=pd.Categorical((T["c"] % 3).astype(int)))

    est = small_net().fit(typed(X), Y)
    assert est.lookup_tasks_.all()
    queries = typed(rows)
    expected = est.predict_proba(queries)
    written = queries.assign(flag=queries["flag"].map({True: "true", False: "false"}),
                             code=queries["code"].astype(float))
    for a, b in zip(est.predict_proba(written), expected):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    assert (est.predict(written) == labels).all(axis=None)


def test_a_bool_spelled_as_text_reads_its_repeats_beside_an_unknown_value():
    """A bool column's "TRUE" reads its repeats whatever the other rows predicted with
    it hold: an unknown "yes" beside it kept the whole column as text, and no row of
    the call (of its chunk of keys) read a repeat."""
    X, Y, rows, labels = repeated_table(n_rows=20)
    flags = lambda T: T.assign(flag=T["a"] > 20)  # noqa: E731
    est = small_net().fit(flags(X), Y)
    queries = flags(rows)
    expected = est.predict_proba(queries)
    written = queries.assign(flag=queries["flag"].map({True: "TRUE", False: "FALSE"}))
    odd = written.iloc[:1].assign(flag="yes")
    both = pd.concat([written, odd], ignore_index=True)
    for a, b in zip(est.predict_proba(both), expected):
        np.testing.assert_allclose(a[: len(rows)], b, rtol=1e-6)
    assert (est.predict(both).iloc[: len(rows)] == labels).all(axis=None)


def test_a_bool_columns_text_nan_is_no_gap_to_the_lookup():
    """Text "nan" in a bool column is an unknown category to the preprocessing, as "yes"
    is; float32 read it as a gap, and such a row read the labels of the training rows
    whose bool was missing."""
    X, Y, rows, labels = repeated_table(n_rows=20)

    def flags(T):
        flag = pd.array(T["a"] > 20, dtype="boolean")
        flag[(T["b"] > 25).to_numpy()] = pd.NA
        return T.assign(flag=flag)

    est = small_net().fit(flags(X), Y)
    assert est.lookup_tasks_.all()
    queries = flags(rows)
    gap = queries["flag"].isna().to_numpy()
    assert gap.any()
    yes, nan = (queries.assign(flag=queries["flag"].astype(object).where(~gap, text))
                for text in ("yes", "nan"))
    for a, b in zip(est.predict_proba(yes), est.predict_proba(nan)):
        np.testing.assert_allclose(a, b, rtol=1e-6)
