"""Prediction speed and memory: ``predict_proba`` on 1,000,000 rows against a raw
``torch.no_grad()`` forward in batches.

A ``MultiTaskClassifier`` (MLP (128, 128), two multiclass tasks of 5 and 3 classes) is
fitted briefly on 20,000 rows; then 1,000,000 x 64 float32 rows are predicted by

- ``raw forward``: the reference, ``module(x)`` and a softmax per head under
  ``torch.no_grad()``, batch by batch, outputs concatenated;
- ``predict_proba``: the estimator (input validation, per-task outputs).

Both use the same batch size and threads. Target: ratio <= 1.2. Peak memory: the
resident-set size (RSS) above the level before each call is sampled every few
milliseconds and printed with the size of the outputs; ``predict_proba`` is also run on a
quarter of the rows to show that its overhead beyond the outputs does not grow with the
data (it is bounded by the batch size). Exits 1 when the time ratio misses its target or
the memory overhead grows by more than 16 MiB from 250,000 to 1,000,000 rows.

The same memory check runs on ``MultiTaskClassifier()`` as shipped, fitted (one epoch) on
6,000 rows of eight positive columns, where the recipe trains its two input views: the
encoded view's input (piecewise-linear bins and log-ratios) is about 130 times as wide as
the table, and is preprocessed batch by batch (``--recipe-samples`` rows, 200,000 by
default, against a quarter of them).

The lookup of rows seen in training (``lookup="auto"``) is timed on its own:
``MultiTaskClassifier()`` fitted (one epoch) on 5,000 distinct rows of eight whole-number
columns, each repeated four times with random labels, so that every task reads the
lookup; ``predict_proba`` of 100,000 rows (5,000 of them seen in training) against the
same model with its lookup removed, taking turns. Target: ratio <= 1.10.

Usage::

    python benchmarks/bench_predict.py [--threads 2] [--batch-size 1024]
"""

from __future__ import annotations

import copy
import subprocess
import sys
import threading
import time

import numpy as np
import pandas as pd
import torch
from _common import (
    SINGLE_NETWORK,
    exit_with,
    interleaved_times,
    median_time,
    paired_ratio,
    parser,
    report,
    setup,
)

from sklearn_mtl import MultiTaskClassifier

N_FEATURES, CLASSES = 64, (5, 3)
RECIPE_FEATURES = 8


def argparse_suppress():
    import argparse

    return argparse.SUPPRESS


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def peak_increase(fn):
    """(result, peak RSS increase in bytes) of ``fn()``, sampled every 2 ms."""
    base = rss_bytes()
    peak = [base]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_bytes())
            time.sleep(0.002)

    thread = threading.Thread(target=sample)
    thread.start()
    try:
        result = fn()
    finally:
        done.set()
        thread.join()
    peak[0] = max(peak[0], rss_bytes())
    return result, peak[0] - base


def raw_forward(module, X, batch_size, device):
    Xt = torch.from_numpy(X)
    outs = [[] for _ in CLASSES]
    module.eval()
    with torch.no_grad():
        for start in range(0, len(Xt), batch_size):
            for j, z in enumerate(module(Xt[start : start + batch_size].to(device))):
                outs[j].append(torch.softmax(z, dim=1).cpu())
    return [torch.cat(o).numpy() for o in outs]


def fitted(args):
    rng = np.random.default_rng(0)
    X_train = rng.normal(size=(20_000, N_FEATURES)).astype(np.float32)
    Y_train = np.column_stack(
        [np.argmax(X_train @ rng.normal(size=(N_FEATURES, k)), axis=1) for k in CLASSES]
    )
    clf = MultiTaskClassifier(hidden_layer_sizes=(128, 128), batch_size=args.batch_size,
                              max_epochs=1, device=args.device, random_state=0,
                              **SINGLE_NETWORK)
    return clf.fit(X_train, Y_train), rng


def recipe_fitted(args):
    """The default recipe on a table large enough for its input views."""
    rng = np.random.default_rng(0)
    X_train = np.exp(rng.normal(size=(6000, RECIPE_FEATURES))).astype(np.float32)
    Y_train = np.column_stack([X_train[:, 0] > X_train[:, 1],
                               X_train[:, 2] * X_train[:, 3] > 1]).astype(int)
    clf = MultiTaskClassifier(batch_size=args.batch_size, max_epochs=1, device=args.device,
                              random_state=0)
    return clf.fit(X_train, Y_train), rng


def lookup_times(args, n_queries=100_000):
    """Turns of ``predict_proba`` with and without the lookup (see the module docstring):
    {"lookup": [s], "network alone": [s]}."""
    rng = np.random.default_rng(0)
    distinct = rng.integers(0, 20, size=(5000, RECIPE_FEATURES)).astype(float)
    which = np.repeat(np.arange(len(distinct)), 4)
    columns = [f"c{j}" for j in range(RECIPE_FEATURES)]
    X = pd.DataFrame(distinct[which], columns=columns)
    Y = pd.DataFrame({"a": rng.integers(0, 3, len(distinct))[which],
                      "b": rng.integers(0, 2, len(distinct))[which]})
    clf = MultiTaskClassifier(batch_size=args.batch_size, max_epochs=1, device=args.device,
                              random_state=0).fit(X, Y)
    assert clf.lookup_tasks_.all(), clf.lookup_tasks_
    alone = copy.deepcopy(clf)
    alone._lookup = None
    unseen = rng.integers(20, 40, size=(n_queries - len(distinct), RECIPE_FEATURES))
    Q = pd.DataFrame(np.vstack([distinct, unseen]).astype(float), columns=columns)
    return interleaved_times({"lookup": lambda: clf.predict_proba(Q),
                              "network alone": lambda: alone.predict_proba(Q)},
                             args.repeats, args.device)


