"""Task-weighting strategies, pos_weight and class_weight of MultiTaskClassifier."""

import numpy as np
import pandas as pd
import pytest
import torch
from _classic import CLASSIC
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_mtl import IndependentTaskClassifier, MultiTaskClassifier, Task
from sklearn_mtl.neural import DWAWeighting, GradNormWeighting, UncertaintyWeighting
from sklearn_mtl.neural._weighting import dwa_weights, pcgrad_project


def small(**params):
    defaults = dict(hidden_layer_sizes=(16,), lr=1e-2, max_epochs=5, random_state=0, **CLASSIC)
    defaults.update(params)
    return MultiTaskClassifier(**defaults)


def two_task_data(n=200, seed=0):
    """``easy`` is a function of X; ``noise`` is a coin flip (its loss cannot fall)."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 4)).astype(np.float32)
    Y = pd.DataFrame({
        "easy": np.where(X[:, 0] > 0, "a", "b"),
        "noise": np.where(rng.rand(n) > 0.5, "c", "d"),
    })
    return X, Y


def weights(clf, name):
    return np.array(clf.history_[:, f"weight_{name}"])


# -------------------------------------------------------------------------- PCGrad


def test_pcgrad_removes_conflicting_components():
    g1, g2 = torch.tensor([1.0, 0.0]), torch.tensor([-1.0, 1.0])  # g1 · g2 = -1 < 0
    projected = pcgrad_project(torch.stack([g1, g2]))
    # g1 - (g1·g2 / |g2|²) g2 and g2 - (g2·g1 / |g1|²) g1
    torch.testing.assert_close(projected[0], torch.tensor([0.5, 0.5]))
    torch.testing.assert_close(projected[1], torch.tensor([0.0, 1.0]))
    assert projected[0] @ g2 == pytest.approx(0.0)  # no component against g2 left
    assert projected[1] @ g1 == pytest.approx(0.0)


def test_pcgrad_keeps_agreeing_gradients_and_follows_order():
    agreeing = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
    torch.testing.assert_close(pcgrad_project(agreeing), agreeing)
    g = torch.tensor([[1.0, 0.0], [-1.0, 0.5], [-0.5, -1.0]])
    a = pcgrad_project(g, order=[[1, 2], [0, 2], [0, 1]])
    b = pcgrad_project(g, order=[[2, 1], [2, 0], [1, 0]])
    assert not torch.allclose(a, b)  # sequential projections depend on the order
    # After projecting on the last task visited, task 0 no longer conflicts with it.
    assert a[0] @ g[2] >= -1e-6 and b[0] @ g[1] >= -1e-6


def test_pcgrad_trains_and_changes_only_shared_gradients():
    X, Y = two_task_data()
    clf = small(loss_weighting="pcgrad", max_epochs=10, batch_size=32).fit(X, Y)
    assert (clf.predict(X)["easy"] == Y["easy"]).mean() > 0.9
    np.testing.assert_allclose(weights(clf, "easy"), 1.0)
    # One batch by hand: heads get their plain gradients, the trunk the projected sum.
    net, crit = clf.net_, clf.net_.criterion_
    xb = torch.from_numpy(X[:64])
    yb = clf._targets(clf.encoder_.transform(Y.iloc[:64]), None, 64)
    net.optimizer_.zero_grad()
    net.train_step_single((xb, yb))
    heads_pcgrad = [p.grad.clone() for p in net.module_.heads.parameters()]
    trunk_pcgrad = [p.grad.clone() for p in net.module_.trunk.parameters()]
    net.optimizer_.zero_grad()
    net._set_training(True)
    total, per_task = crit(net.module_(xb), yb)
    total.backward()
    for a, b in zip(heads_pcgrad, net.module_.heads.parameters()):
        torch.testing.assert_close(a, b.grad)
    assert any(not torch.allclose(a, p.grad) for a, p in zip(
        trunk_pcgrad, net.module_.trunk.parameters()
    ))


# ----------------------------------------------------------------------------- DWA


def test_dwa_formula():
    w = dwa_weights([0.5, 0.9], [1.0, 1.0], temperature=2.0)
    expected = 2 * np.exp([0.25, 0.45]) / np.exp([0.25, 0.45]).sum()
    np.testing.assert_allclose(w, expected)
    assert w.sum() == pytest.approx(2.0)
    np.testing.assert_allclose(dwa_weights([0.5, 0.9], [1, 1], 1e6), [1.0, 1.0], rtol=1e-5)


def test_dwa_raises_the_weight_of_the_slowest_task():
    X, Y = two_task_data()
    clf = small(loss_weighting="dwa", loss_weighting_params={"temperature": 0.1}, max_epochs=6)
    clf.fit(X, Y)
    easy, noise = weights(clf, "easy"), weights(clf, "noise")
    np.testing.assert_allclose(easy[:2], 1.0)  # the first two epochs: equal weights
    np.testing.assert_allclose(easy + noise, 2.0, rtol=1e-5)
    assert (noise[2:] > easy[2:]).all()  # the coin flip's loss falls slowest
    # The weights are the formula applied to the recorded per-task losses.
    h = clf.history_
    last, before = [h[-2, f"train_loss_{t}"] for t in ("easy", "noise")], [
        h[-3, f"train_loss_{t}"] for t in ("easy", "noise")
    ]
    np.testing.assert_allclose([easy[-1], noise[-1]], dwa_weights(last, before, 0.1), rtol=1e-5)


# --------------------------------------------------------------------- uncertainty


def test_uncertainty_gives_the_noisier_task_the_smaller_weight():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(256, 3)).astype(np.float32)
    signal = X[:, 0] + X[:, 1]
    Y = pd.DataFrame({
        "clean": signal + 0.1 * rng.normal(size=256),
        "noisy": signal + 1.5 * rng.normal(size=256),
    })
    tasks = [Task("clean", kind="regression"), Task("noisy", kind="regression")]
    clf = small(
        tasks=tasks, loss_weighting="uncertainty", loss_weighting_params={"lr": 0.05},
        max_epochs=25, batch_size=64,
    ).fit(X, Y)
    clean, noisy = weights(clf, "clean")[-1], weights(clf, "noisy")[-1]
    assert noisy < clean / 5
    # At the optimum the weight is 1 / (2 L_t): close to it after training.
    loss_noisy = clf.history_[-1, "train_loss_noisy"]
    assert noisy == pytest.approx(1 / (2 * loss_noisy), rel=0.3)
    # The log-variances are criterion parameters, trained without weight decay.
    log_vars = clf.net_.criterion_.weighting.log_vars
    groups = [
        g for g in clf.net_.optimizer_.param_groups if any(p is log_vars for p in g["params"])
    ]
    assert len(groups) == 1 and groups[0]["weight_decay"] == 0.0 and groups[0]["lr"] == 0.05


# ------------------------------------------------------------------------ GradNorm


def test_gradnorm_balances_gradient_norms_relative_to_training_rates():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(256, 4)).astype(np.float32)
    Y = pd.DataFrame({
        "large": 10 * (X[:, 0] - X[:, 1]) + rng.normal(size=256),  # big-scale regression
        "small": np.where(X[:, 2] > 0, "p", "q"),
    })
    tasks = [Task("large", kind="regression"), Task("small")]
    clf = small(
        tasks=tasks, loss_weighting=GradNormWeighting(alpha=0.5, lr=0.05), max_epochs=10,
        batch_size=64,
    ).fit(X, Y)
    large, small_ = weights(clf, "large"), weights(clf, "small")
    np.testing.assert_allclose(large + small_, 2.0, rtol=1e-4)  # renormalised to T
    assert large[-1] < small_[-1]  # the task with huge gradients is scaled down
    # At the trained network, the learned weights make w_t ||∇_W L_t|| closer to the
    # rate-adjusted target than equal weights do.
    net, crit = clf.net_, clf.net_.criterion_
    W = net.shared_parameters(last_layer=True)
    assert len(W) == 1 and W[0].ndim == 2
    y = clf._targets(clf.encoder_.transform(Y), None, len(X))
    per_task = crit.per_task(net.module_(torch.from_numpy(X)), y)
    norms = torch.stack([
        torch.autograd.grad(loss, W, retain_graph=True)[0].norm() for loss in per_task
    ]).detach().numpy()
    ratio = per_task.detach().numpy() / crit.weighting.initial_losses.numpy()
    target_ratio = (ratio[0] / ratio[1]) ** 0.5
    learned = np.array([large[-1], small_[-1]]) * norms
    gap_learned = abs(np.log(learned[0] / learned[1] / target_ratio))
    gap_equal = abs(np.log(norms[0] / norms[1] / target_ratio))
    assert gap_learned < gap_equal


# -------------------------------------------------------------------------- params


def test_strategy_objects_are_searchable_parameters():
    clf = small(loss_weighting=DWAWeighting())
    assert clf.get_params()["loss_weighting__temperature"] == 2.0
    clf.set_params(loss_weighting__temperature=0.5)
    cloned = clone(clf)
    assert cloned.loss_weighting is not clf.loss_weighting
    assert cloned.loss_weighting.temperature == 0.5
    X, Y = two_task_data(n=64)
    cloned.set_params(max_epochs=1).fit(X, Y)
    assert cloned.net_.criterion_.weighting.temperature == 0.5


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(loss_weighting="dwa", loss_weighting_params={"alpha": 1.0}),
         r"unknown parameter\(s\) \['alpha'\] for loss_weighting='dwa'"),
        (dict(loss_weighting=DWAWeighting(), loss_weighting_params={"temperature": 1.0}),
         "set the parameters of DWAWeighting"),
        (dict(loss_weighting="dwa", loss_weighting_params={"temperature": -1.0}),
         "temperature"),
        (dict(loss_weighting=UncertaintyWeighting(lr=0.0)), "lr"),
    ],
)
def test_weighting_errors(params, match):
    X, Y = two_task_data(n=32)
    with pytest.raises(ValueError, match=match):
        small(max_epochs=1, **params).fit(X, Y)


def test_fixed_weights_are_recorded():
    X, Y = two_task_data(n=64)
    clf = small(task_weights={"easy": 3.0}, max_epochs=2).fit(X, Y)
    np.testing.assert_allclose(weights(clf, "easy"), 3.0)
    np.testing.assert_allclose(weights(clf, "noise"), 1.0)


# ----------------------------------------------------------------------- imbalance


def rare_data(n=300, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 4)).astype(np.float32)
    tags = [
        {t for t, on in (("common", x[0] > 0), ("rare", x[1] > 1.3)) if on} for x in X
    ]
    rare_flag = np.where(X[:, 2] > 1.5, "yes", "no")
    level = np.digitize(X[:, 3], [-0.5, 0.5])
    return X, pd.DataFrame({"tags": tags, "flag": rare_flag, "level": level})


def test_pos_weight_balanced_values_reach_the_loss():
    X, Y = rare_data()
    clf = small(pos_weight="balanced", max_epochs=1).fit(X, Y)
    enc = clf.encoder_.transform(Y)
    tags_j, flag_j = clf.schema_.index("tags"), clf.schema_.index("flag")
    block = enc.multilabel["tags"]
    expected = (block == 0).sum(0) / (block == 1).sum(0)
    crit = clf.net_.criterion_
    np.testing.assert_allclose(getattr(crit, f"pos_weight_{tags_j}").numpy(), expected, rtol=1e-6)
    codes = enc.codes[:, flag_j]
    yes = list(clf.schema_["flag"].classes).index("yes")
    flag_expected = (codes == 1 - yes).sum() / (codes == yes).sum()
    if yes == 1:
        np.testing.assert_allclose(getattr(crit, f"pos_weight_{flag_j}").numpy(), [flag_expected])
    assert getattr(crit, f"pos_weight_{clf.schema_.index('level')}") is None  # multiclass


def test_pos_weight_per_task_array_and_recall():
    X, Y = rare_data()
    explicit = small(pos_weight={"tags": [1.0, 4.0]}, max_epochs=1).fit(X, Y)
    j = explicit.schema_.index("tags")
    np.testing.assert_allclose(getattr(explicit.net_.criterion_, f"pos_weight_{j}"), [1, 4])
    # Up-weighting positives of the rare label raises its predicted positives.
    rare = list(explicit.schema_["tags"].classes).index("rare")
    base = small(max_epochs=8, batch_size=64).fit(X, Y)
    weighted = small(pos_weight={"tags": "balanced"}, max_epochs=8, batch_size=64).fit(X, Y)
    p_base = base.predict_proba(X, task="tags")[:, rare]
    p_weighted = weighted.predict_proba(X, task="tags")[:, rare]
    assert (p_weighted > 0.5).sum() > (p_base > 0.5).sum()


@pytest.mark.parametrize(
    "pos_weight, match",
    [
        ({"colour": 2.0}, r"pos_weight names unknown task\(s\) \['colour'\]"),
        ({"level": 2.0}, "pos_weight is for binary and multilabel tasks; task 'level' is mult"),
        ({"tags": [1.0, 2.0, 3.0]}, "pos_weight for task 'tags' must be .* 2 such weight"),
        ({"flag": -1.0}, "pos_weight for task 'flag'"),
        # weights the float32 loss cannot hold, and text: refused by name (an infinite
        # one trained a network of NaN; text raised numpy's conversion error)
        ({"flag": np.inf}, "pos_weight for task 'flag' must be .* positive finite float"),
        ({"flag": 1e39}, "pos_weight for task 'flag' must be .* positive finite float"),
        ({"flag": "bal"}, "pos_weight for task 'flag' must be 'balanced'.*got 'bal'"),
    ],
)
def test_pos_weight_errors(pos_weight, match):
    X, Y = rare_data(n=60)
    with pytest.raises(ValueError, match=match):
        small(pos_weight=pos_weight, max_epochs=1).fit(X, Y)


@pytest.mark.parametrize("param", ["class_weight", "pos_weight"])
def test_balanced_weights_count_samples_by_their_weight(param):
    """A sample of weight 3 counts as three samples, as in scikit-learn's "balanced"
    class weights (they counted every sample once)."""
    X, Y = rare_data(n=60)
    w = np.random.RandomState(0).choice([1.0, 3.0], size=len(X))
    rows = np.repeat(np.arange(len(X)), w.astype(int))
    spec = {"flag": "balanced"}
    weighted = small(**{param: spec}, max_epochs=1).fit(X, Y, sample_weight=w)
    repeated = small(**{param: spec}, max_epochs=1).fit(X[rows], Y.iloc[rows])
    j = weighted.schema_.index("flag")
    values = "_class_weight_values" if param == "class_weight" else "_pos_weight_values"
    np.testing.assert_allclose(getattr(weighted, values)[j], getattr(repeated, values)[j])


def test_class_weight_errors_name_the_task_and_a_class_named_as_the_task():
    X, Y = rare_data(n=60)
    with pytest.raises(ValueError, match="class_weight for task 'flag' must be 'balanced' or"
                                         " a dict"):
        small(class_weight={"flag": "balance"}, max_epochs=1).fit(X, Y)
    with pytest.raises(ValueError, match=r"class_weight\['flag'\]\['yes'\] is 'heavy'"):
        small(class_weight={"flag": {"yes": "heavy"}}, max_epochs=1).fit(X, Y)
    # one task read from a 1-D y is named "y": {class: weight} still, with a class "y"
    y = np.where(X[:, 0] > 0, "y", "n")
    clf = small(class_weight={"y": 5.0}, max_epochs=1).fit(X, y)
    np.testing.assert_allclose(clf._class_weight_values[0], [1.0, 5.0])  # classes n, y


def test_class_weight_balanced_per_task_and_multilabel_refused():
    X, Y = rare_data()
    clf = small(class_weight={"flag": "balanced"}, max_epochs=1).fit(X, Y)
    j = clf.schema_.index("flag")
    codes = clf.encoder_.transform(Y).codes[:, j]
    np.testing.assert_allclose(
        clf._class_weight_values[j], len(codes) / (2 * np.bincount(codes)), rtol=1e-6
    )
    assert clf._class_weight_values[clf.schema_.index("tags")] is None
    with pytest.raises(ValueError, match="class_weight is for binary and multiclass tasks"):
        small(class_weight={"tags": "balanced"}, max_epochs=1).fit(X, Y)


def test_baselines_balance_through_the_base_estimator():
    """The baselines take class_weight on the base estimator, cloned per task/label."""
    X, Y = rare_data()
    Y = Y[["tags", "flag"]]
    plain = IndependentTaskClassifier(LogisticRegression()).fit(X, Y)
    balanced = IndependentTaskClassifier(LogisticRegression(class_weight="balanced")).fit(X, Y)
    j = balanced.schema_.index("flag")
    assert balanced.estimators_[j].class_weight == "balanced"
    assert balanced.predict_proba(X, task="flag")[:, 1].mean() > plain.predict_proba(
        X, task="flag"
    )[:, 1].mean()


def test_a_diverged_training_is_refused_not_kept_as_nan():
    """A loss that diverges left weights of NaN and NaN probabilities, with labels
    predicted from them; it raises, as MLPClassifier does (here: log-variances learned
    at a rate of 1e10). A task weighted 0 no longer diverges: its term was s/2 alone,
    and s fell without end; it is left out, as a task without a label."""
    X, Y = two_task_data(n=150)
    with pytest.raises(InvalidParameterError, match="init_log_var"):
        small(loss_weighting=UncertaintyWeighting(init_log_var=np.nan)).fit(X, Y)
    diverging = small(loss_weighting="uncertainty", loss_weighting_params={"lr": 1e10},
                      lr_schedule="constant", max_epochs=20, batch_size=32)
    with pytest.raises(ValueError, match="Training produced non-finite network weights"):
        diverging.fit(X, Y)
    weighted_0 = small(task_weights={"noise": 0.0}, loss_weighting="uncertainty",
                       loss_weighting_params={"lr": 0.5}, lr_schedule="constant",
                       max_epochs=120, batch_size=32).fit(X, Y)
    assert (weights(weighted_0, "noise") == 0).all()
    assert all(torch.isfinite(p).all() for p in weighted_0.net_.module_.parameters())


def test_regression_targets_are_scaled_by_weighted_statistics():
    """Weight 3 counts as three samples in the target scaling, as in the loss (the mean
    and deviation counted every sample once, so the scaled targets differed)."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    Y = pd.DataFrame({"price": 1000 + 300 * X[:, 0], "flag": np.where(X[:, 1] > 0, "a", "b")})
    tasks = [Task("price", kind="regression"), Task("flag")]
    w = rng.choice([1.0, 3.0], size=40)
    rows = np.repeat(np.arange(40), w.astype(int))
    weighted = small(tasks=tasks, max_epochs=1).fit(X, Y, sample_weight=w)
    repeated = small(tasks=tasks, max_epochs=1).fit(X[rows], Y.iloc[rows])
    np.testing.assert_allclose(weighted._target_scaling["price"],
                               repeated._target_scaling["price"])
    assert weighted._target_scaling["price"][0] != pytest.approx(Y["price"].mean())


