"""Run by tests/test_data_parallel.py under ``torchrun --nproc_per_node=2``:
``_ddp_worker.py FOLDER SCENARIO...``.

Each scenario trains on both processes; process 0 writes its results as JSON to
``FOLDER/SCENARIO.json``. One launch serves several tests (a launch starts three
interpreters and a process group): a scenario that raises in a process leaves its
traceback in ``FOLDER/SCENARIO.error.RANK``; the next scenario runs where it raised in
both processes, and the launch ends (exit status 1) where the other one waits in a
collective.
"""

import importlib.util
import json
import os
import sys
import time
import traceback

import numpy as np
import pandas as pd
import torch
import torch.distributed as dist

from sklearn_mtl import MultiTaskClassifier, Task
from sklearn_mtl.distributed import check_replicas, weights_checksum


def data(n, missing_rate=0.0):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(n, 5)).astype(np.float32)
    Y = pd.DataFrame({
        "a": np.where(X[:, 0] + 0.3 * X[:, 1] > 0, "yes", "no"),
        "b": np.digitize(X[:, 2], [-0.5, 0.5]),
    })
    if missing_rate:
        Y.loc[rng.rand(n) < missing_rate, "b"] = np.nan
    return X, Y


def net(**params):
    # Raw features (a Dataset is never preprocessed, arrays are by default) and float32
    # unless a case asks otherwise: the cases compare the paths of the data, not the
    # recipe (whose ensemble trains in bfloat16 on some CPUs).
    kw = dict(hidden_layer_sizes=(16,), max_epochs=2, lr=1e-2, batch_size=32,
              data_parallel=True, random_state=0, preprocessing=None, mixed_precision=None)
    kw.update(params)
    return MultiTaskClassifier(**kw)


def gathered(value):
    """``value`` of every process, by rank."""
    everyone = [None] * dist.get_world_size()
    dist.all_gather_object(everyone, value)
    return everyone


def replicas(folder):
    """Replicas end identical under every supported option and path of the data
    (test_two_processes). Runs first: its first fit joins the process group."""
    results = {}
    X, Y = data(101, missing_rate=0.1)

    # Replicas end identical under every supported option.
    cases = {
        "plain": {},
        "seed_none_early_stopping": {"random_state": None, "early_stopping": True,
                                     "patience": 1, "max_epochs": 4},
        "bf16_dwa_dropout_bn": {"mixed_precision": "bf16", "loss_weighting": "dwa",
                                "dropout": 0.3, "batch_norm": True},
        "fp16_uncertainty_head_lr": {"mixed_precision": "fp16", "loss_weighting": "uncertainty",
                                     "head_lr": {"a": 1e-3}, "head_hidden": {"b": (4,)}},
    }
    for name, params in cases.items():
        clf = net(**params).fit(X, Y)
        results[name] = {
            "checksums": check_replicas(clf),
            "epochs": len(clf.history_),
            "batches": sum(1 for b in clf.history_[-1, "batches"] if "train_loss" in b),
        }

    # warm_start: a second fit continues on every process alike.
    clf = net(warm_start=True).fit(X, Y)
    clf.fit(X, Y)
    results["warm_start"] = {"checksums": check_replicas(clf), "epochs": len(clf.history_)}

    # A map-style Dataset is sharded like arrays.
    ds = torch.utils.data.TensorDataset(torch.from_numpy(X))
    clf = net().fit(ds, Y)
    results["dataset"] = {"checksums": check_replicas(clf)}

    # A memory-mapped table: preprocessed alike on every process (its preprocessor
    # fitted on the same rows), and sharded as the same numbers in memory are.
    raw = X * [1.0, 100.0, 1000.0, 1.0, 5.0]
    path = os.path.join(folder, "X.npy")
    if dist.get_rank() == 0:
        np.save(path, raw)
    dist.barrier()
    mapped = np.load(path, mmap_mode="r")
    clf = net(preprocessing="auto").fit(mapped, Y)
    in_memory = net(preprocessing="auto").fit(raw, Y)
    results["memmap"] = {"checksums": check_replicas(clf),
                         "in_memory": check_replicas(in_memory)}

    # Parquet shards: each process reads its own row groups; predictions file by file.
    # Needs pyarrow (the distributed extra); the test checks it where pyarrow is installed.
    if importlib.util.find_spec("pyarrow") is not None:
        from sklearn_mtl.sharded import ParquetShards, predict_shards

        shards_folder = os.path.join(folder, "shards")
        if dist.get_rank() == 0:
            os.makedirs(shards_folder, exist_ok=True)
            frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(5)]).assign(**Y)
            for i, rows in enumerate(np.array_split(np.arange(len(frame)), 3)):
                frame.iloc[rows].to_parquet(os.path.join(shards_folder, f"{i}.parquet"),
                                            row_group_size=20)
        dist.barrier()
        shards = ParquetShards(shards_folder, features=[f"x{i}" for i in range(5)],
                               targets=["a", "b"])
        clf = net().fit(shards)
        results["parquet"] = {"checksums": check_replicas(clf)}
        written = predict_shards(clf, shards, os.path.join(folder, "pred"))
        results["parquet"]["written"] = gathered([os.path.basename(p) for p in written])

    # Full batch, no missing label: the average of the two shards' gradients is the
    # gradient of the whole batch, so two processes train the model one process trains.
    Xf, Yf = data(64)
    parallel = net(batch_size=64, max_epochs=5).fit(Xf, Yf)
    single = net(batch_size=64, max_epochs=5, data_parallel=False).fit(Xf, Yf)
    a = parallel.net_.module_.state_dict()
    b = single.net_.module_.state_dict()
    results["full_batch_max_diff"] = max(float((a[k] - b[k]).abs().max()) for k in a)
    results["full_batch_checksums"] = check_replicas(parallel)

    # Refusals, on every process.
    for weighting in ("pcgrad", "gradnorm"):
        try:
            net(loss_weighting=weighting, max_epochs=1).fit(X, Y)
            results[weighting] = None
        except ValueError as exc:
            results[weighting] = str(exc)

    # Different data on the processes is refused on every process.
    try:
        net().fit(X[: 100 + dist.get_rank()], Y.iloc[: 100 + dist.get_rank()])
        results["different_data"] = None
    except ValueError as exc:
        results["different_data"] = str(exc)

    results["world_size"] = dist.get_world_size()
    results["checksum_fn"] = weights_checksum(clf)
    return results


