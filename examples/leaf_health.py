"""
Which crop is this leaf, and is it healthy? Multi-task versus multi-label
=========================================================================

Two questions about a leaf: its crop (potato, tomato or pepper) and its health
(healthy, early blight or late blight). Each answer is *exclusive* (one crop, one
status) and the two are drawn *independently* of each other in
:func:`sklearn_mtl.datasets.make_leaf_images`.

The same convolutional network is trained twice:

* **multi-task**: two tasks, each with a softmax head: exactly one crop and one status
  per leaf, by construction;
* **multi-label**: one task whose six labels are independent yes/no outputs (sigmoids),
  as if the six labels were unrelated: nothing stops it from predicting two crops, or
  none.

The co-occurrence matrices of the predictions (:func:`sklearn_mtl.metrics.cooccurrence_matrix`,
drawn by :func:`sklearn_mtl.plotting.plot_cooccurrence`) show the difference: within a
dimension, off-diagonal cells must be 0 (exclusivity), and across dimensions the joint
frequencies should be the products of the marginals (independence).

Run ``python examples/leaf_health.py``; ``SKLEARN_MTL_EXAMPLES_SMALL=1`` makes it tiny
(a smoke test: the numbers then mean nothing). Set ``OMP_NUM_THREADS`` to the number of
free cores. The figures go to ``SKLEARN_MTL_EXAMPLES_OUTPUT`` (default: the current
directory).
"""

import os
import time

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from sklearn_mtl import MultiTaskClassifier, Task  # noqa: E402
from sklearn_mtl.datasets import make_leaf_images  # noqa: E402
from sklearn_mtl.metrics import cooccurrence_matrix, task_accuracy_score  # noqa: E402
from sklearn_mtl.plotting import plot_cooccurrence  # noqa: E402

SMALL = os.environ.get("SKLEARN_MTL_EXAMPLES_SMALL") == "1"
OUTPUT = os.environ.get("SKLEARN_MTL_EXAMPLES_OUTPUT", ".")
N_SAMPLES, EPOCHS = (180, 2) if SMALL else (1600, 20)

X, Y, tasks = make_leaf_images(N_SAMPLES, random_state=0, return_tasks=True)
LEAF_CROPS, LEAF_HEALTH = (task.classes for task in tasks)  # the classes of crop, health
X_train, X_test, Y_train, Y_test = train_test_split(X, Y, test_size=0.25, random_state=0)
print(f"{len(X_train)} training and {len(X_test)} test leaves of shape {X.shape[1:]}")

# The multi-label view: one task whose labels are the six answers, as sets.
LABELS = LEAF_CROPS + LEAF_HEALTH
as_sets = lambda Y: pd.DataFrame(  # noqa: E731
    {"labels": [{c, h} for c, h in zip(Y["crop"], Y["health"])]}, index=Y.index
)
multilabel_tasks = [Task("labels", kind="multilabel", classes=LABELS)]

params = dict(trunk="conv2d", trunk_params={"channels": (8, 16, 32)}, lr=3e-3,
              batch_size=64, max_epochs=EPOCHS, random_state=0)
multitask = MultiTaskClassifier(tasks=tasks, **params)
multilabel = MultiTaskClassifier(tasks=multilabel_tasks, **params)

start = time.perf_counter()
multitask.fit(X_train, Y_train)
print(f"multi-task fitted in {time.perf_counter() - start:.1f} s")
start = time.perf_counter()
multilabel.fit(X_train, as_sets(Y_train))
print(f"multi-label fitted in {time.perf_counter() - start:.1f} s")

pred_mt = multitask.predict(X_test)
pred_ml_sets = multilabel.predict(X_test)["labels"]
print("\nMulti-task accuracy:", task_accuracy_score(Y_test, pred_mt, schema=tasks)
      .round(3).to_dict())


def per_dimension(label_sets, names):
    """The one label of ``names`` in each set, or None when there are zero or several."""
    out = []
    for labels in label_sets:
        found = [x for x in names if x in labels]
        out.append(found[0] if len(found) == 1 else None)
    return out


crop_ml = per_dimension(pred_ml_sets, LEAF_CROPS)
health_ml = per_dimension(pred_ml_sets, LEAF_HEALTH)
n_crops = np.array([sum(x in s for x in LEAF_CROPS) for s in pred_ml_sets])
n_health = np.array([sum(x in s for x in LEAF_HEALTH) for s in pred_ml_sets])
print("Multi-label accuracy (a leaf with zero or two crops predicted counts as wrong):",
      {"crop": round(float(np.mean(np.array(crop_ml, dtype=object) == Y_test["crop"].to_numpy(
          dtype=object))), 3),
       "health": round(float(np.mean(np.array(health_ml, dtype=object)
                                     == Y_test["health"].to_numpy(dtype=object))), 3)})
print(f"Multi-label predictions breaking exclusivity: {np.mean(n_crops != 1):.1%} of "
      f"leaves with zero or several crops, {np.mean(n_health != 1):.1%} with zero or "
      f"several health statuses (multi-task: 0% by construction).")

# Co-occurrence of the predicted labels, as frequencies over the test leaves.
co_mt = cooccurrence_matrix(pred_mt, schema=tasks, normalize="all")
co_ml = cooccurrence_matrix(pd.DataFrame({"labels": list(pred_ml_sets)}),
                            schema=multilabel_tasks, normalize="all")
for name, co, prefix in [("multi-task", co_mt, ("crop=", "health=")),
                         ("multi-label", co_ml, ("labels=", "labels="))]:
    crop = [f"{prefix[0]}{c}" for c in LEAF_CROPS]
    health = [f"{prefix[1]}{h}" for h in LEAF_HEALTH]
    # Within a dimension: off-diagonal cells, as counts of leaves (n_test * frequency).
    within = sum(
        co.loc[block, block].to_numpy().sum() - np.trace(co.loc[block, block].to_numpy())
        for block in (crop, health)
    ) / 2 * len(X_test)
    joint = co.loc[crop, health].to_numpy()
    product = np.outer(np.diag(co.loc[crop, crop]), np.diag(co.loc[health, health]))
    print(f"\n{name}: leaves with two labels of the same dimension: {within:.0f}; "
          f"crop × health joint frequency minus product of marginals: largest "
          f"|difference| {np.abs(joint - product).max():.3f}")
print("\nPredicted co-occurrence frequencies, multi-task:")
print(co_mt.round(2).to_string())

for name, Y_true, Y_pred, schema in [
    ("multitask", Y_test, pred_mt, tasks),
    ("multilabel", as_sets(Y_test), pd.DataFrame({"labels": list(pred_ml_sets)},
                                                 index=Y_test.index), multilabel_tasks),
]:
    fig = plot_cooccurrence(Y_true, Y_pred, schema=schema, normalize="all")
    fig.suptitle(f"Leaf labels, {name} network: co-occurrence (joint frequency)")
    path = os.path.join(OUTPUT, f"leaf_health_{name}.png")
    fig.savefig(path, dpi=70)
    print(f"Saved {path}")