# ------------------------------------------------- sample weights as scikit-learn checks
# (sklearn.utils.estimator_checks.check_sample_weight_equivalence_on_dense_data: an
# integer weight is the row repeated, a weight of 0 the row dropped)


def _two_binary_tasks(n=40, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 2))
    Y = pd.DataFrame({"a": np.where(X[:, 0] > 0, "p", "q"), "b": np.where(X[:, 1] > 0, "r", "s")})
    return X, Y


def test_a_combination_seen_only_with_weight_zero_is_not_observed():
    """Decoding over the observed combinations predicted a combination whose rows all
    weigh 0 (on 4 of 40 rows here), as if they had been fitted on."""
    from sklearn_mtl import JointDecoder

    X, Y = _two_binary_tasks()
    only_zero = ((Y["a"] == "q") & (Y["b"] == "s")).to_numpy()
    w = np.where(only_zero, 0.0, np.random.RandomState(1).randint(1, 4, len(X)))

    def model():
        return IndependentTaskClassifier(LogisticRegression(),
                                         decode=JointDecoder(allowed="observed"))

    weighted = model().fit(X, Y, sample_weight=w)
    dropped = model().fit(X[~only_zero], Y[~only_zero])
    rows = np.repeat(np.arange(len(X)), w.astype(int))
    repeated = model().fit(X[rows], Y.iloc[rows])
    assert weighted.observed_combinations_.tolist() == dropped.observed_combinations_.tolist()
    assert len(weighted.observed_combinations_) == 3
    pd.testing.assert_frame_equal(weighted.predict(X), dropped.predict(X))
    pd.testing.assert_frame_equal(weighted.predict(X), repeated.predict(X))


