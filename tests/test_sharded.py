"""Training on sharded Parquet read lazily; predictions written shard by shard."""

import numpy as np
import pandas as pd
import pytest
import torch

from sklearn_mtl import MultiTaskClassifier, Task
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


def test_declared_tasks_read_only_the_first_rows(shards, monkeypatch):
    _, sh = shards
    asked = []
    original = ParquetShards.labels
    monkeypatch.setattr(ParquetShards, "labels",
                        lambda self, n=None: asked.append(n) or original(self, n))
    MultiTaskClassifier(tasks=TASKS, hidden_layer_sizes=(4,), max_epochs=1).fit(sh)
    assert asked == [1000]
    MultiTaskClassifier(tasks=TASKS, class_weight="balanced", hidden_layer_sizes=(4,),
                        max_epochs=1).fit(sh)
    assert asked == [1000, None]  # balanced weights count every label


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
