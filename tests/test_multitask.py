import copy
import io
import pickle
import warnings
from contextlib import redirect_stdout

import numpy as np
import pandas as pd
import pytest
import torch
from _classic import CLASSIC
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import Callback, EarlyStopping, GradientNormClipping, LRScheduler

from sklearn_mtl import MultiTaskClassifier, Task, load, save
from sklearn_mtl import _multitask as multitask
from sklearn_mtl.neural import LinearHeads, MultiTaskLoss, TaskOutputs
from sklearn_mtl.neural._ensemble import held_out_pass

FEATURES = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]


@pytest.fixture(scope="module")
def penguins():
    from palmerpenguins import load_penguins

    df = load_penguins().dropna(subset=FEATURES).reset_index(drop=True)
    return df[FEATURES], df[["species", "island", "sex"]]


def car_data(n=200, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 4)).astype(np.float32)
    car = np.where(X[:, 0] > 0, "yes", "no")
    color = np.where(X[:, 1] > 0, "red", "blue").astype(object)
    driver = np.where(X[:, 2] > 0, True, False).astype(object)
    color[car == "no"] = None
    driver[car == "no"] = None
    Y = pd.DataFrame({"car": car, "color": color, "driver": driver})
    tasks = [
        Task("car"),
        Task("color", gate=("car", "yes")),
        Task("driver", classes=[False, True], gate=("car", "yes")),
    ]
    return X, Y, tasks


@pytest.fixture(scope="module")
def car_model():
    # small(tasks=tasks) fitted on car_data(), shared by the tests that only save, load or
    # predict with it (none of them changes it)
    X, Y, tasks = car_data()
    return small(tasks=tasks).fit(X, Y)


@pytest.fixture(scope="module")
def car_model_60():
    # the same on car_data(n=60)
    X, Y, tasks = car_data(n=60)
    return small(tasks=tasks).fit(X, Y)


def small(**params):
    # One network, not the default ensemble: these tests are about behaviour, not the
    # recipe (tests/test_recipe.py), and a single small network trains fastest.
    defaults = dict(hidden_layer_sizes=(16,), lr=1e-2, max_epochs=5, random_state=0,
                    **CLASSIC)
    defaults.update(params)
    return MultiTaskClassifier(**defaults)


def test_penguins_cross_validated_accuracy(penguins):
    """Species >= 0.95 and sex >= 0.80 in 5-fold CV; sex's missing labels masked, kept."""
    X, Y = penguins
    assert Y["sex"].isna().sum() > 0
    scores = {"species": [], "sex": []}
    for train, test in KFold(5, shuffle=True, random_state=0).split(X):
        model = make_pipeline(
            StandardScaler(),
            MultiTaskClassifier(hidden_layer_sizes=(32,), lr=1e-2, max_epochs=60, random_state=0,
                                **CLASSIC),
        )
        model.fit(X.iloc[train], Y.iloc[train])
        pred = model.predict(X.iloc[test])
        assert list(pred.columns) == ["species", "island", "sex"]
        assert len(pred) == len(test)
        for task in scores:
            true = Y[task].iloc[test].reset_index(drop=True)
            known = true.notna()
            scores[task].append(float((pred[task][known] == true[known]).mean()))
    assert np.mean(scores["species"]) >= 0.95
    assert np.mean(scores["sex"]) >= 0.80


def test_pipeline_column_transformer_grid_search(penguins):
    X, Y = penguins
    X = X.assign(island_code=Y["island"].astype("category").cat.codes)  # an extra column
    pre = ColumnTransformer([("num", StandardScaler(), FEATURES)], remainder="drop")
    pipe = make_pipeline(pre, small(max_epochs=10))
    grid = GridSearchCV(
        pipe,
        {
            "multitaskclassifier__lr": [1e-2, 3e-2],
            "multitaskclassifier__hidden_layer_sizes": [(8,), (16,)],
        },
        # An explicit splitter: with cv=2, scikit-learn's type_of_target sorts the labels
        # of Y to decide on stratification and fails on NaN among strings.
        cv=KFold(2, shuffle=True, random_state=0),
    )
    grid.fit(X, Y[["species", "sex"]])
    assert set(grid.best_params_) == {
        "multitaskclassifier__lr",
        "multitaskclassifier__hidden_layer_sizes",
    }
    assert grid.best_score_ > 0.5
    assert grid.predict(X.iloc[:3]).shape == (3, 2)


def test_output_forms_and_gates():
    X, Y, tasks = car_data()
    clf = small(tasks=tasks, max_epochs=40).fit(X, Y)
    pred = clf.predict(X)
    assert list(pred.columns) == ["car", "color", "driver"]
    off = pred["car"] == "no"
    assert off.any() and pred.loc[off, "color"].isna().all()
    assert pred.loc[off, "driver"].isna().all()
    assert pred.loc[~off, "color"].notna().all()
    proba = clf.predict_proba(X)
    assert [p.shape for p in proba] == [(200, 2), (200, 2), (200, 2)]
    np.testing.assert_allclose(proba[1].sum(axis=1), 1, rtol=1e-6)
    np.testing.assert_array_equal(clf.predict_proba(X, task="color"), proba[1])
    assert clf.score(X, Y) > 0.8
    assert [list(c) for c in clf.classes_] == [["no", "yes"], ["blue", "red"], [False, True]]
    # 2-D array in, 2-D array out (object; where gated off, the gap each column held:
    # NaN from a pandas string column, None from an object one)
    clf2 = small(tasks=tasks, max_epochs=2).fit(X, Y.to_numpy())
    out = clf2.predict(X)
    assert isinstance(out, np.ndarray) and out.shape == (200, 3)
    off = out[:, 0] == "no"
    assert off.any()
    assert all(isinstance(v, float) and np.isnan(v) for v in out[off, 1])
    assert all(v is None for v in out[off, 2])


def test_one_dimensional_y_behaves_like_a_classifier():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(120, 3))
    y = np.where(X[:, 0] > 0, "a", "b")
    clf = small(max_epochs=30).fit(X, y)
    assert clf.classes_.tolist() == ["a", "b"]
    pred = clf.predict(X)
    assert pred.shape == (120,) and set(pred) <= {"a", "b"}
    assert clf.predict_proba(X).shape == (120, 2)
    assert clf.score(X, y) > 0.9


def test_multilabel_and_regression_tasks():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(150, 4)).astype(np.float32)
    tags = [{t for t, on in zip("abc", row) if on} for row in (X[:, :3] > 0)]
    Y = pd.DataFrame({"tags": tags, "size": 2 * X[:, 3] + 1})
    clf = small(tasks=[Task("tags"), Task("size", kind="regression")], max_epochs=60)
    clf.fit(X, Y)
    proba = clf.predict_proba(X)
    assert proba[0].shape == (150, 3) and proba[1].shape == (150,)
    pred = clf.predict(X)
    assert isinstance(pred.loc[0, "tags"], set)
    hits = np.mean([p == t for p, t in zip(pred["tags"], tags)])
    assert hits > 0.8
    assert np.corrcoef(pred["size"], Y["size"])[0, 1] > 0.9


