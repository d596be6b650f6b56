"""Fit time of the default ``MultiTaskClassifier()`` against RealMLP-TD, side by side.

``bench_accuracy.py`` times every fit of its five folds, but each model in a run of its
own; on a large table (all 53,940 rows of ``diamonds``) RealMLP-TD's five folds take the
better part of an hour, so its ratio there went unmeasured. This script fits the
contenders on the first training fold of the same folds (5-fold ``KFold(shuffle=True,
random_state=0)``, the models as ``bench_accuracy.py`` builds them: RealMLP-TD is
pytabkit's ``RealMLP_TD_Classifier``, one per task, and ``hgb`` per-task
``HistGradientBoostingClassifier``), taking turns (network, RealMLP-TD, gradient boosting,
network, ...) so that a shared machine's drift reaches them alike. A fit is long, so
there is no warm-up run; each ratio is the median over the turns of the network's time
over the other's.

Target (the "Good by default" limit): the network's fit no slower than RealMLP-TD's,
ratio <= 1. Exits 1 when missed; the last line is the worst ratio.

Usage::

    python benchmarks/bench_fit_time.py --tables diamonds --threads 1 --repeats 1

``--threads`` also limits the OpenMP and BLAS pools (gradient boosting's, RealMLP-TD's
numpy) with threadpoolctl, so that every contender runs on as many threads.
"""

from __future__ import annotations

import statistics
import sys
import warnings
from pathlib import Path

from sklearn.model_selection import KFold
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).parent))
import _suite  # noqa: E402
from _common import exit_with, paired_ratio, parser, report, setup, timed  # noqa: E402
from bench_accuracy import build  # noqa: E402

CONTENDERS = ("mtl", "realmlp", "hgb")


def fit_times(table, repeats, threads=None):
    """{contender: [seconds per turn]} on the first training fold of ``table``."""
    X, Y = _suite.SUITE[table]()
    train, _ = next(KFold(n_splits=5, shuffle=True, random_state=0).split(X))
    X_train, Y_train = X.iloc[train], Y.iloc[train]
    times = {name: [] for name in CONTENDERS}
    for turn in range(repeats):
        for name in CONTENDERS:
            model = build(name, None, seed=0)
            # --threads holds for the OpenMP and BLAS pools too (gradient boosting's)
            with warnings.catch_warnings(), threadpool_limits(threads):
                warnings.simplefilter("ignore")
                times[name].append(timed(lambda m=model: m.fit(X_train, Y_train)))
            print(f"  {table} turn {turn}: {name} {times[name][-1]:.1f} s", flush=True)
    return times


def main(argv=None):
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--tables", default="diamonds", help="comma-separated table names")
    p.set_defaults(repeats=1)
    args = p.parse_args(argv)
    setup(args)
    rows, checks = [], []
    for table in args.tables.split(","):
        times = fit_times(table, args.repeats, args.threads)
        for name in CONTENDERS:  # each one's median time; ratio: the network's over it
            ratio = None if name == "mtl" else paired_ratio(times[name], times["mtl"])
            rows.append((f"{table}: {name}", statistics.median(times[name]), ratio))
        checks.append((f"{table}: fit time / RealMLP-TD",
                       paired_ratio(times["realmlp"], times["mtl"]), 1.0))
    exit_with(report(rows, checks))


if __name__ == "__main__":
    main()