def test_unseen_combination_mass_drops_weight_zero_and_ignores_the_scale():
    """The Good-Turing mass that chooses the default network's decoding counted rows of
    weight 0: a combination seen only on them was "seen". Those rows are left out now;
    the others count once each, so weights of any scale ("balanced" fractions, weights
    summing to 1) give the mass of the unweighted rows they keep."""
    from sklearn_mtl import StructuredLabelEncoder
    from sklearn_mtl._decoding import unseen_combination_mass

    rng = np.random.RandomState(0)
    Y = pd.DataFrame({"a": rng.choice(["p", "q"], 60), "b": rng.choice(["r", "s", "t"], 60)})
    Y.loc[0, "b"], Y.loc[[1, 2], "b"] = "u", "v"  # a class seen on one row, one on two
    Y.loc[10:15, "a"] = None  # rows with a label missing count too
    w = rng.randint(0, 4, 60).astype(float)
    w[[0, 1, 2]] = [3.0, 0.0, 1.0]  # "v" now seen once: its other row weighs 0
    kept = w > 0
    encoder = StructuredLabelEncoder().fit(Y)
    dropped = unseen_combination_mass(encoder.transform(Y[kept]))
    assert dropped != unseen_combination_mass(encoder.transform(Y))
    for scale in (1.0, 1e-3, 1.0 / w.sum(), 50.0):
        assert unseen_combination_mass(encoder.transform(Y), w * scale) == dropped
    # the estimator's own, which "auto" decodes by
    X = rng.normal(size=(60, 3)).astype(np.float32)
    fitted = small(max_epochs=1).fit(X, Y, sample_weight=w / w.sum())
    assert fitted.unseen_combination_mass_ == dropped