def regression_data(unit=1.0, n=160, seed=0):
    """A class task and a regression target in the given unit (grams, kilograms...)."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 4)).astype(np.float32)
    Y = pd.DataFrame({"kind": np.where(X[:, 0] + X[:, 1] > 0, "a", "b"),
                      "mass": unit * (4000 + 500 * X[:, 2] - 300 * X[:, 3])})
    return X, Y, [Task("kind"), Task("mass", kind="regression")]


@pytest.mark.parametrize("params", [{}, {"ensemble_size": 3}, {"head_hidden": {"mass": (4,)}},
                                    {"ensemble_size": 3, "head_hidden": {"mass": (4,)}}])
def test_regression_targets_are_standardised_so_their_unit_does_not_matter(params):
    # The network learns standardised targets and its output layer is rescaled after
    # training: a target in grams neither swamps the class task's loss nor is it
    # predicted in other units; the same target in kilograms gives the same fit.
    if "ensemble_size" in params:
        params = {**params, "callbacks": []}
    fits = {}
    for unit in (1.0, 1e-3):
        X, Y, tasks = regression_data(unit)
        model = small(tasks=tasks, max_epochs=40, **params).fit(X, Y)
        fits[unit] = model
        mean, std = model._target_scaling["mass"]
        assert mean == pytest.approx(Y["mass"].mean())
        assert std == pytest.approx(Y["mass"].std(ddof=0))
        pred = model.predict(X)
        # in the labels' units, and a good fit of a linear target
        assert np.corrcoef(pred["mass"], Y["mass"])[0, 1] > 0.9
        assert abs(pred["mass"].mean() - Y["mass"].mean()) < 0.2 * Y["mass"].std()
        assert (pred["kind"] == Y["kind"]).mean() > 0.9
    grams, kilos = (fits[u].predict(X) for u in (1.0, 1e-3))
    np.testing.assert_allclose(kilos["mass"], 1e-3 * grams["mass"], rtol=1e-3)
    assert (kilos["kind"] == grams["kind"]).mean() > 0.97


def test_regression_scaling_survives_warm_start_partial_fit_and_saving(tmp_path):
    import sklearn_mtl

    X, Y, tasks = regression_data()
    model = small(tasks=tasks, max_epochs=20, warm_start=True).fit(X, Y)
    first = model.predict(X)["mass"].to_numpy()
    model.fit(X, Y)  # warm start: standardised units again, then rescaled
    second = model.predict(X)["mass"].to_numpy()
    assert np.corrcoef(second, Y["mass"])[0, 1] >= np.corrcoef(first, Y["mass"])[0, 1] - 0.01
    assert abs(second.mean() - Y["mass"].mean()) < 0.2 * Y["mass"].std()
    path = tmp_path / "m.mtl"
    sklearn_mtl.save(model, path)
    loaded = sklearn_mtl.load(path)
    np.testing.assert_allclose(loaded.predict(X)["mass"], second, rtol=1e-6)
    resumed = loaded.fit(X, Y).predict(X)["mass"]  # the saved scaling is used again
    assert np.corrcoef(resumed, Y["mass"])[0, 1] > 0.9
    assert abs(resumed.mean() - Y["mass"].mean()) < 0.2 * Y["mass"].std()
    stream = small(tasks=tasks)
    for rows in np.array_split(np.arange(len(X)), 4):
        stream.partial_fit(X[rows], Y.iloc[rows])
    for _ in range(30):
        stream.partial_fit(X, Y)
    assert abs(stream.predict(X)["mass"].mean() - Y["mass"].mean()) < 0.2 * Y["mass"].std()


def test_a_warm_start_after_a_first_fit_that_raised_predicts_in_the_labels_units():
    # the first fit's error left the regression head in the training's standardised
    # units (predict gave about 0 for masses about 4000), and the warm start after it
    # standardised them a second time
    X, Y, tasks = regression_data()
    calls = []

    def flaky(batch):
        calls.append(1)
        if len(calls) == 5:
            raise RuntimeError("a failing augmentation")
        return batch

    model = small(tasks=tasks, max_epochs=20, warm_start=True, batch_size=32,
                  batch_transform=flaky)
    with pytest.raises(RuntimeError, match="a failing augmentation"):
        model.fit(X, Y)
    assert abs(model.predict(X)["mass"].mean() - Y["mass"].mean()) < Y["mass"].std()
    model.set_params(batch_transform=None).fit(X, Y)
    pred = model.predict(X)["mass"]
    assert abs(pred.mean() - Y["mass"].mean()) < 0.2 * Y["mass"].std()
    assert np.corrcoef(pred, Y["mass"])[0, 1] > 0.9


def test_a_checkpoints_parameters_load_into_a_fitted_model_in_the_labels_units(tmp_path):
    # A Checkpoint saves the network as it trains, its regression head in standardised
    # units; loaded into a fitted model (skorch's net_.load_params(checkpoint=...)), it
    # predicted masses of about 0 for masses of about 4000. net_.save_params of a fitted
    # model wrote the labels' units, another format under the same name.
    from skorch.callbacks import Checkpoint

    import sklearn_mtl

    X, Y, tasks = regression_data()
    checkpoint = Checkpoint(monitor=None, dirname=str(tmp_path / "cp"))  # every epoch
    saved = small(tasks=tasks, max_epochs=10, callbacks=[("cp", checkpoint)]).fit(X, Y)
    expected = saved.predict(X)
    other = small(tasks=tasks, max_epochs=3, random_state=1).fit(X, Y)
    other.net_.load_params(checkpoint=checkpoint)
    pd.testing.assert_frame_equal(other.predict(X), expected, atol=1e-3)
    saved.net_.save_params(f_params=str(tmp_path / "fitted.pt"))
    pd.testing.assert_frame_equal(saved.predict(X), expected)  # saving changed nothing
    sklearn_mtl.save(other, tmp_path / "m.mtl")
    for model in (small(tasks=tasks, max_epochs=3, random_state=2).fit(X, Y),
                  sklearn_mtl.load(tmp_path / "m.mtl")):
        model.net_.load_params(f_params=str(tmp_path / "fitted.pt"))
        pd.testing.assert_frame_equal(model.predict(X), expected, atol=1e-3)


def test_loss_exact_values_and_masks():
    """Σ_t w_t · mean over applicable samples; no applicable sample gives 0, not NaN."""
    specs = [
        {"kind": "multiclass", "start": 0, "width": 1},
        {"kind": "binary", "start": 2, "width": 1},
        {"kind": "regression", "start": 4, "width": 1},
    ]
    loss = MultiTaskLoss(specs, [1.0, 2.0, 0.5])
    logits = torch.tensor([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
    bin_logit = torch.tensor([[0.3], [-0.2]])
    reg = torch.tensor([[1.0], [3.0]])
    # Per task: label, weight (0 = masked; masked labels stored as 0).
    target = torch.tensor([[0.0, 1.0, 0.0, 0.0, 0.0, 1.0], [0.0, 0.0, 1.0, 1.0, 0.0, 0.0]])
    total, per_task = loss((logits, bin_logit, reg), target)
    ce = -torch.log_softmax(logits[0], 0)[0]
    bce = torch.nn.functional.binary_cross_entropy_with_logits(bin_logit[1, 0], torch.tensor(1.0))
    mse = torch.tensor(1.0)
    torch.testing.assert_close(per_task, torch.stack([ce, bce, mse]))
    torch.testing.assert_close(total, ce + 2 * bce + 0.5 * mse)
    all_masked = torch.zeros((1, 6))
    total, per_task = loss((logits[:1], bin_logit[:1], reg[:1]), all_masked)
    assert torch.equal(per_task, torch.zeros(3)) and float(total) == 0.0


def test_sample_weight_weights_the_mean():
    specs = [{"kind": "multiclass", "start": 0, "width": 1}]
    loss = MultiTaskLoss(specs, [1.0])
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    target = torch.tensor([[0.0, 3.0], [0.0, 1.0]])  # label, sample weight
    ce = -torch.log_softmax(logits, 1)[:, 0]
    torch.testing.assert_close(loss((logits,), target)[0], (3 * ce[0] + ce[1]) / 4)


@pytest.mark.parametrize("fused", [True, False])
def test_gated_off_samples_give_the_head_no_gradient(fused):
    X, Y, tasks = car_data(n=40)
    # A learning rate per head keeps one Linear per task; otherwise they are fused.
    head_lr = None if fused else {"color": 1e-3}
    clf = small(tasks=tasks, max_epochs=1, head_lr=head_lr).fit(X, Y)
    module, criterion = clf.net_.module_, clf.net_.criterion_
    assert isinstance(module.heads, LinearHeads) == fused
    targets = clf._targets(clf.encoder_.transform(Y), None, len(X))

    def head_grad(rows):
        module.zero_grad()
        total, _ = criterion(module(torch.from_numpy(X[rows])), targets[rows])
        total.backward()
        if fused:
            color = module.heads.rows(1)
            return torch.cat([module.heads.weight.grad[color].flatten(),
                              module.heads.bias.grad[color]])
        return torch.cat([p.grad.flatten() for p in module.heads[1].parameters()])

    off = np.flatnonzero(Y["car"] == "no")
    on = np.flatnonzero(Y["car"] == "yes")
    assert torch.count_nonzero(head_grad(off)) == 0
    assert torch.count_nonzero(head_grad(on)) > 0
    # Missing labels are masked the same way.
    Y_missing = Y.copy()
    Y_missing.loc[on, "color"] = None
    targets = clf._targets(clf.encoder_.transform(Y_missing), None, len(X))
    assert torch.count_nonzero(head_grad(on)) == 0


def test_missing_labels_train_the_other_tasks():
    X, Y, tasks = car_data()
    Y = Y.copy()
    Y.loc[:49, "car"] = None  # car unknown: its gated children keep their own labels
    clf = small(tasks=tasks, max_epochs=2).fit(X, Y)
    encoded = clf.encoder_.transform(Y)
    assert (encoded.codes[:50, 0] == -1).all()
    assert len(clf.predict(X)) == 200


def test_per_head_learning_rate_reaches_the_optimizer():
    X, Y, tasks = car_data(n=40)
    clf = small(tasks=tasks, head_lr={"color": 1e-4}, lr=1e-2, max_epochs=1).fit(X, Y)
    groups = clf.net_.optimizer_.param_groups
    head_params = {id(p) for p in clf.net_.module_.heads[1].parameters()}
    color_group = [g for g in groups if {id(p) for p in g["params"]} == head_params]
    assert len(color_group) == 1 and color_group[0]["lr"] == 1e-4
    assert all(g["lr"] == 1e-2 for g in groups if g is not color_group[0])


def test_head_hidden_builds_the_head():
    X, Y, tasks = car_data(n=40)
    clf = small(tasks=tasks, head_hidden={"color": (7,)}, max_epochs=1).fit(X, Y)
    linears = [m for m in clf.net_.module_.heads[1].modules() if isinstance(m, torch.nn.Linear)]
    assert [lin.out_features for lin in linears] == [7, 1]


def test_same_random_state_identical_predictions():
    X, Y, tasks = car_data()
    a = small(tasks=tasks, dropout=0.2).fit(X, Y)
    b = clone(a).fit(X, Y)
    for pa, pb in zip(a.predict_proba(X), b.predict_proba(X)):
        np.testing.assert_array_equal(pa, pb)
    state = torch.random.get_rng_state()
    small(tasks=tasks, max_epochs=1).fit(X, Y)
    assert torch.equal(state, torch.random.get_rng_state())  # global RNG untouched


def test_fits_in_threads_reproduce_as_one_after_the_other():
    # torch's generator is one for the process: two fits in threads drew from it in turn,
    # their draws interleaved, and neither fit reproduced (a dask cluster of threads).
    from concurrent.futures import ThreadPoolExecutor

    X, Y, tasks = car_data()

    def fit(seed):
        return small(tasks=tasks, dropout=0.2, random_state=seed).fit(X, Y).predict_proba(X)

    one_after_the_other = [fit(0), fit(1)]
    with ThreadPoolExecutor(2) as pool:
        at_once = list(pool.map(fit, [0, 1, 0, 1]))
    for got, expected in zip(at_once, one_after_the_other * 2):
        for a, b in zip(got, expected):
            np.testing.assert_array_equal(a, b)


def test_load_does_not_wait_for_a_fit_in_another_thread(car_model, tmp_path):
    # A fit holds torch's one generator while it trains; a load built its network by
    # drawing from it too, and so waited for the whole fit (a serving thread behind a
    # training one). It now builds on the meta device, drawing nothing.
    import threading

    X, Y, tasks = car_data()
    expected = car_model
    save(expected, tmp_path / "model.mtl")
    state = torch.random.get_rng_state()
    done = {}
    with multitask._SEEDED:  # as a fit in another thread holds it
        loader = threading.Thread(target=lambda: done.update(model=load(tmp_path / "model.mtl")))
        loader.start()
        loader.join(timeout=60)
        assert "model" in done, "load waited for the generator a fit holds"
    assert torch.equal(state, torch.random.get_rng_state())
    for a, b in zip(done["model"].predict_proba(X), expected.predict_proba(X)):
        np.testing.assert_array_equal(a, b)


def test_torch_default_dtype_of_float64_changes_nothing(car_model, tmp_path):
    # The network is built and trained in float32 whatever torch's default dtype: under
    # float64 a fit failed ("Input dtypes must be the same"), and so did a loaded model.
    X, Y, tasks = car_data()
    expected = car_model  # fitted under the default float32
    save(expected, tmp_path / "model.mtl")
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        got = small(tasks=tasks).fit(X, Y)
        loaded = load(tmp_path / "model.mtl")
        for model in (got, loaded):
            for a, b in zip(model.predict_proba(X), expected.predict_proba(X)):
                np.testing.assert_array_equal(a, b)
        assert torch.get_default_dtype() == torch.float64  # the user's setting stays
    finally:
        torch.set_default_dtype(default)


def test_class_weight_balanced_and_task_weights():
    X, Y, tasks = car_data()
    clf = small(tasks=tasks, class_weight={"color": "balanced"}, task_weights={"car": 3.0})
    clf.fit(X, Y)
    crit = clf.net_.criterion_
    codes = clf.encoder_.transform(Y).codes[:, 1]
    present = codes[codes >= 0]
    expected = len(present) / (2 * np.bincount(present))
    np.testing.assert_allclose(clf._class_weight_values[1], expected, rtol=1e-6)
    # The class weights reach the loss: a color label's weight is its class's weight.
    targets = clf._targets(clf.encoder_.transform(Y), None, len(X)).numpy()
    color = crit.specs[1]
    labels = targets[:, color["start"]].astype(int)
    weights = targets[:, color["start"] + 1]
    np.testing.assert_allclose(weights[codes >= 0], expected[labels[codes >= 0]], rtol=1e-6)
    assert (weights[codes < 0] == 0).all()
    np.testing.assert_allclose(crit.task_weights.numpy(), [3.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="task_weights names unknown task"):
        small(tasks=tasks, task_weights={"colour": 2.0}).fit(X, Y)
    with pytest.raises(ValueError, match="unknown class"):
        small(tasks=tasks, class_weight={"color": {"purple": 2.0}}).fit(X, Y)


def test_history_early_stopping_and_verbose():
    X, Y, tasks = car_data()
    buf = io.StringIO()
    with redirect_stdout(buf):
        clf = small(tasks=tasks, early_stopping=True, patience=2, max_epochs=200, verbose=1)
        clf.fit(X, Y)
    history = clf.history_
    assert len(history) < 200
    for key in ("train_loss", "valid_loss", "train_loss_color", "valid_loss_driver"):
        assert all(key in row for row in history)
    assert "train_loss_color" in buf.getvalue()


def test_validation_data_given_to_fit_replaces_the_split():
    # Training on the split's training rows with its validation rows as X_val, y_val
    # gives the epochs that the split gives, loss for loss (as skorch's predefined_split).
    from skorch.dataset import ValidSplit

    X, Y, tasks = car_data()
    split = small(tasks=tasks, early_stopping=True, patience=3, max_epochs=40).fit(X, Y)
    encoded = split.encoder_.transform(Y)
    train, valid = ValidSplit(0.1, stratified=False, random_state=split._seed)(
        torch.from_numpy(X))
    rows, held = np.asarray(train.indices), np.asarray(valid.indices)
    given = small(tasks=tasks, early_stopping=True, patience=3, max_epochs=40).fit(
        X[rows], Y.iloc[rows], X_val=X[held], y_val=Y.iloc[held])
    assert given._seed == split._seed and encoded.n_samples == len(X)
    for key in ("train_loss", "valid_loss", "valid_loss_color", "valid_acc_car"):
        np.testing.assert_allclose(given.history_[:, key], split.history_[:, key],
                                   rtol=1e-6)
    assert given.history_[0, "train_batch_count"] == split.history_[0, "train_batch_count"]
    # the fitted model keeps no reference to the validation data
    assert isinstance(given.net_.train_split, ValidSplit)
    # weights: a validation sample of weight 0 is not scored
    weights = np.ones(len(held))
    weights[: len(held) // 2] = 0.0
    half = small(tasks=tasks, early_stopping=True, max_epochs=1).fit(
        X[rows], Y.iloc[rows], X_val=X[held], y_val=Y.iloc[held], sample_weight_val=weights)
    other = small(tasks=tasks, early_stopping=True, max_epochs=1).fit(
        X[rows], Y.iloc[rows], X_val=X[held][len(held) // 2:],
        y_val=Y.iloc[held[len(held) // 2:]])
    assert half.history_[-1, "valid_loss_car"] == pytest.approx(
        other.history_[-1, "valid_loss_car"], rel=1e-5)
    # and a missing label is not scored, though every training label of the task is there
    gaps = Y.iloc[held].copy()
    gaps.iloc[: len(held) // 2, 0] = None
    masked = small(tasks=tasks, early_stopping=True, max_epochs=1).fit(
        X[rows], Y.iloc[rows], X_val=X[held], y_val=gaps)
    assert masked.history_[-1, "valid_loss_car"] == pytest.approx(
        other.history_[-1, "valid_loss_car"], rel=1e-5)


def test_validation_data_errors_and_the_ensemble():
    X, Y, tasks = car_data()
    with pytest.raises(ValueError, match="early_stopping=False"):
        small(tasks=tasks).fit(X, Y, X_val=X, y_val=Y)
    with pytest.raises(ValueError, match="X_val and y_val go together"):
        small(tasks=tasks, early_stopping=True).fit(X, Y, X_val=X)
    with pytest.raises(ValueError, match="sample_weight_val is given without"):
        small(tasks=tasks, early_stopping=True).fit(X, Y, sample_weight_val=np.ones(3))
    with pytest.raises(ValueError, match="X_val has 200 samples, but y_val has 10"):
        small(tasks=tasks, early_stopping=True).fit(X, Y, X_val=X, y_val=Y.head(10))
    from sklearn_mtl.neural._net import ArrayDataset

    with pytest.raises(ValueError, match="X_val takes a table.*got ArrayDataset"):
        small(tasks=tasks, early_stopping=True).fit(X, Y, X_val=ArrayDataset(X), y_val=Y)
    lazy = small(tasks=tasks, early_stopping=True, max_epochs=2).fit(
        ArrayDataset(X[:150]), Y[:150], X_val=X[150:], y_val=Y[150:])  # a Dataset as X
    assert lazy.history_[0, "train_batch_count"] == 2 and "valid_loss" in lazy.history_[-1]
    # the default ensemble: the given validation data choose the epoch in place of the
    # members' held-out folds, so groups (which shape those folds) are unused; warm
    # start scores on new data too
    groups = np.arange(len(X)) % 20
    clf = MultiTaskClassifier(tasks=tasks, early_stopping=True, max_epochs=2,
                              warm_start=True, random_state=0)
    with pytest.warns(UserWarning, match="groups is unused.*early_stopping=True"):
        clf.fit(X[:150], Y[:150], groups=groups[:150], X_val=X[150:], y_val=Y[150:])
    assert "member_valid_loss" not in clf.history_[-1] and "valid_loss" in clf.history_[-1]
    assert clf.history_[0, "train_batch_count"] == 2  # all 150 training rows
    clf.fit(X[:150], Y[:150], X_val=X[150:], y_val=Y[150:])
    assert len(clf.history_) == 4 and isinstance(clf.history_[-1, "valid_loss"], float)



def test_errors_about_validation_data_name_x_val_and_y_val():
    """The checks written for X and Y name X_val and y_val when they read those."""
    X, Y, tasks = car_data(n=60)
    clf = small(tasks=tasks, early_stopping=True, max_epochs=1)
    with pytest.raises(ValueError, match=r"^X_val has 3 features, but MultiTaskClassifier "
                                         r"is expecting 4 features as input\.$"):
        clf.fit(X, Y, X_val=X[:20, :3], y_val=Y[:20])
    with pytest.raises(ValueError, match=r"^y_val: Task 'car' got label 'maybe' in row 0, "
                                         r"which is not among its classes \['no', 'yes'\]\.$"):
        clf.fit(X, Y, X_val=X[:20], y_val=Y[:20].assign(car=["maybe"] + ["yes"] * 19))
    with pytest.raises(ValueError, match=r"^y_val has no column 'driver' for task 'driver'; "
                                         r"y_val's columns are \['car', 'color'\]\.$"):
        clf.fit(X, Y, X_val=X[:20], y_val=Y[:20][["car", "color"]])
    with pytest.raises(ValueError, match=r"^sample_weight_val\.shape == \(19,\), "
                                         r"expected \(20,\)!$"):
        clf.fit(X, Y, X_val=X[:20], y_val=Y[:20], sample_weight_val=np.ones(19))
    # a column named X is a column, not the argument; a message without X is prefixed
    frame = pd.DataFrame(X, columns=["a", "b", "c", "X"])
    with pytest.raises(ValueError, match=r"^X_val: The feature names should match(.|\n)*"
                                         r"yet now missing:\n- X\n$"):
        clf.fit(frame, Y, X_val=frame[:20].rename(columns={"X": "Z"}), y_val=Y[:20])

@pytest.mark.parametrize("members", [1, 4])
def test_validation_accuracy_per_task_as_skorch_records_valid_acc(members):
    X, Y, tasks = car_data()
    clf = small(tasks=tasks, early_stopping=True, max_epochs=1, ensemble_size=members,
                mixed_precision=None).fit(X, Y)
    # one epoch: the restored weights are the ones the accuracy was measured with (an
    # ensemble's: of its pooled logits, as it predicts)
    encoded = clf.encoder_.transform(Y)
    targets = clf._targets(encoded, None, len(X))
    _, valid = clf.net_.get_split_datasets(torch.from_numpy(X), targets)
    rows = np.asarray(valid.indices)
    proba = clf.predict_proba(X[rows])
    for j, task in enumerate(clf.schema_):
        codes = encoded.codes[rows, j]
        labelled = codes >= 0
        expected = (proba[j].argmax(1)[labelled] == codes[labelled]).mean()
        assert clf.history_[-1, f"valid_acc_{task.name}"] == pytest.approx(expected)


def test_ensemble_records_each_tasks_held_out_accuracy():
    X, Y, tasks = car_data()
    clf = MultiTaskClassifier(tasks=tasks, max_epochs=3, random_state=0).fit(X, Y)
    for name in ("car", "color", "driver"):
        values = clf.history_[:, f"member_valid_acc_{name}"]
        assert len(values) == 3 and all(0.0 <= v <= 1.0 for v in values)
    # as the recipe scores it: every sample read by the member that held it out
    one = MultiTaskClassifier(tasks=tasks, max_epochs=1, random_state=0,
                              mixed_precision=None).fit(X, Y)
    k = one.net_.module_.n_members
    folds = np.random.RandomState(one._seed).permutation(len(X)) % k
    kinds = [t.kind for t in one.schema_]
    _, held_out = held_out_pass(one.net_.module_, one.preprocessor_.transform(X), folds,
                                kinds, 64, "cpu")
    codes = one.encoder_.transform(Y).codes
    for j, task in enumerate(one.schema_):
        labelled = codes[:, j] >= 0
        expected = (held_out[j].numpy().argmax(1)[labelled] == codes[labelled, j]).mean()
        assert one.history_[-1, f"member_valid_acc_{task.name}"] == pytest.approx(expected)


def test_warm_start_continues_training():
    X, Y, tasks = car_data()
    clf = small(tasks=tasks, max_epochs=3, warm_start=True).fit(X, Y)
    net = clf.net_
    clf.fit(X, Y)
    assert clf.net_ is net and len(clf.history_) == 6
    clf.set_params(max_epochs=2).fit(X, Y)  # a changed max_epochs is honoured
    assert len(clf.history_) == 8



def test_warm_start_applies_changed_training_params():
    # As MLPClassifier's warm start builds its optimizer with the new learning_rate_init,
    # the parameters set between two fits train the same module, its history going on.
    X, Y, tasks = car_data()
    clf = small(tasks=tasks, max_epochs=2, warm_start=True, lr_schedule="constant").fit(X, Y)
    module, optimizer = clf.net_.module_, clf.net_.optimizer_
    clf.fit(X, Y)  # nothing changed: the network trains on as it is
    assert clf.net_.optimizer_ is optimizer
    clf.set_params(lr=0.05, optimizer__weight_decay=0.3, task_weights={"car": 5.0},
                   label_smoothing=0.2).fit(X, Y)
    group = clf.net_.optimizer_.param_groups[0]
    assert group["lr"] == 0.05 and group["weight_decay"] == 0.3
    assert clf.net_.criterion_.task_weights.tolist() == [5.0, 1.0, 1.0]
    assert clf.net_.criterion_.label_smoothing == 0.2
    assert clf.history_[-1, "weight_car"] == 5.0
    assert clf.net_.module_ is module and len(clf.history_) == 6
    clf.set_params(class_weight={"car": {"yes": 3.0}}).fit(X, Y)
    assert clf._class_weight_values[0].tolist() == [1.0, 3.0]


def test_warm_start_keeps_a_learned_weighting():
    X, Y, tasks = car_data()
    clf = small(tasks=tasks, max_epochs=2, warm_start=True,
                loss_weighting="uncertainty").fit(X, Y)
    weighting, optimizer = clf.net_.criterion_.weighting, clf.net_.optimizer_
    clf.set_params(task_weights={"car": 2.0}).fit(X, Y)  # the strategy is unchanged
    assert clf.net_.criterion_.weighting is weighting and clf.net_.optimizer_ is optimizer
    assert clf.net_.criterion_.task_weights.tolist() == [2.0, 1.0, 1.0]
    clf.set_params(loss_weighting="fixed").fit(X, Y)  # a new strategy starts afresh
    assert not list(clf.net_.criterion_.parameters())
    learned = {id(p) for p in weighting.parameters()}
    assert not learned & {id(p) for g in clf.net_.optimizer_.param_groups for p in g["params"]}


@pytest.mark.parametrize("params, named", [
    ({"hidden_layer_sizes": (8,)}, r"hidden_layer_sizes \(fitted \(16,\), now \(8,\)\)"),
    ({"ensemble_size": 2}, r"ensemble_size \(fitted 1, now 2\)"),
    ({"dropout": 0.5, "activation": "gelu"},
     r"activation \(fitted 'relu', now 'gelu'\), dropout \(fitted 0.0, now 0.5\)"),
    ({"head_lr": {"car": 0.1}}, r"head_lr \(fitted \{\}, now \{'car': 0.1\}"),
])
def test_warm_start_refuses_a_changed_network(params, named):
    X, Y, tasks = car_data()
    clf = small(tasks=tasks, max_epochs=1, warm_start=True).fit(X, Y)
    clf.set_params(hidden_layer_sizes=16, task_weights={})  # the same network: trains on
    clf.fit(X, Y)
    with pytest.raises(ValueError, match=rf"^warm_start=True continues training the fitted "
                                         rf"network, but {named}.* Set warm_start=False"):
        clf.set_params(**params).fit(X, Y)
    assert len(clf.history_) == 2
    clf.partial_fit(X, Y)  # partial_fit trains on as before: the fitted network
    assert len(clf.history_) == 3 and clf.net_.module_.trunk.layers[0].out_features == 16
    del clf._fit_params  # a model saved before the parameters were recorded: trains on
    clf.fit(X, Y)
    assert len(clf.history_) == 4

def test_user_callbacks_and_keyboard_interrupt():
    class StopAt(Callback):
        def on_epoch_end(self, net, **kwargs):
            if len(net.history) == 2:
                raise KeyboardInterrupt

    X, Y, tasks = car_data()
    clf = small(tasks=tasks, max_epochs=10, callbacks=[("stop", StopAt())]).fit(X, Y)
    assert len(clf.history_) == 2
    assert clf.predict(X).shape == (200, 3)


def test_callback_parameters_set_and_searched_as_in_skorch():
    X, Y, tasks = car_data()
    stop = EarlyStopping(patience=1)
    clf = small(tasks=tasks, callbacks=[("es", stop), GradientNormClipping(1.0)])
    assert clf.get_params()["callbacks__es__patience"] == 1
    assert clf.get_params()["callbacks__GradientNormClipping__gradient_clip_value"] == 1.0
    assert "callbacks__es__patience" not in clf.get_params(deep=False)
    given = clf.callbacks
    clf.set_params(callbacks__es__patience=7,
                   callbacks__GradientNormClipping__gradient_clip_value=2.0)
    name, copied = clf.callbacks[0]
    assert name == "es" and copied.patience == 7 and copied is not stop
    assert clf.callbacks[1].gradient_clip_value == 2.0
    assert stop.patience == 1 and given[1].gradient_clip_value == 1.0  # never modified
    assert clone(clf).callbacks[0][1].patience == 7
    with pytest.raises(ValueError, match=r"no callback has the name 'stop'.*'es', "
                                         r"'GradientNormClipping'"):
        clf.set_params(callbacks__stop__patience=3)
    with pytest.raises(ValueError, match="callbacks__<name>__<param>"):
        clf.set_params(callbacks__es=3)
    # unnamed callbacks of one class are <class>_1, <class>_2, as skorch names them in
    # net_.callbacks_ (get_params listed the last one's alone under the class name)
    twice = small(tasks=tasks, max_epochs=1,
                  callbacks=[GradientNormClipping(1.0), GradientNormClipping(2.0)])
    listed = {k: v for k, v in twice.get_params().items() if k.endswith("clip_value")}
    assert listed == {"callbacks__GradientNormClipping_1__gradient_clip_value": 1.0,
                      "callbacks__GradientNormClipping_2__gradient_clip_value": 2.0}
    twice.set_params(callbacks__GradientNormClipping_2__gradient_clip_value=3.0)
    assert [cb.gradient_clip_value for cb in twice.callbacks] == [1.0, 3.0]
    with pytest.raises(ValueError, match=r"no callback has the name 'GradientNormClipping' "
                                         r"\(the callbacks' names: 'GradientNormClipping_1', "
                                         r"'GradientNormClipping_2'\)"):
        twice.set_params(callbacks__GradientNormClipping__gradient_clip_value=3.0)
    fitted = dict(twice.fit(X, Y).net_.callbacks_)
    assert [fitted[f"GradientNormClipping_{i}"].gradient_clip_value for i in (1, 2)] == [
        1.0, 3.0]
    same_name = small(callbacks=[("clip", GradientNormClipping(1.0)),
                                 ("clip", GradientNormClipping(2.0))])
    with pytest.raises(ValueError, match="two callbacks have the name 'clip'"):
        same_name.set_params(callbacks__clip__gradient_clip_value=3.0)
    search = GridSearchCV(small(tasks=tasks, max_epochs=2, callbacks=[
        ("clip", GradientNormClipping(1.0))]), {"callbacks__clip__gradient_clip_value": [
            0.5, 5.0]}, cv=KFold(2)).fit(X, Y)
    assert search.best_params_["callbacks__clip__gradient_clip_value"] in (0.5, 5.0)


def test_optimizer_arguments_set_and_searched_as_in_skorch():
    """skorch's optimizer__<name> reaches optimizer_params (optimizer__lr is lr); the
    prefixes of skorch's other parts say where this estimator takes what they set."""
    X, Y, tasks = car_data()
    given = {"betas": (0.9, 0.99)}
    clf = small(tasks=tasks, optimizer_params=given)
    clf.set_params(optimizer__weight_decay=0.3, optimizer__lr=0.05)
    assert clf.optimizer_params == {"betas": (0.9, 0.99), "weight_decay": 0.3}
    assert clf.lr == 0.05 and given == {"betas": (0.9, 0.99)}  # never modified
    clf.fit(X, Y)
    group = clf.net_.optimizer_.param_groups[0]
    assert group["weight_decay"] == 0.3 and group["betas"] == (0.9, 0.99)
    search = GridSearchCV(small(tasks=tasks, max_epochs=2),
                          {"optimizer__weight_decay": [0.0, 0.5]}, cv=KFold(2)).fit(X, Y)
    assert search.best_estimator_.optimizer_params == {
        "weight_decay": search.best_params_["optimizer__weight_decay"]}
    with pytest.raises(ValueError, match=r"'module__dropout'.*no skorch module__ "
                                         r"parameters; the network is built from its own"):
        clf.set_params(module__dropout=0.1)
    with pytest.raises(ValueError, match=r"no skorch iterator_train__ parameters; "
                                         r"training batches are set by batch_size"):
        clf.set_params(iterator_train__shuffle=False)


