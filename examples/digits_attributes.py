"""
Real images, several questions: digit, ink and slant
====================================================

scikit-learn's :func:`~sklearn.datasets.load_digits` holds 1,797 real hand-written
digits of 8×8 pixels. Besides the digit, we ask two questions about the writing:

* ``ink``: how much ink the digit uses (low, medium or high);
* ``slant``: whether it leans left, stands upright or leans right.

**These two attributes are measured from the pixels, not annotated by people**: ink is
the sum of the pixel values, slant the intensity-weighted shear of x against y (how
far the strokes move right per pixel upwards); each is cut at its terciles, so the
classes are relative to this data set ("the third of the digits with the least ink"),
not absolute. They are a stand-in for real annotations, to show three tasks sharing
one image network. Ink is a linear function of the pixels, so a linear model is hard to
beat on it; the comparison below says so plainly.

A :class:`~sklearn_mtl.MultiTaskClassifier` with ``trunk="conv2d"`` answers the three
questions at once; a reference fits one logistic regression per task on the raw
pixels (:class:`~sklearn_mtl.IndependentTaskClassifier`).

Run ``python examples/digits_attributes.py``; ``SKLEARN_MTL_EXAMPLES_SMALL=1`` makes it
tiny (a smoke test: the numbers then mean nothing). Set ``OMP_NUM_THREADS`` to the
number of free cores. The figure goes to ``SKLEARN_MTL_EXAMPLES_OUTPUT`` (default: the
current directory).
"""

import os
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from sklearn_mtl import IndependentTaskClassifier, MultiTaskClassifier  # noqa: E402
from sklearn_mtl.metrics import exact_match_score, task_accuracy_score  # noqa: E402
from sklearn_mtl.neural import RandomShift  # noqa: E402

SMALL = os.environ.get("SKLEARN_MTL_EXAMPLES_SMALL") == "1"
OUTPUT = os.environ.get("SKLEARN_MTL_EXAMPLES_OUTPUT", ".")
EPOCHS = 2 if SMALL else 40

digits = load_digits()
images = digits.images.astype(np.float32) / 16.0  # (n, 8, 8) in [0, 1]
if SMALL:
    images, target = images[:300], digits.target[:300]
else:
    target = digits.target

# Attributes measured from the pixels (not annotated).
ys, xs = np.mgrid[0:8, 0:8].astype(np.float32)
mass = images.sum(axis=(1, 2))
x_mean = (images * xs).sum(axis=(1, 2)) / mass
y_mean = (images * ys).sum(axis=(1, 2)) / mass
dx, dy = xs - x_mean[:, None, None], ys - y_mean[:, None, None]
# Row index grows downwards: a stroke leaning right has x growing as y shrinks.
shear = -(images * dx * dy).sum(axis=(1, 2)) / (images * dy**2).sum(axis=(1, 2))


def terciles(values, names):
    cuts = np.quantile(values, [1 / 3, 2 / 3])
    return np.array(names)[np.searchsorted(cuts, values)]


Y = pd.DataFrame({
    "digit": target,
    "ink": terciles(mass, ["low", "medium", "high"]),
    "slant": terciles(shear, ["left", "upright", "right"]),
})
X = images[:, None]  # (n, 1, 8, 8): one channel
X_train, X_test, Y_train, Y_test = train_test_split(
    X, Y, test_size=0.3, random_state=0, stratify=Y["digit"]
)
print(f"{len(X_train)} training and {len(X_test)} test digits; tasks: "
      f"{', '.join(f'{c} ({Y[c].nunique()} classes)' for c in Y.columns)}")

cnn = MultiTaskClassifier(
    trunk="conv2d",
    trunk_params={"channels": (32, 64)},
    lr=3e-3,
    batch_size=64,
    max_epochs=EPOCHS,
    # Shifts by one pixel keep the digit, its ink and its slant: safe augmentation.
    batch_transform=RandomShift(1),
    random_state=0,
)
logistic = IndependentTaskClassifier(LogisticRegression(C=0.1, max_iter=2000))

rows = {}
for name, model, Xtr, Xte in [
    ("multi-task CNN", cnn, X_train, X_test),
    ("logistic regression per task", logistic, X_train.reshape(len(X_train), -1),
     X_test.reshape(len(X_test), -1)),
]:
    start = time.perf_counter()
    model.fit(Xtr, Y_train)
    seconds = time.perf_counter() - start
    pred = model.predict(Xte)
    rows[name] = {**task_accuracy_score(Y_test, pred).to_dict(),
                  "exact match": exact_match_score(Y_test, pred), "fit seconds": seconds}
    if model is cnn:
        cnn_pred = pred
table = pd.DataFrame(rows).T
print("\nTest accuracy per task, and exact match over the three:")
print(table.round(3).to_string())

# Figure: test digits with the CNN's answers, and accuracy per task.
fig = plt.figure(figsize=(12, 5), layout="constrained")
left, right = fig.subfigures(1, 2, width_ratios=[1.4, 1])
axes = left.subplots(3, 6)
for i, ax in enumerate(axes.flat):
    ax.imshow(X_test[i, 0], cmap="gray_r")
    ax.axis("off")
    p, t = cnn_pred.iloc[i], Y_test.iloc[i]
    ok = (p == t).all()
    ax.set_title(f"{p['digit']} | {p['ink']} | {p['slant']}", fontsize=8,
                 color="black" if ok else "red")
left.suptitle("CNN: digit | ink | slant (red: an answer is wrong)", fontsize=10)
ax = right.subplots()
metrics = list(Y.columns) + ["exact match"]
for k, (name, row) in enumerate(table.iterrows()):
    ax.bar(np.arange(len(metrics)) + 0.4 * k, row[metrics], 0.4, label=name)
ax.set_xticks(np.arange(len(metrics)) + 0.2, metrics)
ax.set_ylim(0, 1.05)
ax.set_ylabel("test accuracy")
ax.legend(loc="lower left", fontsize=8)
ax.set_title("ink and slant are measured, not annotated", fontsize=10)
path = os.path.join(OUTPUT, "digits_attributes.png")
fig.savefig(path, dpi=80)
print(f"\nSaved {path}")