def test_threshold_tuner_leaves_out_samples_of_weight_zero():
    """A sample of weight 0 gave the tuner a candidate threshold of its own, which moved
    the tuned threshold among those that score alike (or tuned a label whose positives
    all weigh 0, to a score of 0)."""
    from sklearn_mtl import TaskThresholdTuner

    X, Y = _two_binary_tasks(n=80, seed=3)
    Y["b"] = np.where(X[:, 0] + X[:, 1] > 0.5, "r", "s")
    model = IndependentTaskClassifier(LogisticRegression(C=0.1)).fit(X[:40], Y[:40])
    rng = np.random.RandomState(0)
    w = rng.randint(0, 4, 80).astype(float)
    from sklearn.frozen import FrozenEstimator

    def tuner():
        return TaskThresholdTuner(FrozenEstimator(model), cv="prefit")

    weighted = tuner().fit(X, Y, sample_weight=w)
    dropped = tuner().fit(X[w > 0], Y[w > 0], sample_weight=w[w > 0])
    rows = np.repeat(np.arange(80), w.astype(int))
    repeated = tuner().fit(X[rows], Y.iloc[rows])
    for name in ("a", "b"):
        assert weighted.thresholds_[name] == dropped.thresholds_[name]
        assert weighted.thresholds_[name] == repeated.thresholds_[name]
        assert weighted.best_scores_[name] == pytest.approx(repeated.best_scores_[name])


@pytest.mark.parametrize("loss_weighting", [None, "uncertainty"])
def test_early_stopping_scores_the_validation_data_as_its_weights_weigh_it(loss_weighting):
    """The validation loss that early stopping monitors averaged the batches' weighted
    means by batch size: a batch of samples of weight 0 scored 0 and pulled it down
    (0.96 where the same data without them scored 1.40)."""
    rng = np.random.RandomState(0)
    X, Y = two_task_data(n=120)
    X_val, Y_val = two_task_data(n=160, seed=1)
    w_val = np.where(np.arange(160) < 80, 0.0, rng.randint(1, 4, 160)).astype(float)
    kept = w_val > 0
    rows = np.repeat(np.arange(160), w_val.astype(int))
    params = dict(early_stopping=True, batch_size=32, max_epochs=2)
    if loss_weighting:
        params["loss_weighting"] = loss_weighting

    def last(X_v, Y_v, w_v=None):
        h = small(**params).fit(X, Y, X_val=X_v, y_val=Y_v, sample_weight_val=w_v).history_
        return [h[-1, key] for key in ("valid_loss", "valid_loss_easy", "valid_loss_noise")]

    weighted = last(X_val, Y_val, w_val)
    np.testing.assert_allclose(weighted, last(X_val[kept], Y_val[kept], w_val[kept]), rtol=1e-5)
    np.testing.assert_allclose(weighted, last(X_val[rows], Y_val.iloc[rows]), rtol=1e-5)
    np.testing.assert_allclose(weighted, last(X_val, Y_val, 2.5 * w_val), rtol=1e-5)


def test_preprocessing_is_fitted_on_the_samples_of_positive_weight():
    """Samples of weight 0 moved the centres and scales the network reads its inputs by
    (and added a category column of their own)."""
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"x": rng.normal(size=60), "c": rng.choice(["u", "v"], 60)})
    Y = pd.DataFrame({"a": np.where(X["x"] > 0, "p", "q"), "b": rng.choice(["r", "s"], 60)})
    X.loc[:9, "x"], X.loc[:9, "c"] = 1e4, "odd"  # outliers that weigh nothing
    w = np.where(np.arange(60) < 10, 0.0, 1.0)
    params = dict(CLASSIC, preprocessing="auto")
    weighted = small(**params, max_epochs=1).fit(X, Y, sample_weight=w)
    dropped = small(**params, max_epochs=1).fit(X[10:], Y[10:])
    np.testing.assert_array_equal(weighted.preprocessor_.transform(X),
                                  dropped.preprocessor_.transform(X))


def test_balanced_class_weight_is_scikit_learns_on_the_labelled_rows():
    """As compute_class_weight("balanced") over the applicable, annotated labels with
    their sample weights; a declared class absent from them weighs 1 (the weights were
    divided by every declared class, and the absent one weighed the whole sample)."""
    from sklearn.utils.class_weight import compute_class_weight

    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    car = np.where(X[:, 0] > 0.3, "yes", "no")
    color = np.where(car == "yes", np.where(X[:, 1] > 0.5, "red", "blue"), None).astype(object)
    color[:3] = None  # missing labels
    Y = pd.DataFrame({"car": car, "color": color})
    tasks = [Task("car"), Task("color", classes=["blue", "red", "green"], gate=("car", "yes"))]
    w = rng.randint(0, 4, 40).astype(float)
    clf = small(tasks=tasks, class_weight="balanced", max_epochs=1).fit(X, Y, sample_weight=w)
    labelled = pd.notna(color)
    expected = compute_class_weight("balanced", classes=np.array(["blue", "red"]),
                                    y=color[labelled], sample_weight=w[labelled])
    np.testing.assert_allclose(clf._class_weight_values[1], [*expected, 1.0])
    np.testing.assert_allclose(
        clf._class_weight_values[0],
        compute_class_weight("balanced", classes=np.array(["no", "yes"]), y=car,
                             sample_weight=w),
    )