def test_an_int_of_layer_sizes_is_one_layer_as_in_mlp_classifier():
    # scikit-learn's MLPClassifier(hidden_layer_sizes=100) has one layer of 100.
    X, Y, tasks = car_data()
    as_int = small(tasks=tasks, hidden_layer_sizes=8, head_hidden={"car": 4}).fit(X, Y)
    as_tuple = small(tasks=tasks, hidden_layer_sizes=(8,), head_hidden={"car": (4,)}).fit(X, Y)
    for a, b in zip(as_int.predict_proba(X), as_tuple.predict_proba(X), strict=True):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match=r"hidden_layer_sizes\[1\] is 0; a layer needs at "
                                         r"least 1 unit"):
        small(tasks=tasks, hidden_layer_sizes=(8, 0)).fit(X, Y)
    with pytest.raises(ValueError, match=r"head_hidden\['car'\] is True; expected a tuple of "
                                         r"positive integers, or one positive integer"):
        small(tasks=tasks, head_hidden={"car": True}).fit(X, Y)


def test_optimizer_and_trunk_params_that_would_be_ignored_are_refused():
    # An entry the optimizer does not take, or trunk_params that the built-in MLP or a
    # module instance would never read: a ValueError naming them, before any training.
    X, Y, tasks = car_data()
    with pytest.raises(ValueError, match=r"optimizer_params \['momentum'\] are not "
                                         r"parameters of AdamW; it takes \['betas'"):
        small(tasks=tasks, optimizer_params={"momentum": 0.9}).fit(X, Y)
    with pytest.raises(ValueError, match=r"optimizer_params sets 'lr'; set the estimator's"):
        small(tasks=tasks, optimizer_params={"lr": 0.1}).fit(X, Y)
    sgd = small(tasks=tasks, max_epochs=1, optimizer=torch.optim.SGD,
                optimizer_params={"momentum": 0.9}).fit(X, Y)
    assert sgd.net_.optimizer_.param_groups[0]["momentum"] == 0.9
    with pytest.raises(ValueError, match=r"trunk_params \['width'\] would be ignored: "
                                         r"trunk='mlp' is built from hidden_layer_sizes"):
        small(tasks=tasks, trunk_params={"width": 8}).fit(X, Y)
    with pytest.raises(ValueError, match=r"trunk is a module instance \(Linear\)"):
        small(tasks=tasks, trunk=torch.nn.Linear(X.shape[1], 4),
              trunk_params={"out_features": 8}).fit(X, Y)


def test_monitoring_a_validation_score_without_validation_data_is_refused():
    """skorch splits off validation data by default, so its EarlyStopping and Checkpoint
    monitor validation scores; here a fit has them with early_stopping=True only."""
    from skorch.callbacks import Checkpoint

    X, Y, tasks = car_data()
    with pytest.raises(ValueError, match=r"(?s)'EarlyStopping' monitors 'valid_loss'.*"
                                         r"early_stopping=True.*'train_loss'"):
        small(tasks=tasks, callbacks=[EarlyStopping()]).fit(X, Y)
    with pytest.raises(ValueError, match=r"(?s)'ck' monitors 'valid_loss_best'.*"
                                         r"'member_valid_loss_best'"):
        small(tasks=tasks, ensemble_size=2, callbacks=[
            ("ck", Checkpoint(monitor="valid_loss_best"))]).fit(X, Y)
    # with validation data, or a score the fit records, they work
    fitted = small(tasks=tasks, max_epochs=3, early_stopping=True,
                   callbacks=[("stop", EarlyStopping(patience=1))]).fit(X, Y)
    assert len(fitted.history_[:, "valid_loss"]) == len(fitted.history_)
    # a threshold no epoch meets: the monitored train_loss stops the fit after patience
    fitted = small(tasks=tasks, max_epochs=10, callbacks=[
        EarlyStopping(monitor="train_loss", patience=1, threshold=10.0)]).fit(X, Y)
    assert len(fitted.history_) == 2


def test_scoring_callbacks_by_metric_name_are_refused_with_the_way_out():
    from skorch.callbacks import EpochScoring

    X, Y, tasks = car_data()
    with pytest.raises(ValueError, match=r"(?s)'EpochScoring' scores 'accuracy'.*"
                                         r"valid_acc_<task>"):
        small(tasks=tasks, callbacks=[EpochScoring("accuracy")]).fit(X, Y)
    # a scoring function of the user's own reads the inner net
    clf = small(tasks=tasks, early_stopping=True, max_epochs=2, callbacks=[
        EpochScoring(lambda net, X, y: float(len(y)), name="n_valid")]).fit(X, Y)
    assert clf.history_[:, "n_valid"] == [20.0, 20.0]  # validation_fraction=0.1 of 200


def test_a_users_lr_scheduler_replaces_the_recipes_schedule():
    X, Y, tasks = car_data()
    step = LRScheduler("StepLR", step_size=1, gamma=0.5)
    clf = small(tasks=tasks, max_epochs=3, lr=0.01, lr_schedule="warmup_cosine",
                callbacks=[step]).fit(X, Y)
    np.testing.assert_allclose(clf.history_[:, "event_lr"], [0.01, 0.005, 0.0025])
    # without it, the recipe's warm-up and decay: the rate ends near 0
    recipe = small(tasks=tasks, max_epochs=3, lr=0.01, lr_schedule="warmup_cosine").fit(X, Y)
    assert recipe.net_.optimizer_.param_groups[0]["lr"] < 1e-4


class TinyTrunk(torch.nn.Module):
    def __init__(self, n_features, width=8):
        super().__init__()
        self.linear = torch.nn.Linear(n_features, width)

    def forward(self, x):
        return torch.relu(self.linear(x))


def test_user_trunk_class_and_instance():
    X, Y, tasks = car_data(n=60)
    clf = small(tasks=tasks, trunk=TinyTrunk, trunk_params={"width": 5}).fit(X, Y)
    assert clf.net_.module_.trunk.linear.in_features == 4
    assert clf.net_.module_.heads.in_features == 5
    instance = TinyTrunk(4, width=6)
    clf = small(tasks=tasks, trunk=instance).fit(X, Y)
    assert clf.net_.module_.trunk is not instance


def test_inputs_tensor_dataframe_and_dataset_agree(car_model_60):
    X, Y, tasks = car_data(n=60)
    ref = car_model_60.predict_proba(X)[0]
    from_tensor = small(tasks=tasks).fit(torch.from_numpy(X), Y).predict_proba(X)[0]
    np.testing.assert_array_equal(ref, from_tensor)
    frame = pd.DataFrame(X, columns=list("abcd"))
    clf = small(tasks=tasks).fit(frame, Y)
    np.testing.assert_array_equal(ref, clf.predict_proba(frame)[0])
    assert list(clf.feature_names_in_) == list("abcd")
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(frame[list("dcba")])

    class Features(torch.utils.data.Dataset):
        def __len__(self):
            return len(X)

        def __getitem__(self, i):
            return torch.from_numpy(X[i])

    clf = small(tasks=tasks, batch_size=len(X)).fit(Features(), Y)
    ref = small(tasks=tasks, batch_size=len(X)).fit(X, Y)
    np.testing.assert_allclose(
        clf.predict_proba(Features())[0], ref.predict_proba(X)[0], rtol=1e-5, atol=1e-6
    )



def test_mlp_trunk_on_images_checks_each_samples_shape():
    """The MLP flattens each sample: images of another shape are refused at predict,
    not read in the fitted layout (same number of values) or failed in torch."""
    from sklearn_mtl.datasets import make_car_images

    images, Y, tasks = make_car_images(40, image_size=16, random_state=0, return_tasks=True)
    clf = small(tasks=tasks, max_epochs=1).fit(images, Y)
    expected = (r"but MultiTaskClassifier is expecting samples of shape \(3, 16, 16\) as "
                r"input \(trunk='mlp' reads each sample's 768 values in the layout it was "
                r"fitted on\)\.$")
    for shape in [(2, 3, 8, 32), (2, 3, 20, 20)]:
        with pytest.raises(ValueError, match=rf"^X has samples of shape "
                                             rf"\({', '.join(map(str, shape[1:]))},?\), "
                                             + expected):
            clf.predict(np.zeros(shape, np.float32))
    # rows of features (a flat table): the shape the model expects is named
    with pytest.raises(ValueError, match=r"^X has shape \(2, 3\), rows of 3 features, but "
                       r"MultiTaskClassifier was fitted on samples of shape \(3, 16, 16\) "
                       r"and expects X of shape \(n_samples, 3, 16, 16\)\.$"):
        clf.predict(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"^X has samples of shape \(3, 20, 20\), " + expected):
        clf.set_params(warm_start=True).fit(np.zeros((4, 3, 20, 20), np.float32), Y[:4])
    with pytest.raises(ValueError, match=r"^X_val has samples of shape \(3, 8, 32\), "):
        small(tasks=tasks, max_epochs=1, early_stopping=True).fit(
            images, Y, X_val=images[:10].reshape(10, 3, 8, 32), y_val=Y[:10])
    assert clf.predict(images[:2].astype(np.float64)).shape == (2, len(tasks))
    del clf._input_shape  # a model saved before the shape was kept: predicts as it did
    assert clf.predict(np.zeros((2, 3, 8, 32), np.float32)).shape == (2, len(tasks))
    conv = small(tasks=tasks, trunk="conv2d", trunk_params={"channels": (4,)},
                 max_epochs=1).fit(images, Y)  # global pooling: any image size
    assert conv.predict(np.zeros((2, 3, 20, 20), np.float32)).shape == (2, len(tasks))


class Rows(torch.utils.data.Dataset):
    """A user's Dataset: each item one sample's features, in the array's dtype."""

    def __init__(self, X, labelled=False):
        self.X, self.labelled = X, labelled

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        x = torch.from_numpy(self.X[i])
        return (x, 0) if self.labelled else x


