"""Data-parallel training (two processes under torchrun, gloo on loopback) and mixed
precision; the sharding of batches."""

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import sklearn_mtl
from sklearn_mtl import MultiTaskClassifier
from sklearn_mtl.distributed import check_replicas, weights_checksum
from sklearn_mtl.neural._distributed import ShardedSliceBatchIterator, _ShardSampler
from sklearn_mtl.neural._net import _MergedBatchSampler

ROOT = Path(__file__).resolve().parents[1]


def _torchrun(script, *args, tmp_path, timeout=240, env=None, check=True):
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "OMP_NUM_THREADS": "1",
        **(env or {}),
    }
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone",
           "--nproc_per_node=2", str(script), *map(str, args)]
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout,
                            cwd=tmp_path)
    if check:
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    return result


@pytest.fixture(scope="module")
def scenarios(launch_once):
    """The folder of the results of tests/_ddp_worker.py's scenarios and the launch's
    exit: one torchrun launch (three interpreters and a process group) runs them all in
    turn, each read by its test below; under pytest-xdist the workers share it."""
    names = ["replicas", "different_data", "sharded_labels"]
    if importlib.util.find_spec("pyarrow") is not None:  # its test skips without it
        names.append("batch_norm")

    def run(folder, timeout):
        return _torchrun(ROOT / "tests" / "_ddp_worker.py", folder, *names,
                         tmp_path=folder, timeout=timeout, check=False)

    return launch_once("ddp_scenarios", run, timeout=420)


def _results(scenarios, name):
    """The results of the scenario ``name`` of the launch ``scenarios``; its traceback
    in either process, or the launch's output where it did not exit cleanly, fails."""
    folder, launch = scenarios
    errors = sorted(folder.glob(f"{name}.error.*"))
    assert not errors, "\n".join(path.read_text() for path in errors)
    assert launch["returncode"] == 0, launch["output"]
    return json.loads((folder / f"{name}.json").read_text())


@pytest.mark.distributed
@pytest.mark.integration
def test_two_processes(scenarios):
    results = _results(scenarios, "replicas")
    assert results["world_size"] == 2
    # the worker trains on Parquet shards where pyarrow (the distributed extra) is installed
    parquet = importlib.util.find_spec("pyarrow") is not None
    assert ("parquet" in results) == parquet
    for name in ("plain", "seed_none_early_stopping", "bf16_dwa_dropout_bn",
                 "fp16_uncertainty_head_lr", "warm_start", "dataset") + ("parquet",) * parquet:
        first, second = results[name]["checksums"]
        assert first == second, name
    assert results["warm_start"]["epochs"] == 4
    # 101 samples -> 51 a process; a global batch of 32 is 16 a process -> 4 batches
    assert results["plain"]["batches"] == 4
    # a Dataset is sharded exactly as the same data in memory
    assert results["dataset"]["checksums"] == results["plain"]["checksums"]
    # a memory map is preprocessed and sharded as the same numbers in memory
    first, second = results["memmap"]["checksums"]
    assert first == second
    assert results["memmap"]["checksums"] == results["memmap"]["in_memory"]
    # predictions: each process writes its own files
    if parquet:
        assert results["parquet"]["written"] == [["part-00000.parquet", "part-00002.parquet"],
                                                 ["part-00001.parquet"]]
    # full batch: two processes train the model one process trains
    assert results["full_batch_max_diff"] < 1e-5
    for weighting in ("pcgrad", "gradnorm"):
        assert f"loss_weighting='{weighting}'" in results[weighting]
        assert "data-parallel" in results[weighting]
    assert "same X and y in every process" in results["different_data"]


@pytest.mark.distributed
@pytest.mark.integration
def test_batch_norm_with_a_one_row_last_batch_in_each_process(scenarios):
    # 66 rows, a global batch of 64: 33 rows a process in batches of 32, so one row
    # would be left alone; as in one process, it joins the batch before it.
    pytest.importorskip("pyarrow")  # the worker writes and reads Parquet shards
    results = _results(scenarios, "batch_norm")
    for name in ("array", "dataset", "parquet"):
        first, second = results[name]["checksums"]
        assert first == second, name
        assert results[name]["sizes"] == [33], name
    assert results["dataset"]["checksums"] == results["array"]["checksums"]