def memory_child(args, kind, n_samples):
    """In a fresh process (so freed memory of earlier runs cannot hide a peak)."""
    if kind == "recipe":
        clf, rng = recipe_fitted(args)
        X = np.exp(rng.normal(size=(n_samples, RECIPE_FEATURES))).astype(np.float32)
        _, peak = peak_increase(lambda: clf.predict_proba(X))
        print(clf.preprocessor_.n_features_out_)
        print(peak)
        return
    clf, rng = fitted(args)
    X = rng.normal(size=(n_samples, N_FEATURES)).astype(np.float32)
    if kind == "raw":
        _, peak = peak_increase(lambda: raw_forward(clf.net_.module_, X, args.batch_size,
                                                    args.device))
    else:
        _, peak = peak_increase(lambda: clf.predict_proba(X))
    print(peak)


def peak_in_subprocess(args, kind, n_samples, lines=1):
    """The last ``lines`` numbers the memory child prints (the peak last)."""
    cmd = [sys.executable, __file__, "--memory-child", kind, str(n_samples),
           "--batch-size", str(args.batch_size), "--device", args.device]
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    values = [int(v) for v in out.strip().splitlines()[-lines:]]
    return values[0] if lines == 1 else values


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--n-samples", type=int, default=1_000_000)
    p.add_argument("--batch-size", type=int, default=1024)
    p.add_argument("--target", type=float, default=1.2)
    p.add_argument("--recipe-samples", type=int, default=200_000)
    p.add_argument("--memory-child", nargs=2, help=argparse_suppress())
    args = p.parse_args()
    if args.memory_child:
        if args.threads:
            torch.set_num_threads(args.threads)
        memory_child(args, args.memory_child[0], int(args.memory_child[1]))
        return
    setup(args)
    clf, rng = fitted(args)
    module = clf.net_.module_
    X = rng.normal(size=(args.n_samples, N_FEATURES)).astype(np.float32)
    ref_out = raw_forward(module, X[:1000], args.batch_size, args.device)
    ours_out = clf.predict_proba(X[:1000])
    for a, b in zip(ref_out, ours_out):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)

    t_ref = median_time(lambda: raw_forward(module, X, args.batch_size, args.device),
                        args.repeats, args.device)
    t_ours = median_time(lambda: clf.predict_proba(X), args.repeats, args.device)
    out_bytes = args.n_samples * sum(CLASSES) * 4
    mem_ref = peak_in_subprocess(args, "raw", args.n_samples)
    mem_ours = peak_in_subprocess(args, "ours", args.n_samples)
    mem_quarter = peak_in_subprocess(args, "ours", args.n_samples // 4)
    mib = 2**20
    print(f"# {args.n_samples:,} x {N_FEATURES} rows, batch {args.batch_size}, "
          f"median of {args.repeats}; outputs {out_bytes / mib:.1f} MiB")
    print(f"peak RSS increase: raw forward {mem_ref / mib:.1f} MiB, predict_proba "
          f"{mem_ours / mib:.1f} MiB (overhead beyond outputs {(mem_ours - out_bytes) / mib:.1f}"
          f" MiB); on a quarter of the rows {mem_quarter / mib:.1f} MiB (overhead "
          f"{(mem_quarter - out_bytes / 4) / mib:.1f} MiB)")
    growth = (mem_ours - out_bytes) - (mem_quarter - out_bytes / 4)
    memory_ok = growth <= 16 * mib
    print(f"{'PASS' if memory_ok else 'FAIL'}  overhead growth from 1/4 to all rows: "
          f"{growth / mib:.1f} MiB (target <= 16 MiB)")
    n_recipe = args.recipe_samples
    width, rec_all = peak_in_subprocess(args, "recipe", n_recipe, lines=2)
    _, rec_quarter = peak_in_subprocess(args, "recipe", n_recipe // 4, lines=2)
    rec_out = n_recipe * 2 * 2 * 4  # two binary tasks, two columns each, float32
    rec_growth = (rec_all - rec_out) - (rec_quarter - rec_out / 4)
    recipe_ok = rec_growth <= 16 * mib
    print(f"default recipe ({RECIPE_FEATURES} columns, {width} after preprocessing): "
          f"predict_proba on {n_recipe:,} rows {rec_all / mib:.1f} MiB, on a quarter "
          f"{rec_quarter / mib:.1f} MiB")
    print(f"{'PASS' if recipe_ok else 'FAIL'}  default recipe's overhead growth from 1/4 "
          f"to all rows: {rec_growth / mib:.1f} MiB (target <= 16 MiB)")
    memory_ok = memory_ok and recipe_ok
    looked = lookup_times(args)
    lookup_ratio = paired_ratio(looked["network alone"], looked["lookup"])
    rows = [("raw no_grad forward", t_ref, None), ("predict_proba", t_ours, t_ours / t_ref),
            ("recipe, lookup removed (100k rows)", np.median(looked["network alone"]), None),
            ("recipe with its lookup (100k rows)", np.median(looked["lookup"]), lookup_ratio)]
    status = report(rows, [("predict_proba/raw forward", t_ours / t_ref, args.target),
                           ("lookup/network alone", lookup_ratio, 1.10)])
    exit_with(status | (not memory_ok))


if __name__ == "__main__":
    main()
