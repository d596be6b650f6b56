"""How much a lookup of rows seen in training could add to the network, from the cached
out-of-fold predictions of ``bench_accuracy.py`` (nothing is refitted).

Usage::

    python benchmarks/bench_accuracy.py --tables mpg --models mtl,rf --cache reports/dev
    python benchmarks/bench_duplicate_lookup.py --tables mpg --cache reports/dev

On the same folds as ``bench_accuracy.py`` (5-fold ``KFold(shuffle=True,
random_state=0)``), a test row whose features equal those of training rows (every column,
missing values included) takes, task by task, the label most of those rows carry (a
strict majority; otherwise the network's). Two read-outs are printed next to the
network's exact match / mean task accuracy:

- ``lookup``: on every task;
- ``gated``: on the tasks where, over the fold's training rows, the lookup among the other
  training rows is right more often than the network's out-of-fold prediction of those
  rows. That stands in for a choice made on the ensemble's held-out folds: the network's
  predictions of the training rows here come from other folds' models.

This is the simulation that decided to build the read-out, not the read-out: the
network's probabilities and its joint decoding are not involved. The estimator's own,
``MultiTaskClassifier(lookup="auto")`` (the default), blends the repeats' labels into
the probabilities and gates each task on the ensemble's held-out folds by log loss; its
figures come from ``bench_accuracy.py``. Run this on a cache of the network fitted with
``lookup=None`` (the previous release's ``reports/dev``), or it measures the lookup on top
of itself.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold

sys.path.insert(0, str(Path(__file__).parent))
import _suite  # noqa: E402

from sklearn_mtl import EncodedLabels  # noqa: E402
from sklearn_mtl.metrics import exact_match_score, mean_task_accuracy  # noqa: E402


def majority_labels(codes, keys, train, rows):
    """Per row of ``rows``, per task, the strict-majority label code among the rows of
    ``train`` (other than the row itself) with the same key; -9 where there is none."""
    out = np.full((len(rows), codes.shape[1]), -9)
    groups = pd.Series(train).groupby(keys[train]).apply(list).to_dict()
    for n, i in enumerate(rows):
        same = [r for r in groups.get(keys[i], ()) if r != i]
        for j in range(codes.shape[1]) if same else ():
            values, counts = np.unique(codes[same, j], return_counts=True)
            if 2 * counts.max() > len(same):
                out[n, j] = values[np.argmax(counts)]
    return out


def scores(truth, codes):
    """Exact match and mean task accuracy of label codes against ``truth``."""
    pred = EncodedLabels(codes, truth.multilabel, truth.regression, truth.schema)
    return exact_match_score(truth, pred), mean_task_accuracy(truth, pred)


def simulate(table, cache):
    X, _ = _suite.SUITE[table]()
    pred, truth = pd.read_pickle(Path(cache) / f"{table}.mtl.pkl")[1]
    keys = pd.util.hash_pandas_object(X, index=False).to_numpy()
    network, everywhere, gated = pred.codes, pred.codes.copy(), pred.codes.copy()
    n_seen = 0
    for train, test in KFold(n_splits=5, shuffle=True, random_state=0).split(X):
        inner = majority_labels(truth.codes, keys, train, train)
        found = inner != -9
        gain = (((inner == truth.codes[train]) & found).sum(0)
                - ((network[train] == truth.codes[train]) & found).sum(0))
        outer = majority_labels(truth.codes, keys, train, test)
        n_seen += int((outer != -9).any(1).sum())
        for j in range(network.shape[1]):
            hit = outer[:, j] != -9
            everywhere[test[hit], j] = outer[hit, j]
            if gain[j] > 0:
                gated[test[hit], j] = outer[hit, j]
    return {"table": table, "rows": len(X), "rows seen in training": n_seen,
            **{name: "{:.4f} / {:.4f}".format(*scores(truth, codes))
               for name, codes in (("network", network), ("lookup", everywhere),
                                   ("gated", gated))}}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tables", default="mpg", help="comma-separated table names")
    p.add_argument("--cache", required=True,
                   help="the --cache folder of bench_accuracy.py holding the network's rows")
    args = p.parse_args(argv)
    rows = [simulate(t, args.cache) for t in args.tables.split(",")]
    print(pd.DataFrame(rows).to_markdown(index=False))


if __name__ == "__main__":
    main()