@pytest.mark.distributed
@pytest.mark.integration
def test_different_data_in_the_processes_is_refused(scenarios):
    # The same number of rows and the same labels, in another order or with another
    # value: each process would train on its shard of a different table.
    results = _results(scenarios, "different_data")
    assert results["same"] is None
    for name, message in results.items():
        if name == "same":
            continue
        assert message is not None, name
        assert "same X and y in every process" in message, (name, message)
        x_differs = "X differs in its values or in the order of its rows" in message
        y_differs = "y differs in its values or in the order of its rows" in message
        assert x_differs == (name != "y_shuffled"), (name, message)
        assert y_differs == (name in ("rows_shuffled", "y_shuffled")), (name, message)
        assert "fingerprints by rank" in message


@pytest.mark.distributed
@pytest.mark.integration
def test_shards_with_different_label_weights_train_and_record_as_one_process(scenarios):
    # Each process's task loss was its shard's weighted mean, and DDP averaged them
    # (and their gradients) with equal weights: a shard holding fewer labels of a task
    # (missing, gated off, or of lower sample_weight) pulled as hard as one holding
    # more, and the history held each process's own shard's losses (the processes'
    # histories differed, so a callback monitoring train_loss, or "dwa", decided
    # differently in each). Full batches: two processes are one process.
    results = _results(scenarios, "sharded_labels")
    for name in ("fixed", "ensemble", "uncertainty"):
        reference = results[repr((name, False))][0]
        first, second = results[repr((name, True))]
        assert first == second, name  # every process records the same losses
        for row, expected in zip(first, reference):
            assert row == pytest.approx(expected, rel=1e-5), name
        assert results[name + "_max_diff"] < 1e-5, name
    first, second = results["dwa"]
    assert first == second
    assert first[-1]["weight_car"] != 1.0  # dwa has weighed the tasks by then


@pytest.mark.distributed
@pytest.mark.integration
def test_example_under_torchrun(tmp_path):
    pytest.importorskip("matplotlib")  # the example draws its figure
    model = tmp_path / "model.mtl"
    stdout = _torchrun(
        ROOT / "examples" / "distributed_training.py", "--out", model, tmp_path=tmp_path,
        env={"SKLEARN_MTL_EXAMPLES_SMALL": "1", "SKLEARN_MTL_EXAMPLES_OUTPUT": str(tmp_path),
             "MPLBACKEND": "Agg"},
    ).stdout
    assert "[rank 0]" in stdout and "[rank 1]" in stdout
    checksum = re.search(r"Replicas: 2, identical weights, sha256 ([0-9a-f]{64})", stdout)
    assert checksum, stdout
    # the saved model loads in this plain process, holds the replicas' weights, predicts
    restored = sklearn_mtl.load(model)
    assert weights_checksum(restored) == checksum.group(1)
    assert not restored.net_.__dict__.get("_ddp")
    from sklearn.datasets import load_digits

    X = (load_digits().data[:20] / 16.0).astype(np.float32)
    pred = restored.predict(X)
    assert list(pred.columns) == ["digit", "parity", "loop"]
    assert (tmp_path / "distributed_training.png").exists()


# ---------------------------------------------------------------- in one process
@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(90, 5)).astype(np.float32)
    Y = pd.DataFrame({"a": np.where(X[:, 0] > 0, "yes", "no"),
                      "b": np.digitize(X[:, 1], [-0.5, 0.5])})
    return X, Y


def _net(**params):
    kw = dict(hidden_layer_sizes=(8,), max_epochs=2, lr=1e-2, batch_size=16, random_state=0)
    return MultiTaskClassifier(**{**kw, **params})


def test_weights_checksum_needs_a_fitted_network(data):
    from sklearn.exceptions import NotFittedError
    from sklearn.linear_model import LogisticRegression

    from sklearn_mtl import IndependentTaskClassifier

    for check in (weights_checksum, check_replicas):
        with pytest.raises(NotFittedError, match="MultiTaskClassifier instance is not fitted"):
            check(MultiTaskClassifier())
    X, Y = data
    baseline = IndependentTaskClassifier(LogisticRegression()).fit(X, Y)
    with pytest.raises(TypeError, match="estimator must be a fitted MultiTaskClassifier.*"
                                        "got IndependentTaskClassifier"):
        weights_checksum(baseline)