def batch_norm(folder):
    """66 rows, a global batch of 64: the one-row last batch of each process joins the
    batch before it (test_batch_norm_with_a_one_row_last_batch_in_each_process)."""
    from sklearn_mtl.sharded import ParquetShards

    rng = np.random.RandomState(0)
    X = rng.normal(size=(66, 4)).astype(np.float32)
    Y = pd.DataFrame({"a": np.where(X[:, 0] > 0, "yes", "no")})
    shards_folder = os.path.join(folder, "shards")
    if dist.get_rank() == 0:  # two row groups of 33 rows: one a process
        os.makedirs(shards_folder)
        pd.DataFrame(X, columns=list("wxyz")).assign(**Y).to_parquet(
            os.path.join(shards_folder, "0.parquet"), row_group_size=33)
    dist.barrier()
    shards = ParquetShards(shards_folder, features=list("wxyz"), targets=["a"])
    results = {}
    for name, data in (("array", X),
                       ("dataset", torch.utils.data.TensorDataset(torch.from_numpy(X))),
                       ("parquet", shards)):
        clf = MultiTaskClassifier(
            hidden_layer_sizes=(4,), batch_norm=True, max_epochs=1, batch_size=64,
            random_state=0, data_parallel=True, early_stopping=False, preprocessing=None,
            mixed_precision=None, ensemble_size=1,
        ).fit(data, None if name == "parquet" else Y)
        results[name] = {"checksums": check_replicas(clf),
                         "sizes": clf.history_[-1, "batches", :, "train_batch_size"]}
    return results


def different_data(folder):
    """Each process's own order of the rows, or one value changed: the fit is refused
    (test_different_data_in_the_processes_is_refused); the message of each case."""
    rank = dist.get_rank()
    rng = np.random.RandomState(0)
    X = rng.normal(size=(64, 4)).astype(np.float32)
    Y = pd.DataFrame({"a": np.where(X[:, 0] > 0, "yes", "no"),
                      "b": np.where(X[:, 1] > 0, "u", "v")})
    own = np.random.RandomState(100 + rank).permutation(64)  # each process its own order
    changed = X.copy()
    changed[10, 2] += 0.25 * rank  # one value differs
    path = os.path.join(folder, f"X{rank}.npy")
    np.save(path, changed)
    mapped = np.load(path, mmap_mode="r")
    cases = {
        "rows_shuffled": (X[own], Y.iloc[own].reset_index(drop=True), None),
        "X_shuffled": (X[own], Y, None),
        "y_shuffled": (X, Y.iloc[own].reset_index(drop=True), None),
        "one_value": (changed, Y, None),
        "memmap_one_value": (mapped, Y, None),
        "memmap_preprocessed_one_value": (mapped, Y, "auto"),
        "same": (X, Y, None),
    }
    results = {}
    for name, (Xc, Yc, preprocessing) in cases.items():
        try:
            MultiTaskClassifier(
                hidden_layer_sizes=(4,), max_epochs=1, batch_size=16, random_state=0,
                data_parallel=True, preprocessing=preprocessing, mixed_precision=None,
                ensemble_size=1, early_stopping=False,
            ).fit(Xc, Yc)
            results[name] = None
        except ValueError as exc:
            results[name] = str(exc)
    return results