@pytest.mark.parametrize("dtype", [np.float64, np.int64, np.uint8])
def test_dataset_items_are_read_as_float32_as_arrays_are(dtype):
    X, Y, tasks = car_data(n=60)
    X = np.round(X * 10) + 50  # whole numbers in uint8's range: the same in every dtype
    ref = small(tasks=tasks, max_epochs=2).fit(Rows(X.astype(np.float32)), Y)
    clf = small(tasks=tasks, max_epochs=2).fit(Rows(X.astype(dtype)), Y)
    for got, want in zip(clf.predict_proba(Rows(X.astype(dtype), labelled=True)),
                         ref.predict_proba(Rows(X.astype(np.float32)))):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("form", ["array", "sparse", "dataset"])
def test_batch_norm_merges_a_one_row_last_batch_into_the_one_before(form):
    """BatchNorm1d cannot train on one row: with batch_norm, 33 rows in batches of 16
    train as 16 + 17 (every row once); without it, the batches stay 16 + 16 + 1."""
    import scipy.sparse

    X, Y, tasks = car_data(n=33)
    data = {"array": X, "sparse": scipy.sparse.csr_matrix(X), "dataset": Rows(X)}[form]
    clf = small(tasks=tasks, batch_norm=True, batch_size=16, max_epochs=2).fit(data, Y)
    assert clf.history_[:, "train_batch_count"] == [2, 2]
    assert clf._training_length(33) == (2, 4)  # what the schedule plans for: the steps
    plain = small(tasks=tasks, batch_size=16, max_epochs=1).fit(data, Y)
    assert plain.history_[:, "train_batch_count"] == [3]
    # the batches themselves: the same shuffle, the last two batches joined
    from sklearn_mtl.neural._net import SliceBatchIterator

    rows, y = torch.arange(33.0)[:, None], torch.zeros(33, 1)
    batches = {merge: [xb[:, 0] for xb, _ in SliceBatchIterator(
        rows, y, None, 16, shuffle=True, generator=torch.Generator().manual_seed(0),
        merge_single=merge)] for merge in [False, True]}
    assert [len(b) for b in batches[True]] == [16, 17]
    assert torch.equal(torch.cat(batches[True]), torch.cat(batches[False]))
    assert sorted(torch.cat(batches[True]).tolist()) == list(range(33))


def test_batch_norm_on_batches_of_one_row_is_refused_with_its_reason():
    # torch's own message ("Expected more than 1 value per channel when training") named
    # neither batch_norm nor batch_size
    X, Y, tasks = car_data(n=40)
    with pytest.raises(ValueError, match=r"batch_norm=True normalises each training batch "
                                         r"over its rows.*batch_size=1, 40 training"):
        small(tasks=tasks, batch_norm=True, batch_size=1).fit(X, Y)
    clf = small(tasks=tasks, batch_norm=True).fit(X, Y)
    with pytest.raises(ValueError, match=r"batch_size=128, 1 training sample"):
        clf.partial_fit(X[:1], Y[:1])
    small(tasks=tasks, batch_norm=True, batch_size=2).fit(X, Y)  # two rows a batch train


def test_predicting_a_dataset_leaves_torchs_generator_alone():
    # a DataLoader seeds its workers from torch's global generator unless given its own
    X, Y, tasks = car_data(n=40)
    clf = small(tasks=tasks).fit(Rows(X), Y)
    state = torch.random.get_rng_state()
    clf.predict_proba(Rows(X))
    assert torch.equal(state, torch.random.get_rng_state())


def test_pickle_round_trip(car_model_60):
    X, Y, tasks = car_data(n=60)
    clf = car_model_60
    restored = pickle.loads(pickle.dumps(clf))
    pd.testing.assert_frame_equal(restored.predict(X), clf.predict(X))


def test_pickle_writes_the_weights_once(car_model_60):
    # the network given to skorch as an instance is the fitted module_; it is pickled
    # once (skorch writes module_ apart), and comes back as the same object
    net = car_model_60.net_
    assert net.module is net.module_ and net.criterion is net.criterion_
    state = net.__getstate__()
    assert not isinstance(state["module"], torch.nn.Module)
    assert not isinstance(state["criterion"], torch.nn.Module)
    assert net.module is net.module_  # pickling changed nothing of the net
    restored = pickle.loads(pickle.dumps(car_model_60)).net_
    assert restored.module is restored.module_
    assert restored.criterion is restored.criterion_
    copied = copy.deepcopy(net)
    assert copied.module is copied.module_ and copied.module is not net.module


def test_user_data_not_mutated():
    X, Y, tasks = car_data(n=60)
    X0, Y0 = X.copy(), Y.copy()
    small(tasks=tasks).fit(X, Y).predict(X)
    np.testing.assert_array_equal(X, X0)
    pd.testing.assert_frame_equal(Y, Y0)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"lr": -1.0}, "lr"),
        ({"max_epochs": 0}, "max_epochs"),
        ({"activation": "swish"}, "activation"),
        ({"head_lr": {"nope": 1e-3}}, "head_lr names unknown task"),
    ],
)
def test_invalid_parameters_raise_in_fit(params, match):
    X, Y, tasks = car_data(n=20)
    clf = small(tasks=tasks, **params)  # __init__ never raises
    with pytest.raises(ValueError, match=match):
        clf.fit(X, Y)


def test_fused_optimizer_step_by_default_and_opt_out():
    from sklearn_mtl.neural._optim import fast_step_kwargs

    X, Y, tasks = car_data(n=40)
    clf = small(tasks=tasks, max_epochs=1).fit(X, Y)
    expected = fast_step_kwargs(torch.optim.AdamW, "cpu")
    assert expected in ({"fused": True}, {"foreach": True})  # fused where torch has it
    key = next(iter(expected))
    assert all(g[key] is True for g in clf.net_.optimizer_.param_groups)
    clf = small(tasks=tasks, max_epochs=1, optimizer_params={"foreach": True}).fit(X, Y)
    assert all(g["foreach"] is True and not g.get("fused")
               for g in clf.net_.optimizer_.param_groups)
    clf = small(tasks=tasks, max_epochs=1, optimizer_params={"foreach": False}).fit(X, Y)
    assert all(g["foreach"] is False for g in clf.net_.optimizer_.param_groups)
    clf = small(tasks=tasks, max_epochs=1, optimizer=torch.optim.LBFGS).fit(X, Y)
    assert "foreach" not in clf.net_.optimizer_.defaults


# ------------------------------------------------------------ fused heads and loss
def _reference_per_task(specs, outputs, target, pos_weights):
    """The loss definition, one task at a time (no runs, no plain-mean shortcut)."""
    F = torch.nn.functional
    losses = []
    for spec, out, pos_weight in zip(specs, outputs, pos_weights):
        a, k, kind = spec["start"], spec["width"], spec["kind"]
        y, w = target[:, a : a + k], target[:, a + k : a + 2 * k]
        if kind == "multiclass":
            loss = F.cross_entropy(out, y[:, 0].long(), reduction="none")[:, None]
        elif kind == "regression":
            loss = (out - y) ** 2
        else:
            loss = F.binary_cross_entropy_with_logits(
                out, y, reduction="none", pos_weight=pos_weight
            )
        total = w.sum()
        losses.append((loss * w).sum() / total if total > 0 else torch.tensor(0.0))
    return torch.stack(losses)


@pytest.mark.parametrize("joined", [True, False])
@pytest.mark.parametrize("masked", [True, False])
def test_loss_runs_equal_the_per_task_definition(joined, masked):
    """Adjacent same-kind tasks share one loss call; the values and gradients are those
    of the per-task definition, with or without masks, prepared or not."""
    rng = np.random.RandomState(0)
    n = 40
    # kind, output width: three 4-class tasks (one run), a 3-class task, two binary
    # tasks (one run, one with pos_weight), a multilabel task, two regression tasks.
    layout = [("multiclass", 4)] * 3 + [("multiclass", 3), ("binary", 1), ("binary", 1),
                                        ("multilabel", 3), ("regression", 1), ("regression", 1)]
    specs, cols, start = [], [], 0
    pos_weights = [None] * len(layout)
    pos_weights[5] = torch.tensor([2.5])
    for (kind, width), pos_weight in zip(layout, pos_weights):
        k = width if kind == "multilabel" else 1
        spec = {"kind": kind, "start": start, "width": k}
        if pos_weight is not None:
            spec["pos_weight"] = pos_weight
        specs.append(spec)
        if kind == "multiclass":
            labels = rng.randint(width, size=(n, 1))
        elif kind == "regression":
            labels = rng.normal(size=(n, 1))
        else:
            labels = rng.randint(2, size=(n, k))
        weights = np.ones((n, k))
        if masked:
            weights = rng.uniform(0.5, 2.0, size=(n, k)) * (rng.uniform(size=(n, k)) > 0.3)
        cols += [labels, weights]
        start += 2 * k
    target = torch.from_numpy(np.hstack(cols).astype(np.float32))
    widths = [width for _, width in layout]
    heads = LinearHeads(5, widths)
    z = torch.from_numpy(rng.normal(size=(n, 5)).astype(np.float32))
    outputs = heads(z) if joined else tuple(o.clone() for o in heads(z))
    loss = MultiTaskLoss(specs, np.arange(1, len(specs) + 1)).prepare(target)
    assert loss.unweighted == [not masked] * len(specs)
    runs = [run["tasks"] for run in loss._plan(outputs)]
    assert runs == [[0, 1, 2], [3], [4, 5], [6], [7, 8]]

    total, per_task = loss(outputs, target)
    expected = _reference_per_task(specs, outputs, target, pos_weights)
    torch.testing.assert_close(per_task, expected)
    torch.testing.assert_close(total, (expected * torch.arange(1, 10.0)).sum())
    grad = torch.autograd.grad(total, heads.weight, retain_graph=True)[0]
    expected_grad = torch.autograd.grad(
        (expected * torch.arange(1, 10.0)).sum(), heads.weight
    )[0]
    torch.testing.assert_close(grad, expected_grad)


def test_linear_heads_are_one_linear_per_task():
    torch.manual_seed(0)
    heads = LinearHeads(6, [3, 1, 2])
    z = torch.randn(4, 6)
    outputs = heads(z)
    assert isinstance(outputs, TaskOutputs) and [o.shape[1] for o in outputs] == [3, 1, 2]
    assert torch.equal(torch.cat(outputs, 1), outputs.joined)
    for j, out in enumerate(outputs):
        rows = heads.rows(j)
        torch.testing.assert_close(out, z @ heads.weight[rows].T + heads.bias[rows])
    # nn.Linear's initialisation, row by row: |w| <= 1/sqrt(fan_in).
    assert heads.weight.abs().max() <= 1 / np.sqrt(6)


def test_heads_fused_unless_a_head_needs_its_own_parameters():
    X, Y, tasks = car_data(n=40)
    assert isinstance(small(tasks=tasks, max_epochs=1).fit(X, Y).net_.module_.heads, LinearHeads)
    for params in ({"head_lr": {"color": 1e-3}}, {"head_hidden": {"color": (4,)}}):
        module = small(tasks=tasks, max_epochs=1, **params).fit(X, Y).net_.module_
        assert isinstance(module.heads, torch.nn.ModuleList) and len(module.heads) == 3


def test_batch_callbacks_still_see_every_batch_and_gradient():
    """Batch events go only to callbacks that implement them, and those get them all."""
    from skorch.callbacks import GradientNormClipping

    class Counter(Callback):
        def initialize(self):
            self.begin = self.end = self.grads = 0
            return self

        def on_batch_begin(self, net, **kwargs):
            self.begin += 1

        def on_batch_end(self, net, **kwargs):
            self.end += 1

        def on_grad_computed(self, net, named_parameters, **kwargs):
            self.grads += sum(1 for _ in named_parameters) > 0

    X, Y, tasks = car_data(n=50)
    clf = small(tasks=tasks, batch_size=16, max_epochs=2,
                callbacks=[("count", Counter()), GradientNormClipping(1e-3)]).fit(X, Y)
    counter = dict(clf.net_.callbacks_)["count"]
    assert counter.begin == counter.end == counter.grads == 2 * 4
    batches = clf.history_[-1, "batches"]
    assert [b["train_batch_size"] for b in batches] == [16, 16, 16, 2]
    assert all(len(b["train_task_losses"]) == 3 and "train_loss" in b for b in batches)
    # Clipping at 1e-3 really ran: the weights barely moved from their initialisation.
    clipped = clone(clf).set_params(callbacks=None).fit(X, Y)
    assert not np.allclose(clf.predict_proba(X)[0], clipped.predict_proba(X)[0])


def test_partial_fit_is_one_pass_per_batch():
    X, Y, tasks = car_data()
    params = dict(batch_size=32)
    clf = small(tasks=tasks, **params)
    clf.partial_fit(X[:80], Y[:80])
    # the first call is fit() for one epoch, with the same seeds
    ref = small(tasks=tasks, max_epochs=1, **params).fit(X[:80], Y[:80])
    for p, q in zip(clf.predict_proba(X), ref.predict_proba(X), strict=True):
        np.testing.assert_array_equal(p, q)
    net = clf.net_
    clf.partial_fit(X[80:150], Y[80:150])  # another batch size: training simply continues
    clf.partial_fit(X[150:], Y[150:])
    assert clf.net_ is net and len(clf.history_) == 3
    assert clf.max_epochs == 5 and clf.warm_start is False  # parameters as given
    assert clf.history_[-1, "train_batch_count"] == 2  # one pass over the 50 samples
    # the recipe's preprocessing: fitted on the first batch, kept for the later ones
    scaled = small(tasks=tasks, preprocessing="auto").partial_fit(X[:80], Y[:80])
    first = scaled.preprocessor_
    scaled.partial_fit(X[80:] * 100, Y[80:])
    assert scaled.preprocessor_ is first


def test_partial_fit_classes_complete_the_first_batch():
    X, Y, _ = car_data()
    clf = small()
    first = Y[["car"]].iloc[:10].assign(car="no")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a single class in one batch is no cause to warn
        clf.partial_fit(X[:10], first, classes=[["no", "yes"]])
    assert list(clf.classes_[0]) == ["no", "yes"] and clf.tasks is None
    clf.partial_fit(X[10:], Y[["car"]].iloc[10:])  # "yes" is known from classes
    assert clf.predict_proba(X, task="car").shape == (len(X), 2)
    with pytest.raises(ValueError, match="only when tasks and encoder are None"):
        small(tasks=[Task("car")]).partial_fit(X[:10], first, classes=[["no", "yes"]])
    # later calls may repeat the classes, in any order; other classes are refused, as
    # scikit-learn's partial_fit refuses them (they were ignored)
    clf.partial_fit(X[:10], first, classes=[["yes", "no"]])
    with pytest.raises(ValueError, match=r"classes=\['maybe', 'no', 'yes'\] for task 'car' "
                                         r"is not the same as on the first call to "
                                         r"partial_fit, was: \['no', 'yes'\]"):
        clf.partial_fit(X[:10], first, classes={"car": ["no", "yes", "maybe"]})
    declared = small(tasks=[Task("car", classes=["yes", "no"])]).partial_fit(X[:10], first)
    declared.partial_fit(X[:10], first, classes=[["yes", "no"]])  # the declared order


def test_a_class_new_to_a_continued_fit_says_how_to_declare_it():
    # warm_start and partial_fit keep the first fit's classes, as MLPClassifier's do.
    X = np.random.RandomState(0).normal(size=(30, 3)).astype(np.float32)
    Y = pd.DataFrame({"a": ["x", "y", "z"] * 10})
    for continued in ("warm_start", "partial_fit"):
        clf = small(warm_start=continued == "warm_start")
        method = getattr(clf, "partial_fit" if continued == "partial_fit" else "fit")
        method(X[:20][Y["a"][:20] != "z"], Y[:20][Y["a"][:20] != "z"])
        with pytest.raises(ValueError, match=r"label 'z' .* not among its classes "
                                             r"\['x', 'y'\]\. A fit that continues "
                                             r"\(warm_start=True, partial_fit\) trains the "
                                             r"classes of the first one"):
            method(X, Y)


def test_quiet_fit_does_not_format_the_log(monkeypatch):
    """With ``verbose=0`` and skorch's ``print`` sink nothing is printed, and the epoch's
    table is not even formatted; a sink of the user's still gets every line."""
    from sklearn_mtl.neural._net import TaskPrintLog

    X = np.random.RandomState(0).normal(size=(24, 3)).astype(np.float32)
    Y = pd.DataFrame({"a": np.where(X[:, 0] > 0, "x", "y")})
    tables = []
    real = TaskPrintLog.table
    monkeypatch.setattr(TaskPrintLog, "table",
                        lambda self, row: tables.append(1) or real(self, row))
    out = io.StringIO()
    with redirect_stdout(out):
        clf = MultiTaskClassifier(hidden_layer_sizes=(4,), max_epochs=3, random_state=0)
        clf.fit(X, Y)
    assert out.getvalue() == "" and tables == []
    lines = []
    log = TaskPrintLog(["a"], sink=lines.append).initialize()
    for _ in range(2):
        log.on_epoch_end(clf.net_)  # verbose=0
    assert len(tables) == 2 and len(lines) == 2 + 2  # the header, its rule, two epochs


