"""The same numbers fitted in memory and as a memory map: exact match of each.

A 2-D memory map is preprocessed as an in-memory table is (its preprocessor fitted on
its rows, each batch preprocessed as it is read). This script fits the default
``MultiTaskClassifier()`` on each suite table's numeric columns (the rows without a gap,
as ``float64``) on the same 5-fold ``KFold(shuffle=True, random_state=0)``, three ways:
an array in memory, the same training rows saved with ``np.save`` and opened with
``np.load(mmap_mode="r")``, and the array with ``preprocessing=None`` (the values as
given: what a memory map was trained on before it was preprocessed). The memory map
fits no held-out read-out (the combination probe, the lookup), so it may differ from the
array by what those give.

Target: the memory map's exact match at most 0.02 below the array's on every table.
Exits 1 when missed; the last line is the largest gap.

Usage::

    python benchmarks/bench_memmap_fit.py --tables penguins,carseats --threads 1
"""

from __future__ import annotations

import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
from sklearn.model_selection import KFold

sys.path.insert(0, str(Path(__file__).parent))
import _suite  # noqa: E402
from _common import exit_with, parser, setup  # noqa: E402

from sklearn_mtl import MultiTaskClassifier  # noqa: E402

WAYS = ("array", "memmap", "as given")
TARGET = 0.02  # the largest exact-match gap of the memory map below the array


def exact_matches(table, folder):
    """{way: mean exact match over the five test folds} on ``table``'s numeric columns."""
    X, Y = _suite.SUITE[table]()
    X = X.select_dtypes("number")
    complete = X.notna().all(axis=1).to_numpy()
    X, Y = X[complete].to_numpy(np.float64), Y[complete]
    scores = {way: [] for way in WAYS}
    for train, test in KFold(n_splits=5, shuffle=True, random_state=0).split(X):
        path = Path(folder) / f"{table}.npy"
        np.save(path, X[train])
        inputs = {"array": X[train], "memmap": np.load(path, mmap_mode="r"),
                  "as given": X[train]}
        for way in WAYS:
            params = {"preprocessing": None} if way == "as given" else {}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = MultiTaskClassifier(random_state=0, **params)
                model.fit(inputs[way], Y.iloc[train])
            pred = model.predict(X[test]).astype(str).to_numpy()
            scores[way].append((pred == Y.iloc[test].astype(str).to_numpy()).all(1).mean())
    return X.shape, {way: float(np.mean(s)) for way, s in scores.items()}


def main(argv=None):
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--tables", default="penguins,carseats")
    args = p.parse_args(argv)
    setup(args)
    gaps = {}
    with tempfile.TemporaryDirectory() as folder:
        for table in args.tables.split(","):
            shape, scores = exact_matches(table, folder)
            print(f"{table} ({shape[0]} rows, {shape[1]} numeric columns): "
                  + ", ".join(f"{way} {score:.4f}" for way, score in scores.items()),
                  flush=True)
            gaps[table] = scores["array"] - scores["memmap"]
    status = 0
    for table, gap in gaps.items():
        status |= gap > TARGET
        print(f"{'PASS' if gap <= TARGET else 'FAIL'}  {table}: exact match, array minus "
              f"memmap: {gap:.4f} (target <= {TARGET})")
    worst = max(gaps, key=gaps.get)
    print(f"gap {worst}: {gaps[worst]:.4f}")
    exit_with(status)


if __name__ == "__main__":
    main()
