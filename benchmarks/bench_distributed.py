"""Data-parallel training: the same MultiTaskClassifier fit on 1 process and on N.

Usage::

    python benchmarks/bench_distributed.py [--nproc 2] [--n-samples 40000] [--epochs 5]
    python benchmarks/bench_distributed.py --device cuda --nproc 4   # one GPU a process

Both runs go through ``torchrun --standalone`` (gloo on CPU, NCCL on GPUs) on the same
generated data (regenerated from one seed in every process) and the same estimator
(``data_parallel=True``; ``batch_size`` is the global mini-batch). On CPU the cores are
split evenly: each of N processes gets ``cores // N`` torch threads. The reference runs
are one process with all the cores and one process with ``cores // N`` threads. Printed:
fit time of each run, the speed-up of the N processes over it, and each held-out
exact-match score (they should agree within noise: the data-parallel run is the same
optimisation, with the batch split).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def data(n_samples, seed=0):
    from sklearn.model_selection import train_test_split

    from sklearn_mtl.datasets import make_multitask_classification

    X, Y = make_multitask_classification(
        n_samples, n_features=64, n_classes={"a": 2, "b": 4, "c": 6},
        gates={"c": ("a", 1)}, missing_rate=0.05, random_state=seed,
    )
    return train_test_split(X.astype("float32"), Y, test_size=0.2, random_state=seed)


def worker(args):
    import torch.distributed as dist

    from sklearn_mtl import MultiTaskClassifier
    from sklearn_mtl.distributed import check_replicas
    from sklearn_mtl.metrics import exact_match_score

    X_train, X_test, Y_train, Y_test = data(args.n_samples)
    clf = MultiTaskClassifier(
        hidden_layer_sizes=(512, 512), batch_size=args.batch_size, lr=1e-3,
        max_epochs=args.epochs, data_parallel=True, device=args.device,
        mixed_precision=args.mixed_precision, random_state=0,
    )
    start = time.perf_counter()
    clf.fit(X_train, Y_train)
    fit_time = time.perf_counter() - start
    checksums = check_replicas(clf)
    rank = dist.get_rank() if dist.is_initialized() else 0
    if rank == 0:
        score = exact_match_score(Y_test, clf.predict(X_test))
        Path(args.out).write_text(json.dumps(
            {"fit_time": fit_time, "score": score, "replicas": len(checksums)}
        ))
    if dist.is_initialized():
        dist.destroy_process_group()


def launch(args, nproc, threads, out):
    env = {**os.environ, "OMP_NUM_THREADS": str(threads),
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone",
           f"--nproc_per_node={nproc}", __file__, "--worker", "--out", out,
           "--n-samples", str(args.n_samples), "--epochs", str(args.epochs),
           "--batch-size", str(args.batch_size), "--device", args.device]
    if args.mixed_precision:
        cmd += ["--mixed-precision", args.mixed_precision]
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    return json.loads(Path(out).read_text())


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--nproc", type=int, default=2)
    p.add_argument("--n-samples", type=int, default=40000)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=512)
    p.add_argument("--device", default="cpu")
    p.add_argument("--mixed-precision", choices=["bf16", "fp16"], default=None)
    p.add_argument("--cores", type=int, default=None, help="CPU cores to share (default all)")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        return worker(args)

    import torch

    cores = args.cores or len(os.sched_getaffinity(0))
    print(f"# {cores} cores, torch {torch.__version__}, device {args.device}, "
          f"{args.n_samples} samples x 64 features, MLP (512, 512), 3 tasks, "
          f"{args.epochs} epochs, global batch {args.batch_size}")
    share = max(1, cores // args.nproc)
    runs = {f"1 process, {cores} threads": (1, cores)}
    if args.device == "cpu" and share != cores:  # the same threads per process as below
        runs[f"1 process, {share} threads"] = (1, share)
    runs[f"{args.nproc} processes, {share} threads each"] = (args.nproc, share)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for k, (name, (nproc, threads)) in enumerate(runs.items()):
            results[name] = launch(args, nproc, threads, os.path.join(tmp, f"{k}.json"))
    parallel = results[name]
    assert parallel["replicas"] == args.nproc
    for name, r in results.items():
        print(f"{name:>30}: fit {r['fit_time']:7.2f} s, held-out exact match "
              f"{r['score']:.4f}, speed-up of {args.nproc} processes "
              f"{r['fit_time'] / parallel['fit_time']:.2f}x")


if __name__ == "__main__":
    main()