def test_verbose_columns_follow_task_order():
    """skorch sorts its log columns alphabetically; per-task ones follow the tasks."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(24, 3)).astype(np.float32)
    Y = pd.DataFrame({"zeta": np.where(X[:, 0] > 0, "a", "b"),
                      "alpha": np.where(X[:, 1] > 0, "c", "d"),
                      "mid": np.where(X[:, 2] > 0, "e", "f")})
    out = io.StringIO()
    with redirect_stdout(out):
        MultiTaskClassifier(hidden_layer_sizes=(4,), max_epochs=1, verbose=1,
                            random_state=0).fit(X, Y)
    header = next(line for line in out.getvalue().splitlines() if "epoch" in line).split()
    losses = [c for c in header if c.startswith("train_loss_")]
    weights = [c for c in header if c.startswith("weight_")]
    assert losses == ["train_loss_zeta", "train_loss_alpha", "train_loss_mid"]
    assert weights in ([], ["weight_zeta", "weight_alpha", "weight_mid"])
    assert header[0] == "epoch" and header[-1] == "dur"


def test_text_in_an_array_says_to_pass_a_frame():
    # A ColumnTransformer's "passthrough" columns come out as an object array: the
    # recipe one-hot encodes text columns of a DataFrame, and the error says how.
    X = pd.DataFrame({"mass": [3.1, 4.2, 5.0, 3.9], "island": ["a", "b", "a", "b"]})
    y = np.array(["x", "y", "x", "y"])
    clf = MultiTaskClassifier(hidden_layer_sizes=(4,), ensemble_size=1, max_epochs=1)
    with pytest.raises(ValueError, match=r"(?s)column 1 holds 'a'.*array holding text.*"
                                         r"set_output\(transform='pandas'\)"):
        clf.fit(X.to_numpy(dtype=object), y)
    clf.fit(X, y)  # the frame itself is read


def test_callbacks_that_are_none_or_score_missing_validation_data_are_refused():
    from skorch.callbacks import EpochScoring

    X = np.random.RandomState(0).normal(size=(40, 3))
    y = np.array(["a", "b"] * 20)

    def small(**params):
        return MultiTaskClassifier(hidden_layer_sizes=(4,), ensemble_size=1, max_epochs=1,
                                   **params)

    with pytest.raises(ValueError, match=r"callbacks\[1\] is <object object at .*>; expected "
                                         r"a skorch Callback"):
        small(callbacks=[EpochScoring(lambda net, X, y: 0.0, on_train=True), object()]).fit(X, y)
    valid_only = EpochScoring(lambda net, X, y: 0.0, name="mine")
    with pytest.raises(ValueError, match="'EpochScoring' scores the validation data "
                                         r"\(on_train=False\), which this fit has none of"):
        small(callbacks=[valid_only]).fit(X, y)
    fitted = small(callbacks=[valid_only], early_stopping=True).fit(X, y)
    assert "mine" in fitted.history_[-1]
    trained = small(callbacks=[EpochScoring(lambda net, X, y: 0.0, name="t", on_train=True)])
    assert "t" in trained.fit(X, y).history_[-1]


def test_a_dataset_of_no_sample_is_refused_as_an_array_of_no_row_is():
    from torch.utils.data import TensorDataset

    X = np.random.RandomState(0).normal(size=(20, 3)).astype(np.float32)
    y = np.array(["a", "b"] * 10)
    clf = MultiTaskClassifier(hidden_layer_sizes=(4,), ensemble_size=1, max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="0 sample"):
        clf.predict(X[:0])
    with pytest.raises(ValueError, match="Found a Dataset with 0 sample"):
        clf.predict(TensorDataset(torch.from_numpy(X[:0])))
    # a DataFrame with text, read by the recipe as a frame: the same words as an array's
    frame = pd.DataFrame({"a": X[:, 0], "s": y})
    clf.fit(frame, y)
    for rows in (frame[:0], frame.assign(s=frame["s"].astype("category"))[:0]):
        with pytest.raises(ValueError, match=r"Found array with 0 sample\(s\) \(shape=\(0, 2\)\) "
                                             r"while a minimum of 1 is required by "
                                             r"MultiTaskClassifier\."):
            clf.predict(rows)


def test_a_dataset_of_other_features_or_channels_is_refused_at_predict():
    """A Dataset is checked at predict as an array is (it reached the network, whose
    matrix product or convolution raised a RuntimeError of torch)."""
    from torch.utils.data import TensorDataset

    rng = np.random.RandomState(0)
    X = rng.normal(size=(20, 3)).astype(np.float32)
    y = np.array(["a", "b"] * 10)
    # fitted on a Dataset: one fitted on a table refuses any Dataset (its preprocessing)
    clf = MultiTaskClassifier(hidden_layer_sizes=(4,), ensemble_size=1, max_epochs=1).fit(
        TensorDataset(torch.from_numpy(X)), y)
    with pytest.raises(ValueError, match="samples have 2 features .* expecting 3 features"):
        clf.predict(TensorDataset(torch.from_numpy(X[:, :2])))
    images = rng.rand(12, 3, 8, 8).astype(np.float32)
    conv = MultiTaskClassifier(trunk="conv2d", max_epochs=1, random_state=0)
    conv.fit(images, np.array(["a", "b"] * 6))
    with pytest.raises(ValueError, match=r"samples have 1 channels \(shape \(1, 8, 8\)\), but "
                                         "MultiTaskClassifier is expecting 3 channels"):
        conv.predict(TensorDataset(torch.from_numpy(images[:, :1])))
    assert conv.predict(TensorDataset(torch.from_numpy(images))).shape == (12,)


def test_a_task_named_best_is_refused_naming_the_history_keys():
    """Its losses would be recorded as train_loss_best and valid_loss_best, skorch's
    flags of a new best epoch (they were written over with the task's loss)."""
    X = np.random.RandomState(0).normal(size=(20, 3)).astype(np.float32)
    Y = pd.DataFrame({"best": ["a", "b"] * 10, "other": ["c", "d"] * 10})
    clf = MultiTaskClassifier(hidden_layer_sizes=(4,), ensemble_size=1, max_epochs=1)
    with pytest.raises(ValueError, match="task named 'best' would write over skorch's"):
        clf.fit(X, Y)
    clf.fit(X, Y.rename(columns={"best": "best_"}))
    assert isinstance(clf.history_[-1]["train_loss_best"], bool)


def test_early_stopping_restores_its_best_weights_in_place_of_the_ensembles_epoch():
    """Asked for, early stopping chooses the epoch: its best validation weights are the
    ones kept (the ensemble's held-out epoch selection restored its own over them)."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 4)).astype(np.float32)
    y = np.where(X[:, 0] + 0.5 * rng.normal(size=200) > 0, "a", "b")
    clf = MultiTaskClassifier(ensemble_size=3, early_stopping=True, patience=50,
                              max_epochs=25, lr=3e-2, hidden_layer_sizes=(16,),
                              random_state=0).fit(X, y)
    best = dict(clf.net_.callbacks_)["early_stopping"].best_model_weights_
    for name, value in clf.net_.module_.state_dict().items():
        torch.testing.assert_close(value, best[name])
    losses = clf.history_[:, "valid_loss"]
    assert np.argmin(losses) < len(losses) - 1  # the restored epoch is not the last
    assert "member_best_epochs" not in clf.history_[-1]


def _dependent_tasks(n, seed):
    """Two tasks that agree where x0 > 0 and disagree elsewhere, each a coin flip alone:
    the default model keeps its combination probe (``combination_weight_`` above 0)."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 4))
    a = rng.randint(0, 2, size=n)
    return X, pd.DataFrame({"a": a, "b": np.where(X[:, 0] > 0, a, 1 - a)})


def test_decode_set_after_fit_decodes_as_it_says_where_fit_kept_the_probe():
    """The probe decodes decode="auto" only, as fit chose it: an explicit decode set
    after fit is used exactly (it decoded with the probe whatever decode said)."""
    from sklearn_mtl import JointDecoder
    from sklearn_mtl._decoding import decode

    X, Y = _dependent_tasks(400, 0)
    X_test, _ = _dependent_tasks(200, 1)
    clf = MultiTaskClassifier(hidden_layer_sizes=(32,), max_epochs=20, random_state=0).fit(X, Y)
    assert clf.combination_weight_ > 0
    probed = clf.predict(X_test)
    proba = clf.predict_proba(X_test)
    own = pd.DataFrame({name: p.argmax(1) for name, p in zip(Y.columns, proba)})
    assert (probed.to_numpy() != own.to_numpy()).any()  # the test can fail
    independent = clf.set_params(decode="independent").predict(X_test)
    np.testing.assert_array_equal(independent.to_numpy(), own.to_numpy())
    forbidden = JointDecoder(forbidden=[(("a", 1), ("b", 0))])
    for decoder in ("joint", JointDecoder(allowed="observed"), forbidden):
        expected = decode(proba, clf.schema_, method=decoder,
                          observed=clf.observed_combinations_).codes
        got = clf.set_params(decode=decoder).predict_encoded(X_test).codes
        np.testing.assert_array_equal(got, expected)
    assert not ((got[:, 0] == 1) & (got[:, 1] == 0)).any()  # the forbidden pair
    for a, b in zip(clf.predict_proba(X_test), proba):  # the network's either way
        np.testing.assert_array_equal(a, b)
    pd.testing.assert_frame_equal(clf.set_params(decode="auto").predict(X_test), probed)


def test_a_dataset_is_refused_where_fit_preprocessed_a_table():
    """A Dataset's items reach the network as they are; a model fitted on a table reads
    rows through its fitted preprocessing, which a Dataset skipped (other predictions
    than the same rows as an array, or a shape error in torch)."""
    from torch.utils.data import TensorDataset

    rng = np.random.RandomState(0)
    X = (rng.normal(size=(60, 4)) * 100 + 50).astype(np.float32)  # the recipe scales it
    y = np.where(X[:, 0] > 50, "a", "b")
    rows = TensorDataset(torch.from_numpy(X))
    clf = small(max_epochs=2, preprocessing="auto").fit(X, y)
    assert clf.preprocessor_ is not None
    refused = (r"^X is a torch Dataset \(TensorDataset\), but this MultiTaskClassifier "
               r"was fitted on a table with preprocessing \(preprocessor_\).*Pass the "
               r"table instead")
    for method in (clf.predict, clf.predict_proba, clf.predict_encoded):
        with pytest.raises(ValueError, match=refused):
            method(rows)
    with pytest.raises(ValueError, match=refused):  # nor continues training on one
        clone(clf).set_params(warm_start=True).fit(X, y).fit(rows, y)
    gaps = X.copy()
    gaps[::5, 0] = np.nan  # the preprocessing adds an indicator column
    with pytest.raises(ValueError, match=refused):
        small(max_epochs=1, preprocessing="auto").fit(gaps, y).predict(rows)
    # fitted on a Dataset (or without preprocessing): Datasets are read as at fit
    for lazy in (small(max_epochs=2, preprocessing="auto").fit(rows, y),
                 small(max_epochs=2, preprocessing=None).fit(X, y)):
        assert lazy.preprocessor_ is None
        np.testing.assert_array_equal(lazy.predict_proba(rows), lazy.predict_proba(X))


@pytest.mark.parametrize("ensemble_size", [1, 3])
def test_skorch_inference_api_of_the_fitted_net(ensemble_size):
    """net_.forward, forward_iter and predict_proba (skorch's, y=None) run and agree
    with infer and the estimator's probabilities (the batcher sliced y when None); an
    ensemble's outputs, its members stacked, are joined member by member."""
    import scipy.sparse as sp

    from sklearn_mtl.neural._ensemble import member_mean

    X, Y, tasks = car_data(n=60)
    clf = MultiTaskClassifier(tasks=tasks, hidden_layer_sizes=(8,), ensemble_size=ensemble_size,
                              max_epochs=2, batch_size=16, random_state=0).fit(X, Y)
    net, k = clf.net_, ensemble_size
    Xt = torch.from_numpy(clf.preprocessor_.transform(X).astype(np.float32))
    out = net.forward(Xt)  # four batches of 16 rows
    assert len(out) == len(tasks) and all(o.shape == (k * 60, 1) for o in out)
    net.module_.eval()
    with torch.no_grad():
        whole = net.infer(Xt)
    for got, want in zip(out, whole):
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)
    batches = list(net.forward_iter(Xt))
    assert len(batches) == 4
    with torch.no_grad():
        for i, batch in enumerate(batches):
            for got, want in zip(batch, net.infer(Xt[16 * i : 16 * (i + 1)])):
                torch.testing.assert_close(got, want)
    for other in (Xt.numpy(), sp.csr_matrix(Xt.numpy())):  # the sparse batcher too
        for got, want in zip(net.forward(other), out):
            torch.testing.assert_close(got, want)
    np.testing.assert_array_equal(net.predict_proba(Xt), out[0].numpy())  # its first output
    car = clf.predict_proba(X, task="car")[:, 1]
    np.testing.assert_allclose(car, torch.sigmoid(member_mean(out[0], k))[:, 0].numpy(),
                               rtol=1e-5, atol=1e-6)


def test_a_callback_given_as_its_class_keeps_get_and_set_params():
    """fit builds a callback class with its defaults (as skorch does); get_params lists
    no parameters of it (skorch's before it builds its callbacks), setting one builds it
    first (get_params called the class's unbound get_params)."""
    X, Y, tasks = car_data(n=60)
    clf = small(tasks=tasks, max_epochs=1, callbacks=[GradientNormClipping])
    params = clf.get_params()
    assert params["callbacks"] == [GradientNormClipping]
    assert not [key for key in params if key.startswith("callbacks__")]
    assert clone(clf).callbacks == [GradientNormClipping]
    assert clf.set_params(lr=0.02).lr == 0.02
    search = GridSearchCV(clf, {"lr": [1e-3, 1e-2]}, cv=KFold(2)).fit(X, Y)
    assert search.best_estimator_.callbacks == [GradientNormClipping]
    assert "GradientNormClipping" in dict(search.best_estimator_.net_.callbacks_)
    clf.set_params(callbacks__GradientNormClipping__gradient_clip_value=0.5)
    built = clf.callbacks[0]
    assert isinstance(built, GradientNormClipping) and built.gradient_clip_value == 0.5
    assert clf.get_params()["callbacks__GradientNormClipping__gradient_clip_value"] == 0.5
    named = small(callbacks=[("clip", GradientNormClipping)])
    named.set_params(callbacks__clip__gradient_clip_value=2.0)
    assert named.callbacks[0][0] == "clip" and named.callbacks[0][1].gradient_clip_value == 2.0


def test_a_member_holdout_given_as_its_class_replaces_the_recipes():
    # callbacks=[MemberHoldout] (a class, built at fit) replaces the recipe's own epoch
    # selection, as an instance does: one MemberHoldout, not two
    from sklearn_mtl.neural import MemberHoldout

    X, Y, _ = car_data(80)
    clf = MultiTaskClassifier(max_epochs=3, ensemble_size=2, callbacks=[MemberHoldout],
                              random_state=0).fit(X, Y)
    held = [name for name, cb in clf.net_.callbacks_ if isinstance(cb, MemberHoldout)]
    assert held == ["MemberHoldout"]


def test_a_refused_warm_start_leaves_the_regression_outputs_in_their_units():
    # The refusal of a warm fit's validation data left the outputs in standardised units:
    # every predict after it gave z-scores, not prices.
    X, Y, tasks = regression_data(unit=1000.0)
    model = small(tasks=tasks, max_epochs=5, warm_start=True, early_stopping=True).fit(X, Y)
    before = model.predict_proba(X, task="mass")
    with pytest.raises(ValueError):
        model.fit(X, Y, X_val=X[:10], y_val=Y.iloc[:9])
    np.testing.assert_array_equal(model.predict_proba(X, task="mass"), before)


def test_score_of_regression_tasks_only_names_the_scorer_to_use():
    X, Y, tasks = regression_data()
    model = small(tasks=tasks[1:], max_epochs=2).fit(X, Y[["mass"]])
    with pytest.raises(ValueError, match=r"regression tasks only \(\['mass'\]\).*"
                                         r"make_task_scorer\('r2'"):
        model.score(X, Y[["mass"]])


