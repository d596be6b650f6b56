"""Fit time of the baselines against their scikit-learn references, in one run.

- ``IndependentTaskClassifier`` vs ``sklearn.multioutput.MultiOutputClassifier``
- ``TaskChainClassifier`` (fixed order) vs ``sklearn.multioutput.ClassifierChain``

Same base estimator (``LogisticRegression``) and data (``make_multilabel_classification``;
with ``--frame`` as a DataFrame, which the baselines pass on to the base estimator as it
is, as ``MultiOutputClassifier`` does, and the chain extends with its links' columns).
Each pair is timed alternately (ours, reference, ours, ...) so that load on a shared machine
hits both alike; BLAS/OpenMP threads are limited (``--threads``, 1 by default) for both, and
the clock is this process's CPU time by default (``--clock wall`` for wall time), which other
load on a shared machine disturbs less. A ratio is the median of our fit times over the
median of the reference's.
The last line printed is the worst ratio; the exit status is 1 when a ratio is above the
target.

Usage::

    python benchmarks/bench_baselines.py [--n-samples 4000] [--repeats 21] [--target 1.1]
                                         [--threads 1] [--clock process] [--frame]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import pandas as pd
from sklearn.datasets import make_multilabel_classification
from sklearn.linear_model import LogisticRegression
from sklearn.multioutput import ClassifierChain, MultiOutputClassifier
from threadpoolctl import threadpool_limits

from sklearn_mtl import IndependentTaskClassifier, TaskChainClassifier

CLOCKS = {"process": time.process_time, "wall": time.perf_counter}


def _fit_time(make, X, Y, clock):
    est = make()
    start = clock()
    est.fit(X, Y)
    return clock() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=4000)
    parser.add_argument("--n-features", type=int, default=20)
    parser.add_argument("--n-labels", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--target", type=float, default=1.1)
    parser.add_argument(
        "--threads", type=int, default=1, help="BLAS/OpenMP threads (same for both sides)"
    )
    parser.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="process",
        help="CPU time of this process (default; robust to other load) or wall time",
    )
    parser.add_argument("--frame", action="store_true",
                        help="X as a pandas DataFrame (named columns) instead of an array")
    args = parser.parse_args(argv)
    with threadpool_limits(args.threads):
        return _run(args)


def _run(args):
    clock = CLOCKS[args.clock]
    X, Y = make_multilabel_classification(
        n_samples=args.n_samples,
        n_features=args.n_features,
        n_classes=args.n_labels,
        random_state=0,
    )
    if args.frame:
        X = pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])])

    def base():
        return LogisticRegression(max_iter=1000)

    order = list(range(args.n_labels))[::-1]
    pairs = {
        "IndependentTaskClassifier / MultiOutputClassifier": (
            lambda: IndependentTaskClassifier(base()),
            lambda: MultiOutputClassifier(base()),
        ),
        "TaskChainClassifier / ClassifierChain": (
            lambda: TaskChainClassifier(base(), order=order, chain_method="predict"),
            lambda: ClassifierChain(base(), order=order, chain_method="predict"),
        ),
    }
    print(
        f"data: {args.n_samples} samples x {args.n_features} features, {args.n_labels} "
        f"binary labels{' (X a DataFrame)' if args.frame else ''}; base LogisticRegression; "
        f"median of {args.repeats} fits; "
        f"{args.clock} time, {args.threads} BLAS thread(s)"
    )
    ratios = {}
    for name, (ours, reference) in pairs.items():
        _fit_time(ours, X, Y, clock), _fit_time(reference, X, Y, clock)  # warm-up
        times_ours, times_ref = [], []
        for _ in range(args.repeats):
            times_ours.append(_fit_time(ours, X, Y, clock))
            times_ref.append(_fit_time(reference, X, Y, clock))
        t_ours, t_ref = statistics.median(times_ours), statistics.median(times_ref)
        ratios[name] = t_ours / t_ref
        print(f"{name}: {t_ours * 1e3:.1f} ms / {t_ref * 1e3:.1f} ms = {ratios[name]:.3f}")
    worst = max(ratios, key=ratios.get)
    ok = ratios[worst] <= args.target
    print(
        f"worst ratio: {ratios[worst]:.3f} ({worst}; target <= {args.target}: "
        f"{'met' if ok else 'MISSED'})"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