def test_data_fingerprint_sees_values_and_row_order(monkeypatch, tmp_path):
    import scipy.sparse as sp

    from sklearn_mtl.neural import _distributed
    from sklearn_mtl.neural._distributed import _data_differences, _data_summary
    from sklearn_mtl.neural._net import ArrayDataset, PreprocessedRows

    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 6)).astype(np.float32)
    y = torch.from_numpy(rng.randint(0, 3, size=(300, 2)).astype(np.float32))
    perm = rng.permutation(300)

    def differences(X2, y2, X1=X, y1=y):
        return _data_differences([_data_summary(X1, y1), _data_summary(X2, y2)])

    assert differences(X.copy(), y.clone()) == []
    # the fingerprint does not depend on the size of the chunks read
    baseline = _data_summary(torch.from_numpy(X), y)
    monkeypatch.setattr(_distributed, "_FINGERPRINT_CHUNK", 7)
    assert _data_summary(torch.from_numpy(X), y) == baseline
    assert _data_summary(X[::-1].copy()[::-1], y) == baseline  # an array of other strides
    S = sp.random(300, 40, density=0.05, random_state=0, format="csr", dtype=np.float32)
    small = _distributed._fingerprint_array(S)
    monkeypatch.undo()
    assert _distributed._fingerprint_array(S) == small
    # float32 and float64 are other types (the digest is of the data's own bytes)
    wider = _data_summary(torch.from_numpy(X).double(), y.double())
    assert _data_differences([baseline, wider]) == [
        "X differs in type or sample shape, by rank: [array float32 (6,), array float64 (6,)]",
        "y's type or shape differs, by rank: [float32 (300, 2), float64 (300, 2)]",
    ]
    swapped = X.copy()
    swapped[[3, 250]] = swapped[[250, 3]]
    changed = X.copy()
    changed[100, 4] += 1e-3
    for other in (X[perm], swapped, changed):
        (message,) = differences(other, y)
        assert message.startswith("X differs in its values or in the order of its rows")
    (message,) = differences(X, y[perm])
    assert message.startswith("y differs in its values or in the order of its rows")
    assert differences(X[:299], y[:299]) == [
        "the number of samples differs, by rank: [300, 299]",
        "y's type or shape differs, by rank: [float32 (300, 2), float32 (299, 2)]",
    ]
    # a tiny change in a larger table: exact, not within a tolerance that grows with it
    big = np.random.RandomState(1).normal(size=(20_000, 50))
    big_y = torch.zeros(20_000, 2)
    nudged = big.copy()
    nudged[12_345, 17] += 1e-6
    assert differences(big.copy(), big_y, X1=big, y1=big_y) == []
    (message,) = differences(nudged, big_y, X1=big, y1=big_y)
    assert message.startswith("X differs in its values or in the order of its rows")
    # rows whose sums are all equal (one-hot), reordered
    onehot = np.eye(4, dtype=np.float32)[rng.randint(0, 4, 300)]
    assert differences(onehot[perm], y, X1=onehot)
    # NaN at the same place is the same; moved, it is not
    gaps = X.copy()
    gaps[5, 1] = np.nan
    assert differences(gaps.copy(), y, X1=gaps) == []
    assert differences(gaps[perm], y, X1=gaps)
    # a sparse matrix: the same matrix stored with duplicate or unsorted entries agrees;
    # CSC and the dense numbers are other types; reordered rows or a changed value differ
    doubled = sp.csr_matrix((np.repeat(S.data / 2, 2), np.repeat(S.indices, 2), S.indptr * 2),
                            shape=S.shape)
    assert not doubled.has_canonical_format
    assert differences(doubled, y, X1=S) == []
    assert doubled.nnz == 2 * S.nnz  # left as it was
    unsorted = S.copy()
    row = slice(*S.indptr[np.argmax(np.diff(S.indptr)) :][:2])
    unsorted.indices[row], unsorted.data[row] = S.indices[row][::-1], S.data[row][::-1]
    unsorted.has_sorted_indices = False
    assert differences(unsorted, y, X1=S) == []
    assert differences(S.tocsc(), y, X1=S.tocsc()) == []
    for other in (S.tocsc(), S.toarray()):
        (message,) = differences(other, y, X1=S)
        assert message.startswith("X differs in type or sample shape")
    assert differences(S[perm], y, X1=S)
    nudged = S.copy()
    nudged.data[7] += 1e-6
    assert differences(nudged, y, X1=S)
    # a memory map: rows read at fixed positions (the first and the last among them)
    np.save(tmp_path / "a.npy", X)
    edited = X.copy()
    edited[-1, 0] += 1.0
    np.save(tmp_path / "b.npy", edited)
    a, b = (np.load(tmp_path / f"{k}.npy", mmap_mode="r") for k in "ab")
    assert differences(ArrayDataset(a), y, X1=ArrayDataset(a)) == []
    assert differences(ArrayDataset(b), y, X1=ArrayDataset(a))
    assert differences(PreprocessedRows(b, None), y, X1=PreprocessedRows(a, None))
    # a user's Dataset (its items may be drawn at random): its length only
    assert differences(torch.utils.data.TensorDataset(torch.from_numpy(X[perm])), y,
                       X1=torch.utils.data.TensorDataset(torch.from_numpy(X))) == []


