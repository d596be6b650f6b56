"""One row at a time: the latency of ``predict`` on a single sample.

A service or the command line often predicts one sample at a time, where the time goes
to the per-call work (validating the row, preprocessing it, writing the labels back as
a DataFrame), not to arithmetic. On the Palmer penguins (three tasks, four measurements),
each contender predicts one row given as a one-row DataFrame, ``--calls`` times a turn,
the contenders taking turns (``--repeats`` turns; the median per call is printed):

- ``sklearn LR x3``: the reference, three scikit-learn pipelines (``StandardScaler``
  and ``LogisticRegression``), one a task, each asked for its task;
- ``IndependentTaskClassifier(LR)``: the same three models behind this project's API
  (one call, the labels back as a DataFrame);
- ``MultiTaskClassifier()``: the default network as shipped (its preprocessing, eight
  members, decoding over the observed combinations), ``predict`` and ``predict_proba``;
- ``raw forward``: the network's torch module on the row already preprocessed, under
  ``torch.inference_mode()``: the arithmetic floor.

Ratios are to the reference of the same run. No target: the figures are reported
(see "Speed on small data" in docs/benchmarks.md).

Usage::

    python benchmarks/bench_latency.py [--threads 1] [--repeats 15] [--calls 100]
"""

from __future__ import annotations

import statistics

import torch
from _common import interleaved_times, paired_ratio, parser, penguin_models, setup


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--calls", type=int, default=100, help="predictions a turn")
    p.set_defaults(repeats=15)
    args = p.parse_args()
    setup(args)
    X, Y, network, linear, per_task = penguin_models()
    row = X.iloc[[5]]
    module = network.net_.module_.eval()
    x = torch.from_numpy(network.preprocessor_.transform(row.to_numpy(dtype="float32")))

    def repeat(fn):
        def run():
            for _ in range(args.calls):
                fn()
        return run

    def raw():
        with torch.inference_mode():
            module(x)

    fns = {
        "sklearn LR x3 (reference)": repeat(lambda: [m.predict(row) for m in per_task.values()]),
        "IndependentTaskClassifier(LR).predict": repeat(lambda: linear.predict(row)),
        "MultiTaskClassifier().predict": repeat(lambda: network.predict(row)),
        "MultiTaskClassifier().predict_proba": repeat(lambda: network.predict_proba(row)),
        "raw forward (preprocessed row)": repeat(raw),
    }
    times = interleaved_times(fns, args.repeats)
    reference = times["sklearn LR x3 (reference)"]
    print(f"# one row, {args.calls} calls a turn, {args.repeats} turns; per call, the "
          "median of the turns")
    for name, values in times.items():
        per_call = statistics.median(values) / args.calls * 1e3
        print(f"{name:<40} {per_call:7.3f} ms  ratio {paired_ratio(reference, values):.2f}")


if __name__ == "__main__":
    main()