def test_a_row_built_from_a_dict_with_pandas_gaps_reads_them_as_gaps():
    # pd.DataFrame([{"a": 0.3, "b": pd.NA}]) has an object column: a model fitted on
    # numbers read its pd.NA as missing (NaN), where scikit-learn's validation failed
    rng = np.random.RandomState(0)
    X = pd.DataFrame(rng.normal(size=(80, 2)), columns=["a", "b"])
    y = (X["a"] > 0).astype(int)
    model = MultiTaskClassifier(max_epochs=2, ensemble_size=1, random_state=0).fit(X, y)
    expected = model.predict_proba(pd.DataFrame({"a": [0.3, 0.1], "b": [np.nan, 0.5]}))
    for gap in (pd.NA, None, pd.NaT):
        rows = pd.DataFrame([{"a": 0.3, "b": gap}, {"a": 0.1, "b": 0.5}])
        before = rows.copy()
        np.testing.assert_array_equal(model.predict_proba(rows), expected)
        pd.testing.assert_frame_equal(rows, before)  # not modified


def test_partial_fit_first_batch_may_lack_a_declared_task():
    # A stream's first batch may carry no label of a task (a source that annotates it
    # later): with its classes given, the network is built and that task's head waits
    # for labels, as a later batch without them is already taken.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3))
    Y = pd.DataFrame({"a": np.arange(40) % 2,
                      "b": np.where(X[:, 0] > 0, "x", "y").astype(object)})
    first = Y.iloc[:20].assign(b=None)
    clf = small(max_epochs=1)
    with pytest.warns(UserWarning, match="Task 'b' has no annotated, applicable label in "
                                         "the first partial_fit batch"):
        clf.partial_fit(X[:20], first, classes=[[0, 1], ["x", "y"]])
    assert [list(c) for c in clf.classes_] == [[0, 1], ["x", "y"]]
    proba = clf.predict_proba(X)
    assert all(np.isfinite(p).all() and np.allclose(p.sum(axis=1), 1) for p in proba)
    clf.partial_fit(X[20:], Y.iloc[20:])
    assert set(clf.predict(X)["b"]) <= {"x", "y"}
    # without classes, the task's classes are unknown: still refused, naming it
    with pytest.raises(ValueError, match="Task 'b' has no labels"):
        small().partial_fit(X[:20], first)


def test_partial_fit_classes_with_declared_tasks_names_the_tasks_to_complete():
    # A regression task is declared with tasks=, which then is the schema: classes= cannot
    # complete it. The refusal said the tasks "already declare the classes" where they
    # did not; it names those that lack them, and how to declare them.
    X, Y, tasks = regression_data(n=20)
    clf = small(tasks=tasks, max_epochs=1)
    with pytest.raises(ValueError, match=r"tasks is set, so declare every task's classes "
                                         r"there \(tasks=\[Task\(name, classes=\[\.\.\.\]\), "
                                         r"\.\.\.\]\) and call partial_fit without classes; "
                                         r"no classes are declared for \['kind'\]\."):
        clf.partial_fit(X, Y, classes={"kind": ["a", "b"], "mass": []})
    declared = [Task("kind", classes=["a", "b"]), tasks[1]]
    first = Y.iloc[:5].assign(kind="a")  # a first batch of one class: declared, it trains
    small(tasks=declared, max_epochs=1).partial_fit(X[:5], first).partial_fit(X[5:], Y[5:])


def test_task_without_a_validation_label_has_no_valid_loss():
    # A task that the validation data never label recorded valid_loss_<task> = 0.0 each
    # epoch, printed as 0.0000 (a perfect score); it is left out, as valid_acc_<task>
    # is, and valid_loss keeps its 0. The table, the plots and a monitor read it so.
    import matplotlib

    matplotlib.use("Agg")
    from sklearn_mtl.plotting import plot_training_curves

    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 4)).astype(np.float32)
    Y = pd.DataFrame({"a": np.where(X[:, 0] > 0, "p", "q"),
                      "b": np.where(X[:, 1] > 0, "u", "v")})
    Xv = rng.normal(size=(20, 4)).astype(np.float32)
    Yv = pd.DataFrame({"a": np.where(Xv[:, 0] > 0, "p", "q"), "b": [None] * 20})
    out = io.StringIO()
    with redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = small(max_epochs=3, early_stopping=True, verbose=1).fit(
            X, Y, X_val=Xv, y_val=Yv)
    for row in clf.history_:
        assert "valid_loss_b" not in row and "valid_acc_b" not in row
        assert row["valid_loss_a"] > 0 and "train_loss_b" in row
        assert row["valid_loss"] == pytest.approx(row["valid_loss_a"], rel=1e-6)
    header = out.getvalue().splitlines()[0].split()
    assert "valid_loss_a" in header and "valid_loss_b" not in header
    fig = plot_training_curves(clf)
    assert [line.get_label() for line in fig.axes[1].lines] == [
        "a (train)", "a (valid)", "b (train)"]
    # a weight of 0 on every label of b in the validation data: not scored either
    weights = np.where(np.arange(20) < 10, 0.0, 1.0)
    Yv2 = Yv.assign(b=np.where(np.arange(20) < 10, "u", None))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = small(max_epochs=1, early_stopping=True).fit(
            X, Y, X_val=Xv, y_val=Yv2, sample_weight_val=weights)
    assert "valid_loss_b" not in clf.history_[-1] and "valid_loss_a" in clf.history_[-1]
    # a monitor of the absent score is refused by name, not skorch's KeyError
    stop = EarlyStopping(monitor="valid_loss_b", patience=2)
    with pytest.raises(ValueError, match="Callback 'EarlyStopping' monitors 'valid_loss_b', "
                                         "but the validation data hold no label of task 'b'"):
        small(max_epochs=2, early_stopping=True, callbacks=[stop]).fit(
            X, Y, X_val=Xv, y_val=Yv)


def test_partial_fit_warns_that_it_keeps_the_parameters_set_since():
    # partial_fit trains the network, its loss and its optimizer on as they were built
    # (as MLPClassifier.partial_fit keeps its optimizer): a new lr set in between was
    # ignored in silence, where skorch's set_params(lr=...) would apply it
    X, Y, _ = car_data(n=40)
    clf = small(max_epochs=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # nothing changed: no warning
        clf.partial_fit(X, Y).partial_fit(X, Y)
    clf.set_params(lr=0.5, class_weight="balanced")
    with pytest.warns(UserWarning, match=r"^class_weight, lr changed since the network was "
                                         r"fitted; partial_fit trains the network, its loss "
                                         r"and its optimizer on as they are \(it trains at "
                                         r"lr=0.01\)") as record:
        clf.partial_fit(X, Y)
    assert record[0].filename == __file__  # the user's call
    assert [g["lr"] for g in clf.net_.optimizer_.param_groups] == [0.01]
    clf.set_params(warm_start=True).fit(X, Y)  # a warm start applies them
    assert [g["lr"] for g in clf.net_.optimizer_.param_groups] == [0.5]
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        clf.partial_fit(X, Y)


def test_a_user_callback_restoring_weights_wins_over_the_ensembles_epoch():
    # EarlyStopping(load_best=True) among the callbacks restored its own epoch after the
    # ensemble's MemberHoldout had restored another, so the weights were the user's epoch
    # while member_best_epochs and the printed line named the ensemble's. The explicit
    # setting wins: MemberHoldout leaves the weights to it and records its epoch.
    import copy

    class Snapshots(Callback):
        def initialize(self):
            self.states = {}
            return self

        def on_epoch_end(self, net, **kwargs):
            self.states[len(net.history)] = copy.deepcopy(net.module_.state_dict())

    def epochs_of(clf):
        final = clf.net_.module_.state_dict()
        states = dict(clf.net_.callbacks_)["snap"].states
        return [e for e, s in states.items() if all(torch.equal(final[k], s[k]) for k in s)]

    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 4)).astype(np.float32)
    Y = pd.DataFrame({"a": np.where(X[:, 0] + 0.5 * rng.normal(size=80) > 0, "p", "q"),
                      "b": np.where(X[:, 1] > 0, "u", "v")})
    # the highest train_loss is epoch 1's: the ensemble's held-out score picks a later one
    stop = EarlyStopping(monitor="train_loss", lower_is_better=False, load_best=True,
                         patience=100)
    clf = MultiTaskClassifier(max_epochs=6, hidden_layer_sizes=(8,), random_state=0,
                              callbacks=[("snap", Snapshots()), ("es", stop)], verbose=1)
    out = io.StringIO()
    with redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, Y)
    k = clf.net_.module_.n_members
    assert k > 1 and epochs_of(clf) == [1]
    assert clf.history_[-1, "member_best_epochs"] == [1] * k
    assert clf.history_[-1, "member_restored_by"] == "es"
    assert "The members keep the weights that callback 'es' restores (epoch 1)" in out.getvalue()
    assert "Restored the" not in out.getvalue()
    # without load_best, the ensemble's own epoch is restored, and recorded
    stop = EarlyStopping(monitor="train_loss", lower_is_better=False, patience=100)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = MultiTaskClassifier(max_epochs=6, hidden_layer_sizes=(8,), random_state=0,
                                  callbacks=[("snap", Snapshots()), ("es", stop)]).fit(X, Y)
    best = clf.history_[-1, "member_best_epochs"]
    assert len(set(best)) == 1 and best[0] > 1 and epochs_of(clf) == [best[0]]
    assert "member_restored_by" not in clf.history_[-1]


def _single_class_data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    Y = pd.DataFrame({"a": np.where(X[:, 0] > 0, "p", "q"), "b": ["u"] * 40})
    return X, Y, [Task("a", classes=["p", "q"]), Task("b", classes=["u", "v"])]


def test_single_class_warns_in_fit_not_in_a_partial_fit_batch():
    X, Y, tasks = _single_class_data()
    with pytest.warns(UserWarning, match="Task 'b' has a single class 'u'"):
        small(tasks=tasks, max_epochs=1).fit(X, Y)
    # one batch may well show a single class: no warning, first batch or later ones
    clf = small(tasks=tasks)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf.partial_fit(X[:20], Y[:20])
        clf.partial_fit(X[20:], Y[20:])
    assert not [w for w in caught if "has a single class" in str(w.message)]
    assert len(clf.history_) == 2


def test_partial_fit_leaves_the_warning_filters_alone(monkeypatch):
    # the process's warning filters are not swapped while a batch trains (a fit in
    # another thread would see, or restore, them: see sklearn_mtl/_warnings.py)
    X, Y, tasks = _single_class_data()
    seen = []
    check = multitask.MultiTaskClassifier._check_fit_inputs

    def recording(self, *args, **kwargs):
        seen.append(list(warnings.filters))
        return check(self, *args, **kwargs)

    monkeypatch.setattr(multitask.MultiTaskClassifier, "_check_fit_inputs", recording)
    before = list(warnings.filters)
    small(tasks=tasks).partial_fit(X[:20], Y[:20])
    assert seen == [before]
    assert list(warnings.filters) == before


def test_printed_log_is_set_as_in_skorch(tmp_path):
    # skorch's set_params(callbacks__print_log__keys_ignored=...) reaches the default log;
    # here it was refused ("no callback has the name 'print_log'"), and a callback named
    # "print_log" failed as a "duplicate user-set callback name": the wide per-task log
    # could not be trimmed at all
    from skorch.callbacks import PrintLog

    def printed(clf, *args):
        out = io.StringIO()
        with redirect_stdout(out):
            clf.fit(*args)
        return out.getvalue()

    X, Y, tasks = car_data(n=60)
    weights = ["weight_car", "weight_color", "weight_driver"]
    clf = small(tasks=tasks, max_epochs=2, verbose=1)
    clf.set_params(callbacks__print_log__keys_ignored=weights)
    assert clf.get_params()["callbacks__print_log__keys_ignored"] == weights
    for log in (printed(clf, X, Y), printed(clone(clf), X, Y)):
        header = log.splitlines()[0].split()
        assert header == ["epoch", "train_loss", "train_loss_car", "train_loss_color",
                          "train_loss_driver", "dur"]
        assert len(log.splitlines()) == 4  # one table: header, rule, two epochs
    # a callback named "print_log" replaces the default log, as skorch's set_params does
    own = small(tasks=tasks, max_epochs=1, verbose=1,
                callbacks=[("print_log", PrintLog(keys_ignored=["dur", *weights]))])
    assert printed(own, X, Y).splitlines()[0].split() == [
        "epoch", "train_loss", "train_loss_car", "train_loss_color", "train_loss_driver"]
    # a warm start prints with the log set since; a saved model keeps its log
    warm = small(tasks=tasks, max_epochs=1, verbose=1, warm_start=True)
    assert "weight_car" in printed(warm, X, Y)
    warm.set_params(callbacks__print_log__keys_ignored=["dur"])
    assert "dur" not in printed(warm, X, Y) and len(warm.history_) == 2
    save(warm, tmp_path / "log.mtl")
    loaded = load(tmp_path / "log.mtl")
    assert "dur" not in printed(loaded, X, Y).splitlines()[0].split()
    # quiet, the log prints nothing
    assert printed(clf.set_params(verbose=0), X, Y) == ""


@pytest.mark.parametrize("name, params, match", [
    ("early_stopping", {"early_stopping": True}, "that early_stopping=True adds"),
    ("member_holdout", {"ensemble_size": 2}, "that the ensemble adds"),
    ("lr_schedule", {"lr_schedule": "warmup_cosine"}, "that lr_schedule='warmup_cosine' adds"),
    ("train_loss", {}, r"one of the net's own callbacks, which record the history"),
])
def test_a_callback_named_as_the_recipes_own_is_refused_naming_it(name, params, match):
    # skorch said "Found duplicate user-set callback name 'early_stopping'", of a
    # callback the user had set once
    X, Y, tasks = car_data(n=60)
    refused = rf"callbacks holds a callback named {name!r}, the name of .*{match}.* Give " \
        "yours another name"
    clf = small(tasks=tasks, max_epochs=2, callbacks=[(name, GradientNormClipping(1.0))],
                **params)
    with pytest.raises(ValueError, match=refused):
        clf.fit(X, Y)
    # said first, before what is wrong with the callback itself (an EarlyStopping on
    # valid_loss, which no validation records: renamed, it is told of that)
    clf.set_params(callbacks=[(name, EarlyStopping())])
    with pytest.raises(ValueError, match=refused):
        clf.fit(X, Y)
    # where the recipe adds no callback of that name, the name is the user's
    if name == "early_stopping":
        stop = EarlyStopping(monitor="train_loss", patience=1, threshold=10.0)
        fitted = small(tasks=tasks, max_epochs=5, callbacks=[(name, stop)]).fit(X, Y)
        assert len(fitted.history_) == 2


def test_a_loaded_model_trains_on_with_the_best_scores_of_its_history(tmp_path):
    # the loaded net's train_loss and valid_loss scorings were built anew, their best
    # score infinite: the first epoch of a warm start was marked train_loss_best (and a
    # Checkpoint monitoring it saved it) however much worse it was; a pickled model kept
    # its best, and so does a loaded one now
    from skorch.callbacks import Checkpoint

    X, Y, tasks = car_data(n=60)
    checkpoint = Checkpoint(monitor="train_loss_best", dirname=str(tmp_path / "ck"),
                            f_optimizer=None, f_criterion=None, f_history=None)
    clf = small(tasks=tasks, max_epochs=3, lr=0.05, batch_size=8, warm_start=True,
                early_stopping=True, callbacks=[("ck", checkpoint)]).fit(X, Y)
    assert clf.history_[:, "train_loss_best"] == [True, True, True]
    save(clf, tmp_path / "m.mtl")
    models = [load(tmp_path / "m.mtl"), pickle.loads(pickle.dumps(clf))]
    for model in models:
        model.set_params(lr=10.0, max_epochs=1).fit(X, Y)  # a far worse epoch
        assert model.history_[-1, "train_loss"] > min(model.history_[:3, "train_loss"])
        assert model.history_[-1, "train_loss_best"] is False
        assert model.history_[-1, "event_cp"] is False
        best = min(model.history_[:3, "valid_loss"])
        assert model.history_[-1, "valid_loss_best"] is (model.history_[-1, "valid_loss"] < best)


@pytest.mark.parametrize("ensemble_size", [1, 2])
def test_the_net_pickles_while_it_trains_as_a_checkpoint_does(tmp_path, ensemble_size):
    # skorch's Checkpoint(f_pickle=...) pickles the net at an epoch's end: the lean
    # training step, a closure, failed it ("Can't pickle local object")
    from skorch.callbacks import Checkpoint

    X, Y, tasks = car_data(n=60)
    checkpoint = Checkpoint(monitor=None, f_pickle="net.pkl", f_params=None,
                            f_optimizer=None, f_criterion=None, f_history=None,
                            dirname=str(tmp_path))
    clf = small(tasks=tasks, max_epochs=2, ensemble_size=ensemble_size,
                callbacks=[("ck", checkpoint)]).fit(X, Y)
    with open(tmp_path / "net.pkl", "rb") as f:
        net = pickle.load(f)
    Xt = torch.from_numpy(X)
    for got, want in zip(net.forward(Xt), clf.net_.forward(Xt), strict=True):
        torch.testing.assert_close(got, want)
    assert len(net.history) == 2
    targets = clf._with_folds(clf._targets(clf.encoder_.transform(Y), None, 60),
                              ensemble_size)
    net.partial_fit(Xt, targets, epochs=1)  # the unpickled net trains on
    assert len(net.history) == 3