def test_balanced_pos_weight_of_a_label_without_negatives_is_one():
    """A label positive on every sample was weighted 0 / n = 0: its positives weighed
    nothing, and its probability stayed where the untrained head put it."""
    X, Y = rare_data(n=120)
    Y = Y.assign(tags=[{"always"} | set(t) for t in Y["tags"]])
    clf = small(pos_weight="balanced", max_epochs=20).fit(X, Y)
    j = clf.schema_.index("tags")
    always = list(clf.schema_["tags"].classes).index("always")
    assert getattr(clf.net_.criterion_, f"pos_weight_{j}")[always] == 1.0
    assert clf.predict_proba(X, task="tags")[:, always].mean() > 0.7  # 0.50 before


@pytest.mark.parametrize("param", ["class_weight", "pos_weight"])
def test_warm_start_counts_balanced_on_each_fits_labels(param):
    """As a warm-started LogisticRegression or SGDClassifier: "balanced" is counted on
    the labels of the fit at hand (the first fit's counts stayed)."""
    X, Y = rare_data(n=60)
    second = Y.assign(flag=np.where(np.arange(60) % 2, "yes", "no"))
    warm = small(**{param: "balanced"}, warm_start=True, max_epochs=1).fit(X, Y)
    warm.fit(X, second)
    fresh = small(**{param: "balanced"}, max_epochs=1).fit(X, second)
    j = fresh.schema_.index("flag")
    values = "_class_weight_values" if param == "class_weight" else "_pos_weight_values"
    np.testing.assert_allclose(getattr(warm, values)[j], getattr(fresh, values)[j])
    np.testing.assert_allclose(getattr(warm, values)[j], 1.0)
    if param == "pos_weight":
        np.testing.assert_allclose(getattr(warm.net_.criterion_, f"pos_weight_{j}"), [1.0])


# ------------------------------------------------- losses against hand computation


def test_train_loss_per_task_is_the_weighted_mean_over_the_labelled_samples():
    """``train_loss_<task>`` averaged the batches' losses by batch size: a batch without
    the task's label (or of weight 0) counted as a loss of 0, so a task labelled on 3 of
    12 rows reported 0.61 where its loss over those rows was 0.85."""
    from torch.nn import functional as F

    rng = np.random.RandomState(0)
    X = rng.normal(size=(12, 3)).astype(np.float32)
    Y = pd.DataFrame({"a": ["x", "y"] * 6, "c": [None] * 9 + ["p", "q", "p"]})
    w = np.array([1, 2, 0, 1, 3, 1, 0, 2, 1, 2, 0.5, 1.0])
    # lr so small that the weights do not move: the epoch's loss is the final model's
    clf = small(hidden_layer_sizes=(4,), max_epochs=1, batch_size=4, lr=1e-12)
    clf.fit(X, Y, sample_weight=w)
    with torch.no_grad():
        out = clf.net_.module_(torch.as_tensor(X))
    codes = clf.encoder_.transform(Y).codes
    for j, name in enumerate(["a", "c"]):
        given = codes[:, j] >= 0
        loss = F.binary_cross_entropy_with_logits(
            out[j][given, 0], torch.as_tensor(codes[given, j], dtype=torch.float32),
            reduction="none").numpy()
        expected = np.average(loss, weights=w[given])
        assert clf.history_[-1, f"train_loss_{name}"] == pytest.approx(expected, rel=1e-5)


def test_uncertainty_leaves_out_the_log_variance_of_a_task_the_batch_does_not_label():
    """Kendall et al.'s s_t / 2 was added on every batch, also where task t has no
    label (its loss 0): it pulled s_t down, and the task's weight above the documented
    1 / (2 L_t) (1.02 for 0.72 with the task labelled on 10% of rows, batches of 16)."""
    from types import SimpleNamespace

    from torch.nn import functional as F

    from sklearn_mtl.neural import MultiTaskLoss

    specs = [{"kind": "binary", "start": 0, "width": 1},
             {"kind": "multiclass", "start": 2, "width": 1}]
    tasks = [SimpleNamespace(kind="binary"), SimpleNamespace(kind="multiclass")]
    weighting = UncertaintyWeighting(init_log_var=0.5).build(tasks)
    crit = MultiTaskLoss(specs, [2.0, 1.0], weighting=weighting)
    logits = [torch.tensor([[0.3], [-1.0], [2.0]]), torch.tensor([[0.1, 0.5, -0.2]] * 3)]
    # task 0 labelled on rows 0 and 2 (weights 1 and 3), task 1 on no row of the batch
    target = torch.tensor([[1, 1, 2, 0], [0, 0, 0, 0], [0, 3, 1, 0]], dtype=torch.float32)
    total, per_task = crit(logits, target)
    loss0 = F.binary_cross_entropy_with_logits(
        torch.tensor([0.3, 2.0]), torch.tensor([1.0, 0.0]), reduction="none")
    expected0 = float((loss0 * torch.tensor([1.0, 3.0])).sum() / 4)
    np.testing.assert_allclose(per_task.detach().numpy(), [expected0, 0.0], rtol=1e-6)
    # only the labelled task's term: e^{-s} · 2 · L_0 + s / 2
    assert total.item() == pytest.approx(np.exp(-0.5) * 2 * expected0 + 0.25, rel=1e-6)
    total.backward()
    assert weighting.log_vars.grad[1] == 0  # the unlabelled task's s_t does not move
    assert weighting.log_vars.grad[0] != 0


def test_gradnorm_averages_over_the_tasks_the_batch_labels():
    """A task without a label in the batch (loss and gradient 0) counted in GradNorm's
    mean gradient norm and mean loss ratio, moving the other tasks' targets (here the
    second task's weight was pushed the wrong way): its weights' gradients now equal
    those of GradNorm over the labelled tasks alone."""
    from types import SimpleNamespace

    from sklearn_mtl.neural import MultiTaskLoss

    def grads(n_tasks):
        W = torch.nn.Parameter(torch.tensor([[1.0, -2.0, 0.3], [0.5, 3.0, -1.0]]))
        x = torch.tensor([[1.0, 2.0], [-1.0, 0.5], [0.2, 0.1]])
        outputs = (x @ W)[:, :n_tasks].split(1, dim=1)
        # three regression tasks; the third labels no row of the batch (weights 0)
        target = torch.tensor([[0.5, 1, -1, 2, 1, 0], [1, 1, 0, 1, 2, 0], [0, 1, 2, 1, 0, 0]])
        specs = [{"kind": "regression", "start": 2 * j, "width": 1} for j in range(n_tasks)]
        module = GradNormWeighting(alpha=1.5).build([SimpleNamespace(kind="r")] * n_tasks)
        module.initial_losses.copy_(torch.tensor([1.0, 5.0, 1.0][:n_tasks]))
        crit = MultiTaskLoss(specs, [1.0] * n_tasks, weighting=module)
        _, per_task = crit(list(outputs), target[:, : 2 * n_tasks])
        module.backward(per_task, [W])
        return module.task_weights.grad, W.grad

    both, W_both = grads(2)
    three, W_three = grads(3)
    np.testing.assert_allclose(three[:2].numpy(), both.numpy(), rtol=1e-6)
    assert three[2] == 0
    np.testing.assert_allclose(W_three[:, :2].numpy(), W_both[:, :2].numpy(), rtol=1e-6)


