"""
Which topics does a headline touch? Multi-label text with TF-IDF features
=========================================================================

Each short news text carries one to three tags among ``politics``, ``sports``, ``tech``,
``health`` and ``business`` (a *set* of labels per sample). The texts are generated here
from a vocabulary per topic plus common words, so the example needs no download.

A :class:`~sklearn.feature_extraction.text.TfidfVectorizer` turns them into a
``scipy.sparse`` matrix, which every sklearn-mtl estimator takes as it comes, inside a
:class:`~sklearn.pipeline.Pipeline`:

* :class:`~sklearn_mtl.IndependentTaskClassifier` and
  :class:`~sklearn_mtl.TaskChainClassifier` hand the sparse matrix to their
  ``LogisticRegression`` models (the chain stacks it sparsely with earlier tags);
* :class:`~sklearn_mtl.MultiTaskClassifier` densifies one mini-batch at a time, never the
  whole matrix.

The hyper-parameter ``C`` of the logistic regressions is chosen by ``GridSearchCV`` with
:class:`~sklearn_mtl.model_selection.MultiTaskStratifiedKFold`, which keeps every tag's
frequency in every fold.

Run ``python examples/news_tags.py``; ``SKLEARN_MTL_EXAMPLES_SMALL=1`` makes it tiny (a
smoke test: the numbers then mean nothing). The figure goes to
``SKLEARN_MTL_EXAMPLES_OUTPUT`` (default: the current directory).
"""

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402
from sklearn.model_selection import GridSearchCV, train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import MultiLabelBinarizer  # noqa: E402

from sklearn_mtl import (  # noqa: E402
    IndependentTaskClassifier,
    MultiTaskClassifier,
    TaskChainClassifier,
)
from sklearn_mtl.model_selection import MultiTaskStratifiedKFold  # noqa: E402

SMALL = os.environ.get("SKLEARN_MTL_EXAMPLES_SMALL") == "1"
OUTPUT = os.environ.get("SKLEARN_MTL_EXAMPLES_OUTPUT", ".")
N_TEXTS, EPOCHS = (300, 3) if SMALL else (3000, 30)

VOCABULARY = {
    "politics": "election vote senate minister parliament campaign policy law reform party",
    "sports": "match goal league coach season team player final score champion",
    "tech": "software chip startup app cloud data robot network code device",
    "health": "hospital vaccine doctor patient disease study diet virus clinic therapy",
    "business": "market shares profit bank investor deal merger revenue inflation trade",
}
COMMON = "the a new report says after week today city plan year people first big".split()
TAGS = sorted(VOCABULARY)


def make_news(n, random_state):
    """Texts of 8-16 words drawn from the vocabularies of their 1-3 tags and common
    words; 10% of the topic words come from any topic, its own included (noise)."""
    rng = np.random.RandomState(random_state)
    words = {tag: text.split() for tag, text in VOCABULARY.items()}
    texts, tags = [], []
    for _ in range(n):
        size = rng.choice([1, 2, 3], p=[0.5, 0.35, 0.15])
        chosen = {str(tag) for tag in rng.choice(TAGS, size=size, replace=False)}
        tokens = []
        for _ in range(rng.randint(8, 17)):
            if rng.rand() < 0.4:
                tokens.append(str(rng.choice(COMMON)))
            else:
                topic = rng.choice(sorted(chosen)) if rng.rand() > 0.1 else rng.choice(TAGS)
                tokens.append(str(rng.choice(words[topic])))
        texts.append(" ".join(tokens))
        tags.append(chosen)
    return texts, tags


texts, tags = make_news(N_TEXTS, random_state=0)
X_train, X_test, Y_train, Y_test = train_test_split(texts, tags, test_size=0.25,
                                                    random_state=0)
print(f"{len(X_train)} training and {len(X_test)} test texts, e.g. {X_train[0]!r} -> "
      f"{sorted(Y_train[0])}")

cv = MultiTaskStratifiedKFold(n_splits=3, shuffle=True, random_state=0)
models = {
    "independent": GridSearchCV(
        make_pipeline(TfidfVectorizer(), IndependentTaskClassifier(LogisticRegression())),
        {"independenttaskclassifier__estimator__C": [1.0, 10.0]}, cv=cv,
    ),
    "chain": GridSearchCV(
        make_pipeline(TfidfVectorizer(), TaskChainClassifier(LogisticRegression())),
        {"taskchainclassifier__estimator__C": [1.0, 10.0]}, cv=cv,
    ),
    "multi-task net": make_pipeline(
        TfidfVectorizer(),
        MultiTaskClassifier(hidden_layer_sizes=(32,), lr=1e-2, max_epochs=EPOCHS,
                            random_state=0),
    ),
}

binarizer = MultiLabelBinarizer(classes=TAGS).fit([TAGS])
true = binarizer.transform(Y_test)
scores = {}
for name, model in models.items():
    model.fit(X_train, Y_train)
    pred = binarizer.transform(model.predict(X_test))  # a list of tag sets, like Y
    scores[name] = f1_score(true, pred, average=None, zero_division=0)
    best = f" (best {model.best_params_})" if hasattr(model, "best_params_") else ""
    print(f"{name:>15}: micro-F1 {f1_score(true, pred, average='micro'):.3f}{best}")

fig, ax = plt.subplots(figsize=(7, 3.5))
width = 0.8 / len(scores)
for k, (name, f1) in enumerate(scores.items()):
    ax.bar(np.arange(len(TAGS)) + k * width, f1, width, label=name)
ax.set_xticks(np.arange(len(TAGS)) + width * (len(scores) - 1) / 2, TAGS)
ax.set_ylabel("F1 on the test texts")
ax.set_ylim(0, 1)
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=len(scores), frameon=False)
ax.set_title("Tags of generated news texts, from TF-IDF features")
fig.tight_layout()
path = os.path.join(OUTPUT, "news_tags.png")
fig.savefig(path, dpi=100)
print(f"Saved {path}")