def test_optimizer_param_groups_as_in_skorch(tmp_path):
    # skorch's optimizer__param_groups was refused as "not parameters of AdamW"
    X, Y, tasks = car_data(n=60)
    clf = small(tasks=tasks, max_epochs=1, head_lr={"car": 0.5})
    clf.set_params(optimizer__param_groups=[("trunk.*", {"lr": 0.1, "weight_decay": 0.0})],
                   optimizer__weight_decay=0.3)
    groups = clf.fit(X, Y).net_.optimizer_.param_groups
    names = dict((id(p), n) for n, p in clf.net_.module_.named_parameters())
    got = [(g["lr"], g["weight_decay"], sorted(names[id(p)] for p in g["params"]))
           for g in groups]
    assert got == [
        (0.5, 0.3, ["heads.0.0.bias", "heads.0.0.weight"]),  # head_lr's first
        (0.1, 0.0, ["trunk.layers.0.bias", "trunk.layers.0.weight"]),
        (0.01, 0.3, ["heads.1.0.bias", "heads.1.0.weight", "heads.2.0.bias",
                     "heads.2.0.weight"]),
    ]
    loaded = load(save(clf, tmp_path / "m.mtl"))
    assert loaded.optimizer_params == clf.optimizer_params
    loaded.set_params(warm_start=True, optimizer__param_groups=[("trunk.*", {"lr": 0.2})])
    assert loaded.fit(X, Y).net_.optimizer_.param_groups[1]["lr"] == 0.2  # a new optimizer
    with pytest.raises(ValueError, match=r"optimizer_params\['param_groups'\] sets "
                                         r"\['momentum'\] for 'trunk\.\*', which are not "
                                         r"parameters of AdamW"):
        small(tasks=tasks, optimizer_params={"param_groups": [("trunk.*", {"momentum": 0.9})]}
              ).fit(X, Y)
    with pytest.raises(ValueError, match=r"expected skorch's list of \(name pattern, "):
        small(tasks=tasks, optimizer_params={"param_groups": {"trunk.*": {"lr": 0.1}}}
              ).fit(X, Y)


def test_one_row_given_as_a_series_of_text_and_numbers_is_refused_as_1d():
    # X.iloc[i] of a table with text: "could not convert string to float ... X is an
    # array holding text ... Pass X as a DataFrame", about text and not its shape
    X = pd.DataFrame({"x": np.arange(8.0), "shop": list("abab" * 2)})
    clf = MultiTaskClassifier(hidden_layer_sizes=(4,), max_epochs=1,
                              random_state=0).fit(X, [0, 1] * 4)
    with pytest.raises(ValueError, match=r"Expected a 2-D table, got a 1-D Series of 2 "
                       r"values.*X.iloc\[\[i\]\] rather than X.iloc\[i\]"):
        clf.predict(X.iloc[0])
    np.testing.assert_array_equal(clf.predict(X.iloc[[0]]), clf.predict(X)[:1])


