"""What every estimator shares (``_base.py``): predictions keep X's index."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from sklearn_mtl import (
    IndependentTaskClassifier,
    LabelProductClassifier,
    MultiTaskClassifier,
    TaskChainClassifier,
    TaskThresholdTuner,
)

MODELS = {
    "independent": lambda: IndependentTaskClassifier(LogisticRegression()),
    "chain": lambda: TaskChainClassifier(LogisticRegression()),
    "product": lambda: LabelProductClassifier(LogisticRegression()),
    "mtl": lambda: MultiTaskClassifier(hidden_layer_sizes=(4,), max_epochs=2, random_state=0),
    "tuner": lambda: TaskThresholdTuner(IndependentTaskClassifier(LogisticRegression()), cv=2),
}


def frames():
    rng = np.random.RandomState(0)
    X = pd.DataFrame(rng.normal(size=(40, 3)), columns=["f0", "f1", "f2"],
                     index=[f"id{i}" for i in range(100, 140)])
    Y = pd.DataFrame({"a": np.where(X["f0"] > 0, "yes", "no"),
                      "b": np.where(X["f1"] > 0, 1, 0)}, index=X.index)
    return X, Y


@pytest.mark.parametrize("name", sorted(MODELS))
def test_predict_keeps_the_index_of_X(name):
    X, Y = frames()
    model = MODELS[name]().fit(X, Y)
    X_test = X.iloc[::-3]  # a shuffled, non-range index
    pred = model.predict(X_test)
    pd.testing.assert_index_equal(pred.index, X_test.index)
    joined = Y.loc[X_test.index].join(pred.add_suffix("_pred"))
    assert (joined["a"] == Y.loc[X_test.index, "a"]).all()
    assert list(pred.columns) == ["a", "b"]
    # arrays in, no index to keep: a fresh one, as before
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "X does not have valid feature names"
        assert list(model.predict(X_test.to_numpy()).index) == list(range(len(X_test)))
    # the input is left as it was
    pd.testing.assert_frame_equal(X, frames()[0])