def sharded_labels(folder):
    """Shards holding different numbers (and weights) of labels of a task: full batches
    of two processes train and record what one process does; dwa alike on both
    (test_shards_with_different_label_weights_train_and_record_as_one_process)."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 4)).astype(np.float32)
    car = np.where(X[:, 0] > 0, "yes", "no")
    Y = pd.DataFrame({"car": car,
                      "color": np.where(car == "yes", np.where(X[:, 1] > 0, "red", "blue"),
                                        None),
                      "size": np.digitize(X[:, 2], [-0.5, 0.5]).astype(float)})
    Y.loc[rng.rand(40) < 0.5, "size"] = np.nan  # the shards hold different numbers of labels
    sample_weight = rng.uniform(0.5, 3.0, size=40)
    kw = dict(hidden_layer_sizes=(8,), random_state=0, preprocessing=None,
              mixed_precision=None, early_stopping=False, dropout=0.0,
              tasks=[Task("car"), Task("color", gate=("car", "yes")), Task("size")])
    keys = ["train_loss", "train_loss_car", "train_loss_color", "train_loss_size"]
    results = {}
    # full batches: two processes train (and record) what one process does
    for name, params in (("fixed", {"ensemble_size": 1}), ("ensemble", {"ensemble_size": 2}),
                         ("uncertainty", {"ensemble_size": 1,
                                          "loss_weighting": "uncertainty"})):
        models = {}
        for parallel in (False, True):
            clf = MultiTaskClassifier(max_epochs=3, batch_size=40, data_parallel=parallel,
                                      **params, **kw).fit(X, Y, sample_weight=sample_weight)
            models[parallel] = clf
            results[repr((name, parallel))] = gathered([{k: row[k] for k in keys}
                                                        for row in clf.history_])
        results[name + "_max_diff"] = max(
            float((a - b).abs().max()) for a, b in zip(models[False].net_.module_.parameters(),
                                                       models[True].net_.module_.parameters()))
    # dwa weighs the tasks by their training losses: every process alike
    clf = MultiTaskClassifier(max_epochs=3, batch_size=8, data_parallel=True, ensemble_size=1,
                              loss_weighting="dwa", **kw).fit(X, Y, sample_weight=sample_weight)
    results["dwa"] = gathered([{k: row[k] for k in keys + ["weight_car"]}
                               for row in clf.history_])
    return results


SCENARIOS = {f.__name__: f for f in (replicas, batch_norm, different_data, sharded_labels)}


def main(folder, names):
    rank = int(os.environ["RANK"])
    for name in names:
        own = os.path.join(folder, name)
        os.makedirs(own, exist_ok=True)
        try:
            if name != "replicas" and not dist.is_initialized():
                dist.init_process_group("gloo")  # the replicas' first fit joins it itself
            results = SCENARIOS[name](own)
            if rank == 0:
                with open(os.path.join(folder, f"{name}.json"), "w") as fh:
                    json.dump(results, fh)
            dist.barrier()
        except Exception:  # recorded for the scenario's test
            with open(os.path.join(folder, f"{name}.error.{rank}"), "w") as fh:
                fh.write(traceback.format_exc())
            if not _raised_in_every_process(folder, name):
                # the other process waits in a collective: leave, and torchrun ends it
                sys.stderr.flush()
                os._exit(1)
            # both left the scenario at the same collective: the next one runs
    if dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def _raised_in_every_process(folder, name, wait=60.0):
    """Whether the other process of two also raised in the scenario ``name``."""
    other = os.path.join(folder, f"{name}.error.{1 - int(os.environ['RANK'])}")
    deadline = time.monotonic() + wait
    while not os.path.exists(other):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
    # The results are written and the process group destroyed. Leave without the
    # interpreter's finalisation, where gloo's worker threads can still hold work objects
    # whose destruction aborts the process ("terminate called without an active
    # exception") now and then on a loaded machine, after every check has passed.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
