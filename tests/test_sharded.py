"""Training on sharded Parquet read lazily; predictions written shard by shard."""

import re

import numpy as np
import pandas as pd
import pytest
import torch

from sklearn_mtl import MultiTaskClassifier, Schema, Task
from sklearn_mtl.distributed import weights_checksum
from sklearn_mtl.sharded import ParquetShards, predict_shards

pytest.importorskip("pyarrow")

FEATURES = [f"x{i}" for i in range(4)]


def make_frame(n=240, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 4)).astype(np.float32)
    frame = pd.DataFrame(X, columns=FEATURES)
    frame["car"] = np.where(X[:, 0] > 0, "yes", "no")
    frame["color"] = np.where(frame["car"] == "yes",
                              np.where(X[:, 1] > 0, "red", "blue"), None)
    frame.loc[rng.rand(n) < 0.1, "color"] = None
    frame["id"] = np.arange(n)
    return frame


TASKS = [Task("car", classes=["no", "yes"]),
         Task("color", classes=["blue", "red"], gate=("car", "yes"))]


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    folder = tmp_path_factory.mktemp("shards")
    frame = make_frame()
    for i, rows in enumerate(np.array_split(np.arange(len(frame)), 3)):
        frame.iloc[rows].to_parquet(folder / f"part-{i}.parquet", row_group_size=40)
    return frame, ParquetShards(folder, features=FEATURES, targets=["car", "color"],
                                batch_rows=25)


@pytest.fixture(scope="module")
def tiny_on_shards(shards):
    # One small network fitted on the shards, shared by the tests that only predict with
    # it or read it (none of them changes it).
    return MultiTaskClassifier(tasks=TASKS, hidden_layer_sizes=(4,), max_epochs=1,
                               ensemble_size=1, random_state=0).fit(shards[1])


def test_metadata(shards):
    frame, sh = shards
    assert (sh.n_rows, sh.n_files, len(sh.units())) == (240, 3, 6)
    assert [n for _, n in sh.units()] == [40] * 6
    np.testing.assert_array_equal(sh.head(2), frame[FEATURES].to_numpy()[:2])
    pd.testing.assert_frame_equal(sh.labels(), frame[["car", "color"]])


def test_bad_columns(shards):
    _, sh = shards
    with pytest.raises(ValueError, match=r"features names column\(s\) \['nope'\]"):
        ParquetShards(sh.dataset, features=["x0", "nope"])
    with pytest.raises(ValueError, match=r"targets names column\(s\) \['size'\]"):
        ParquetShards(sh.dataset, features=FEATURES, targets=["size"])


def _encode(frame):
    return torch.as_tensor(frame["car"].eq("yes").to_numpy(np.float32))[:, None]