def test_data_parallel_in_one_process_is_plain_training(data):
    X, Y = data
    plain = _net().fit(X, Y)
    one = _net(data_parallel=True).fit(X, Y)
    assert weights_checksum(one) == weights_checksum(plain)
    assert check_replicas(one) == [weights_checksum(plain)]
    pd.testing.assert_frame_equal(one.predict(X), plain.predict(X))


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_mixed_precision_trains_float32_weights(data, precision, tmp_path):
    X, Y = data
    clf = _net(mixed_precision=precision, max_epochs=5).fit(X, Y)
    plain = _net(mixed_precision=None, max_epochs=5).fit(X, Y)
    assert clf.mixed_precision_ == precision and plain.mixed_precision_ is None
    assert all(p.dtype == torch.float32 for p in clf.net_.module_.parameters())
    assert weights_checksum(clf) != weights_checksum(plain)  # really ran in low precision
    losses = clf.history_[:, "train_loss"]
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0]
    for a, b in zip(clf.predict_proba(X), plain.predict_proba(X)):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, atol=0.05)
    sklearn_mtl.save(clf, tmp_path / "m.mtl")
    restored = sklearn_mtl.load(tmp_path / "m.mtl")
    assert restored.mixed_precision == precision and restored.mixed_precision_ == precision
    pd.testing.assert_frame_equal(restored.predict(X), clf.predict(X))


@pytest.mark.parametrize("native", [True, False])
def test_auto_precision_is_bf16_for_an_ensemble_on_a_cpu_with_bf16(data, native, monkeypatch):
    from sklearn_mtl import _multitask
    from sklearn_mtl.neural._distributed import ParallelMultiTaskNet

    monkeypatch.setattr(_multitask, "native_bf16", lambda device: native)
    X, Y = data
    ensemble = _net().fit(X, Y)  # mixed_precision="auto", ensemble_size="auto": 8 members
    assert ensemble.mixed_precision == "auto"
    assert ensemble.mixed_precision_ == ("bf16" if native else None)
    assert (type(ensemble.net_) is ParallelMultiTaskNet) == native
    # one network, or an explicit setting, is never changed
    assert _net(ensemble_size=1).fit(X, Y).mixed_precision_ is None
    assert _net(mixed_precision=None).fit(X, Y).mixed_precision_ is None
    assert _net(ensemble_size=1, mixed_precision="bf16").fit(X, Y).mixed_precision_ == "bf16"
    if native:  # the same training as asking for it
        explicit = _net(mixed_precision="bf16").fit(X, Y)
        assert weights_checksum(explicit) == weights_checksum(ensemble)


def test_auto_precision_is_resolved_again_where_a_model_is_loaded(data, monkeypatch, tmp_path):
    from sklearn_mtl import _multitask

    X, Y = data
    monkeypatch.setattr(_multitask, "native_bf16", lambda device: True)
    trained = _net().fit(X, Y)
    assert trained.mixed_precision_ == "bf16"
    sklearn_mtl.save(trained, tmp_path / "m.mtl")
    monkeypatch.setattr(_multitask, "native_bf16", lambda device: False)  # another CPU
    restored = sklearn_mtl.load(tmp_path / "m.mtl")
    assert restored.mixed_precision == "auto" and restored.mixed_precision_ is None
    assert weights_checksum(restored) == weights_checksum(trained)
    pd.testing.assert_frame_equal(restored.predict(X), trained.predict(X))


