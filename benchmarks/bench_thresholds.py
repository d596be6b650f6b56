"""Macro-F1 of tuned per-label thresholds against the fixed 0.5, on imbalanced labels.

Generated data: 10 labels of one multilabel task ``tags`` with prevalences from 1.5 % to
15 %, each a noisy linear function of 20 features, plus a rare binary task ``alert``.
The same fitted model predicts the held-out test set twice: with 0.5 and with the
thresholds that :class:`~sklearn_mtl.TaskThresholdTuner` chose on 5-fold out-of-fold
predictions of the training set. Macro-F1 is over the 11 labels (10 tags + alert).

Prints one line per model and, last, the gain of the tuned thresholds; exits with
status 1 if tuned is not better than 0.5.

Run: ``python benchmarks/bench_thresholds.py [--n-samples 4000] [--seed 0]``
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import MultiLabelBinarizer

from sklearn_mtl import IndependentTaskClassifier, MultiTaskClassifier, TaskThresholdTuner

TAGS = [f"tag{i}" for i in range(10)]


def make_data(n_samples, seed):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, 20))
    prevalence = np.linspace(0.015, 0.15, len(TAGS))
    W = rng.normal(size=(20, len(TAGS) + 1))
    logits = X @ W / np.sqrt(20) + rng.normal(scale=0.8, size=(n_samples, len(TAGS) + 1))
    rates = np.r_[prevalence, 0.03]
    cut = np.array([np.quantile(logits[:, j], 1 - r) for j, r in enumerate(rates)])
    on = logits > cut
    tags = [{t for t, v in zip(TAGS, row) if v} for row in on[:, : len(TAGS)]]
    Y = pd.DataFrame({"tags": tags, "alert": np.where(on[:, -1], "yes", "no")})
    return X.astype(np.float32), Y


def multi_hot(Y):
    tags = MultiLabelBinarizer(classes=TAGS).fit_transform(Y["tags"])
    alert = (np.asarray(Y["alert"]) == "yes").astype(int)[:, None]
    return np.hstack([tags, alert])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    X, Y = make_data(args.n_samples, args.seed)
    X_train, X_test, Y_train, Y_test = train_test_split(
        X, Y, test_size=0.5, random_state=args.seed
    )
    truth = multi_hot(Y_test)
    models = {
        "IndependentTaskClassifier(LogisticRegression)": IndependentTaskClassifier(
            LogisticRegression(max_iter=1000)
        ),
        "MultiTaskClassifier": MultiTaskClassifier(
            hidden_layer_sizes=(32,), lr=1e-2, max_epochs=15, batch_size=256,
            random_state=args.seed,
        ),
    }
    gains = []
    for name, model in models.items():
        start = time.perf_counter()
        tuner = TaskThresholdTuner(model, cv=5, metric="f1").fit(X_train, Y_train)
        # The same fitted model, decided at 0.5 and at the tuned thresholds.
        plain = f1_score(truth, multi_hot(tuner.estimator_.predict(X_test)), average="macro")
        tuned = f1_score(truth, multi_hot(tuner.predict(X_test)), average="macro")
        gains.append(tuned - plain)
        print(
            f"{name}: macro-F1 at 0.5 = {plain:.4f}, tuned = {tuned:.4f} "
            f"(gain {tuned - plain:+.4f}; {time.perf_counter() - start:.1f} s)"
        )
    worst = min(gains)
    print(
        f"macro-F1 gain of tuned thresholds over 0.5: min {worst:+.4f}, "
        f"mean {np.mean(gains):+.4f} over {len(gains)} models"
    )
    return 0 if worst > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