def test_the_values_of_a_fitted_table_as_an_array_are_read_by_position():
    # A model fitted on a DataFrame of text and dates refused X.to_numpy() ("X is an
    # array holding text ... Pass X as a DataFrame"), which scikit-learn's estimators
    # (a Pipeline with a OneHotEncoder, HistGradientBoostingClassifier) read by
    # position after warning that X has no feature names (a frame of integer names,
    # too, which the preprocessor warned of a second time).
    X = pd.DataFrame({"x": np.arange(8.0), "shop": list("abab" * 2),
                      "day": pd.date_range("2024-01-01", periods=8, tz="UTC")})
    clf = MultiTaskClassifier(hidden_layer_sizes=(4,), max_epochs=1,
                              random_state=0).fit(X, [0, 1] * 4)
    expected = clf.predict_proba(X)
    for values in (X.to_numpy(), X.to_numpy().tolist(), X.set_axis(range(3), axis=1)):
        with pytest.warns(UserWarning, match="does not have valid feature names") as seen:
            np.testing.assert_allclose(clf.predict_proba(values), expected, atol=1e-6)
        assert len(seen) == 1  # the model's, not its preprocessor's too
    with pytest.raises(ValueError, match="X has 2 features, but MultiTaskClassifier is "
                       "expecting 3"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.predict(X.to_numpy()[:, :2])


def test_an_array_of_no_row_of_a_fitted_tables_values_is_refused():
    # X.to_numpy()[:0] of a table of text, read by position, gave back no prediction
    # where an array of no row is refused in scikit-learn's words
    X = pd.DataFrame({"x": np.arange(8.0), "shop": list("abab" * 2)})
    clf = MultiTaskClassifier(hidden_layer_sizes=(4,), max_epochs=1,
                              random_state=0).fit(X, [0, 1] * 4)
    for values in (X.to_numpy()[:0], X.to_numpy().astype(str)[:0]):
        with pytest.raises(ValueError, match=r"Found array with 0 sample\(s\) \(shape=\(0, 2\)"
                                             r"\) while a minimum of 1 is required"):
            clf.predict(values)


def test_a_refit_on_a_dataset_forgets_the_feature_names_of_a_fit_on_a_frame():
    # a refit on a torch Dataset kept feature_names_in_ of a previous fit on a DataFrame,
    # as no other refit does: a table predicted then was checked against those names (a
    # frame of other names refused, an array warned that it had none)
    from torch.utils.data import TensorDataset

    X = np.random.RandomState(0).normal(size=(20, 3)).astype(np.float32)
    y = np.array(["a", "b"] * 10)
    clf = small(preprocessing=None, max_epochs=1).fit(pd.DataFrame(X, columns=list("pqr")), y)
    assert list(clf.feature_names_in_) == ["p", "q", "r"]
    clf.fit(TensorDataset(torch.from_numpy(X)), y)
    assert not hasattr(clf, "feature_names_in_") and clf.n_features_in_ == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        expected = clf.predict_proba(X)
    with pytest.warns(UserWarning, match="fitted without feature names"):
        got = clf.predict_proba(pd.DataFrame(X, columns=list("xyz")))
    np.testing.assert_array_equal(got, expected)


def test_a_warm_start_after_partial_fit_trains_the_recipes_epochs(monkeypatch):
    # max_epochs=None is the recipe's training length; after a first partial_fit, a
    # warm-start fit took partial_fit's one epoch for "the first fit's number" and
    # trained 1 epoch, where a first fit trains the recipe's (here 4: a short recipe)
    monkeypatch.setattr(multitask, "_EPOCH_RANGE", (4, 4))
    X = np.random.RandomState(0).normal(size=(40, 3)).astype(np.float32)
    y = np.where(X[:, 0] > 0, "a", "b")
    fitted = small(max_epochs=None, hidden_layer_sizes=(4,)).fit(X, y)
    assert len(fitted.history_) == 4
    clf = small(max_epochs=None, hidden_layer_sizes=(4,)).partial_fit(X, y)
    clf.partial_fit(X, y)
    assert len(clf.history_) == 2
    clf.set_params(warm_start=True).fit(X, y)
    assert len(clf.history_) == 2 + 4
    clf.set_params(max_epochs=3).fit(X, y)
    assert len(clf.history_) == 2 + 4 + 3


@pytest.mark.parametrize("early_stopping", [False, True])
def test_a_scoring_callback_without_caching_gets_the_targets_as_in_skorch(early_stopping):
    # skorch's EpochScoring(use_caching=False) reads X and y from the dataset skorch
    # makes of arrays; from this net's own it got y=None, which no score can use
    from skorch.callbacks import EpochScoring

    X = np.random.RandomState(0).normal(size=(40, 3)).astype(np.float32)
    y = np.where(X[:, 0] > 0, "b", "a")
    seen = []

    def accuracy(net, X, y):
        seen.append((X, y))
        logit = net.forward(X)[0][:, 0].numpy()  # the binary task's one logit
        return float(((logit > 0) == (y[:, 0] == 1)).mean())

    scoring = EpochScoring(accuracy, name="acc", lower_is_better=False, use_caching=False,
                           on_train=not early_stopping)
    clf = small(max_epochs=2, early_stopping=early_stopping, validation_fraction=0.25,
                callbacks=[scoring]).fit(X, y)
    assert len(seen) == 2 and all(Xs is not None and ys is not None for Xs, ys in seen)
    Xs, ys = seen[-1]
    assert ys.shape == (10 if early_stopping else 40, 2)  # the label and its weight
    rows = [np.flatnonzero((X == np.asarray(row)).all(1))[0] for row in np.asarray(Xs)]
    np.testing.assert_array_equal(ys[:, 0], (y[rows] == "b").astype(np.float32))
    assert clf.history_[-1, "acc"] == pytest.approx(
        np.mean(clf.predict(X[rows]) == y[rows]))


def test_a_warm_start_refuses_a_changed_preprocessing():
    # the network reads its inputs through preprocessor_, fitted by the first fit: a
    # warm start after set_params(preprocessing=...) kept it and ignored the new step
    X = np.random.RandomState(0).normal(size=(40, 3)).astype(np.float32) * 100
    y = np.where(X[:, 0] > 0, "a", "b")
    clf = small(preprocessing=StandardScaler(), max_epochs=1, warm_start=True).fit(X, y)
    clf.set_params(preprocessing=StandardScaler()).fit(X, y)  # the same step: trains on
    assert len(clf.history_) == 2
    for step, named in [(None, "None"), ("auto", "'auto'")]:
        with pytest.raises(ValueError, match=rf"but preprocessing \(fitted 'StandardScaler\(\)', "
                                             rf"now {named}\) changed"):
            clf.set_params(preprocessing=step).fit(X, y)
    assert len(clf.history_) == 2 and isinstance(clf.preprocessor_, StandardScaler)
    with pytest.warns(UserWarning, match="^preprocessing changed since the network was fitted"):
        clf.partial_fit(X, y)  # trains on as it is, through the fitted step
    assert len(clf.history_) == 3


def _shifted(X):
    return np.asarray(X, dtype=np.float32) + 1


def test_a_warm_start_takes_a_function_transformer_of_the_same_function_anew():
    # preprocessing is compared by its repr, which for FunctionTransformer(f) holds f's
    # memory address: a model saved and loaded in another process (or f's module
    # reloaded) gives the same function at another address, and its warm start was
    # refused as if the preprocessing had changed
    import types

    from sklearn.preprocessing import FunctionTransformer

    X = np.random.RandomState(0).normal(size=(40, 3)).astype(np.float32)
    y = np.where(X[:, 0] > 0, "a", "b")
    clf = small(preprocessing=FunctionTransformer(_shifted), max_epochs=1,
                warm_start=True).fit(X, y)
    anew = types.FunctionType(_shifted.__code__, _shifted.__globals__, _shifted.__name__)
    anew.__qualname__ = _shifted.__qualname__
    assert repr(FunctionTransformer(anew)) != repr(FunctionTransformer(_shifted))
    clf.set_params(preprocessing=FunctionTransformer(anew)).fit(X, y)
    assert len(clf.history_) == 2
    with pytest.raises(ValueError, match=r"but preprocessing \(fitted 'FunctionTransformer"):
        clf.set_params(preprocessing=FunctionTransformer(np.log1p)).fit(X, y)


def test_a_warm_start_refuses_changed_tasks_and_partial_fit_warns():
    # the heads are built for the first fit's schema: a warm start after
    # set_params(tasks=...) (new classes declared) trained the old schema, silently
    X = np.random.RandomState(0).normal(size=(40, 3)).astype(np.float32)
    Y = pd.DataFrame({"a": np.where(X[:, 0] > 0, "x", "y"), "b": np.arange(40) % 3})
    clf = small(max_epochs=1, warm_start=True).fit(X, Y)
    wider = [Task("a", classes=["x", "y", "z"]), Task("b")]
    with pytest.raises(ValueError, match=r"but tasks \(fitted None, now \[Task\('a', "
                                         r"classes=\['x', 'y', 'z'\]\), Task\('b'\)\]; the "
                                         r"heads are built for the fitted schema_\) changed"):
        clf.set_params(tasks=wider).fit(X, Y)
    assert len(clf.history_) == 1
    with pytest.warns(UserWarning, match="^tasks changed since the network was fitted"):
        clf.partial_fit(X, Y)
    assert [list(c) for c in clf.classes_] == [["x", "y"], [0, 1, 2]]
    # classes given to the first partial_fit are not a change of tasks
    streamed = small(max_epochs=1).partial_fit(X, Y, classes={"a": ["x", "y", "z"],
                                                              "b": [0, 1, 2]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        streamed.partial_fit(X, Y)
        streamed.set_params(warm_start=True).fit(X, Y)
    assert len(streamed.history_) == 3


@pytest.mark.parametrize("first", ["partial_fit", "constant"])
def test_a_torch_scheduler_set_after_training_at_a_constant_rate_resumes(first):
    # a network trained at a constant rate (partial_fit, lr_schedule="constant") had no
    # initial_lr in its optimizer's groups: an LRScheduler set then, resumed past epoch
    # 0, raised torch's KeyError "param 'initial_lr' is not specified in param_groups[0]"
    X = np.random.RandomState(0).normal(size=(40, 3)).astype(np.float32)
    y = np.where(X[:, 0] > 0, "a", "b")
    clf = small(max_epochs=1, lr=0.01)
    if first == "partial_fit":
        clf.partial_fit(X, y)
    else:
        clf.set_params(lr_schedule="constant", warm_start=True).fit(X, y)
    clf.set_params(callbacks=[("step", LRScheduler("StepLR", step_size=1, gamma=0.5))])
    getattr(clf, "partial_fit" if first == "partial_fit" else "fit")(X, y)
    assert len(clf.history_) == 2
    group = clf.net_.optimizer_.param_groups[0]
    assert group["initial_lr"] == 0.01 and group["lr"] == pytest.approx(0.0025)


def test_a_warm_start_compares_the_encoder_in_full_and_whatever_the_print_config():
    # the encoder and preprocessing were compared by scikit-learn's repr: one past 700
    # characters was cut to its ends (a class order changed between them was trained on
    # as the old one), and set_config(print_changed_only=False) since the fit was taken
    # for a changed parameter
    from sklearn import config_context

    from sklearn_mtl import StructuredLabelEncoder

    classes = [f"c{i:03d}" for i in range(100)]  # a repr of over 700 characters
    X = np.random.RandomState(0).normal(size=(100, 2)).astype(np.float32)
    y = np.array(classes)
    clf = small(max_epochs=1, warm_start=True, hidden_layer_sizes=(4,),
                preprocessing=StandardScaler(with_mean=False),
                encoder=StructuredLabelEncoder(tasks=[Task("y", classes=classes)]))
    clf.fit(X, y)
    with config_context(print_changed_only=False):
        clf.fit(X, y)
    assert len(clf.history_) == 2
    swapped = [*classes[:60], classes[61], classes[60], *classes[62:]]
    clf.set_params(encoder=StructuredLabelEncoder(tasks=[Task("y", classes=swapped)]))
    with pytest.raises(ValueError, match=r"but encoder \(fitted StructuredLabelEncoder\(tasks="
                                         r"\[Task\('y', classes=\['c000', .*\.\.\..*'c099'\]\)"
                                         r"\]\), now .*the heads are built for the fitted"):
        clf.fit(X, y)
    assert len(clf.history_) == 2


def test_a_torch_scheduler_set_after_the_recipes_cosine_starts_from_the_base_rate():
    # the cosine ends at a rate of 0, which a StepLR set then only scaled: the warm
    # start trained at 0 (no weight moved) where the rate 0.01 was the schedule's base
    X = np.random.RandomState(0).normal(size=(40, 3)).astype(np.float32)
    y = np.where(X[:, 0] > 0, "a", "b")
    clf = small(max_epochs=2, lr=0.01, warm_start=True, lr_schedule="warmup_cosine")
    assert clf.fit(X, y).net_.optimizer_.param_groups[0]["lr"] == 0
    before = [p.detach().clone() for p in clf.net_.module_.parameters()]
    clf.set_params(callbacks=[("step", LRScheduler("StepLR", step_size=1, gamma=0.5))])
    clf.set_params(max_epochs=1).fit(X, y)
    group = clf.net_.optimizer_.param_groups[0]
    assert group["initial_lr"] == 0.01 and group["lr"] == pytest.approx(0.0025)
    assert any(not torch.equal(a, b) for a, b in zip(before, clf.net_.module_.parameters()))


def test_a_warm_start_sees_a_task_changed_past_the_30th_of_an_encoder():
    # scikit-learn's repr shows 30 items of a list, even uncut: the 32nd task's classes
    # changed in the encoder went unseen, and the warm start trained the old schema on
    from sklearn_mtl import StructuredLabelEncoder

    rng = np.random.RandomState(0)
    X = rng.normal(size=(20, 2)).astype(np.float32)
    Y = pd.DataFrame({f"t{i}": rng.choice(["a", "b"], 20) for i in range(32)})
    tasks = [Task(f"t{i}", classes=["a", "b"]) for i in range(32)]
    clf = small(max_epochs=1, warm_start=True, hidden_layer_sizes=(4,),
                encoder=StructuredLabelEncoder(tasks=tasks))
    clf.fit(X, Y)
    changed = [*tasks[:31], Task("t31", classes=["a", "b", "c"])]
    clf.set_params(encoder=StructuredLabelEncoder(tasks=changed))
    with pytest.raises(ValueError, match=r"(?s)but encoder \(fitted .*the heads are built"):
        clf.fit(X, Y)
    assert len(clf.history_) == 1


@pytest.mark.parametrize("monitor", ["valid_acc", "valid_acc_best"])
def test_a_callback_monitoring_a_key_the_history_lacks_is_named(monitor):
    # skorch's classifiers record valid_acc; this net records valid_acc_<task>: skorch
    # raised a bare KeyError (EarlyStopping) or SkorchException (Checkpoint) after an epoch
    from skorch.callbacks import Checkpoint

    X, Y, tasks = car_data(n=40)
    if monitor.endswith("_best"):
        callback = ("cp", Checkpoint(monitor=monitor, f_params=None, f_optimizer=None,
                                     f_criterion=None, f_history=None))
        hint = ""
    else:
        callback = ("cp", EarlyStopping(monitor=monitor, lower_is_better=False))
        hint = r"It is recorded per task: 'valid_acc_car', 'valid_acc_color', 'valid_acc_driver'"
    clf = small(tasks=tasks, max_epochs=2, early_stopping=True, validation_fraction=0.25,
                callbacks=[callback])
    with pytest.raises(ValueError, match=rf"(?s)Callback 'cp' monitors '{monitor}', which "
                       rf"the history does not record\. {hint}.*'valid_loss_best'"):
        clf.fit(X, Y)


def test_an_ensemble_records_the_epoch_a_checkpoint_restores(tmp_path):
    # a Checkpoint's load_best=True loads the history it saved with its weights, which
    # held neither member_best_epochs nor member_restored_by: both were lost
    from skorch.callbacks import Checkpoint

    class Flag(Callback):  # marks epoch 2 as the one to keep
        def on_epoch_end(self, net, **kwargs):
            net.history.record("keep", len(net.history) == 2)

    X, Y, tasks = car_data(n=40)
    checkpoint = Checkpoint(monitor="keep", dirname=str(tmp_path), load_best=True)
    clf = small(tasks=tasks, ensemble_size=2, max_epochs=4,
                callbacks=[Flag(), ("cp", checkpoint)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, Y)
    assert clf.history_[:, "epoch"] == [1, 2]  # skorch's: the history saved at epoch 2
    assert clf.history_[-1, "member_best_epochs"] == [2, 2]
    assert clf.history_[-1, "member_restored_by"] == "cp"


def test_one_tasks_entry_of_a_task_dict_is_set_and_searched_as_name__task():
    # scikit-learn's nested set_params read task_weights__car as a parameter of the
    # dict (or None) and failed with "'NoneType' object has no attribute 'set_params'"
    given = {"color": 3.0}
    clf = small(task_weights=given)
    clf.set_params(task_weights__car=2.0, class_weight__car="balanced", head_lr__car=0.1)
    assert clf.task_weights == {"color": 3.0, "car": 2.0} and given == {"color": 3.0}
    assert clf.class_weight == {"car": "balanced"} and clf.head_lr == {"car": 0.1}
    with pytest.raises(ValueError, match=r"Invalid parameter 'class_weight__car': "
                       r"class_weight is 'balanced', which has no entries to set"):
        small(class_weight="balanced").set_params(class_weight__car={"yes": 2.0})
    X, Y, tasks = car_data(n=40)
    search = GridSearchCV(small(tasks=tasks, max_epochs=1),
                          {"task_weights__car": [0.5, 4.0]}, cv=KFold(2)).fit(X, Y)
    assert search.best_estimator_.task_weights == {"car": search.best_params_["task_weights__car"]}
    assert search.best_estimator_.net_.criterion_.task_weights[0] in (0.5, 4.0)


@pytest.mark.parametrize("kind", ["scorer", "none"])
def test_a_scoring_callback_given_a_scorer_or_none_is_refused(kind):
    # as a metric's name: a scikit-learn scorer scored the inner net's encoded label
    # matrix, and scoring=None its missing score method, both failing after an epoch
    from sklearn.metrics import get_scorer
    from skorch.callbacks import EpochScoring

    X, Y, tasks = car_data(n=40)
    scoring = get_scorer("accuracy") if kind == "scorer" else None
    what = r"the scikit-learn scorer make_scorer\(accuracy_score" if kind == "scorer" else (
        r"scoring=None \(the score method of the net\)")
    clf = small(tasks=tasks, max_epochs=1,
                callbacks=[("acc", EpochScoring(scoring, on_train=True))])
    with pytest.raises(ValueError, match=rf"(?s)Callback 'acc' scores with {what}.*"
                       "encoded label matrix"):
        clf.fit(X, Y)
    assert not hasattr(clf, "net_")  # refused before training


def test_a_callback_class_is_checked_with_the_monitor_it_is_built_with():
    # a callback given as its class is built at fit with its defaults: EarlyStopping's
    # monitor is valid_loss, which a fit without validation data never records (skorch's
    # KeyError after the first epoch; an instance was refused up front)
    X, Y, tasks = car_data(n=40)
    clf = small(tasks=tasks, max_epochs=2, callbacks=[("stop", EarlyStopping)])
    with pytest.raises(ValueError, match="Callback 'stop' monitors 'valid_loss', which the "
                       "history records only with validation data: set early_stopping=True"):
        clf.fit(X, Y)
    assert not hasattr(clf, "net_")  # refused before training
    clf.set_params(early_stopping=True, validation_fraction=0.25)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert len(clf.fit(X, Y).history_) >= 1


def test_a_net_pickled_while_it_trains_holds_no_training_data(tmp_path):
    # skorch's Checkpoint(f_pickle=...) pickles the net at an epoch's end, when the
    # ensemble's MemberHoldout held the training samples and labels (X_, y_): every
    # checkpoint file was of the size of the data and held it
    from skorch.callbacks import Checkpoint

    X, Y, tasks = car_data(n=40)
    checkpoint = Checkpoint(monitor="train_loss_best", f_pickle="net.pkl", f_params=None,
                            f_optimizer=None, f_criterion=None, f_history=None,
                            dirname=str(tmp_path))
    clf = small(tasks=tasks, ensemble_size=2, max_epochs=2, callbacks=[("cp", checkpoint)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, Y)
    with open(tmp_path / "net.pkl", "rb") as f:
        net = pickle.load(f)
    holdout = dict(net.callbacks_)["member_holdout"]
    assert holdout.active_ and holdout.select == "shared"
    assert not {"X_", "y_", "fold_rows_"} & set(vars(holdout))


def test_print_log_leaves_a_blank_for_a_task_the_epoch_did_not_train():
    """A partial_fit batch without a label of a task records no train_loss_<task>: the
    row's later values were printed one column to the left, under the header's other
    names (weight_color's value under train_loss_color)."""
    import re

    X, Y, tasks = car_data(n=40)
    clf = small(tasks=tasks, verbose=1)
    out = io.StringIO()
    with redirect_stdout(out):
        clf.partial_fit(X, Y)
        clf.partial_fit(X, Y.assign(driver=None))
    assert "train_loss_driver" not in clf.history_[-1]
    header, _, first, second = re.sub(r"\x1b\[\d+m", "", out.getvalue()).splitlines()
    for key in ("train_loss_color", "train_loss_driver", "weight_car", "weight_driver"):
        end = header.index(key) + len(key)
        cells = [row[header.rindex("  ", 0, end - len(key)) + 2 : end].strip()
                 for row in (first, second)]
        if key == "train_loss_driver":
            assert cells[0] and cells[1] == ""
        else:
            assert re.fullmatch(r"\d+\.\d{4}", cells[1]), (key, cells)


@pytest.mark.parametrize("monitor", ["valid_acc", "valid_acc_best", "member_valid_acc"])
def test_a_callback_monitoring_skorchs_accuracy_key_is_refused_as_never_recorded(monitor):
    # in a fit without validation data (or without the ensemble's folds), the check at fit
    # said valid_acc is recorded "only with validation data: set early_stopping=True", and
    # the fit so set up failed on it at its first epoch's end: it is recorded per task
    X, Y, tasks = car_data(n=40)
    clf = small(tasks=tasks, max_epochs=1,
                callbacks=[("es", EarlyStopping(monitor=monitor, lower_is_better=False))])
    with pytest.raises(ValueError, match=rf"Callback 'es' monitors '{monitor}', which the "
                       r"history never records: .*'valid_acc_<task>' with early_stopping"
                       r"=True and 'member_valid_acc_<task>'"):
        clf.fit(X, Y)
    assert not hasattr(clf, "net_")  # refused before training


def test_a_callback_monitoring_the_ensembles_accuracy_is_named_without_skorchs_key():
    # the message said skorch's classifiers record a 'member_valid_acc', which they do not
    X, Y, tasks = car_data(n=40)
    clf = small(tasks=tasks, ensemble_size=2, max_epochs=1,
                callbacks=[("es", EarlyStopping(monitor="member_valid_acc"))])
    with pytest.raises(ValueError, match=r"Callback 'es' monitors 'member_valid_acc', which "
                       r"the history does not record\. It is recorded per task: "
                       r"'member_valid_acc_car', 'member_valid_acc_color', "
                       r"'member_valid_acc_driver'\. The keys this epoch recorded"):
        clf.fit(X, Y)


def test_a_parameter_group_that_matches_no_parameter_is_refused():
    """skorch skips a group whose pattern matches no parameter: its arguments went unused
    without a word (plain heads are one layer, 'heads.weight', not 'heads.0.*')."""
    X, Y, tasks = car_data(n=40)
    groups = {"param_groups": [("heads.0.*", {"lr": 0.5})]}
    with pytest.raises(ValueError, match=r"optimizer_params\['param_groups'\] group "
                       r"'heads\.0\.\*' matches no parameter of the network, so its "
                       r"arguments \{'lr': 0\.5\} would be unused\. The parameters are "
                       r"named 'trunk\.layers\.0\.weight', .*'heads\.weight'"):
        small(tasks=tasks, max_epochs=1, optimizer_params=groups).fit(X, Y)
    # a head of its own (head_hidden) is heads.0: its group trains at its rate
    clf = small(tasks=tasks, max_epochs=1, lr_schedule="constant", optimizer_params=groups,
                head_hidden={"car": (4,)}).fit(X, Y)
    assert [g["lr"] for g in clf.net_.optimizer_.param_groups] == [0.5, 0.01]
    # a warm start's new optimizer is checked alike
    clf.set_params(warm_start=True, optimizer__param_groups=[("trunks.*", {"lr": 0.1})])
    with pytest.raises(ValueError, match=r"group 'trunks\.\*' matches no parameter"):
        clf.fit(X, Y)


def test_a_weighting_group_passes_under_a_strategy_that_learns_no_parameters():
    """A search over loss_weighting gives every candidate the group for the learned
    weights, ("weighting.*", ...): "dwa" and "pcgrad", which learn none, were refused
    as if the pattern were a typo. A typo is still refused."""
    X, Y, tasks = car_data(n=40)
    groups = {"param_groups": [("weighting.*", {"lr": 0.05})]}
    for strategy in ("dwa", "pcgrad"):
        small(tasks=tasks, max_epochs=1, loss_weighting=strategy,
              optimizer_params=groups).fit(X, Y)
    typo = {"param_groups": [("weighting.log_var", {"lr": 0.05})]}
    with pytest.raises(ValueError, match=r"group 'weighting\.log_var' matches no parameter"):
        small(tasks=tasks, max_epochs=1, loss_weighting="uncertainty",
              optimizer_params=typo).fit(X, Y)
    with pytest.raises(ValueError, match=r"group 'trunks\.\*' matches no parameter"):
        small(tasks=tasks, max_epochs=1, loss_weighting="dwa",
              optimizer_params={"param_groups": [("trunks.*", {"lr": 0.1})]}).fit(X, Y)


# ----------------------------------------------------------------- device after fit
def _small_fit():
    X, Y, tasks = car_data(60)
    clf = MultiTaskClassifier(tasks=tasks, hidden_layer_sizes=(8,), max_epochs=2,
                              random_state=0).fit(X, Y)
    return X, clf


def test_a_device_set_after_fit_is_where_predict_and_a_warm_start_run():
    # set_params(device=...) after fit was ignored: predict ran where the network had
    # trained (on a GPU, where a user sets device="cpu" to predict on the CPU, as
    # scikit-learn's predict applies an n_jobs set after fit); "cpu:0" is another
    # device to torch here, so the move (module, loss, optimizer state) runs on a CPU
    X, clf = _small_fit()
    expected = clf.predict_proba(X)
    clf.set_params(device="cpu:0")
    for got, want in zip(clf.predict_proba(X), expected, strict=True):
        np.testing.assert_array_equal(got, want)
    assert clf.net_.device == "cpu:0"
    steps = {int(state["step"]) for state in clf.net_.optimizer_.state.values()}
    clf.set_params(warm_start=True).fit(X, car_data(60)[1])  # goes on there, with its state
    assert {int(state["step"]) for state in clf.net_.optimizer_.state.values()} == {
        2 * s for s in steps}
    assert len(clf.history_) == 4


@pytest.mark.skipif(torch.cuda.is_available(), reason="a CPU-only build of torch")
def test_a_device_this_build_cannot_use_set_after_fit_is_refused_at_predict():
    # predict ran on the CPU without a word, device="cuda" notwithstanding
    X, clf = _small_fit()
    expected = clf.predict(X)
    clf.set_params(device="cuda")
    for method in (clf.predict, clf.predict_proba):
        with pytest.raises(ValueError, match=r"device='cuda', but this PyTorch build cannot "
                                             r"use CUDA"):
            method(X)
    clf.set_params(device="cpu")
    pd.testing.assert_frame_equal(clf.predict(X), expected)


def test_a_callback_is_replaced_or_switched_off_by_its_name_as_in_skorch(capsys):
    # set_params(callbacks__clip=None) was refused ("a callback's parameter is set as
    # callbacks__<name>__<param>"), and no grid could search a callback's presence
    from sklearn.model_selection import GridSearchCV, KFold
    from skorch.callbacks import GradientNormClipping

    X, Y, tasks = car_data(n=60)
    clip = GradientNormClipping(1.0)
    clf = small(tasks=tasks, max_epochs=2, verbose=1, callbacks=[("clip", clip)])
    params = clf.get_params()
    assert params["callbacks__clip"] is clip
    assert params["callbacks__clip__gradient_clip_value"] == 1.0
    clf.set_params(callbacks__clip=None, callbacks__print_log=None)
    assert clf.callbacks == [("clip", None), ("print_log", None)]
    clf.fit(X, Y)
    names = [name for name, _ in clf.net_.callbacks_]
    assert "clip" not in names and "print_log" not in names
    assert "train_loss" not in capsys.readouterr().out  # no log printed
    other = GradientNormClipping(5.0)
    clf.set_params(callbacks__clip=other)
    assert clf.callbacks[0] == ("clip", other) and clip.gradient_clip_value == 1.0
    with pytest.raises(ValueError, match="Cannot set callbacks__clip__...: no callback"):
        small(tasks=tasks).set_params(callbacks__clip__gradient_clip_value=2.0)
    with pytest.raises(ValueError, match="Cannot set callbacks__nope: no callback has"):
        clf.set_params(callbacks__nope=None)
    with pytest.raises(ValueError, match=r"Invalid parameter 'callbacks__clip': 2 is no "
                                         "skorch Callback"):
        clf.set_params(callbacks__clip=2)
    with pytest.raises(ValueError, match="of the callback that callbacks__clip=None "
                                         "switches off"):
        clf.set_params(callbacks__clip=None, callbacks__clip__gradient_clip_value=2.0)
    from sklearn_mtl.metrics import exact_match_scorer

    search = GridSearchCV(small(tasks=tasks, max_epochs=1, callbacks=[("clip", clip)]),
                          {"callbacks__clip": [None, GradientNormClipping(0.5)]},
                          scoring=exact_match_scorer, cv=KFold(2)).fit(X, Y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert [p["callbacks__clip"] is None for p in search.cv_results_["params"]] == [
        True, False]
