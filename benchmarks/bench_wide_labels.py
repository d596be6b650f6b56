"""Time and memory of the label utilities on wide labels: many tasks, many classes.

Each operation runs on the sizes where it once was quadratic or held a dense copy of
samples x labels, next to a plain numpy or scikit-learn reference on the same input,
timed in the same run, taking turns (a, b, a, b, ...):

* ``unseen_combination_mass``: 8,000 rows x 100 binary tasks, 2% of the labels missing
  at random (nearly every partly annotated row misses its own set of tasks), against
  ``np.unique(codes, axis=0)``;
* ``cooccurrence_matrix``: a 20,000 x 300 int8 indicator matrix, against
  ``Y.T.astype(float) @ Y``;
* ``MultiTaskStratifiedKFold(5, shuffle=True)``: 20,000 rows x 3 tasks of 5,000
  classes, all five folds, against scikit-learn's ``StratifiedKFold`` on the first task,
  and ``iterative_stratification`` alone on the label indicators that ``split`` builds;
* ``count_combinations``: a 4,000-class parent gating 3 binary children on half its
  classes, against ``np.isin`` of the parent's class codes with each child's gate's;
* ``JointDecoder(allowed="observed")``: 4,000 samples, 2,000 observed combinations of
  300 tasks, against one matmul of the log probabilities with the combinations' one-hot
  codes and its argmax;
* ``JointDecoder(forbidden=...)`` (beam search): 300 samples of two 500-class tasks
  (and a gated pair), against the exact argmax over all pairs of the two tasks.

Prints, for each, the median seconds over ``--repeats`` turns and the median of the
turns' ratios to the reference; then the tracemalloc peak of one run against the bytes
of its input labels (codes, indicator matrix, or probabilities and combinations). No
target: the figures are reported.

Usage::

    python benchmarks/bench_wide_labels.py [--repeats 5] [--scale 1.0]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tracemalloc
import warnings

import numpy as np
from _common import interleaved_times, paired_ratio


def peak_bytes(fn):
    """The tracemalloc peak of one ``fn()``, above what was allocated before it."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def random_outputs(schema, n, rng):
    outputs = []
    for task in schema:
        if task.kind == "multilabel":
            outputs.append(rng.uniform(size=(n, len(task.classes))))
        else:
            outputs.append(rng.dirichlet(np.ones(len(task.classes)) * 0.7, size=n))
    return outputs


def clf_task(name, classes, gate=None):
    from sklearn_mtl import Task

    kind = "binary" if len(classes) == 2 else "multiclass"
    return Task(name, kind=kind, classes=classes, gate=gate)


def unseen_mass_case(rows, tasks):
    from sklearn_mtl import StructuredLabelEncoder
    from sklearn_mtl._decoding import unseen_combination_mass

    rng = np.random.RandomState(0)
    Y = (rng.uniform(size=(rows, tasks)) < 0.02).astype(float)
    Y[rng.uniform(size=Y.shape) < 0.02] = np.nan
    encoded = StructuredLabelEncoder().fit_transform(Y)
    codes = encoded.codes
    return (f"unseen_combination_mass {rows}x{tasks}",
            lambda: unseen_combination_mass(encoded),
            "np.unique(codes, axis=0)", lambda: np.unique(codes, axis=0), codes.nbytes)


def cooccurrence_case(rows, labels):
    from sklearn_mtl.metrics import cooccurrence_matrix

    rng = np.random.RandomState(0)
    Y = (rng.uniform(size=(rows, labels)) < 0.05).astype(np.int8)
    return (f"cooccurrence_matrix {rows}x{labels}", lambda: cooccurrence_matrix(Y),
            "Y.T.astype(float) @ Y", lambda: Y.T.astype(float) @ Y, Y.nbytes)


def folds_case(rows, classes):
    from sklearn.model_selection import StratifiedKFold

    from sklearn_mtl.model_selection import MultiTaskStratifiedKFold

    rng = np.random.RandomState(0)
    Y = rng.randint(0, classes, size=(rows, 3))
    X = np.zeros((rows, 1))

    def ours():
        with warnings.catch_warnings():  # "least populated label": a few samples a class
            warnings.simplefilter("ignore")
            return list(MultiTaskStratifiedKFold(5, shuffle=True, random_state=0).split(X, Y))

    def reference():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return list(StratifiedKFold(5, shuffle=True, random_state=0).split(X, Y[:, 0]))

    return (f"MultiTaskStratifiedKFold {rows}x3 of {classes} classes", ours,
            "StratifiedKFold, first task", reference, Y.nbytes)


def stratification_case(rows, classes):
    """``iterative_stratification`` alone, on the (dense boolean) indicators that
    ``MultiTaskStratifiedKFold.split`` builds first; its input is those indicators."""
    from sklearn.model_selection import StratifiedKFold

    from sklearn_mtl.model_selection import iterative_stratification, label_indicators

    rng = np.random.RandomState(0)
    Y = rng.randint(0, classes, size=(rows, 3))
    L = label_indicators(Y)
    X = np.zeros((rows, 1))

    def reference():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return list(StratifiedKFold(5, shuffle=True, random_state=0).split(X, Y[:, 0]))

    return (f"iterative_stratification {rows}x{L.shape[1]} indicators",
            lambda: iterative_stratification(L, 5, random_state=0),
            "StratifiedKFold, first task", reference, L.nbytes)


def count_case(classes):
    from sklearn_mtl import Schema
    from sklearn_mtl._decoding import count_combinations

    names = [f"c{i}" for i in range(classes)]
    gate = set(names[::2])
    schema = Schema([clf_task("p", names)]
                    + [clf_task(f"child{j}", ["n", "y"], gate=("p", gate)) for j in range(3)])
    codes = np.arange(classes)
    gate_codes = codes[::2]
    return (f"count_combinations, {classes}-class parent", lambda: count_combinations(schema),
            "np.isin(codes, gate) per child",
            lambda: [np.isin(codes, gate_codes) for _ in range(3)], codes.nbytes)