@pytest.mark.parametrize("amx, avx512_bf16, expected", [
    (False, False, False), (True, False, True), (False, True, True), ("raises", True, True),
    ("raises", False, False), (None, None, False),  # None: a torch build without the probe
])
def test_native_bf16_asks_the_cpu(monkeypatch, amx, avx512_bf16, expected):
    from sklearn_mtl.neural._distributed import native_bf16

    def probe(answer):
        if answer == "raises":
            def failing():
                raise RuntimeError("no cpuinfo")
            return failing
        return lambda: answer

    for name, answer in (("_is_amx_tile_supported", amx),
                         ("_is_avx512_bf16_supported", avx512_bf16)):
        if answer is None:
            monkeypatch.delattr(torch.cpu, name, raising=False)
        else:
            monkeypatch.setattr(torch.cpu, name, probe(answer), raising=False)
    assert native_bf16("cpu") is expected
    assert native_bf16(torch.device("cpu")) is expected
    # never on another device, whatever the host CPU can do
    assert native_bf16("cuda") is False and native_bf16(torch.device("meta")) is False


def test_mixed_precision_with_gradient_level_weighting(data):
    X, Y = data
    with pytest.raises(ValueError, match="loss_weighting='pcgrad'.*fp16 loss scaling"):
        _net(mixed_precision="fp16", loss_weighting="pcgrad").fit(X, Y)
    clf = _net(mixed_precision="bf16", loss_weighting="gradnorm").fit(X, Y)
    assert np.all(np.isfinite(clf.history_[:, "train_loss"]))


def test_fp16_gradients_are_unscaled_before_clipping(data):
    from skorch.callbacks import Callback

    class GradNorm(Callback):
        def on_grad_computed(self, net, named_parameters, **kwargs):
            self.norm_ = float(torch.cat([p.grad.reshape(-1) for _, p in named_parameters
                                          if p.grad is not None]).norm())

    X, Y = data
    clf = _net(mixed_precision="fp16", callbacks=[("g", GradNorm())]).fit(X, Y)
    plain = _net(callbacks=[("g", GradNorm())]).fit(X, Y)
    norm, reference = (dict(m.net_.callbacks_)["g"].norm_ for m in (clf, plain))
    # GradScaler starts at 2**16: scaled gradients would be that much larger
    assert 0 < norm < 10 * reference


def test_mixed_precision_is_validated(data):
    X, Y = data
    with pytest.raises(ValueError, match="'mixed_precision' parameter"):
        _net(mixed_precision="fp8").fit(X, Y)
    with pytest.raises(ValueError, match="'data_parallel' parameter"):
        _net(data_parallel="yes").fit(X, Y)


@pytest.mark.parametrize("n, world_size, indices", [(10, 2, None), (11, 2, None),
                                                     (11, 3, None), (10, 2, [1, 3, 5, 6, 8])])