@pytest.mark.parametrize("loss_weighting", ["fixed", "dwa", "gradnorm", "pcgrad"])
def test_valid_loss_is_the_recorded_weights_times_the_task_losses(loss_weighting):
    """GradNorm's valid_loss weighed the task losses by its raw learned weights, whose
    sum the optimizer's last step had moved off the number of tasks, where weight_<task>
    (and the next step) renormalise them: 2.647 for 2.731 here."""
    X, Y = two_task_data(n=200)
    clf = small(loss_weighting=loss_weighting, task_weights={"noise": 2.0}, max_epochs=3,
                batch_size=32, lr=5e-2, early_stopping=True)
    if loss_weighting == "gradnorm":
        clf.set_params(loss_weighting_params={"lr": 0.5})
    last = clf.fit(X, Y).history_[-1]
    expected = sum(last[f"weight_{t}"] * last[f"valid_loss_{t}"] for t in ("easy", "noise"))
    assert last["valid_loss"] == pytest.approx(expected, rel=1e-5)


def test_a_named_strategys_parameter_is_set_as_loss_weighting__param():
    # set_params(loss_weighting__temperature=...) with loss_weighting="dwa" failed with
    # "'str' object has no attribute 'set_params'" (in GridSearchCV too): it sets the
    # entry of loss_weighting_params, as optimizer__weight_decay sets optimizer_params'
    clf = small(loss_weighting="dwa", loss_weighting_params={"temperature": 2.0})
    given = clf.loss_weighting_params
    clf.set_params(loss_weighting__temperature=0.5)
    assert clf.loss_weighting_params == {"temperature": 0.5}
    assert given == {"temperature": 2.0}  # the dict given is not modified
    assert clone(clf).loss_weighting_params == {"temperature": 0.5}
    X, Y = two_task_data(n=32)
    clf.set_params(max_epochs=1).fit(X, Y)
    assert clf.net_.criterion_.weighting.temperature == 0.5
    clf.set_params(loss_weighting="gradnorm", loss_weighting__alpha=0.5,
                   loss_weighting_params=None)
    assert clf.loss_weighting_params == {"alpha": 0.5}
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) \['temp'\] for "
                                         r"loss_weighting='dwa'"):
        small(loss_weighting="dwa", max_epochs=1).set_params(
            loss_weighting__temp=1.0).fit(X, Y)


def test_a_task_of_weight_0_is_left_out_of_gradnorm_and_uncertainty():
    """A task whose task_weights entry is 0 (a weighted loss of 0 on every batch, never a
    first loss recorded) counted in GradNorm's means with a loss ratio of 0, which moved
    the other tasks' targets (here the first task's weight was pushed the wrong way);
    Chen et al. balance the training rates of the tasks trained, and one of weight 0 has
    none: its weights' gradients now equal those of GradNorm over the other tasks alone.
    Its uncertainty s_t / 2 pulled its s_t down on every step."""
    from types import SimpleNamespace

    from sklearn_mtl.neural import MultiTaskLoss

    def step(strategy, priors):
        n_tasks = len(priors)
        W = torch.nn.Parameter(torch.tensor([[1.0, -2.0, 0.3], [0.5, 3.0, -1.0]]))
        x = torch.tensor([[1.0, 2.0], [-1.0, 0.5], [0.2, 0.1]])
        outputs = (x @ W)[:, :n_tasks].split(1, dim=1)
        # three regression tasks, each labelling every row of the batch
        target = torch.tensor([[0.5, 1, -1, 1, 1, 1], [1, 1, 0, 1, 2, 1], [0, 1, 2, 1, 0, 1]])
        specs = [{"kind": "regression", "start": 2 * j, "width": 1} for j in range(n_tasks)]
        module = strategy.build([SimpleNamespace(kind="regression")] * n_tasks)
        crit = MultiTaskLoss(specs, priors, weighting=module)
        if isinstance(strategy, GradNormWeighting):
            module.initial_losses.copy_(torch.tensor([1.0, 3.0, 0.0][:n_tasks]))
            _, per_task = crit(list(outputs), target[:, : 2 * n_tasks])
            module.backward(crit.task_weights * per_task, [W])
            return module.task_weights.grad, module.initial_losses
        total, _ = crit(list(outputs), target[:, : 2 * n_tasks])
        total.backward()
        return module.log_vars.grad, None

    both, _ = step(GradNormWeighting(alpha=1.5), [1.0, 1.0])
    three, initial = step(GradNormWeighting(alpha=1.5), [1.0, 1.0, 0.0])
    np.testing.assert_allclose(three[:2].numpy(), both.numpy(), rtol=1e-6)
    assert three[2] == 0 and initial[2] == 0
    both, _ = step(UncertaintyWeighting(), [1.0, 1.0])
    three, _ = step(UncertaintyWeighting(), [1.0, 1.0, 0.0])
    np.testing.assert_allclose(three[:2].numpy(), both.numpy(), rtol=1e-6)
    assert three[2] == 0


def test_the_validation_score_leaves_a_task_of_weight_0_out_of_the_strategy():
    """The training loss leaves a task of weight 0 out of the strategy's terms (its
    uncertainty s_t / 2); the validation score that early stopping monitors did not, so
    it carried a constant offset the training loss no longer had."""
    from types import SimpleNamespace

    from skorch.history import History

    from sklearn_mtl.neural import MultiTaskLoss
    from sklearn_mtl.neural._net import ValidLoss

    def score(task_weights):
        weighting = UncertaintyWeighting(init_log_var=2.0).build(
            [SimpleNamespace(kind="binary")] * 2)
        specs = [{"kind": "binary", "start": 2 * j, "width": 1} for j in range(2)]
        criterion = MultiTaskLoss(specs, task_weights, weighting=weighting)
        history = History()
        history.new_epoch()
        for losses in ([0.5, 0.9], [0.7, 0.3]):  # two batches labelling both tasks
            history.new_batch()
            history.record_batch("valid_task_losses", losses)
            history.record_batch("valid_task_weights", [2.0, 2.0])
            history.record_batch("valid_loss", 0.0)
            history.record_batch("valid_batch_size", 2)
        callback = ValidLoss("valid_loss", lower_is_better=True, on_train=False)
        callback.net_ = SimpleNamespace(criterion_=criterion)
        return callback.get_avg_score(history)

    # task a alone: e^-2 * mean(0.5, 0.7) + 2 / 2
    expected = np.exp(-2.0) * 0.6 + 1.0
    np.testing.assert_allclose(score([1.0, 0.0]), expected, rtol=1e-6)
    np.testing.assert_allclose(score([1.0, 1.0]), np.exp(-2.0) * (0.6 + 0.6) + 2.0, rtol=1e-6)