@pytest.mark.parametrize("world_size, batch_size", [(1, 32), (2, 32), (3, 50), (2, 500)])
def test_each_process_reads_its_own_row_groups(shards, world_size, batch_size):
    frame, sh = shards
    counts, seen = set(), []
    for rank in range(world_size):
        batches = list(sh.iter_batches(batch_size, encode=_encode, shuffle=True,
                                       generator=torch.Generator().manual_seed(0),
                                       rank=rank, world_size=world_size))
        counts.add(len(batches))
        assert all(len(X) <= batch_size for X, _ in batches)
        X = torch.cat([b[0] for b in batches]).numpy()
        y = torch.cat([b[1] for b in batches]).numpy()[:, 0]
        # rows stay whole, labels encoded alongside their features
        ids = [int(np.flatnonzero((frame[FEATURES].to_numpy() == row).all(1))[0]) for row in X]
        np.testing.assert_array_equal(y, frame["car"].eq("yes").to_numpy()[ids])
        groups = {i // 40 for i in ids}
        seen.append((groups, ids))
    assert len(counts) == 1  # the same number of steps in every process
    all_groups = [g for groups, _ in seen for g in groups]
    assert len(all_groups) == len(set(all_groups)) == 6  # disjoint shares, every group
    assert set().union(*(set(ids) for _, ids in seen)) == set(range(240))


def test_iter_batches_needs_enough_row_groups(shards):
    _, sh = shards
    with pytest.raises(ValueError, match="7 processes need at least as many Parquet row groups"):
        next(sh.iter_batches(10, encode=_encode, rank=0, world_size=7))


def test_fit_on_shards_full_batch_matches_in_memory(shards):
    frame, sh = shards
    # Features as they are (preprocessing=None) and one network training on all rows.
    params = dict(tasks=TASKS, hidden_layer_sizes=(8,), max_epochs=4, lr=1e-2,
                  batch_size=240, random_state=0, preprocessing=None, ensemble_size=1)
    lazy = MultiTaskClassifier(**params).fit(sh)
    eager = MultiTaskClassifier(**params).fit(frame[FEATURES], frame[["car", "color"]])
    a, b = lazy.net_.module_.state_dict(), eager.net_.module_.state_dict()
    assert max(float((a[k] - b[k]).abs().max()) for k in a) < 1e-5
    assert list(lazy.feature_names_in_) == FEATURES and lazy.n_features_in_ == 4
    assert lazy.schema_.names == eager.schema_.names


def test_shards_are_preprocessed_as_an_array_in_memory(tmp_path, monkeypatch):
    # Raw units (grams next to a tiny column): the recipe's preprocessing, fitted on a
    # sample of the rows (here every row: the same statistics as in memory), then
    # applied to each row group as it is read, and at prediction.
    from sklearn_mtl import _multitask
    from sklearn_mtl.neural import TabularPreprocessor

    frame = make_frame()
    frame["x0"] = 4000 + 800 * frame["x0"]
    frame["x1"] = 1e-3 * frame["x1"]
    frame.loc[5, "x2"] = np.nan
    for i, rows in enumerate(np.array_split(np.arange(len(frame)), 3)):
        frame.iloc[rows].to_parquet(tmp_path / f"part-{i}.parquet", row_group_size=40)
    sh = ParquetShards(tmp_path, features=FEATURES, targets=["car", "color"])
    params = dict(tasks=TASKS, hidden_layer_sizes=(8,), max_epochs=4, lr=1e-2,
                  batch_size=240, random_state=0, ensemble_size=1)
    lazy = MultiTaskClassifier(**params).fit(sh)
    values = frame[FEATURES].to_numpy(np.float32)
    expected = TabularPreprocessor().fit(values)
    np.testing.assert_allclose(lazy.preprocessor_.transform(values),
                               expected.transform(values), rtol=1e-6)
    # one full batch: the network trained on the preprocessed rows as in memory (in the
    # row groups' order, which a full batch does not see)
    eager = MultiTaskClassifier(**params).fit(values, frame[["car", "color"]])
    a, b = lazy.net_.module_.state_dict(), eager.net_.module_.state_dict()
    assert max(float((a[k] - b[k]).abs().max()) for k in a) < 1e-4
    pd.testing.assert_frame_equal(lazy.predict(frame[FEATURES]), eager.predict(values))
    # more rows than the sample: whole row groups drawn by the seed, then rows
    monkeypatch.setattr(_multitask, "_MEMMAP_FIT_ROWS", 100)
    sample = sh.sample(100, seed=3)
    assert sample.shape == (100, 4) and np.array_equal(sample, sh.sample(100, seed=3))
    assert np.isin(sample[:, 0], values[:, 0]).all()
    small = MultiTaskClassifier(**params).fit(sh)
    assert small.preprocessor_.n_features_in_ == 4
    assert np.abs(small.preprocessor_.transform(values)).max() < 3.5


def test_a_users_step_reads_the_shards_columns_by_name(shards):
    # As in memory: a user's step gets a DataFrame of the feature columns, so a
    # ColumnTransformer may select them by name, at fit and at prediction.
    from sklearn.compose import make_column_transformer
    from sklearn.preprocessing import StandardScaler

    frame, sh = shards
    step = make_column_transformer((StandardScaler(), ["x1", "x0"]), remainder="drop")
    params = dict(tasks=TASKS, preprocessing=step, hidden_layer_sizes=(8,), max_epochs=3,
                  lr=1e-2, batch_size=240, random_state=0, ensemble_size=1)
    lazy = MultiTaskClassifier(**params).fit(sh)
    eager = MultiTaskClassifier(**params).fit(frame[FEATURES], frame[["car", "color"]])
    assert list(lazy.preprocessor_.feature_names_in_) == FEATURES
    assert lazy._sample_shape == (2,)  # the two selected columns
    a, b = lazy.net_.module_.state_dict(), eager.net_.module_.state_dict()
    assert max(float((a[k] - b[k]).abs().max()) for k in a) < 1e-4
    pd.testing.assert_frame_equal(lazy.predict(frame[FEATURES]),
                                  eager.predict(frame[FEATURES]))


def test_regression_target_on_shards_is_standardised_as_in_memory(tmp_path):
    frame = make_frame()
    frame["mass"] = 4000 + 500 * frame["x2"] - 300 * frame["x3"]  # grams
    frame.to_parquet(tmp_path / "part-0.parquet", row_group_size=40)
    sh = ParquetShards(tmp_path, features=FEATURES, targets=["car", "mass"], batch_rows=25)
    tasks = [Task("car"), Task("mass", kind="regression")]
    params = dict(tasks=tasks, hidden_layer_sizes=(8,), max_epochs=4, lr=1e-2,
                  batch_size=240, random_state=0, preprocessing=None, ensemble_size=1)
    lazy = MultiTaskClassifier(**params).fit(sh)
    eager = MultiTaskClassifier(**params).fit(frame[FEATURES], frame[["car", "mass"]])
    assert lazy._target_scaling["mass"] == pytest.approx(eager._target_scaling["mass"])
    np.testing.assert_allclose(lazy.predict(frame[FEATURES])["mass"],
                               eager.predict(frame[FEATURES])["mass"], rtol=1e-4)
    # in grams: the output layer was rescaled after training
    assert abs(lazy.predict(frame[FEATURES])["mass"].mean() - 4000) < 400


def test_fit_on_shards_learns(shards):
    frame, sh = shards
    clf = MultiTaskClassifier(hidden_layer_sizes=(16,), max_epochs=15, lr=1e-2,
                              batch_size=32, random_state=0).fit(sh)
    # schema inferred from the label columns read up front
    assert [list(t.classes) for t in clf.tasks_] == [["no", "yes"], ["blue", "red"]]
    assert clf.score(frame[FEATURES], frame[["car", "color"]]) > 0.85
    again = MultiTaskClassifier(hidden_layer_sizes=(16,), max_epochs=15, lr=1e-2,
                                batch_size=32, random_state=0).fit(sh)
    assert weights_checksum(again) == weights_checksum(clf)  # seeded
    # rows read lazily: the network alone (no neighbour blend, no combination probe)
    assert clf.combination_weight_ == 0.0 and not clf.neighbor_weights_.any()


def test_declared_tasks_fit_label_statistics_on_every_row(tmp_path):
    # Files written in label order: the first 1000 rows hold car="no" only and light
    # masses. With every task declared, the regression target scaling and the observed
    # label combinations still come from every row's labels, as in memory.
    from sklearn_mtl._decoding import JointDecoder

    frame = make_frame(n=1200)
    late = np.arange(1200) >= 1000
    frame["car"] = np.where(late & (frame["x0"] > 0), "yes", "no")
    frame["mass"] = 100.0 * late + frame["x2"]
    for i, rows in enumerate(np.array_split(np.arange(1200), 3)):
        frame.iloc[rows].to_parquet(tmp_path / f"part-{i}.parquet", row_group_size=200)
    sh = ParquetShards(tmp_path, features=FEATURES, targets=["car", "mass"])
    tasks = [Task("car", classes=["no", "yes"]), Task("mass", kind="regression")]
    params = dict(tasks=tasks, decode=JointDecoder(allowed="observed"),
                  hidden_layer_sizes=(4,), max_epochs=1, batch_size=1200, random_state=0,
                  preprocessing=None, ensemble_size=1)
    lazy = MultiTaskClassifier(**params).fit(sh)
    eager = MultiTaskClassifier(**params).fit(frame[FEATURES], frame[["car", "mass"]])
    assert lazy._target_scaling["mass"] == pytest.approx(eager._target_scaling["mass"])
    assert lazy._target_scaling["mass"][0] == pytest.approx(frame["mass"].mean())
    np.testing.assert_array_equal(lazy.observed_combinations_, eager.observed_combinations_)
    assert lazy.observed_combinations_.tolist() == [[0, 0], [1, 0]]


def test_fit_on_shards_refusals(shards):
    frame, sh = shards
    clf = MultiTaskClassifier(max_epochs=1)
    with pytest.raises(ValueError, match="reads the labels from its targets columns"):
        clf.fit(sh, frame[["car"]])
    with pytest.raises(ValueError, match="sample_weight is not read from shards"):
        clf.fit(sh, sample_weight=np.ones(240))
    with pytest.raises(ValueError, match="early_stopping needs an in-memory validation split"):
        MultiTaskClassifier(early_stopping=True).fit(sh)
    with pytest.raises(ValueError, match="no targets"):
        clf.fit(ParquetShards(sh.dataset, features=FEATURES))
    with pytest.raises(ValueError, match="requires y to be passed"):
        clf.fit(frame[FEATURES])


def test_predict_shards(shards, tmp_path):
    frame, sh = shards
    clf = MultiTaskClassifier(tasks=TASKS, hidden_layer_sizes=(8,), max_epochs=3,
                              random_state=0).fit(sh)
    paths = predict_shards(clf, sh, tmp_path / "pred", keep=["id"])
    assert [p.rsplit("/", 1)[-1] for p in paths] == [f"part-{i:05d}.parquet" for i in range(3)]
    written = pd.concat([pd.read_parquet(p) for p in paths], ignore_index=True)
    assert written.columns.tolist() == ["id", "car", "color"]
    np.testing.assert_array_equal(written["id"], frame["id"])
    expected = clf.predict(frame[FEATURES])
    assert written["car"].tolist() == expected["car"].tolist()
    # gated-off predictions stay missing, not guessed
    off = expected["car"] == "no"
    assert off.any() and written.loc[off.to_numpy(), "color"].isna().all()
    assert written.loc[~off.to_numpy(), "color"].tolist() == expected.loc[~off, "color"].tolist()
    with pytest.raises(ValueError, match=r"keep names column\(s\) \['nope'\]"):
        predict_shards(clf, sh, tmp_path / "x", keep=["nope"])


def test_iterable_dataset_is_refused_clearly():
    class Stream(torch.utils.data.IterableDataset):
        def __iter__(self):
            yield from torch.zeros(4, 3)

    with pytest.raises(ValueError, match="IterableDataset \\(Stream\\).*ParquetShards"):
        MultiTaskClassifier(max_epochs=1).fit(Stream(), np.array(["a", "b"] * 2))


def test_groups_are_refused_with_shards(shards):
    _, sh = shards
    with pytest.raises(ValueError, match="groups is not supported with ParquetShards"):
        MultiTaskClassifier(max_epochs=1).fit(sh, groups=np.zeros(240))


def test_tasks_as_a_schema_fit_shards_as_a_list(shards):
    # As in memory: a Schema is a sequence of tasks.
    _, sh = shards
    params = dict(hidden_layer_sizes=(4,), max_epochs=1, batch_size=240, random_state=0,
                  ensemble_size=1)
    tasks = [Task("car", kind="binary", classes=["no", "yes"]),
             Task("color", kind="binary", classes=["blue", "red"], gate=("car", "yes"))]
    from_schema = MultiTaskClassifier(tasks=Schema(tasks), **params).fit(sh)
    from_list = MultiTaskClassifier(tasks=tasks, **params).fit(sh)
    assert from_schema.schema_.names == ["car", "color"]
    assert weights_checksum(from_schema) == weights_checksum(from_list)


def test_predict_shards_keeps_a_feature_column(shards, tiny_on_shards, tmp_path):
    frame, sh = shards
    clf = tiny_on_shards  # one network or an ensemble: the columns kept are the same
    paths = predict_shards(clf, sh, tmp_path / "pred", keep=["id", "x1"])
    written = pd.concat([pd.read_parquet(p) for p in paths], ignore_index=True)
    assert written.columns.tolist() == ["id", "x1", "car", "color"]
    np.testing.assert_array_equal(written["x1"], frame["x1"])
    assert written["car"].tolist() == clf.predict(frame[FEATURES])["car"].tolist()
    for keep in (["id", "id"], ["car"]):  # a column named twice: refused, naming keep
        with pytest.raises(ValueError, match=r"keep names column\(s\) .* twice, or as a task"):
            predict_shards(clf, sh, tmp_path / "again", keep=keep)


@pytest.mark.parametrize("declared", [False, True])
def test_multilabel_column_of_lists_in_parquet(tmp_path, declared):
    # pyarrow reads a Parquet list column as numpy arrays: they are label sets, as lists.
    frame = make_frame(n=60)
    frame["tags"] = [["x"] if a > 0 else (["x", "y"] if a > -1 else []) for a in frame["x0"]]
    frame.to_parquet(tmp_path / "part-0.parquet", row_group_size=20)
    sh = ParquetShards(tmp_path, features=FEATURES, targets=["car", "tags"])
    assert isinstance(sh.labels()["tags"][0], np.ndarray)
    tasks = [Task("car", classes=["no", "yes"]),
             Task("tags", kind="multilabel", classes=["x", "y"])] if declared else None
    params = dict(tasks=tasks, hidden_layer_sizes=(4,), max_epochs=2, batch_size=60,
                  random_state=0, preprocessing=None, ensemble_size=1)
    lazy = MultiTaskClassifier(**params).fit(sh)
    eager = MultiTaskClassifier(**params).fit(frame[FEATURES], frame[["car", "tags"]])
    assert lazy.schema_.names == eager.schema_.names == ["car", "tags"]
    assert list(lazy.schema_["tags"].classes) == ["x", "y"]
    a, b = lazy.net_.module_.state_dict(), eager.net_.module_.state_dict()
    assert max(float((a[k] - b[k]).abs().max()) for k in a) < 1e-5
    pred = lazy.predict(frame[FEATURES])
    assert pred["tags"].tolist() == eager.predict(frame[FEATURES])["tags"].tolist()
    paths = predict_shards(lazy, sh, tmp_path / "pred")
    written = pd.read_parquet(paths[0])
    assert [list(v) for v in written["tags"]] == pred["tags"].tolist()


def test_a_one_row_last_batch_is_merged_for_batch_norm(tmp_path):
    # 129 rows in batches of 64: a last batch of one row, which batch-norm cannot
    # normalise in training. As in memory, it joins the batch before it.
    frame = make_frame(n=129)
    frame.to_parquet(tmp_path / "part-0.parquet", row_group_size=129)
    sh = ParquetShards(tmp_path, features=FEATURES, targets=["car"])
    params = dict(hidden_layer_sizes=(4,), batch_norm=True, max_epochs=2, batch_size=64,
                  random_state=0, preprocessing=None, ensemble_size=1)
    lazy = MultiTaskClassifier(**params).fit(sh)
    eager = MultiTaskClassifier(**params).fit(frame[FEATURES], frame[["car"]])
    for clf in (lazy, eager):
        assert clf.history_[-1, "batches", :, "train_batch_size"] == [64, 65]
    # without batch-norm the batches are left as they were
    plain = MultiTaskClassifier(**{**params, "batch_norm": False}).fit(sh)
    assert plain.history_[-1, "batches", :, "train_batch_size"] == [64, 64, 1]


@pytest.mark.parametrize("world_size, batch_size, sizes", [
    (1, 239, [240]), (2, 119, [120]), (3, 79, [80]), (2, 17, [17] * 6 + [18]),
    (1, 40, [40] * 6),
])
def test_each_share_merges_a_one_row_last_batch(shards, world_size, batch_size, sizes):
    frame, sh = shards
    seen = []
    for rank in range(world_size):
        batches = list(sh.iter_batches(batch_size, encode=_encode, shuffle=True,
                                       generator=torch.Generator().manual_seed(0),
                                       rank=rank, world_size=world_size, merge_single=True))
        assert [len(X) for X, _ in batches] == sizes
        seen += torch.cat([X for X, _ in batches])[:, 0].tolist()
    assert sorted(seen) == sorted(frame["x0"].astype(np.float32).tolist())


@pytest.mark.parametrize("bad", ["inf", "?"])
def test_a_bad_value_is_named_by_its_row_in_the_input_and_in_its_file(
        shards, tiny_on_shards, tmp_path, bad):
    # it was numbered in its row group or batch (row 17 of a batch of 25 rows), or not at
    # all ("could not convert string to float: '?'"), as predict numbers a table's rows
    frame, sh = shards
    clf = tiny_on_shards  # the bad value is met reading the file, whatever the network
    frame = frame.copy()
    if bad == "inf":
        frame.loc[137, "x1"] = np.inf
        what = r"infinite value at row 137 \(row 57 of file '[^']*part-1\.parquet'\), column 'x1'"
    else:  # a column of numbers written as text, a '?' among them (a CSV's export)
        frame["x1"] = frame["x1"].astype(str)
        frame.loc[137, "x1"] = "?"
        what = (r"row 137 \(row 57 of file '[^']*part-1\.parquet'\), column 'x1' holds '\?', "
                "not a number")
    for i, rows in enumerate(np.array_split(np.arange(len(frame)), 3)):
        frame.iloc[rows].to_parquet(tmp_path / f"part-{i}.parquet", row_group_size=40)
    bad_shards = ParquetShards(tmp_path, features=FEATURES, targets=["car", "color"],
                               batch_rows=25)
    with pytest.raises(ValueError, match=what):
        predict_shards(clf, bad_shards, tmp_path / "pred")
    for preprocessing in ("auto", None):  # read in the sample, or in training
        with pytest.raises(ValueError, match=what):
            MultiTaskClassifier(tasks=TASKS, hidden_layer_sizes=(8,), max_epochs=1,
                                preprocessing=preprocessing, random_state=0).fit(bad_shards)


# ------------------------------------------------- one fit, whichever path X takes
def test_decode_auto_on_shards_decodes_over_the_observed_combinations_as_in_memory(
        tmp_path):
    # Every row's labels are read, but unseen_combination_mass_ was set to 1.0 on
    # shards: decode="auto" decided task by task there, over the observed combinations
    # in memory, and the same network predicted 3 of 120 rows differently.
    frame = make_frame(n=120)
    frame["color"] = np.where(frame["car"] == "yes",
                              np.where(frame["x1"] > 0, "red", "blue"), "grey")
    frame.to_parquet(tmp_path / "part.parquet", row_group_size=200)
    sh = ParquetShards(tmp_path, features=FEATURES, targets=["car", "color"])
    params = dict(hidden_layer_sizes=(8,), max_epochs=3, lr=1e-2, batch_size=120,
                  random_state=0, preprocessing=None, ensemble_size=1)
    lazy = MultiTaskClassifier(**params).fit(sh)
    eager = MultiTaskClassifier(**params).fit(frame[FEATURES], frame[["car", "color"]])
    assert lazy.unseen_combination_mass_ == eager.unseen_combination_mass_ == 0.0
    assert repr(lazy._decoder()) == repr(eager._decoder()) == (
        "JointDecoder(allowed='observed')")
    pd.testing.assert_frame_equal(lazy.predict(frame[FEATURES]),
                                  eager.predict(frame[FEATURES]))


def test_a_task_without_a_label_in_the_shards_is_refused_as_in_memory(tmp_path):
    # A declared task whose column holds no label trained a head on nothing, silently
    frame = make_frame(n=80).assign(size=None)
    frame.to_parquet(tmp_path / "part.parquet", row_group_size=40)
    sh = ParquetShards(tmp_path, features=FEATURES, targets=["car", "size"])
    tasks = [Task("car"), Task("size", classes=["s", "l"])]
    clf = MultiTaskClassifier(tasks=tasks, hidden_layer_sizes=(4,), max_epochs=1)
    with pytest.raises(ValueError, match="Task 'size' has no label in the training data"):
        clf.fit(sh)
    frame.assign(size="s").to_parquet(tmp_path / "part.parquet", row_group_size=40)
    with pytest.warns(UserWarning, match="Task 'size' has a single class 's'"):
        clf.fit(ParquetShards(tmp_path, features=FEATURES, targets=["car", "size"]))


def test_partial_fit_cannot_continue_on_shards_and_says_so(shards):
    # the second call failed naming warm_start, which the user never set
    frame, sh = shards
    clf = MultiTaskClassifier(tasks=TASKS, hidden_layer_sizes=(4,), random_state=0)
    clf.partial_fit(sh, None)  # the first call fits one epoch
    with pytest.raises(ValueError, match="partial_fit cannot continue training on "
                                         "ParquetShards"):
        clf.partial_fit(sh, None)
    assert len(clf.history_) == 1


def _mapped(values, path):
    np.save(path, values)
    return np.load(path, mmap_mode="r")


def test_a_large_memmap_leaves_rows_of_weight_0_out_of_its_preprocessing(tmp_path,
                                                                        monkeypatch):
    # Beyond the sample the preprocessing is fitted on, the rows of sample_weight 0 were
    # drawn into it: 20 outliers of weight 0 moved the scaling of every other row
    from sklearn_mtl import _multitask

    X = np.random.RandomState(0).normal(size=(80, 3)) * [1, 100, 1000]
    X[:20] += 1e6
    Y = pd.DataFrame({"a": np.where(X[:, 0] > 0, "y", "n")})
    weight = np.r_[np.zeros(20), np.ones(60)]
    monkeypatch.setattr(_multitask, "_MEMMAP_FIT_ROWS", 30)
    params = dict(hidden_layer_sizes=(4,), ensemble_size=1, max_epochs=1, random_state=0)
    weighted = MultiTaskClassifier(**params).fit(_mapped(X, tmp_path / "x.npy"), Y,
                                                 sample_weight=weight)
    # as if the file held the other rows only: the same 30 drawn among them
    dropped = MultiTaskClassifier(**params).fit(_mapped(X[20:], tmp_path / "kept.npy"),
                                                Y[20:])
    np.testing.assert_array_equal(weighted.preprocessor_.transform(X),
                                  dropped.preprocessor_.transform(X))
    # up to the sample size, as the array in memory is
    monkeypatch.setattr(_multitask, "_MEMMAP_FIT_ROWS", 100)
    small = MultiTaskClassifier(**params).fit(_mapped(X, tmp_path / "x.npy"), Y,
                                              sample_weight=weight)
    in_memory = MultiTaskClassifier(**params).fit(X, Y, sample_weight=weight)
    np.testing.assert_array_equal(small.preprocessor_.transform(X),
                                  in_memory.preprocessor_.transform(X))


@pytest.mark.parametrize("form", ["memmap", "dataset"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_early_stoppings_split_warns_on_lazy_inputs_as_on_an_array(form, seed, tmp_path):
    # A memory map or a user's Dataset is split as the array is, but the warning that
    # the split took a task's labels out of training was given for arrays only
    import warnings

    from sklearn_mtl.neural._net import ArrayDataset

    X = np.random.RandomState(0).normal(size=(20, 3)).astype(np.float32)
    Y = pd.DataFrame({"a": [0, 1] + [None] * 18, "b": np.where(X[:, 1] > 0, "x", "y")})
    lazy = (_mapped(X, tmp_path / "x.npy") if form == "memmap" else ArrayDataset(X))
    params = dict(hidden_layer_sizes=(4,), max_epochs=1, random_state=seed,
                  early_stopping=True, validation_fraction=0.5, ensemble_size=1,
                  preprocessing=None)
    said = []
    for data in (X, lazy):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            MultiTaskClassifier(**params).fit(data, Y)
        said.append([str(w.message) for w in caught if "validation split" in str(w.message)])
    assert said[1] == said[0]
    assert len(said[0]) == (0 if seed == 2 else 1)


def test_a_gap_is_named_by_its_row_where_shards_are_read_without_preprocessing(
        shards, tmp_path):
    # preprocessing=None read a NaN into the network: the loss turned NaN and fit
    # blamed a diverged training (lower lr, scale X), where an array is refused
    frame = shards[0].copy()
    frame.loc[137, "x1"] = np.nan
    for i, rows in enumerate(np.array_split(np.arange(len(frame)), 3)):
        frame.iloc[rows].to_parquet(tmp_path / f"part-{i}.parquet", row_group_size=40)
    gappy = ParquetShards(tmp_path, features=FEATURES, targets=["car", "color"])
    clf = MultiTaskClassifier(tasks=TASKS, hidden_layer_sizes=(4,), max_epochs=1,
                              preprocessing=None, random_state=0)
    with pytest.raises(ValueError, match=r"NaN \(a missing value\) at row 137 \(row 57 of "
                                         r"file '[^']*part-1\.parquet'\), column 'x1'; with "
                                         r"preprocessing=None"):
        clf.fit(gappy)
    clf.set_params(preprocessing="auto").fit(gappy)  # imputed, as in memory


def test_a_fit_on_shards_forgets_the_sample_shape_of_a_previous_fit(shards):
    # refitted on shards after images, predict refused the table: "expecting samples of
    # shape (1, 2, 2)", the previous fit's
    frame, sh = shards
    clf = MultiTaskClassifier(tasks=TASKS, hidden_layer_sizes=(4,), max_epochs=1,
                              ensemble_size=1, random_state=0)
    images = np.random.RandomState(0).normal(size=(240, 1, 2, 2)).astype(np.float32)
    clf.fit(images, frame[["car", "color"]])
    assert clf.fit(sh).predict(frame[FEATURES]).shape == (240, 2)


def test_a_label_column_all_null_in_the_first_file_reads_as_the_other_files(tmp_path):
    # pyarrow took the dataset's schema from the first file, where a gated task off in
    # every row is a column of type null: reading the labels failed with "Unsupported
    # cast from large_string to null", naming neither the file nor the column
    frame = make_frame(120)
    first = frame.iloc[:40].copy()
    first["car"], first["color"] = "no", None
    first.to_parquet(tmp_path / "part-0.parquet")
    frame.iloc[40:].to_parquet(tmp_path / "part-1.parquet")
    sh = ParquetShards(tmp_path, features=FEATURES, targets=["car", "color"])
    expected = pd.concat([first, frame.iloc[40:]])["color"].to_numpy(object)
    got = sh.labels()["color"].to_numpy(object)
    assert [None if pd.isna(v) else v for v in got] == [
        None if pd.isna(v) else v for v in expected]
    params = dict(tasks=TASKS, hidden_layer_sizes=(8,), max_epochs=2, batch_size=120,
                  random_state=0, preprocessing=None, ensemble_size=1)
    lazy = MultiTaskClassifier(**params).fit(sh)
    eager = MultiTaskClassifier(**params).fit(pd.concat([first, frame.iloc[40:]])[FEATURES],
                                             pd.concat([first, frame.iloc[40:]])[["car",
                                                                                  "color"]])
    a, b = lazy.net_.module_.state_dict(), eager.net_.module_.state_dict()
    assert max(float((a[k] - b[k]).abs().max()) for k in a) < 1e-5


def test_a_label_column_of_numbers_in_one_file_and_text_in_another_is_refused(tmp_path):
    frame = make_frame(60)
    head = frame.iloc[:30].copy()
    head["car"] = (head["car"] == "yes").astype(int)
    head.to_parquet(tmp_path / "part-0.parquet")
    frame.iloc[30:].to_parquet(tmp_path / "part-1.parquet")
    with pytest.raises(ValueError, match=r"target column 'car' holds large_string in the "
                                         r"Parquet file '[^']*part-1\.parquet' but int64 in "
                                         r"'[^']*part-0\.parquet'"):
        ParquetShards(tmp_path, features=FEATURES, targets=["car", "color"])
    # a feature column is read file by file, as it is: only the targets must agree
    ParquetShards(tmp_path, features=FEATURES + ["car"], targets=["color"])


# NaN and infinity in the main process; in DataLoader workers (whose error reaches the
# caller) infinity only: the check and its message are the same code in both places
@pytest.mark.parametrize("num_workers, value", [(0, np.nan), (0, np.inf), (2, np.inf)],
                         ids=["0-nan", "0-inf", "2-inf"])
def test_a_memmap_read_as_it_is_refuses_nan_and_infinity_naming_the_row(
        tmp_path, value, num_workers):
    # a memory map read without preprocessing trained a NaN loss (blamed on a diverged
    # training) and predicted NaN probabilities, where an array in memory is refused
    frame = make_frame(60)
    values = np.array(frame[FEATURES], dtype=np.float64)
    values[37, 2] = value
    np.save(tmp_path / "X.npy", values)
    mapped = np.load(tmp_path / "X.npy", mmap_mode="r")
    params = dict(hidden_layer_sizes=(4,), max_epochs=1, random_state=0,
                  preprocessing=None, num_workers=num_workers)
    what = r"NaN \(a missing value\)" if np.isnan(value) else "an infinite value"
    message = rf"X holds {what} at row 37, column 2; X is read as it is"
    with pytest.raises(ValueError, match=message):
        MultiTaskClassifier(**params).fit(mapped, frame[["car"]])
    clf = MultiTaskClassifier(**params).fit(np.nan_to_num(values, posinf=0.0),
                                            frame[["car"]])
    with pytest.raises(ValueError, match=message):
        clf.predict_proba(mapped)
    np.testing.assert_array_equal(mapped, values)  # the file is left as it was


def test_loader_workers_stop_when_a_refusal_or_a_step_raises(tmp_path):
    # torch shut the workers down only when the loader's iterator was collected, and
    # in a garbage collection it waited 5 s for each worker: they now stop as the error
    # leaves the loop, while the caller still holds the exception and its traceback
    import gc
    import multiprocessing

    from skorch.callbacks import Callback

    frame = make_frame(60)
    values = np.array(frame[FEATURES], dtype=np.float64)
    values[37, 2] = np.inf
    np.save(tmp_path / "X.npy", values)
    mapped = np.load(tmp_path / "X.npy", mmap_mode="r")
    params = dict(hidden_layer_sizes=(4,), max_epochs=1, random_state=0, preprocessing=None,
                  num_workers=2, batch_size=8)

    class Stop(Callback):  # the consumer's side raises, mid-epoch
        def on_batch_end(self, net, **kwargs):
            raise RuntimeError("stopped by the callback")

    def workers():  # the loader's, not another test's (joblib's loky workers stay)
        return set(multiprocessing.active_children()) - before

    before = set(multiprocessing.active_children())
    gc.disable()
    try:
        with pytest.raises(ValueError, match="infinite value at row 37") as refused:
            MultiTaskClassifier(**params).fit(mapped, frame[["car"]])
        assert refused.value.__traceback__ is not None
        assert workers() == set()
        clf = MultiTaskClassifier(**params).fit(np.nan_to_num(values, posinf=0.0),
                                                frame[["car"]])
        with pytest.raises(ValueError, match="infinite value at row 37"):
            clf.predict_proba(mapped)
        assert workers() == set()
        np.save(tmp_path / "clean.npy", np.nan_to_num(values, posinf=0.0))
        clean = np.load(tmp_path / "clean.npy", mmap_mode="r")
        with pytest.raises(RuntimeError, match="stopped by the callback"):
            MultiTaskClassifier(**params, callbacks=[Stop()]).fit(clean, frame[["car"]])
        assert workers() == set()
    finally:
        gc.enable()


def test_a_memmap_of_bools_is_read_as_zeros_and_ones(tmp_path):
    # refused ("needs real numbers in X; the memory map holds bool") where an array of
    # bools is read as 0 and 1
    values = make_frame(60)[FEATURES].to_numpy() > 0
    Y = pd.DataFrame({"a": np.where(values[:, 0], "p", "q")})
    np.save(tmp_path / "b.npy", values)
    np.save(tmp_path / "f.npy", values.astype(np.float64))
    bools = np.load(tmp_path / "b.npy", mmap_mode="r")
    floats = np.load(tmp_path / "f.npy", mmap_mode="r")
    for preprocessing in ["auto", None]:
        # one network: the ensemble reads X as one network does
        params = dict(hidden_layer_sizes=(4,), max_epochs=2, random_state=0,
                      preprocessing=preprocessing, ensemble_size=1)
        a = MultiTaskClassifier(**params).fit(bools, Y).predict_proba(bools)
        b = MultiTaskClassifier(**params).fit(floats, Y).predict_proba(floats)
        np.testing.assert_allclose(a[0], b[0], rtol=1e-6, atol=1e-7)


def test_a_member_holdout_is_refused_on_shards_rather_than_left_inactive(shards):
    # its folds are a column of the in-memory targets: on shards it recorded nothing,
    # chose no epoch and let every member train on every row, silently
    from sklearn_mtl.neural import MemberHoldout

    _, sh = shards
    clf = MultiTaskClassifier(tasks=TASKS, hidden_layer_sizes=(4,), max_epochs=1,
                              ensemble_size=2, callbacks=[MemberHoldout()], random_state=0)
    with pytest.raises(ValueError, match=r"callbacks with a MemberHoldout \(held-out folds "
                                         r"of the ensemble's members\) is not supported "
                                         r"when fitting on ParquetShards"):
        clf.fit(sh)
    clf.set_params(callbacks=None).fit(sh)  # the recipe's ensemble: its last epoch


def test_predict_shards_writes_a_kept_column_all_null_in_the_first_file(shards, tmp_path):
    # the output schema took the kept column's type from the first file, null there:
    # writing the next file's ids failed ("NumPyConverter doesn't implement <null>
    # conversion")
    frame, _ = shards
    clf = MultiTaskClassifier(tasks=TASKS, hidden_layer_sizes=(4,), max_epochs=1,
                              ensemble_size=1, random_state=0).fit(frame[FEATURES],
                                                                   frame[["car", "color"]])
    first = frame.iloc[:20].copy()
    first["id"] = None
    (tmp_path / "in").mkdir()
    first.to_parquet(tmp_path / "in" / "part-0.parquet")
    frame.iloc[20:50].to_parquet(tmp_path / "in" / "part-1.parquet")
    sh = ParquetShards(tmp_path / "in", features=FEATURES)
    paths = predict_shards(clf, sh, tmp_path / "out", keep=["id"])
    written = [pd.read_parquet(p) for p in paths]
    assert written[0]["id"].isna().all() and len(written[0]) == 20
    assert written[1]["id"].tolist() == list(range(20, 50))
    pd.testing.assert_frame_equal(
        pd.concat(written)[["car", "color"]].reset_index(drop=True).astype(object),
        clf.predict(frame[FEATURES].iloc[:50]).reset_index(drop=True).astype(object))


def test_predicting_from_shards_says_to_use_predict_shards(shards, tiny_on_shards):
    # predict(shards) after fit(shards) failed with "float() argument must be a string
    # or a real number, not 'ParquetShards'"
    frame, sh = shards
    clf = tiny_on_shards
    for method in (clf.predict, clf.predict_proba):
        with pytest.raises(ValueError, match=r"X is ParquetShards, which MultiTaskClassifier "
                                             r"fits on but does not predict from: "
                                             r"sklearn_mtl\.sharded\.predict_shards"):
            method(sh)
    rows = sh.dataset.to_table(columns=sh.features).to_pandas()  # the way the error shows
    pd.testing.assert_frame_equal(clf.predict(rows), clf.predict(frame[FEATURES]))


@pytest.mark.parametrize("preprocessing", ["auto", None])
def test_a_memmap_of_no_row_is_refused_as_an_array_of_no_row(tmp_path, preprocessing):
    # predict on np.load("zero_rows.npy", mmap_mode="r") gave back no prediction, where
    # the same array in memory is refused in scikit-learn's words
    frame = make_frame(60)
    values = frame[FEATURES].to_numpy()
    clf = MultiTaskClassifier(hidden_layer_sizes=(4,), max_epochs=1, random_state=0,
                              preprocessing=preprocessing).fit(values, frame[["car"]])
    empty = _mapped(values[:0], tmp_path / "empty.npy")
    message = (r"^Found array with 0 sample\(s\) \(shape=\(0, 4\)\) while a minimum of 1 "
               r"is required by MultiTaskClassifier\.$")
    for X in (values[:0], empty):
        for method in (clf.predict, clf.predict_proba):
            with pytest.raises(ValueError, match=message):
                method(X)
        with pytest.raises(ValueError, match=message):
            MultiTaskClassifier(preprocessing=preprocessing).fit(X, frame[["car"]].iloc[:0])


def test_a_memmap_reads_feature_names_as_an_array_does(tmp_path):
    # fitted on a DataFrame, an array at predict warns "X does not have valid feature
    # names", as scikit-learn does; a memory map of the same values did not, and a fit on
    # a memory map kept feature_names_in_ of a previous fit on a DataFrame
    frame = make_frame(60)
    mapped = _mapped(frame[FEATURES].to_numpy(), tmp_path / "X.npy")
    clf = MultiTaskClassifier(hidden_layer_sizes=(4,), max_epochs=1, random_state=0)
    clf.fit(frame[FEATURES], frame[["car"]])
    for X in (frame[FEATURES].to_numpy(), mapped):
        with pytest.warns(UserWarning, match=r"^X does not have valid feature names, but "
                                             r"MultiTaskClassifier was fitted with feature "
                                             r"names$"):
            clf.predict(X)
    for preprocessing in ("auto", None):
        clf.set_params(preprocessing=preprocessing).fit(frame[FEATURES], frame[["car"]])
        assert list(clf.feature_names_in_) == FEATURES
        clf.fit(mapped, frame[["car"]])
        assert not hasattr(clf, "feature_names_in_")


def test_partial_fit_reads_the_labels_of_shards_as_fit_does(shards):
    # fit(shards) takes no y, the shards' targets hold the labels; partial_fit(shards)
    # failed on a missing positional argument
    frame, sh = shards
    clf = MultiTaskClassifier(tasks=TASKS, hidden_layer_sizes=(4,), random_state=0)
    clf.partial_fit(sh)
    ref = MultiTaskClassifier(tasks=TASKS, hidden_layer_sizes=(4,), random_state=0)
    ref.partial_fit(sh, None)
    X = frame[FEATURES]
    np.testing.assert_array_equal(clf.predict_proba(X, task="car"),
                                  ref.predict_proba(X, task="car"))


def test_partial_fit_reads_classes_against_the_shards_targets_or_asks_for_y(shards):
    # partial_fit(shards, classes=...) read the classes against y=None ("tuple index out
    # of range"), as partial_fit(X, classes=...) of an in-memory X with y forgotten did;
    # the shards' targets columns name the tasks, and an in-memory X asks for its y
    frame, sh = shards
    clf = MultiTaskClassifier(hidden_layer_sizes=(4,), random_state=0)
    clf.partial_fit(sh, classes={"car": ["no", "yes", "maybe"], "color": ["red", "blue"]})
    assert list(clf.schema_["car"].classes) == ["maybe", "no", "yes"]
    assert clf.predict_proba(frame[FEATURES], task="car").shape == (240, 3)
    with pytest.raises(ValueError, match="requires y to be passed, but the target y is None"):
        MultiTaskClassifier().partial_fit(frame[FEATURES].to_numpy(), classes=[["no", "yes"]])


def test_predict_shards_refuses_to_write_over_an_input_file(tmp_path):
    # predict_shards(clf, shards, the data's folder) on files named part-00000.parquet
    # opened the first input file for writing before reading it: the data were lost
    # and the read failed with "Invalid column metadata (corrupt file?)"
    frame = make_frame(60)
    clf = MultiTaskClassifier(hidden_layer_sizes=(4,), max_epochs=1, ensemble_size=1,
                              random_state=0).fit(frame[FEATURES], frame[["car"]])
    for i in range(2):
        frame.iloc[30 * i:30 * (i + 1)].to_parquet(tmp_path / f"part-{i:05d}.parquet")
    before = (tmp_path / "part-00000.parquet").read_bytes()
    sh = ParquetShards(tmp_path, features=FEATURES)
    with pytest.raises(ValueError, match=r"would write the predictions of file 0 to .*, "
                                         r"which is the input file .*part-00000\.parquet'"
                                         r": it would be overwritten"):
        predict_shards(clf, sh, tmp_path, keep=["id"])
    assert (tmp_path / "part-00000.parquet").read_bytes() == before
    paths = predict_shards(clf, sh, tmp_path / "out", keep=["id"])
    assert pd.concat(pd.read_parquet(p) for p in paths)["id"].tolist() == list(range(60))


def test_hive_partition_keys_are_read_as_features_targets_and_kept_columns(tmp_path):
    # a hive-partitioned dataset's key columns (store=1/...) live in the folder names:
    # they were accepted as columns, but reading a row group or a batch of them failed
    # in pyarrow ("No match for FieldRef.Name(store)")
    ds = pytest.importorskip("pyarrow.dataset")
    frame = make_frame(120)
    frame["store"] = np.repeat([1, 2], 60)
    for store, part in frame.groupby("store"):
        (tmp_path / "data" / f"store={store}").mkdir(parents=True)
        part.drop(columns="store").to_parquet(
            tmp_path / "data" / f"store={store}" / "p.parquet", row_group_size=30)
    data = ds.dataset(tmp_path / "data", format="parquet", partitioning="hive")
    features = FEATURES + ["store"]
    sh = ParquetShards(data, features=features, targets=["car"])
    params = dict(hidden_layer_sizes=(8,), max_epochs=3, lr=1e-2, batch_size=120,
                  random_state=0, preprocessing=None, ensemble_size=1)
    lazy = MultiTaskClassifier(**params).fit(sh)
    eager = MultiTaskClassifier(**params).fit(frame[features], frame[["car"]])
    a, b = lazy.net_.module_.state_dict(), eager.net_.module_.state_dict()
    assert max(float((a[k] - b[k]).abs().max()) for k in a) < 1e-5
    paths = predict_shards(lazy, sh, tmp_path / "out", keep=["store", "id"])
    written = pd.concat(pd.read_parquet(p) for p in paths)
    assert written["store"].tolist() == frame["store"].tolist()
    assert written["car"].tolist() == eager.predict(frame[features])["car"].tolist()
    # a label as the key: every row's label comes from its folder
    by_label = ParquetShards(data, features=FEATURES, targets=["store"])
    clf = MultiTaskClassifier(**params).fit(by_label)
    assert list(clf.schema_["store"].classes) == [1, 2]


def test_predict_shards_takes_a_pipeline_ending_in_a_model_of_the_package(shards,
                                                                          tmp_path):
    # a Pipeline (scaler, model) failed with "'Pipeline' object has no attribute
    # 'schema_'", and a model not fitted yet with the same AttributeError
    from sklearn.exceptions import NotFittedError
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    frame, sh = shards
    model = MultiTaskClassifier(tasks=TASKS, hidden_layer_sizes=(4,), max_epochs=1,
                                ensemble_size=1, random_state=0)
    with pytest.raises(NotFittedError, match="MultiTaskClassifier instance is not fitted"):
        predict_shards(make_pipeline(StandardScaler(), model), sh, tmp_path / "none")
    assert not (tmp_path / "none").exists()
    pipe = make_pipeline(StandardScaler(), model).fit(frame[FEATURES],
                                                      frame[["car", "color"]])
    paths = predict_shards(pipe, sh, tmp_path / "out", keep=["id"])
    written = pd.concat(pd.read_parquet(p) for p in paths).reset_index(drop=True)
    assert list(written.columns) == ["id", "car", "color"]
    pd.testing.assert_frame_equal(
        written[["car", "color"]].astype(object),
        pipe.predict(frame[FEATURES]).reset_index(drop=True).astype(object))


@pytest.mark.parametrize("link", ["hard link", "sub-tree file system"])
def test_predict_shards_refuses_an_input_reached_otherwise_than_by_its_path(tmp_path,
                                                                            link):
    # the check compared real paths on a LocalFileSystem alone: an output file hard
    # linked to an input, or inputs read through a SubTreeFileSystem of a local folder
    # (relative paths), passed, and the input was emptied before it was read
    fs = pytest.importorskip("pyarrow.fs")
    ds = pytest.importorskip("pyarrow.dataset")
    frame = make_frame(40)
    clf = MultiTaskClassifier(hidden_layer_sizes=(4,), max_epochs=1, ensemble_size=1,
                              random_state=0).fit(frame[FEATURES], frame[["car"]])
    (tmp_path / "data").mkdir()
    (tmp_path / "out").mkdir()
    frame.to_parquet(tmp_path / "data" / "a.parquet")
    before = (tmp_path / "data" / "a.parquet").read_bytes()
    if link == "hard link":  # e.g. a snapshot copied with cp -al
        (tmp_path / "out" / "part-00000.parquet").hardlink_to(tmp_path / "data" / "a.parquet")
        data, output = tmp_path / "data", tmp_path / "out"
    else:
        (tmp_path / "data" / "a.parquet").rename(tmp_path / "data" / "part-00000.parquet")
        local = fs.SubTreeFileSystem(str(tmp_path / "data"), fs.LocalFileSystem())
        data = ds.dataset("", filesystem=local, format="parquet")
        output = tmp_path / "data"
    sh = ParquetShards(data, features=FEATURES)
    with pytest.raises(ValueError, match=r"which is the input file .*: it would be overwritten"):
        predict_shards(clf, sh, output)
    assert before in {p.read_bytes() for p in (tmp_path / "data").iterdir()}
    # an output folder beside the data's, where no file is an input, is not refused
    assert len(predict_shards(clf, sh, tmp_path / "elsewhere")) == 1


def test_a_source_without_a_parquet_file_is_refused_naming_it(tmp_path):
    # an empty folder read as a dataset of no column ("features names column(s) ['x0']
    # that the Parquet data lack; its columns are []"), a pattern was read as a path
    # (a bare FileNotFoundError of the pattern), a folder of CSV files failed in pyarrow
    (tmp_path / "empty").mkdir()
    (tmp_path / "csv").mkdir()
    make_frame(10).to_csv(tmp_path / "csv" / "a.csv")
    for source, where in ((tmp_path / "empty", "in '.*empty': it holds no file"),
                          (str(tmp_path / "nothing-*.parquet"),
                           r"by the pattern '.*nothing-\*\.parquet': it matches no file"),
                          (tmp_path / "csv", r"in '.*csv': its files are of another "
                                             r"format \('.*a\.csv' is not Parquet\)"),
                          (tmp_path / "absent", "at '.*absent': no such file or folder")):
        with pytest.raises(FileNotFoundError,
                           match=f"No Parquet file found {where}.*ParquetShards reads a "
                                 "folder of Parquet files"):
            ParquetShards(source, features=FEATURES)
    # a pattern that matches is read as the sorted list of its files
    frame = make_frame(30)
    for i in (1, 0):
        frame.iloc[15 * i:15 * (i + 1)].to_parquet(tmp_path / "csv" / f"p{i}.parquet")
    sh = ParquetShards(str(tmp_path / "csv" / "p*.parquet"), features=FEATURES,
                       targets=["car"])
    assert sh.n_files == 2
    assert sh.labels()["car"].tolist() == frame["car"].tolist()
    with pytest.raises(ValueError, match=r"holds '.*a\.csv', which is not a Parquet file"):
        ParquetShards(tmp_path / "csv", features=FEATURES)
    # a stray file that sorts after a Parquet file (pyarrow checks only the first) was
    # pyarrow's "Could not open Parquet input source" when its footer was read
    (tmp_path / "csv" / "a.csv").rename(tmp_path / "csv" / "z_notes.txt")
    for targets in (None, ["car"]):  # the targets' types read every footer at once
        with pytest.raises(ValueError, match=r"The data holds '.*z_notes\.txt', which is "
                                             r"not a Parquet file \(.*\)\. ParquetShards "
                                             r"reads a folder of Parquet files.*keep other "
                                             r"files out of the folder"):
            ParquetShards(tmp_path / "csv", features=FEATURES, targets=targets).units()


def test_predict_shards_refuses_a_folder_holding_an_earlier_runs_extra_files(tmp_path):
    # a run over 2 files into the folder of a run over 3 left part-00002.parquet of the
    # first: the folder, read as one dataset, held 80 rows for 60
    frame = make_frame(60)
    clf = MultiTaskClassifier(hidden_layer_sizes=(4,), max_epochs=1, ensemble_size=1,
                              random_state=0).fit(frame[FEATURES], frame[["car"]])
    for n in (3, 2):
        (tmp_path / str(n)).mkdir()
        for i, rows in enumerate(np.array_split(np.arange(60), n)):
            frame.iloc[rows].to_parquet(tmp_path / str(n) / f"p{i}.parquet")
    out = tmp_path / "out"
    predict_shards(clf, ParquetShards(tmp_path / "3", features=FEATURES), out, keep=["id"])
    before = (out / "part-00000.parquet").read_bytes()
    with pytest.raises(ValueError, match=r"The output folder '.*out' holds 1 prediction "
                                         r"file\(s\) \['part-00002\.parquet'\] that this "
                                         r"run, over 2 input file\(s\), would not write"):
        predict_shards(clf, ParquetShards(tmp_path / "2", features=FEATURES), out)
    assert (out / "part-00000.parquet").read_bytes() == before  # nothing written
    # any other file a folder is read with: another tool's part-3.parquet (not replaced
    # by this run's part-00003), a README; names starting with '.' or '_' are skipped
    for name in ("part-3.parquet", "README.md"):
        (out / name).write_bytes(b"x")
        with pytest.raises(ValueError, match=rf"holds 2 file\(s\) \[[^]]*'{re.escape(name)}'"
                                             r".*every file but those whose names start "
                                             r"with '\.' or '_'"):
            predict_shards(clf, ParquetShards(tmp_path / "2", features=FEATURES), out)
        (out / name).unlink()
    (out / "_SUCCESS").write_bytes(b"")
    (out / ".done").write_bytes(b"")
    # the same run again replaces its own files
    predict_shards(clf, ParquetShards(tmp_path / "3", features=FEATURES), out, keep=["id"])
    assert pd.read_parquet(out)["id"].tolist() == list(range(60))


def test_a_pattern_reads_files_as_its_folder_would(tmp_path):
    # "out/*" read Spark's _SUCCESS (and dask's _metadata) as a Parquet file, which
    # pyarrow skips in the folder; "lake/store=*" matched folders, which pyarrow refuses
    # in a list of paths
    frame = make_frame(30)
    for i, part in enumerate(("store=1", "store=2")):
        (tmp_path / part).mkdir()
        frame.iloc[15 * i:15 * (i + 1)].to_parquet(tmp_path / part / "part-0.parquet")
        (tmp_path / part / "_SUCCESS").write_bytes(b"")
        (tmp_path / part / ".part-0.parquet.crc").write_bytes(b"crc")
    (tmp_path / "_temporary").mkdir()
    (tmp_path / "_temporary" / "part-9.parquet").write_bytes(b"being written")
    for pattern in ("store=1/*", "store=*", "*", "**/*.parquet"):
        sh = ParquetShards(str(tmp_path / pattern), features=FEATURES, targets=["car"])
        assert sh.labels()["car"].tolist() == frame["car"].tolist()[:15 * sh.n_files]
        assert sh.n_files == (1 if pattern.startswith("store=1") else 2)
    # a name starting with '_' that the pattern writes is read
    frame.to_parquet(tmp_path / "_temporary" / "part-0.parquet")
    assert ParquetShards(str(tmp_path / "_temp*" / "part-0*"), features=FEATURES).n_rows == 30


def test_fit_on_shards_refuses_a_param_group_matching_no_parameter(shards):
    _, sh = shards
    clf = MultiTaskClassifier(tasks=TASKS, hidden_layer_sizes=(4,), max_epochs=1,
                              ensemble_size=1, random_state=0,
                              optimizer_params={"param_groups": [("trunk.nope*", {"lr": 0.1})]})
    with pytest.raises(ValueError, match="group 'trunk.nope\\*' matches no parameter"):
        clf.fit(sh)


def _dated(n=200, seed=0):
    rng = np.random.RandomState(seed)
    frame = pd.DataFrame({
        "x": rng.normal(size=n),
        "when": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.randint(0, 1500, n),
                                                             unit="D"),
    })
    frame["late"] = np.where(frame["when"] > "2022-01-01", "yes", "no")
    return frame


def test_date_columns_of_shards_are_read_as_days_whatever_their_unit(tmp_path):
    # A timestamp column was read as its integers in the file's own unit (1.7e15
    # microseconds since 1970): the same dates written in milliseconds predicted
    # otherwise, where in memory a date is read as days since 1970 (in UTC)
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    from sklearn_mtl.sharded import _features

    frame = _dated()
    forms = {
        "us": frame.astype({"when": "datetime64[us]"}),
        "ms": frame.astype({"when": "datetime64[ms]"}),
        "tz": frame.assign(when=frame["when"].dt.tz_localize("UTC").dt.tz_convert(
            "Europe/Paris")),
    }
    days = ((frame["when"] - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)).to_numpy()
    for name, form in forms.items():
        (tmp_path / name).mkdir()
        pq.write_table(pa.Table.from_pandas(form, preserve_index=False),
                       tmp_path / name / "p.parquet")
        table = pq.read_table(tmp_path / name / "p.parquet")
        np.testing.assert_array_equal(_features(table, ["x", "when"])[:, 1], days)
    durations = pa.table({"d": pa.array(pd.to_timedelta([1.5, 2], unit="D"))})
    np.testing.assert_array_equal(_features(durations, ["d"])[:, 0], [1.5, 2.0])
    clf = MultiTaskClassifier(hidden_layer_sizes=(8,), max_epochs=3, random_state=0).fit(
        ParquetShards(tmp_path / "us", features=["x", "when"], targets=["late"]))
    written = [pd.read_parquet(predict_shards(
        clf, ParquetShards(tmp_path / name, features=["x", "when"]),
        tmp_path / f"pred-{name}")[0]) for name in forms]
    for other in written[1:]:
        pd.testing.assert_frame_equal(other, written[0])
    expected = clf.predict(frame[["x"]].assign(when=days))
    assert written[0]["late"].tolist() == expected["late"].tolist()
    # and in memory, a frame's dates (any unit or zone) as it read the files' (they were
    # refused: "holds dates; expected numbers"); the caller's frame is left as it is
    for form in forms.values():
        given = form[["x", "when"]].copy()
        proba = clf.predict_proba(given)
        np.testing.assert_array_equal(
            proba[0], clf.predict_proba(frame[["x"]].assign(when=days))[0])
        pd.testing.assert_frame_equal(given, form[["x", "when"]])
    assert clf.predict(frame[["x", "when"]])["late"].tolist() == expected["late"].tolist()
    # a refit in memory forgets them: its dates are the recipe's own columns of dates
    clf.fit(frame[["x"]].assign(when=days), frame[["late"]])
    with pytest.raises(ValueError, match="'when' holds dates"):
        clf.predict(frame[["x", "when"]])
    # a model fitted in memory on the dates reads them as dates from the shards too (it
    # refused them as "float64 values" where it held dates in training)
    memory = MultiTaskClassifier(hidden_layer_sizes=(8,), max_epochs=3, random_state=0).fit(
        frame[["x", "when"]], frame[["late"]])
    out = pd.read_parquet(predict_shards(
        memory, ParquetShards(tmp_path / "ms", features=["x", "when"]), tmp_path / "mem")[0])
    assert out["late"].tolist() == memory.predict(frame[["x", "when"]])["late"].tolist()


def test_a_failed_prediction_file_leaves_no_shortened_file_and_the_earlier_one(
        shards, tiny_on_shards, tmp_path):
    # the writer closed the file cleanly as the error passed: a shorter file of valid
    # Parquet (read as if whole), in place of an earlier run's complete one
    frame, sh = shards
    out = tmp_path / "pred"
    first = predict_shards(tiny_on_shards, sh, out)
    before = [pd.read_parquet(p) for p in first]
    bad = frame.copy()
    bad["x1"] = bad["x1"].astype(str)
    bad.loc[180, "x1"] = "?"  # in the third file, after two of its batches
    folder = tmp_path / "bad"
    folder.mkdir()
    for i, rows in enumerate(np.array_split(np.arange(len(bad)), 3)):
        bad.iloc[rows].to_parquet(folder / f"part-{i}.parquet", row_group_size=40)
    with pytest.raises(ValueError, match="row 180"):
        predict_shards(tiny_on_shards, ParquetShards(folder, features=FEATURES,
                                                     batch_rows=25), out)
    assert sorted(p.name for p in out.iterdir()) == [f"part-{i:05d}.parquet" for i in range(3)]
    pd.testing.assert_frame_equal(pd.read_parquet(first[2]), before[2])


def test_predict_shards_predicts_with_a_fitted_searchs_best_estimator(shards, tmp_path):
    # refused as "got GridSearchCV, which has none", where predict_partitions takes it
    from sklearn.model_selection import GridSearchCV

    frame, sh = shards
    search = GridSearchCV(MultiTaskClassifier(tasks=TASKS[:1], hidden_layer_sizes=(4,),
                                              max_epochs=1, ensemble_size=1,
                                              random_state=0),
                          {"lr": [1e-3, 1e-2]}, cv=2).fit(frame[FEATURES], frame[["car"]])
    written = pd.read_parquet(predict_shards(search, sh, tmp_path / "pred")[0])
    expected = search.best_estimator_.predict(frame[FEATURES].iloc[:len(written)])
    assert written["car"].tolist() == expected["car"].tolist()


def _three_files(folder, change=None, which=0):
    """``make_frame()`` in three files (two row groups each), file ``which`` changed."""
    frame = make_frame()
    folder.mkdir()
    for i, rows in enumerate(np.array_split(np.arange(len(frame)), 3)):
        part = frame.iloc[rows]
        (part if change is None or i != which else change(part)).to_parquet(
            folder / f"part-{i}.parquet", row_group_size=40)
    return frame


@pytest.mark.parametrize("kind, column", [("features", "x2"), ("targets", "color")])
def test_a_column_missing_in_the_first_file_only_is_named_with_that_file(tmp_path, kind,
                                                                         column):
    # listed file 0's columns without naming the file (the error of a later file names it)
    _three_files(tmp_path / "in", lambda part: part.drop(columns=column))
    first = re.escape(repr(str(tmp_path / "in" / "part-0.parquet")))
    with pytest.raises(ValueError, match=rf"{kind} names column\(s\) \['{column}'\] that the "
                                         rf"Parquet data lack: its first file {first}, "
                                         r".*has the columns \[.*'id'\]\. Every file"):
        ParquetShards(tmp_path / "in", features=FEATURES, targets=["car", "color"])


def test_a_kept_column_missing_in_the_first_file_is_named_with_that_file(tiny_on_shards,
                                                                          tmp_path):
    # "keep names column(s) ['id'] that the Parquet data lack.", of data whose later
    # files hold it
    _three_files(tmp_path / "in", lambda part: part.drop(columns="id"))
    first = re.escape(repr(str(tmp_path / "in" / "part-0.parquet")))
    with pytest.raises(ValueError, match=rf"keep names column\(s\) \['id'\] that the "
                                         rf"Parquet data lack: its first file {first}, .*"
                                         r"Every file of the data must hold the kept"):
        predict_shards(tiny_on_shards, ParquetShards(tmp_path / "in", features=FEATURES),
                       tmp_path / "out", keep=["id"])


def test_a_pyarrow_dataset_of_another_format_is_refused_naming_it(tmp_path):
    # a CSV dataset was taken, then failed later with "'FileFragment' object has no
    # attribute 'split_by_row_group'"
    import pyarrow as pa
    import pyarrow.dataset as ds

    frame = make_frame(40).astype(dict.fromkeys(FEATURES, "float64"))  # as a CSV reads
    (tmp_path / "csv").mkdir()
    frame.to_csv(tmp_path / "csv" / "part-0.csv", index=False)
    with pytest.raises(ValueError, match=r"pyarrow dataset of 'csv' files \(CsvFileFormat\); "
                                         r"ParquetShards reads Parquet files.*format='parquet'"):
        ParquetShards(ds.dataset(tmp_path / "csv", format="csv"), features=FEATURES)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    with pytest.raises(ValueError, match=r"a table in memory \(InMemoryDataset\)"):
        ParquetShards(ds.dataset(table), features=FEATURES)
    frame[FEATURES].to_parquet(tmp_path / "one.parquet")
    (tmp_path / "features").mkdir()
    frame[FEATURES].to_csv(tmp_path / "features" / "part-0.csv", index=False)
    parquet = ds.dataset(tmp_path / "one.parquet", format="parquet")
    csv = ds.dataset(tmp_path / "features", format="csv")
    with pytest.raises(ValueError, match="'csv' files"):  # inside a union of datasets
        ParquetShards(ds.dataset([parquet, csv]), features=FEATURES)
    assert ParquetShards(ds.dataset([parquet, parquet]), features=FEATURES).n_rows == 80


def test_an_undeclared_label_in_a_shard_fit_names_its_file_and_row_there(tmp_path):
    # named the row of the input only, where a bad feature names the file and its row too
    def maybe(part):
        part = part.copy()
        part.iloc[45, part.columns.get_loc("car")] = "maybe"
        return part

    _three_files(tmp_path / "in", maybe, which=2)
    sh = ParquetShards(tmp_path / "in", features=FEATURES, targets=["car", "color"])
    file = re.escape(repr(str(tmp_path / "in" / "part-2.parquet")))
    with pytest.raises(ValueError, match=rf"Task 'car' got label 'maybe' in row 205 \(row 45 "
                                         rf"of file {file}\), which is not among its classes"):
        MultiTaskClassifier(tasks=TASKS, hidden_layer_sizes=(4,), max_epochs=1,
                            ensemble_size=1, random_state=0).fit(sh)