def observed_case(n, n_combos, n_tasks):
    from sklearn_mtl import JointDecoder, Schema, Task

    rng = np.random.RandomState(0)
    schema = Schema([clf_task(f"t{j}", [0, 1]) for j in range(n_tasks - 2)]
                    + [clf_task("m", ["a", "b", "c"]),
                       Task("tags", kind="multilabel", classes=["x", "y"])])
    outputs = random_outputs(schema, n, rng)
    observed = (rng.uniform(size=(n_combos, n_tasks)) < 0.1).astype(np.int64)
    observed[:, -1] = 0
    decoder = JointDecoder(allowed="observed")
    clf = outputs[:-1]
    widths = [o.shape[1] for o in clf]
    onehot = np.zeros((sum(widths), n_combos))
    offsets = np.cumsum([0] + widths[:-1])
    for j, offset in enumerate(offsets):
        onehot[offset + observed[:, j], np.arange(n_combos)] = 1.0

    def reference():
        return (np.log(np.concatenate(clf, axis=1)) @ onehot).argmax(axis=1)

    return (f"JointDecoder observed {n}x{n_combos} of {n_tasks} tasks",
            lambda: decoder.decode(outputs, schema, observed=observed),
            "log p @ one-hot combinations", reference,
            sum(o.nbytes for o in outputs) + observed.nbytes)


def beam_case(n, classes):
    from sklearn_mtl import JointDecoder, Schema

    rng = np.random.RandomState(0)
    schema = Schema([clf_task("c", [0, 1]), clf_task("d", [0, 1], gate=("c", 1)),
                     clf_task("a", list(range(classes))), clf_task("b", list(range(classes)))])
    outputs = random_outputs(schema, n, rng)
    decoder = JointDecoder(forbidden=[(("a", 0), ("b", 0)), (("c", 1), ("d", 1))])
    la, lb = np.log(outputs[2]), np.log(outputs[3])
    step = max(1, (1 << 23) // (classes * classes))  # chunks of ~64 MB of pairs

    def reference():  # the exact best pair of a and b
        best = np.empty(n, dtype=np.int64)
        for start in range(0, n, step):
            pair = la[start:start + step, :, None] + lb[start:start + step, None, :]
            pair[:, 0, 0] = -np.inf
            best[start:start + step] = pair.reshape(len(pair), -1).argmax(axis=1)
        return best

    return (f"beam search {n} samples, 2 tasks of {classes} classes",
            lambda: decoder.decode(outputs, schema), "exact argmax over all pairs", reference,
            sum(o.nbytes for o in outputs))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=5, help="turns; the median is reported")
    p.add_argument("--scale", type=float, default=1.0,
                   help="multiplies every row count, and the folds' classes (e.g. 0.1 for a "
                        "smoke test)")
    p.add_argument("--mass-rows", type=int, default=8000)
    p.add_argument("--mass-tasks", type=int, default=100)
    p.add_argument("--cooc-rows", type=int, default=20_000)
    p.add_argument("--cooc-labels", type=int, default=300)
    p.add_argument("--fold-rows", type=int, default=20_000)
    p.add_argument("--fold-classes", type=int, default=5000)
    p.add_argument("--parent-classes", type=int, default=4000)
    p.add_argument("--decode-samples", type=int, default=4000)
    p.add_argument("--decode-combinations", type=int, default=2000)
    p.add_argument("--decode-tasks", type=int, default=300)
    p.add_argument("--beam-samples", type=int, default=300)
    p.add_argument("--beam-classes", type=int, default=500)
    args = p.parse_args(argv)

    def rows(n):
        return max(10, int(n * args.scale))

    cases = [
        lambda: unseen_mass_case(rows(args.mass_rows), args.mass_tasks),
        lambda: cooccurrence_case(rows(args.cooc_rows), args.cooc_labels),
        lambda: folds_case(rows(args.fold_rows), rows(args.fold_classes)),
        lambda: stratification_case(rows(args.fold_rows), rows(args.fold_classes)),
        lambda: count_case(args.parent_classes),
        lambda: observed_case(rows(args.decode_samples), args.decode_combinations,
                              args.decode_tasks),
        lambda: beam_case(rows(args.beam_samples), args.beam_classes),
    ]
    results = []
    for make in cases:
        name, ours, ref_name, reference, input_bytes = make()
        times = interleaved_times({"ours": ours, "ref": reference}, args.repeats)
        peak = peak_bytes(ours)
        results.append((name, statistics.median(times["ours"]), ref_name,
                        statistics.median(times["ref"]), paired_ratio(times["ref"], times["ours"]),
                        peak, input_bytes))
    print(f"repeats={args.repeats} (median seconds; ratio: median of the turns' ratios to "
          "the reference; peak: tracemalloc, one run)")
    width = max(len(r[0]) for r in results)
    ref_width = max(len(r[2]) for r in results)
    print(f"{'operation':<{width}}  {'seconds':>8}  {'reference':<{ref_width}}  {'ref s':>8}  "
          f"{'ratio':>7}  {'peak MiB':>9}  {'input MiB':>9}  {'peak/input':>10}")
    for name, seconds, ref_name, ref_seconds, ratio, peak, input_bytes in results:
        print(f"{name:<{width}}  {seconds:8.4f}  {ref_name:<{ref_width}}  {ref_seconds:8.4f}  "
              f"{ratio:7.2f}  {peak / 2**20:9.1f}  {input_bytes / 2**20:9.2f}  "
              f"{peak / input_bytes:10.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