def test_dwa_keeps_the_weight_of_a_task_a_partial_fit_batch_does_not_label():
    """A batch without a label of task b has no loss of b: its train_loss_b read 0, and
    dynamic weight average took that for b's loss (a rate of 0, then one of 1e12, which
    gave b every weight and the other tasks 0). Now b keeps its weight for the epochs
    that lack its loss, and the other tasks share the rest by their own rates."""
    X, Y = two_task_data(n=40)
    Y["other"] = np.where(X[:, 1] > 0, "u", "v")
    clf = small(loss_weighting=DWAWeighting(temperature=0.01), hidden_layer_sizes=(4,),
                lr=0.05)
    for i in range(6):
        clf.partial_fit(X, Y.assign(noise=None) if i == 3 else Y)
    history = clf.history_
    assert "train_loss_noise" not in history[3]  # not a loss of 0
    kept = history[3, "weight_noise"]
    assert history[4, "weight_noise"] == kept and history[5, "weight_noise"] == kept
    for epoch in (4, 5):  # rated on epochs epoch - 1 and epoch - 2
        rated = ["easy", "other"]
        expected = dwa_weights([history[epoch - 1, f"train_loss_{t}"] for t in rated],
                               [history[epoch - 2, f"train_loss_{t}"] for t in rated], 0.01)
        expected = expected * (3 - kept) / 2
        np.testing.assert_allclose([history[epoch, f"weight_{t}"] for t in rated], expected,
                                   rtol=1e-5)


def test_dwa_leaves_a_task_of_weight_0_out_of_its_scale_and_softmax():
    """A task whose task_weights entry is 0 counted in DWA's K and in its softmax: with
    losses falling 1 -> 0.5 (a), 1 -> 0.9 (b) and c of weight 0 at 1 -> 0.2, a and b got
    0.928 and 1.385 (sum 2.31 of K = 3) where DWA over the two tasks that train gives
    2 e^0.5 / (e^0.5 + e^0.9) = 0.802 and 1.198."""
    from types import SimpleNamespace

    from skorch.history import History

    from sklearn_mtl.neural import MultiTaskLoss
    from sklearn_mtl.neural._weighting import TaskWeightRecorder

    def weights_after(epochs, task_weights):
        names = list("abcd")[: len(task_weights)]
        module = DWAWeighting(temperature=1.0).build([SimpleNamespace(kind="binary")]
                                                     * len(names))
        specs = [{"kind": "binary", "start": 2 * j, "width": 1} for j in range(len(names))]
        net = SimpleNamespace(criterion_=MultiTaskLoss(specs, task_weights, weighting=module),
                              history=History(), task_names=names)
        for losses in epochs:
            net.history.new_epoch()
            for name, value in zip(names, losses):
                if value is not None:
                    net.history.record(f"train_loss_{name}", value)
        net.history.new_epoch()  # the epoch that starts now
        recorder = TaskWeightRecorder()
        recorder.on_epoch_begin(net)
        recorder.on_epoch_end(net)
        return [net.history[-1, f"weight_{name}"] for name in names], module.weights()

    e = np.exp([0.5, 0.9])
    expected = 2 * e / e.sum()  # DWA over a and b alone
    recorded, strategy = weights_after([[1.0, 1.0, 1.0], [0.5, 0.9, 0.2]], [1.0, 1.0, 0.0])
    np.testing.assert_allclose(recorded, [*expected, 0.0], rtol=1e-6)
    np.testing.assert_allclose(strategy, [*expected, 1.0], rtol=1e-6)  # c's is left as is
    # the same as with c left out of the model
    recorded, _ = weights_after([[1.0, 1.0], [0.5, 0.9]], [1.0, 1.0])
    np.testing.assert_allclose(recorded, expected, rtol=1e-6)
    # a task of weight 2 trains: the prior scales its weight, not its part in DWA
    recorded, _ = weights_after([[1.0, 1.0, 1.0], [0.5, 0.9, 0.2]], [1.0, 2.0, 0.0])
    np.testing.assert_allclose(recorded, [expected[0], 2 * expected[1], 0.0], rtol=1e-6)
    # with d unrated (no loss last epoch), a and b share what they held: 2 of K = 3
    recorded, _ = weights_after([[1.0, 1.0, 1.0, 1.0], [0.5, 0.9, 0.2, None]],
                                [1.0, 1.0, 0.0, 1.0])
    np.testing.assert_allclose(recorded, [*expected, 0.0, 1.0], rtol=1e-6)


def test_dwa_weights_of_the_tasks_that_train_sum_to_their_number():
    X, Y = two_task_data(n=40)
    Y["other"] = np.where(X[:, 1] > 0, "u", "v")
    clf = small(loss_weighting=DWAWeighting(temperature=0.5), hidden_layer_sizes=(4,),
                task_weights={"noise": 0.0}, max_epochs=4, lr=0.05).fit(X, Y)
    history = clf.history_
    for epoch in (2, 3):
        expected = dwa_weights([history[epoch - 1, f"train_loss_{t}"] for t in ("easy", "other")],
                               [history[epoch - 2, f"train_loss_{t}"] for t in ("easy", "other")],
                               0.5)
        np.testing.assert_allclose([history[epoch, "weight_easy"],
                                    history[epoch, "weight_other"]], expected, rtol=1e-5)
        assert history[epoch, "weight_noise"] == 0.0


def test_a_strategy_class_for_an_object_is_refused_by_name():
    """The class passed the parameter constraint (it has build), then failed at fit
    with "build() missing 1 required positional argument: 'tasks'"."""
    X, Y = two_task_data(n=32)
    with pytest.raises(ValueError, match=r"loss_weighting is the class DWAWeighting; "
                       r"expected a strategy object, e.g. loss_weighting=DWAWeighting\(\)"):
        small(max_epochs=1, loss_weighting=DWAWeighting).fit(X, Y)


def test_task_weights_of_0_for_every_task_are_refused():
    """A loss of 0 on every batch left the network as initialised, without a word (a
    sample_weight of 0s alone is refused)."""
    X, Y = two_task_data(n=32)
    with pytest.raises(ValueError, match=r"task_weights gives every task a weight of 0 "
                       r"\(\{'easy': 0.0, 'noise': 0\}\)"):
        small(max_epochs=1, task_weights={"easy": 0.0, "noise": 0}).fit(X, Y)
    small(max_epochs=1, task_weights={"easy": 0.0}).fit(X, Y)  # noise weighs 1


@pytest.mark.parametrize("strategy", ["gradnorm", "pcgrad"])
def test_gradient_weighting_without_a_trainable_trunk_names_the_parameters(strategy):
    # hidden_layer_sizes=() leaves the shared trunk without parameters: the error said
    # only "needs a trainable shared trunk", naming neither parameter nor the fix
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 3)).astype(np.float32)
    Y = pd.DataFrame({"a": X[:, 0] > 0, "b": X[:, 1] > 0})
    model = MultiTaskClassifier(hidden_layer_sizes=(), loss_weighting=strategy,
                                ensemble_size=1, max_epochs=1, random_state=0)
    with pytest.raises(ValueError, match=r"loss_weighting='gradnorm' or 'pcgrad'.*"
                                         r"hidden_layer_sizes=\(\)"):
        model.fit(X, Y)


