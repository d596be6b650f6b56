"""Accuracy of the default network against the classical baselines, on real tables.

Usage::

    python benchmarks/bench_accuracy.py [--tables penguins,mpg] [--models mtl,lr,hgb]
        [--threads 2] [--seeds 0,1,2] [--grouped] [--noise-columns 5] [--out table.md]

5-fold ``KFold(shuffle=True, random_state=0)`` on each table of the development suite
(``benchmarks/_suite.py``; ``--tables held-out`` runs the tables kept aside). For each
table, a row per model: exact match, mean task accuracy, per-task accuracy (Hamming loss
and micro-F1 for the multi-label set) and seconds per fit, plus the fit-time ratios of the
network to RealMLP-TD and to per-task ``HistGradientBoostingClassifier``.

The network is ``MultiTaskClassifier()`` as shipped, on the raw features (no scaler in
front). The baselines get the preprocessing they need: median imputation, scaling and
one-hot encoding for the linear model and scikit-learn's MLP; one-hot encoding of string
columns and median imputation for the forests; median imputation of numeric gaps for
RealMLP-TD, which does its own scaling and encoding. ``chain`` and ``product`` wrap
whichever of the three per-task baselines has the best exact match on that table. On the
gated table every model gets the declared tasks (``tasks=``), which tell gated-off labels
from missing ones.

The bar of the "Good by default" issue is printed per table: the network's exact match at
least the best classical baseline's, and its mean task accuracy at most 0.01 below any of
theirs. The exit status is 1 when a table misses it. Each verdict also sets the network
against the best baseline row by row, on the same out-of-fold predictions: on how many
rows each alone has every label right, and McNemar's exact p-value of those two counts.
A win or a miss of a few samples with a large p-value is no evidence either way.

``--grouped`` runs the tables of repeated measures (``_suite.GROUP_COLUMNS``) with folds
by subject, a shuffled ``GroupKFold``, and the subject's identifier out of the features:
how the models do on subjects they have not seen.

``--noise-columns 5`` appends five columns of standard normal noise to every table's
features: how much each model loses to columns that carry nothing about any task.
``--models mtl_select`` (not in the default list) measures the network behind a
``TaskFeatureSelector``, the columns that help some task on held-out rows.
``--models mtl_per_task`` (not in the default list either) fits the default network once
per task, ``IndependentTaskClassifier(MultiTaskClassifier())``: what each task gains or
loses by sharing the network's trunk with the others.

``--seeds 0,1,2`` repeats every model with each ``random_state`` (the network's and the
seeded baselines': forests, boosting, scikit-learn's MLP), on the same folds: a row and a
verdict per seed, then how many seeds met the bar and the bar on the means over the seeds.
On tables of a few hundred rows one sample moves exact match by 0.003-0.011, so a single
seed's verdict is mostly noise there.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import GroupKFold, KFold
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

sys.path.insert(0, str(Path(__file__).parent))
import _suite  # noqa: E402

from sklearn_mtl import (  # noqa: E402
    IndependentTaskClassifier,
    LabelProductClassifier,
    MultiTaskClassifier,
    TaskChainClassifier,
    TaskFeatureSelector,
    compare,
)
from sklearn_mtl.metrics import mcnemar_test  # noqa: E402

PER_TASK = ("lr", "rf", "hgb")
CLASSICAL = (*PER_TASK, "chain", "product", "sk_mlp")
ALL_MODELS = ("mtl", *PER_TASK, "chain", "product", "sk_mlp", "realmlp")
#: Measured only when named in --models: the network behind a TaskFeatureSelector.
EXTRA_MODELS = ("mtl_select", "mtl_per_task")


def _categorical():
    return make_column_selector(dtype_include=["object", "category", "bool", "string"])


def _numeric():
    return make_column_selector(dtype_include="number")


def scaled(estimator):
    """Impute, scale and one-hot encode, then ``estimator`` (linear models, MLPs)."""
    pre = make_column_transformer(
        (make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), _numeric()),
        (make_pipeline(SimpleImputer(strategy="most_frequent"),
                       OneHotEncoder(handle_unknown="ignore")), _categorical()),
    )
    return make_pipeline(pre, estimator)


def for_trees(estimator):
    """One-hot encode string columns, impute numeric gaps with the median: the same
    input for the forest and for gradient boosting (which could read the gaps itself),
    as the published tables were measured."""
    pre = make_column_transformer(
        (make_pipeline(SimpleImputer(strategy="most_frequent"),
                       OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
         _categorical()),
        (SimpleImputer(strategy="median"), _numeric()),
    )
    return make_pipeline(pre, estimator)


class NumericGapsFilled(TransformerMixin, BaseEstimator):
    """Fill the numeric columns' gaps with their training medians, and leave every
    column, its order and its dtype as they are otherwise: RealMLP-TD refuses NaN in
    numeric columns (Cars93 has them) and detects its categorical columns by dtype."""

    def fit(self, X, y=None):
        self.medians_ = X.select_dtypes("number").median()
        return self

    def transform(self, X):
        return X.fillna(self.medians_)


def base_estimator(name, seed):
    if name == "lr":
        return LogisticRegression(max_iter=2000)
    if name == "rf":
        return RandomForestClassifier(random_state=seed)
    if name == "hgb":
        return HistGradientBoostingClassifier(random_state=seed)
    raise ValueError(name)


def wrap(name, estimator):
    return scaled(estimator) if name == "lr" else for_trees(estimator)


def build(name, tasks, seed, best=None):
    kw = {"tasks": tasks} if tasks is not None else {}
    if name == "mtl":
        return MultiTaskClassifier(**kw, random_state=seed)
    if name == "mtl_select":
        return make_pipeline(TaskFeatureSelector(**kw, random_state=seed),
                             MultiTaskClassifier(**kw, random_state=seed))
    if name == "mtl_per_task":
        return IndependentTaskClassifier(MultiTaskClassifier(random_state=seed), **kw)
    if name in PER_TASK:
        return wrap(name, IndependentTaskClassifier(base_estimator(name, seed), **kw))
    if name == "chain":
        return wrap(best, TaskChainClassifier(base_estimator(best, seed), **kw))
    if name == "product":
        return wrap(best, LabelProductClassifier(base_estimator(best, seed), **kw))
    if name == "sk_mlp":
        return scaled(IndependentTaskClassifier(
            MLPClassifier(max_iter=500, random_state=seed), **kw))
    if name == "realmlp":
        from pytabkit import RealMLP_TD_Classifier  # the bench extra

        return make_pipeline(NumericGapsFilled(), IndependentTaskClassifier(
            RealMLP_TD_Classifier(random_state=seed, n_threads=torch.get_num_threads()), **kw
        ))
    raise ValueError(f"unknown model {name!r}")


def add_noise_columns(X, k, seed=0):
    """``X`` with ``k`` columns of standard normal noise appended (``noise0``, ...), drawn
    with ``seed``: columns that carry nothing about any task, as real tables have (an
    identifier, a measurement no task depends on)."""
    rng = np.random.default_rng(seed)
    return X.assign(**{f"noise{i}": rng.standard_normal(len(X)) for i in range(k)})


def run_table(table, X, Y, models, tasks=None, seed=0, cache=None, cached_only=False,
              model_seed=None, groups=None, variant=""):
    """Cross-validate ``models`` on one table: {model: row of compare's table} and
    {model: (out-of-fold predictions, true labels)}. ``seed`` draws the folds and, unless
    ``model_seed`` is given, seeds the models. With ``groups`` (each row's subject), the
    folds are a shuffled ``GroupKFold``: no subject in two folds. With ``cache`` (a
    folder), a model already measured on this table (with this model seed and folds) is
    read back instead of refitted; ``variant`` names a changed ``X`` in the cache (e.g.
    ``".noise5"``)."""
    if groups is None:
        cv = KFold(n_splits=5, shuffle=True, random_state=seed)
    else:
        cv = GroupKFold(n_splits=5, shuffle=True, random_state=seed)
    model_seed = seed if model_seed is None else model_seed
    suffix = "" if model_seed == 0 else f".seed{model_seed}"
    suffix += ("" if groups is None else ".grouped") + variant
    rows, details = {}, {}
    order = [m for m in (*ALL_MODELS, *EXTRA_MODELS) if m in models]
    best = None
    for name in order:
        if name in ("chain", "product"):
            if best is None:
                scored = [m for m in PER_TASK if m in rows]
                best = (max(scored, key=lambda m: rows[m][("exact_match", "mean")])
                        if scored else "lr")
            label = f"{name}({best})"
        else:
            label = name
        path = None if cache is None else Path(cache) / f"{table}.{name}{suffix}.pkl"
        if path is not None and path.exists():
            rows[name], details[name] = pd.read_pickle(path)
        elif cached_only:
            continue
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result, detail = compare(
                    {label: build(name, tasks, model_seed, best)}, X, Y, cv=cv, schema=tasks,
                    progress=False, return_details=True, error_score=np.nan, groups=groups,
                )
            rows[name] = result.loc[label]
            details[name] = detail["predictions"][label], detail["Y"]
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                pd.to_pickle((rows[name], details[name]), path)
        seed_note = f" seed {model_seed}" if suffix else ""
        print(f"  {table:<12} {label:<12}{seed_note} "
              f"exact {rows[name][('exact_match', 'mean')]:.4f}  "
              f"tasks {rows[name][('mean_task_accuracy', 'mean')]:.4f}  "
              f"fit {rows[name][('fit_time', 'mean')]:.2f} s", flush=True)
    return rows, details


def summarise(table, rows, details, label_set):
    records = []
    scored = [m for m in PER_TASK if m in rows]
    best = max(scored, key=lambda m: rows[m][("exact_match", "mean")]) if scored else "lr"
    for name, row in rows.items():
        record = {
            "table": table,
            "model": f"{name}({best})" if name in ("chain", "product") else name,
            "exact_match": row[("exact_match", "mean")],
            "mean_task_accuracy": row[("mean_task_accuracy", "mean")],
            "fit_s": row[("fit_time", "mean")],
        }
        tasks = [c[0][: -len(" accuracy")] for c in row.index
                 if c[0].endswith(" accuracy") and c[1] == "mean"]
        if label_set:
            pred, true = details[name]
            record["hamming_loss"] = row[("hamming_loss", "mean")]
            record["micro_f1"] = f1_score(true.codes, pred.codes, average="micro")
        else:
            record["per_task"] = ", ".join(f"{t} {row[(f'{t} accuracy', 'mean')]:.3f}"
                                           for t in tasks)
        records.append(record)
    return pd.DataFrame(records)


def _classical(frame):
    """The rows of ``frame`` that are classical baselines."""
    return frame[frame.model.str.split("(").str[0].isin(CLASSICAL)]


def best_baseline(frame):
    """The row of the classical baseline with the best exact match, or ``None``."""
    classical = _classical(frame)
    return None if classical.empty else classical.loc[classical.exact_match.idxmax()]


def verdict(frame):
    """The issue's bar for the network on one table: (met, text), met ``None`` where it
    cannot be checked. ``frame``: one row per model (``summarise``'s, or the means over
    seeds)."""
    mtl = frame[frame.model == "mtl"]
    best = best_baseline(frame)
    if mtl.empty or best is None:
        return None, "bar not checked (the network or every baseline left out)"
    mtl = mtl.iloc[0]
    classical = _classical(frame)
    worst_gap = (classical.mean_task_accuracy - mtl.mean_task_accuracy).max()
    ok_exact = mtl.exact_match >= best.exact_match - 1e-12
    ok_tasks = worst_gap <= 0.01 + 1e-12
    text = (f"exact match {mtl.exact_match:.4f} vs best baseline {best.model} "
            f"{best.exact_match:.4f} ({'met' if ok_exact else 'MISSED'}); largest mean task "
            f"accuracy deficit {max(worst_gap, 0):.4f} ({'met' if ok_tasks else 'MISSED'})")
    return bool(ok_exact and ok_tasks), text  # a numpy bool is not `True`


def paired(details, frame):
    """The network's out-of-fold exact matches against the best baseline's, row by row:
    a text saying on how many rows each alone is right and McNemar's exact two-sided
    p-value (the binomial test of those two counts), or "" when either model's
    predictions are missing. Both models' predictions are of the same rows (the same
    folds), so the pairing removes what the rows have in common: on a table of a few
    hundred rows a difference of a few samples is no evidence either way."""
    best = best_baseline(frame)
    key = None if best is None else best.model.split("(")[0]
    if key not in details or "mtl" not in details:
        return ""
    (mtl, truth), (base, _) = details["mtl"], details[key]
    only_mine, only_theirs, pvalue = mcnemar_test(truth, mtl, base)
    shown = "p < 0.001" if pvalue < 0.001 else f"p = {pvalue:.2f}"
    return (f"; row by row against {best.model}: the network alone exactly right on "
            f"{only_mine} rows, {best.model} alone on {only_theirs} (McNemar {shown})")


def _tally(verdicts):
    """"k of n" over the verdicts that could be checked."""
    checked = [ok for _, ok, _ in verdicts if ok is not None]
    return f"{sum(checked)} of {len(checked)}"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tables", default="development",
                   help="comma-separated table names, 'development', 'held-out' or 'all'")
    p.add_argument("--models", default=",".join(ALL_MODELS),
                   help=f"comma-separated among {', '.join(ALL_MODELS)} (the default), "
                   f"and {', '.join(EXTRA_MODELS)}")
    p.add_argument("--threads", type=int, default=None, help="torch threads")
    p.add_argument("--out", default=None, help="also write the table as Markdown here")
    p.add_argument("--cached-only", action="store_true",
                   help="with --cache: tabulate what the cache holds, fit nothing")
    p.add_argument("--seeds", default="0",
                   help="comma-separated random_state values of the models (same folds); "
                   "each seed is a run of its own, then the bar on the means")
    p.add_argument("--grouped", action="store_true",
                   help="on the tables of repeated measures, folds by subject (a shuffled "
                   "GroupKFold) and the subject's identifier out of the features; the "
                   "other tables are skipped")
    p.add_argument("--cache", default=None,
                   help="a folder keeping each (table, model) result; a model already there "
                   "is read back, not refitted (delete a file to measure it again)")
    p.add_argument("--noise-columns", type=int, default=0, metavar="K",
                   help="append K columns of standard normal noise to every table's "
                   "features (drawn with seed 0): how much each model loses to columns "
                   "that carry nothing")
    args = p.parse_args(argv)
    if args.noise_columns < 0:
        p.error("--noise-columns must be 0 or more")
    if args.threads:
        torch.set_num_threads(args.threads)
    table_sets = {"development": _suite.DEVELOPMENT, "held-out": _suite.HELD_OUT,
              "all": _suite.SUITE}
    tables = (table_sets[args.tables] if args.tables in table_sets
              else {t: _suite.SUITE[t] for t in args.tables.split(",")})
    seeds = [int(v) for v in args.seeds.split(",")]
    models = [m.strip() for m in args.models.split(",")]
    unknown = sorted(set(models) - set(ALL_MODELS) - set(EXTRA_MODELS))
    if unknown:
        p.error(f"unknown models {unknown}; expected some of {ALL_MODELS + EXTRA_MODELS}")
    folds = "GroupKFold" if args.grouped else "KFold"
    print(f"# torch {torch.__version__}, {torch.get_num_threads()} threads; "
          f"5-fold {folds}(shuffle=True, random_state=0); model seeds {args.seeds}", flush=True)
    frames, verdicts, summaries, status = [], [], [], 0
    start = time.perf_counter()
    for table, load in tables.items():
        if args.grouped and table not in _suite.GROUP_COLUMNS:
            continue
        X, Y = load()
        groups = None
        if args.grouped:
            groups = X[_suite.GROUP_COLUMNS[table]].to_numpy()
            X = X.drop(columns=_suite.GROUP_COLUMNS[table])
        variant = ""
        if args.noise_columns:
            X = add_noise_columns(X, args.noise_columns)
            variant = f".noise{args.noise_columns}"
        tasks = None
        if table == "cars_gated":
            from sklearn_mtl import Task

            gate = ("car", 1)
            tasks = [Task("car"), *(Task(t, gate=gate) for t in ("color", "body", "driver"))]
        per_seed = []
        for seed in seeds:
            rows, details = run_table(table, X, Y, models, tasks, cache=args.cache,
                                      cached_only=args.cached_only, model_seed=seed,
                                      groups=groups, variant=variant)
            if not rows:
                continue
            frame = summarise(table, rows, details, table in _suite.LABEL_SETS)
            ok, text = verdict(frame)
            text += paired(details, frame)
            times = dict(zip(frame.model, frame.fit_s))
            if "mtl" in times:
                for ref in ("realmlp", "hgb"):
                    if ref in times:
                        text += f"; fit time / {ref} {times['mtl'] / times[ref]:.2f}"
            name = table if len(seeds) == 1 else f"{table} (seed {seed})"
            verdicts.append((name, ok, text))
            print(f"{name}: {text}", flush=True)
            if len(seeds) > 1:
                frame.insert(1, "seed", seed)
            per_seed.append((ok, frame))
        if len(per_seed) > 1:
            # a chain or product may wrap another base under another seed: such a
            # label's mean is over the seeds it ran, and the text says so
            runs = pd.concat([f for _, f in per_seed]).groupby("model", sort=False)
            means = runs[["exact_match", "mean_task_accuracy"]].mean().reset_index()
            ok, text = verdict(means)
            met = sum(ok_seed is True for ok_seed, _ in per_seed)
            partial = [f"{m} {n} of {len(per_seed)}" for m, n in runs.size().items()
                       if n < len(per_seed)]
            text = f"met with {met} of {len(per_seed)} seeds; on the means, {text}"
            if partial:
                text += f" (seeds behind a mean: {', '.join(partial)})"
            summaries.append((table, ok, text))
            print(f"{table} over seeds: {text}", flush=True)
        status |= any(ok_seed is False for ok_seed, _ in per_seed)
        frames += [f for _, f in per_seed]
    result = pd.concat(frames, ignore_index=True)
    with pd.option_context("display.width", 250, "display.max_columns", 20,
                           "display.max_colwidth", 90, "display.float_format", "{:.4f}".format):
        print(result.to_string(index=False))
    runs = "tables" if len(seeds) == 1 else "runs (table, seed)"
    print(f"bar met on {_tally(verdicts)} {runs} ({time.perf_counter() - start:.0f} s)")
    if summaries:
        print(f"bar met on the means over seeds on {_tally(summaries)} tables")
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        lines = [result.to_markdown(index=False, floatfmt=".4f"), ""]
        lines += [f"- **{t}**: {text}" for t, _, text in verdicts]
        lines += [f"- **{t}, over seeds**: {text}" for t, _, text in summaries]
        Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return status


if __name__ == "__main__":
    sys.exit(main())
