"""Run by tests/test_data_parallel.py under ``torchrun --nproc_per_node=2``.

Each check trains on both processes; process 0 writes the results as JSON to argv[1].
"""

import importlib.util
import json
import os
import sys

import numpy as np
import pandas as pd
import torch
import torch.distributed as dist

from sklearn_mtl import MultiTaskClassifier
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


def main(out):
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
    path = os.path.join(os.path.dirname(out), "X.npy")
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

        folder = os.path.join(os.path.dirname(out), "shards")
        if dist.get_rank() == 0:
            os.makedirs(folder, exist_ok=True)
            frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(5)]).assign(**Y)
            for i, rows in enumerate(np.array_split(np.arange(len(frame)), 3)):
                frame.iloc[rows].to_parquet(os.path.join(folder, f"{i}.parquet"),
                                            row_group_size=20)
        dist.barrier()
        shards = ParquetShards(folder, features=[f"x{i}" for i in range(5)], targets=["a", "b"])
        clf = net().fit(shards)
        results["parquet"] = {"checksums": check_replicas(clf)}
        written = predict_shards(clf, shards, os.path.join(os.path.dirname(out), "pred"))
        everyone = [None] * dist.get_world_size()
        dist.all_gather_object(everyone, [os.path.basename(p) for p in written])
        results["parquet"]["written"] = everyone

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
    if dist.get_rank() == 0:
        with open(out, "w") as fh:
            json.dump(results, fh)
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1])
    # The results are written and the process group destroyed. Leave without the
    # interpreter's finalisation, where gloo's worker threads can still hold work objects
    # whose destruction aborts the process ("terminate called without an active
    # exception") now and then on a loaded machine, after every check has passed.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