@pytest.mark.parametrize("strategy", ["gradnorm", "pcgrad"])
def test_gradient_weighting_trains_on_once_a_freezer_froze_the_trunk(strategy):
    # a Freezer on the trunk (training the heads on) raised "needs a trainable shared
    # trunk" at the epoch it froze, after the epochs before had trained: with no shared
    # gradient, PCGrad has nothing to project and GradNorm no norm to balance, so the
    # heads train on the task losses, GradNorm's weights as they were
    from skorch.callbacks import Freezer

    X, Y = two_task_data(n=32)
    late = small(loss_weighting=strategy, max_epochs=3,
                 callbacks=[Freezer("trunk.*", at=3)]).fit(X, Y)
    assert len(late.history_) == 3
    assert not any(p.requires_grad for p in late.net_.module_.trunk.parameters())
    # frozen from the first epoch, the fit is the plain sum's, weight for weight
    frozen, plain = (small(loss_weighting=weighting, max_epochs=2,
                           callbacks=[Freezer("trunk.*")]).fit(X, Y)
                     for weighting in (strategy, "fixed"))
    for a, b in zip(frozen.net_.module_.parameters(), plain.net_.module_.parameters()):
        torch.testing.assert_close(a, b)
    for name in Y.columns:
        assert frozen.history_[:, f"weight_{name}"] == plain.history_[:, f"weight_{name}"]


def test_gradnorm_takes_its_norms_at_the_ensembles_last_weight_not_its_bias():
    """In the default ensemble a member layer's bias, of shape (members, 1, width), has
    two dimensions and more: GradNorm's W ("the last weight matrix") was the last
    layer's bias, so the gradient norms it balances were the bias's."""
    X, Y = two_task_data(n=32)
    for k in (1, 2):
        clf = small(loss_weighting="gradnorm", hidden_layer_sizes=(8, 6), ensemble_size=k,
                    max_epochs=1).fit(X, Y)
        (W,) = clf.net_.shared_parameters(last_layer=True)
        assert W is clf.net_.module_.trunk.layers[2].weight
        assert W.shape[-2:] == ((8, 6) if k > 1 else (6, 8))


def test_pcgrad_projects_each_members_gradients_on_its_own():
    rng = np.random.RandomState(0)
    grads = torch.from_numpy(rng.normal(size=(3, 4, 6)).astype(np.float32))
    order = [[1, 2, 3], [3, 0, 2], [0, 1, 3], [2, 1, 0]]
    together = pcgrad_project(grads, order)
    for m in range(3):
        torch.testing.assert_close(together[m], pcgrad_project(grads[m], order))


def test_pcgrad_in_an_ensemble_trains_each_member_on_its_own_conflicts():
    """The members' trunk gradients were projected as one vector: a member's step
    depended on whether the other members' task gradients conflicted."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(64, 4)).astype(np.float32)
    Y = pd.DataFrame({"a": np.where(X[:, 0] + X[:, 1] > 0, "y", "n"),
                      "b": np.where(X[:, 0] - X[:, 1] > 0, "r", "s"),
                      "c": np.where(X[:, 2] > 0, "u", "v")})
    k = 4
    clf = MultiTaskClassifier(hidden_layer_sizes=(8,), loss_weighting="pcgrad",
                              ensemble_size=k, mixed_precision=None, max_epochs=1,
                              random_state=0).fit(X, Y)
    net = clf.net_
    targets = clf._with_folds(clf._targets(clf.encoder_.transform(Y), None, len(X)), k)
    Xt = torch.from_numpy(clf.preprocessor_.transform(X).astype(np.float32))
    shared = net.shared_parameters()
    net._set_training(True)
    _, per_task = net.get_task_losses(net.infer(Xt), targets, training=True)
    grads = torch.stack([  # (members, tasks, parameters): each member's own
        torch.cat([g.reshape(k, -1) for g in torch.autograd.grad(loss, shared,
                                                                  retain_graph=True)], 1)
        for loss in net.criterion_.task_weights * per_task
    ], 1)
    torch.manual_seed(1)
    order = [torch.randperm(3) for _ in range(3)]  # as the step draws it
    expected = torch.stack([pcgrad_project(grads[m], order).sum(0) for m in range(k)])
    torch.manual_seed(1)
    net.train_step_single((Xt, targets))
    got = torch.cat([p.grad.reshape(k, -1) for p in shared], 1)
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-7)


def test_a_parameter_group_for_the_weightings_parameters_sets_their_arguments():
    """The recipe's own group for the learned weighting parameters (no weight decay)
    came first and took them: a group of the user's for them went unused in silence."""
    X, Y = two_task_data(n=32)

    def weighting_group(clf):
        (log_vars,) = clf.net_.criterion_.weighting.parameters()
        (group,) = [g for g in clf.net_.optimizer_.param_groups
                    if any(p is log_vars for p in g["params"])]
        return group["lr"], group["weight_decay"], len(group["params"])

    clf = small(loss_weighting="uncertainty", lr_schedule="constant", max_epochs=1,
                optimizer_params={"param_groups": [("weighting.*", {"lr": 0.5})]}).fit(X, Y)
    assert weighting_group(clf) == (0.5, 0.0, 1)
    # a group that also takes the network's parameters leaves them without weight decay
    clf.set_params(optimizer_params={"param_groups": [("*", {"weight_decay": 0.1})]}).fit(X, Y)
    assert weighting_group(clf) == (0.01, 0.0, 1)


def test_pcgrad_reads_the_member_axis_from_the_layers_that_have_members():
    """A trunk of k members whose shared first layer is k wide: its weight's first axis
    (its units) was read as the members', and each unit's gradient projected with one
    member's. A layer that has no members (no ``n_members``) is projected as one."""
    from sklearn_mtl.neural import MemberLinear, MultiHeadModule, MultiTaskNet
    from sklearn_mtl.neural._weighting import _PCGradModule

    k = 4

    class SharedThenMembers(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.n_members = k
            self.shared = torch.nn.Linear(3, k)  # k units, which every member shares
            self.members = MemberLinear(k, k, 5)

        def forward(self, x):
            z = torch.relu(self.shared(x))
            return self.members(z.expand(k, *z.shape))

    torch.manual_seed(0)
    module = MultiHeadModule(SharedThenMembers(), 5, [(1, ()), (1, ()), (1, ())])
    net = MultiTaskNet(module=module, criterion=torch.nn.MSELoss)
    net._initialize_module()
    out = torch.cat(net.module_(torch.randn(16, 3)), 1)
    losses = ((out - torch.randn(k * 16, 3)) ** 2).mean(0)  # one loss a task
    shared = net.shared_parameters()
    grads = torch.stack([
        torch.cat([g.reshape(-1) for g in torch.autograd.grad(loss, shared, retain_graph=True)])
        for loss in losses
    ])
    torch.manual_seed(1)
    order = [torch.randperm(3) for _ in range(3)]  # as the step draws it
    torch.manual_seed(1)
    net._weighting_backward(_PCGradModule(3), losses)
    got = torch.cat([p.grad.reshape(-1) for p in shared])
    torch.testing.assert_close(got, pcgrad_project(grads, order).sum(0))