def test_shards_partition_the_epoch(n, world_size, indices):
    X = torch.arange(n, dtype=torch.float32)[:, None] * 10
    y = torch.arange(n, dtype=torch.float32)[:, None]
    idx = None if indices is None else torch.as_tensor(indices)
    m = n if idx is None else len(idx)
    per_rank = -(-m // world_size)
    seen, lengths = [], set()
    for rank in range(world_size):
        it = ShardedSliceBatchIterator(X, y, idx, 2, torch.Generator().manual_seed(3),
                                       rank, world_size)
        batches = list(it)
        assert len(batches) == len(it) == -(-per_rank // 2)
        rows = torch.cat([b[1][:, 0] for b in batches]).long()
        assert torch.equal(torch.cat([b[0][:, 0] for b in batches]), rows.float() * 10)
        lengths.add(len(rows))
        seen += rows.tolist()
        sampler = _ShardSampler(m, torch.Generator().manual_seed(3), rank, world_size)
        expected = rows if idx is None else torch.as_tensor(
            [list(idx.tolist()).index(r) for r in rows.tolist()])
        assert list(sampler) == expected.tolist()
    assert lengths == {per_rank}  # equal shares: no process waits for another
    allowed = set(range(n)) if idx is None else set(indices)
    assert set(seen) == allowed  # together they see every sample
    assert len(seen) - len(allowed) == per_rank * world_size - m  # padding only
    # the permutation is the one-process shuffle, strided
    perm = torch.randperm(m, generator=torch.Generator().manual_seed(3))
    first = ShardedSliceBatchIterator(X, y, idx, 100, torch.Generator().manual_seed(3), 0,
                                      world_size)
    rows0 = next(iter(first))[1][:, 0].long().tolist()
    full = perm if idx is None else idx[perm]
    assert rows0 == full[::world_size].tolist()[: len(rows0)]


@pytest.mark.parametrize("n, world_size, batch_size, sizes", [
    (66, 2, 32, [33]), (67, 2, 16, [16, 16, 2]), (10, 2, 2, [2, 3]), (9, 2, 4, [5]),
    (13, 3, 2, [2, 3]), (66, 2, 64, [33]),
])
def test_shards_merge_a_one_row_last_batch(n, world_size, batch_size, sizes):
    # batch-norm cannot normalise one row in training: as in one process, a one-row last
    # batch joins the one before, in every process alike (the same number of steps)
    X = torch.arange(n, dtype=torch.float32)[:, None] * 10
    y = torch.arange(n, dtype=torch.float32)[:, None]
    seen = []
    for rank in range(world_size):
        it = ShardedSliceBatchIterator(X, y, None, batch_size, torch.Generator().manual_seed(3),
                                       rank, world_size, merge_single=True)
        batches = list(it)
        assert [len(b[0]) for b in batches] == sizes and len(it) == len(sizes)
        assert torch.equal(torch.cat([b[0] for b in batches]),
                           torch.cat([b[1] for b in batches]) * 10)
        plain = ShardedSliceBatchIterator(X, y, None, batch_size,
                                          torch.Generator().manual_seed(3), rank, world_size)
        rows = torch.cat([b[1] for b in batches])
        assert torch.equal(rows, torch.cat([b[1] for b in plain]))  # the same rows, in order
        sampler = _ShardSampler(n, torch.Generator().manual_seed(3), rank, world_size)
        batched = list(_MergedBatchSampler(sampler, batch_size))
        assert [len(b) for b in batched] == sizes
        assert sum(batched, []) == rows[:, 0].long().tolist()
        seen += rows[:, 0].long().tolist()
    assert set(seen) == set(range(n))


def test_a_process_of_data_parallel_training_seeds_only_its_own_generators(
        accelerator_seedings):
    # Each process of a data-parallel fit seeds its dropout with its rank; it did so with
    # torch.manual_seed, which seeds every GPU's generator too (none restored after).
    import torch

    from sklearn_mtl.neural._distributed import seed_generators

    state = torch.get_rng_state()
    try:
        seed_generators(7, torch.device("cpu"))
        ours = torch.rand(3)
        torch.default_generator.manual_seed(7)
        assert torch.equal(ours, torch.rand(3))  # the CPU's stream, as manual_seed gives
    finally:
        torch.set_rng_state(state)
    assert accelerator_seedings == []


@pytest.mark.parametrize("loss_weighting", ["fixed", "uncertainty", "dwa"])
def test_a_data_parallel_step_tells_the_strategy_the_tasks_one_process_does(
        monkeypatch, loss_weighting):
    # The data-parallel step passed the strategy the tasks the global batch labels, but
    # not, as MultiTaskLoss does, without the tasks of task_weights 0: the uncertainty
    # log-variance of such a task got a gradient of 1/2 a step (0 in one process) and
    # drifted. A world of one process (the all-reduce a no-op): the step's total and
    # gradients are the criterion's.
    from sklearn_mtl.neural._distributed import dist
    from sklearn_mtl.neural._net import preprocess

    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 4)).astype(np.float32)
    Y = pd.DataFrame({"car": np.where(X[:, 0] > 0, "yes", "no"),
                      "size": np.digitize(X[:, 2], [-0.5, 0.5]).astype(float)})
    Y.loc[rng.rand(30) < 0.4, "size"] = np.nan
    clf = MultiTaskClassifier(hidden_layer_sizes=(8,), max_epochs=1, ensemble_size=1,
                              random_state=0, data_parallel=True, mixed_precision=None,
                              loss_weighting=loss_weighting,
                              task_weights={"car": 1.0, "size": 0.0}).fit(X, Y)
    net = clf.net_
    y_true = clf._targets(clf.encoder_.transform(Y), None, len(Y))
    y_pred = net.module_(torch.from_numpy(preprocess(clf.preprocessor_, X)))
    expected = net.criterion_(y_pred, y_true)[0]
    monkeypatch.setattr(dist, "all_reduce", lambda tensor, *args, **kwargs: None)
    monkeypatch.setitem(net.__dict__, "_world", (0, 1))
    total = net.get_task_losses(y_pred, y_true, training=True)[0]
    params = [*net.module_.parameters(), *net.criterion_.parameters()]
    torch.testing.assert_close(total, expected)
    for a, b in zip(torch.autograd.grad(total, params, retain_graph=True),
                    torch.autograd.grad(expected, params)):
        torch.testing.assert_close(a, b)
