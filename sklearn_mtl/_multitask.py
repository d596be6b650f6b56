"""MultiTaskClassifier: one shared-trunk network, one head per task, trained with skorch."""

from __future__ import annotations

import collections
import contextlib
import copy
import fnmatch
import functools
import inspect
import os
import re
import threading
import warnings
from collections.abc import Mapping
from numbers import Integral, Real

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from sklearn import config_context
from sklearn.base import BaseEstimator, _fit_context, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state, get_tags
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import (
    _check_feature_names,
    _get_feature_names,
    _num_samples,
    check_is_fitted,
    validate_data,
)
from skorch.callbacks import EarlyStopping, LRScheduler
from skorch.dataset import ValidSplit
from skorch.helper import predefined_split
from torch.utils.data import DataLoader, Dataset, IterableDataset

from ._base import (
    _COMMON_CONSTRAINTS,
    BaseMultiTaskEstimator,
    check_same_classes,
    check_same_length,
    encode_more,
    tasks_from_classes,
    validate_features,
)
from ._decoding import (
    JointDecoder,
    _merged_combinations,
    unseen_combination_mass,
)
from ._decoding import _finish as finish_decoding
from ._frames import to_pandas
from ._validation import (
    check_device,
    check_groups,
    check_layer_sizes,
    check_network_params,
    check_row_order,
    check_sample_weight,
    check_weight_order,
    first_bad_value,
    refuse_mappings,
)
from .neural._combinations import (
    MAX_PROBE_COMBINATIONS,
    MIN_PROBE_ROWS,
    best_combinations,
    choose_decoding,
    combination_index,
    combination_scores,
    fit_probes,
    held_out_probe,
    mean_log_proba,
    probe_rows,
)
from .neural._distributed import (
    PRECISIONS,
    ParallelMultiTaskNet,
    check_weighting,
    native_bf16,
    same_seed,
    seed_generators,
    setup_data_parallel,
    training_generator,
    world,
)
from .neural._ensemble import (
    BLENDABLE,
    EnsembleMLPTrunk,
    MemberHoldout,
    carry_member_state,
    held_out_pass,
    keep_members,
    member_forward,
    member_mean,
    n_members,
    pooled_probabilities,
)
from .neural._lookup import (
    fit_lookup,
    float32_tells_apart,
    row_keys,
    spelled_as_fitted,
    table_columns,
)
from .neural._losses import MultiTaskLoss
from .neural._modules import (
    ACTIVATIONS,
    MLPTrunk,
    MultiHeadModule,
    flat_size,
    infer_out_features,
    trunk_dry_run,
)
from .neural._neighbors import apply_blend, select_blend, training_features
from .neural._net import (
    ArrayDataset,
    MultiTaskNet,
    PreprocessedRows,
    TaskPrintLog,
    TensorPairDataset,
    WorkerLoader,
    as_features,
    check_finite_items,
    check_step_output,
    diverged_epochs,
    network_input,
    preprocess,
)
from .neural._preprocessing import (
    RowError,
    TabularPreprocessor,
    is_tabular_frame,
    read_times,
    table_dtype,
    table_input_tags,
)
from .neural._schedules import WarmupCosineSchedule
from .neural._trunks import NAMED_TRUNKS
from .neural._weighting import STRATEGIES, resolve_strategy
from .sharded import ParquetShards, fit_shards, read_shard_times


class MultiTaskClassifier(BaseMultiTaskEstimator):
    """A shared-trunk neural network with one head per task, trained with skorch.

    Each task gets its own head and loss: cross-entropy for a multiclass task,
    BCE-with-logits for a binary task and for each label of a multilabel task, MSE for a
    regression task. Missing and gated-off labels are masked: the loss is
    Σ_t w_t · mean of loss_t over the task's applicable samples (0 when a batch has none).

    Parameters
    ----------
    tasks : list of Task or Schema, default=None
        The tasks; ``None`` infers the schema from ``Y`` (see
        :class:`~sklearn_mtl.StructuredLabelEncoder`). A fitted model's or encoder's
        ``schema_`` may be given, so that every cross-validation fold learns the same
        classes, a rare one absent from its training rows included.
    encoder : StructuredLabelEncoder, default=None
        An unfitted encoder (e.g. from :meth:`StructuredLabelEncoder.from_groups`) used
        instead of ``tasks``; cloned at fit.
    preprocessing : "auto", transformer or None, default="auto"
        What a 2-D table goes through inside the estimator before the network, fitted in
        ``fit`` (``preprocessor_``). ``"auto"``: a
        :class:`~sklearn_mtl.neural.TabularPreprocessor` (numeric columns robustly scaled
        and softly clipped, NaN filled with an indicator column, a 0/1 indicator of a
        column's most frequent value where it is the column's lowest or highest and holds
        a fifth of its values or more, string, category and bool columns of a DataFrame
        one-hot encoded); on a table of 5,000 samples or more
        with the default ensemble it also writes each numeric column's piecewise-linear
        encoding, read by the second input view (see ``input_view_``). A transformer
        (e.g. ``TabularPreprocessor(n_bins=16)``, or a ``ColumnTransformer``) is cloned
        and used as given; its output may be an array, a DataFrame or a sparse matrix
        (densified a batch at a time). ``None``:
        X goes to the network as it is (numeric, no NaN). A 2-D memory map is a table too
        (its preprocessing fitted on its rows, or a sample of 200,000 of them; each batch
        preprocessed as it is read). Images, clips, sparse matrices and datasets are never
        preprocessed (a transformer given for them warns that it is not used: put it in a
        ``Pipeline`` in front).
    trunk : {"mlp", "conv2d", "conv3d", "conv2d_frames"}, nn.Module class, callable or \
            nn.Module, default="mlp"
        The shared trunk. ``"mlp"`` builds an MLP from ``hidden_layer_sizes``,
        ``activation``, ``dropout`` and ``batch_norm``. ``"conv2d"`` builds a
        :class:`~sklearn_mtl.neural.Conv2dTrunk` for images (n_samples, channels, height,
        width); ``"conv3d"`` a :class:`~sklearn_mtl.neural.Conv3dTrunk` and
        ``"conv2d_frames"`` a :class:`~sklearn_mtl.neural.FrameConvTrunk` for clips
        (n_samples, channels, frames, height, width); their parameters come from
        ``trunk_params`` (which the MLP and an instance refuse: they would ignore them).
        A class or factory is called with ``trunk_params``, plus the
        input size when its signature asks for it (a parameter named ``n_features``,
        ``in_features``, ``in_channels`` or ``input_shape``, the shape of one sample). An
        instance is deep-copied at fit. The contract: the trunk maps an input batch
        (batch, ...) to float32 features of shape (batch, n_features); the width is
        found by a forward pass on a sample at fit, which checks its ``out_features``
        attribute if it has one (a ValueError names a trunk that breaks the contract).
    trunk_params : dict, default=None
        Keyword arguments of a trunk class or factory (or of a named trunk, e.g.
        ``{"channels": (16, 32)}``). One entry can be set on its own as
        ``set_params(trunk_params__channels=(8, 16))``, so a grid search can use
        ``param_grid={"trunk_params__channels": [(8,), (16, 32)]}``; this holds for
        every ``*_params`` dict.
    hidden_layer_sizes : array-like of int or int, default=(192, 192, 192)
        Hidden layers of the built-in MLP trunk (of each member of the default ensemble);
        an int is one layer, as in scikit-learn's ``MLPClassifier``.
    activation : {"relu", "tanh", "logistic", "gelu", "identity"}, default="relu"
        Activation of the MLP trunk and of the heads' hidden layers.
    dropout : float, default=0.0
        Dropout after each hidden layer of the MLP trunk. Another trunk refuses it (a
        named trunk takes ``trunk_params={"dropout": ...}``).
    batch_norm : bool, default=False
        Whether the MLP trunk uses batch normalisation (refused with another trunk, as
        ``dropout`` is). A batch-norm layer cannot train
        on one row, so where the last training batch would hold one (``n_samples %
        batch_size == 1``) it is merged into the batch before: every sample still trains.
    ensemble_size : "auto" or int, default="auto"
        Members of the MLP ensemble (:class:`~sklearn_mtl.neural.EnsembleMLPTrunk`): MLPs
        with their own weights, trained side by side; ``predict_proba`` pools their
        probabilities (the softmax of their mean logits). Each member holds out one fold
        of the training samples, and the epoch
        with the lowest mean held-out error is restored for every member
        (:class:`~sklearn_mtl.neural.MemberHoldout`). ``"auto"``: 8 for the built-in MLP
        with hidden layers and without ``batch_norm``, else 1 (one network, trained on
        every sample for every epoch); on a table of 5,000 samples or more with
        ``preprocessing="auto"``, 16 are trained in two input views and the better 8
        kept (see ``input_view_``).
    head_hidden : dict of str -> tuple of int or int, default=None
        Hidden layers of a task's head, e.g. ``{"body": (32,)}``; other heads are a plain
        ``Linear``. In an ensemble every member has heads of its own.
    head_lr : dict of str -> float, default=None
        Learning rate of a task's head, e.g. ``{"color": 1e-3}`` (optimizer parameter
        groups); the rest uses ``lr``. In an ensemble every member has heads of its own.
    task_weights : dict of str -> float, default=None
        Loss weight w_t of each task (default 1): finite, >= 0, and positive for one
        task at least (all 0 would train nothing, and are refused).
    class_weight : "balanced", dict, default=None
        Per-class loss weights: ``"balanced"`` for every binary and multiclass task, or
        ``{task: "balanced" or {class: weight}}``; with a single task also
        ``{class: weight}``, as for scikit-learn classifiers. ``"balanced"`` is
        ``compute_class_weight("balanced", ...)`` over the task's applicable annotated
        labels, weighted by ``sample_weight``; a declared class absent from them weighs 1.
    pos_weight : "balanced" or dict, default=None
        Weight of the positive term of the BCE loss of binary tasks and of each label of
        multilabel tasks (``pos_weight`` of ``BCEWithLogitsLoss``): ``"balanced"`` for
        every binary and multilabel task, or ``{task: "balanced", float or array of one
        weight per label}``. ``"balanced"`` is n_negative / n_positive per label, over
        the applicable annotated samples (1 for a label without positives or without
        negatives).
    loss_weighting : {"fixed", "uncertainty", "dwa", "gradnorm", "pcgrad"} or strategy, \
            default="fixed"
        How the task losses are combined: constant ``task_weights`` (``"fixed"``),
        learned homoscedastic uncertainty (Kendall et al. 2018), dynamic weight average
        (Liu et al. 2019), GradNorm (Chen et al. 2018), or PCGrad gradient surgery on the
        shared trunk (Yu et al. 2020). A strategy object (e.g.
        ``DWAWeighting(temperature=1.0)`` from :mod:`sklearn_mtl.neural`) exposes its
        parameters to nested ``set_params``/``GridSearchCV``
        (``loss_weighting__temperature``; for a strategy given by name, that sets the
        entry of ``loss_weighting_params``). ``task_weights`` still multiply each task's
        loss before the strategy. The effective weights per epoch are in ``history_``.
    loss_weighting_params : dict, default=None
        Parameters of a strategy given by name, e.g. ``{"temperature": 2.0}`` for
        ``"dwa"``, ``{"alpha": 1.5}`` for ``"gradnorm"``, ``{"lr": 0.05}`` for the
        learned parameters of ``"uncertainty"`` and ``"gradnorm"``.
    optimizer : torch optimizer class, default=torch.optim.AdamW
        The optimizer.
    optimizer_params : dict, default=None
        Keyword arguments of the optimizer (e.g. ``{"weight_decay": 1e-4}``). An optimizer
        that has a fused step for ``device`` gets ``fused=True`` (AdamW on CPU since
        torch 2.4), else one that accepts ``foreach`` gets ``foreach=True``: one kernel per
        step instead of a loop over parameters (faster on CPU; the same update up to
        float rounding), unless ``foreach`` or ``fused`` is given here. An entry the
        optimizer does not take is refused at fit, and so is ``"lr"`` (set ``lr``).
        ``"param_groups"`` takes skorch's parameter groups, ``[("trunk.*", {"lr":
        1e-4})]``: a parameter whose name matches a pattern (the first that does) trains
        with that group's arguments (``head_lr``'s groups come first); a pattern that
        matches no parameter is refused at fit (but ``"weighting.*"`` under a
        ``loss_weighting`` that learns none).
    lr : float, default=2e-3
        Learning rate (the peak of ``lr_schedule``).
    lr_schedule : {"warmup_cosine", "constant"}, default="warmup_cosine"
        ``"warmup_cosine"``: the learning rate rises linearly over the first 5% of the
        optimizer steps of a fit, then follows a half cosine to 0
        (:class:`~sklearn_mtl.neural.WarmupCosineSchedule`; a ``warm_start`` fit runs
        it again over its own steps); ``"constant"``: ``lr`` throughout, as in
        ``partial_fit`` whatever ``lr_schedule`` is.
    label_smoothing : float, default=0.1
        ε of label smoothing for the classification tasks (see
        :class:`~sklearn_mtl.neural.MultiTaskLoss`): a share ε of each target is spread
        evenly over its classes (a binary target y becomes y (1 - ε) + ε / 2); 0 trains
        on the hard labels.
    batch_size : int, default=128
        Mini-batch size for training and prediction.
    max_epochs : int or None, default=None
        Number of epochs (more epochs per ``fit`` with ``warm_start``). ``None`` is the
        recipe's training length: as many epochs as make about 1,200 optimizer steps,
        between 32 and 256 epochs.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data and stop when the
        validation loss has not improved for ``patience`` epochs, restoring the best
        weights (skorch's ``EarlyStopping``). It takes the place of the recipe's epoch
        selection on the ensemble's held-out folds: every member trains on the samples
        outside the validation split, and the read-outs fitted on those folds (the
        lookup, the combination probe) are not fitted.
    validation_fraction : float, default=0.1
        Held-out fraction with ``early_stopping``.
    patience : int, default=5
        Epochs without improvement before stopping.
    callbacks : list of skorch callbacks or (name, callback) pairs, default=None
        Extra skorch callbacks (deep-copied at fit). A
        :class:`~sklearn_mtl.neural.MemberHoldout` among them replaces the ensemble's own,
        e.g. ``MemberHoldout(select="member")`` for each member's own best epoch, and
        a skorch ``EarlyStopping`` or ``Checkpoint`` with ``load_best=True`` restores its
        own epoch in place of the ensemble's (``member_restored_by``); a
        skorch ``LRScheduler`` among them replaces ``lr_schedule``'s warm-up and decay
        (the two would both set the rate). A skorch scoring callback
        (``EpochScoring``) takes a function ``scoring(net, X, y)`` of the inner net, not
        a scikit-learn metric's name or scorer, nor ``None`` (the history already has
        ``valid_acc_<task>``).
        As with skorch's ``NeuralNet``, a
        callback's parameter can be set (and grid-searched) as
        ``callbacks__<name>__<param>``, the name being a pair's or, for an unnamed
        callback, its class name (``<class>_1``, ``<class>_2``, ... for unnamed
        callbacks of one class, as skorch names them in ``net_.callbacks_``):
        ``set_params(callbacks__es__patience=10)``. A
        callback may be given as its class, which ``fit`` builds with its defaults; as
        skorch's uninitialised callbacks, it lists no parameters in ``get_params``, and
        setting one builds it first (the list then holds that instance). The printed
        log is set as in skorch, ``set_params(callbacks__print_log__keys_ignored=[...])``
        (the list then holds the log, named ``"print_log"``), and a callback named
        ``"print_log"`` replaces it. The names of the recipe's callbacks
        (``early_stopping``, ``member_holdout``, ``lr_schedule``, where it adds them)
        and of those that record the history (``train_loss``, ``valid_loss``,
        ``task_losses``, ``task_weights``, ``epoch_timer``) are refused.
    device : str or torch.device, default="cpu"
        Where to train and predict, e.g. ``"cuda"``. Set after ``fit``, the fitted
        network moves there before it predicts or trains on (``set_params(device="cpu")``
        to predict on the CPU what trained on a GPU).
    num_workers : int, default=0
        Worker processes of the ``DataLoader`` when ``X`` is a ``torch.utils.data.Dataset``
        or a memory-mapped array.
    batch_transform : callable, default=None
        Data augmentation: ``X_batch = batch_transform(X_batch)`` on every training
        mini-batch (a tensor on ``device``), never on validation batches nor in
        ``predict``. It must return one row per sample, in order (a ValueError names it
        otherwise); a float64 tensor or a numpy array is read as float32. Randomness
        should come from torch's global generator, which ``fit`` seeds from
        ``random_state``. See :class:`~sklearn_mtl.neural.RandomShift`,
        :class:`~sklearn_mtl.neural.RandomFlip`, :class:`~sklearn_mtl.neural.GaussianNoise`
        and :class:`~sklearn_mtl.neural.Compose`. Deep-copied at fit; a picklable
        callable keeps the estimator picklable.
    data_parallel : bool, default=False
        Train one network on several processes (CPUs, GPUs or nodes) with PyTorch's
        ``DistributedDataParallel``: launch the same script with ``torchrun``, give every
        process the same ``X`` and ``y``, and each trains on its own shard of every epoch
        while the gradients are averaged, so all processes end with the same weights.
        ``batch_size`` stays the global mini-batch; ``device="cuda"`` means one GPU per
        process. Without a launcher (one process) training is as usual. GradNorm and
        PCGrad (``loss_weighting``) are refused. See the "Scaling out" guide.
    mixed_precision : {"auto", "bf16", "fp16"} or None, default="auto"
        Train the forward pass and the loss in bfloat16 or float16 (``torch.autocast``;
        ``"fp16"`` scales the loss with ``torch.amp.GradScaler``). Weights, optimizer
        state and prediction stay float32. ``None`` trains in float32. ``"auto"``:
        bfloat16 for an MLP ensemble (an :class:`~sklearn_mtl.neural.EnsembleMLPTrunk`:
        the recipe's, ``ensemble_size`` above 1, or your own) on a CPU that multiplies
        bfloat16 in hardware (AVX-512 BF16 or AMX), where it cuts
        the ensemble's training time by about a third at the same accuracy; float32
        otherwise (one network, other trunks, GPUs, CPUs that would emulate bfloat16).
        ``mixed_precision_`` holds the choice.
    warm_start : bool, default=False
        When fitted already, ``fit`` continues training the same network for
        ``max_epochs`` more epochs (``Y`` must fit the learned schema). The loss and
        optimizer parameters changed since (``lr``, ``optimizer``, ``optimizer_params``,
        ``head_lr``, ``task_weights``, ``class_weight``, ``pos_weight``,
        ``label_smoothing``, ``loss_weighting``) apply to that training, with a new
        optimizer when an optimizer parameter changed; a changed parameter that shapes
        the network (``trunk``, ``trunk_params``, ``hidden_layer_sizes``, ``activation``,
        ``dropout``, ``batch_norm``, ``ensemble_size``, ``head_hidden``, ``head_lr`` set
        or unset) or its inputs (``preprocessing``, fitted once as ``preprocessor_``)
        raises a ``ValueError``. ``partial_fit`` trains on as it is. The
        other parameters apply too: ``batch_size``, ``verbose``, ``num_workers``,
        ``batch_transform`` (one set since is copied anew) and ``callbacks`` (a list or
        a callback's parameter set since is copied anew; the callbacks left as they
        were keep their state), to ``partial_fit`` as well; ``early_stopping``,
        ``patience``, ``validation_fraction`` and ``lr_schedule``, whose schedule spans
        the optimizer steps of that ``fit`` (a warm restart: with more epochs or samples
        than the first fit, every step still trains), to ``fit`` only.
    decode : {"auto", "independent", "joint"} or decoder, default="auto"
        How per-task probabilities become a prediction. ``"auto"`` decodes over the
        label combinations seen in training (``JointDecoder(allowed="observed")``) when
        few new combinations are expected (``unseen_combination_mass_`` at most 0.05) and
        no task is gated, and takes each task's own most probable value otherwise. When
        no task is gated, every task is binary or multiclass and the ensemble trained
        with held-out folds (the default one), ``fit`` also fits a *combination probe* on
        each member's features and keeps it where it makes fewer held-out errors (see
        ``combination_weight_``); where many new combinations are expected, the held-out
        folds also decide between the two decodings;
        ``"independent"`` always does the latter; ``"joint"`` takes the most probable
        valid combination (:class:`~sklearn_mtl.JointDecoder`). ``decode`` is read at
        prediction: one set after ``fit`` (``set_params(decode="independent")``)
        decodes as it says, without the probe, which only ``"auto"`` uses.
    neighbors : {"auto"} or None, default=None
        ``"auto"``: blend each binary or multiclass task's probabilities with the labels
        of the training samples nearest the query in each ensemble member's feature
        space (the trunk's output), ``(1 - w) * network + w * votes``, the members'
        votes averaged. Each task's vote count (1, 3 or 10 nearest) and weight ``w``
        (0, 0.25, 0.5, 0.75 or 1) are chosen on the members' held-out folds: member
        ``m`` votes for the samples of fold ``m`` with the samples it trained on, and
        ``w = 0``, the network alone, is kept unless a blend makes fewer held-out errors
        (weighted by ``sample_weight``; a sample of weight 0 is absent, no one's
        neighbour, the others one vote each). It helps lookup-like tables, where
        near-repeats of a training sample share its labels; on noisy tables it can cost
        (see the guide's "What the defaults do").
        Needs an ensemble trained with held-out folds (the default one) and a table;
        otherwise every weight is 0. A model with a weight above 0 keeps its
        preprocessed training features and codes, each prediction searches them, and
        it cannot be exported to ONNX. Chosen by ``fit``; ``partial_fit`` leaves the
        network alone. ``None``: the network alone.
    lookup : {"auto"} or None, default="auto"
        ``"auto"``: a query whose features equal a training row's (every column, missing
        values included, numbers compared in float32, as the ONNX graph reads them; a
        table whose distinct numbers float32 cannot tell apart reads none) reads the
        labels that came with that row, for each binary or multiclass task chosen:
        ``(counts + network) / (n + 1)``, the network's probabilities counting as one more
        row among the ``n`` labelled repeats (a ``sample_weight`` counts as a frequency),
        so a strict majority of the repeats decides and the network breaks ties. A task
        reads it where that lowers the held-out log loss on the members' held-out folds
        (member ``m`` reads, for the samples of fold ``m``, the repeats among the samples
        it trained on); see ``lookup_tasks_``. Only
        a table with repeated rows, fitted as an ensemble with held-out folds (the
        default one), can choose it; other tables and models predict exactly as with
        ``None``. The model keeps each distinct training row's label counts; the ONNX
        export compares queries with the distinct rows in the graph (numeric tables, the
        estimator's own preprocessing). Chosen by ``fit``; ``partial_fit`` leaves the
        network alone. ``None``: the network alone.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, dropout, shuffling and the validation split; the
        same seed gives identical predictions on CPU. The global torch RNG is untouched.
    verbose : int, default=0
        1 prints a line per epoch: total and per-task losses, with the ensemble the
        members' mean held-out score (``member_valid_loss``, each new lowest
        highlighted), and at the end the epoch whose weights the members got back.

    Attributes
    ----------
    net_ : MultiTaskNet
        The fitted skorch net (a ``ParallelMultiTaskNet``, its subclass, under
        ``data_parallel`` or mixed precision, the default ensemble's on a CPU with
        bfloat16 in hardware) (``net_.module_`` is the PyTorch module).
    history_ : skorch.History
        Per-epoch ``train_loss``, ``train_loss_<task>``, ``weight_<task>`` (the
        effective loss weight of each task at the end of the epoch), and with early
        stopping ``valid_loss``, ``valid_loss_<task>`` and each classification task's
        ``valid_acc_<task>``, as skorch's classifiers record ``valid_acc``. With the
        ensemble, ``member_valid_loss`` (the members' mean held-out score),
        ``member_valid_acc_<task>`` (each classification task's accuracy, every
        held-out sample read by the member that never trained on it),
        ``member_valid_loss_best`` (True where it reached a new lowest) and, in the
        last epoch, ``member_best_epochs`` (each member's restored epoch).
    encoder_ : StructuredLabelEncoder
        The fitted label encoder.
    schema_ : Schema
        The tasks, with kinds, classes and gates.
    tasks_ : list of Task
        The schema's tasks.
    classes_ : list of ndarray, or ndarray
        Classes per task; a plain array for a 1-D ``y``.
    n_tasks_ : int
        Number of tasks.
    observed_combinations_ : ndarray of shape (n_combinations, n_tasks)
        The distinct label combinations (codes) of the fully annotated training
        samples, used by ``decode=JointDecoder(allowed="observed")``.
    mixed_precision_ : {"bf16", "fp16"} or None
        The precision the network trains in: ``mixed_precision`` with ``"auto"``
        resolved on this machine. A loaded model resolves it again where it is loaded
        (and continues training with ``warm_start`` in that precision); prediction is
        float32 either way.
    combination_weight_ : float
        The weight ``a`` of the combination probe in ``decode="auto"``'s decoding over
        the observed combinations: each candidate combination scores the sum of its tasks'
        log probabilities plus ``a`` times the probe's log probability of the combination
        (a multinomial logistic regression per member, fitted after training on the
        member's features over the samples it trained on, the members' probe probabilities
        averaged). Chosen among 0, 0.5, 1, 2 and 8 on the members' held-out folds by exact-match
        error plus mean task error; 0 (the probe unused) otherwise. Where
        ``unseen_combination_mass_`` is above 0.05, deciding task by task is a candidate
        too, kept unless a decoding over the observed combinations makes fewer held-out
        errors (the weight is then 0). Over more than 1,024 observed combinations
        (``MAX_PROBE_COMBINATIONS``: labels that rarely repeat) no probe is fitted and the
        weight is 0, the held-out choice made without it. ``predict_proba`` is the
        network's either way.
    input_view_ : {"scaled", "encoded"} or None
        The input view the recipe's ensemble kept on a large table (at least 5,000
        samples, ``preprocessing="auto"``, the default ensemble): eight members read
        the scaled columns, eight more also read each numeric column's piecewise-linear
        encoding (at most 64 quantile bins a column, 512 encoding columns in all), and
        the eight whose view did better on their held-out folds are kept (``"scaled"``
        or ``"encoded"``); the others are dropped. ``None`` where no views were trained.
    neighbor_counts_ : ndarray of shape (n_tasks,)
        Each task's number of voting neighbours (see ``neighbors``); 0 where the
        network predicts alone.
    neighbor_weights_ : ndarray of shape (n_tasks,)
        Each task's blend weight ``w`` (see ``neighbors``); all 0 with
        ``neighbors=None``.
    lookup_tasks_ : ndarray of shape (n_tasks,) of bool
        The tasks that read the labels of the training rows a query repeats (see
        ``lookup``); all ``False`` with ``lookup=None`` or a table without repeats.
    unseen_combination_mass_ : float
        Good–Turing estimate of the chance that a new sample's label combination never
        occurred in training: the share of training samples whose combination occurs
        once (a sample of ``sample_weight`` 0 is left out; the others count once each,
        whatever their weight). ``decode="auto"`` reads it.
    preprocessor_ : TabularPreprocessor or None
        The fitted ``preprocessing`` of a 2-D table (in memory or memory-mapped);
        ``None`` for images, clips, sparse matrices, datasets and ``preprocessing=None``.
        A model that holds one predicts (and continues training) on tables only: a
        torch ``Dataset``, whose items are read as they are, is refused.
    n_features_in_ : int
        Number of features seen during fit (channels for image input). With
        ``trunk="mlp"``, images (or clips) of another shape than those seen in fit are
        refused at prediction: the MLP reads each sample flattened.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    IndependentTaskClassifier : one model per task.
    LabelProductClassifier : the whole label structure as one single-label problem.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn_mtl import MultiTaskClassifier, Task
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(60, 3)).astype("float32")
    >>> car = np.where(X[:, 0] > 0, "yes", "no")
    >>> color = np.where(car == "yes", np.where(X[:, 1] > 0, "red", "blue"), None)
    >>> Y = pd.DataFrame({"car": car, "color": color})
    >>> clf = MultiTaskClassifier(
    ...     tasks=[Task("car"), Task("color", gate=("car", "yes"))],
    ...     hidden_layer_sizes=(16,), lr=1e-2, max_epochs=30, random_state=0,
    ... ).fit(X, Y)
    >>> clf.predict(X[:3]).columns.tolist()
    ['car', 'color']
    >>> [p.shape for p in clf.predict_proba(X[:3])]
    [(3, 2), (3, 2)]
    """

    _learns_regression = True  # (its targets then fit MAX_REGRESSION_TARGET)

    _parameter_constraints = {
        **_COMMON_CONSTRAINTS,
        "trunk": [StrOptions({"mlp", *NAMED_TRUNKS}), callable],
        "trunk_params": [dict, None],
        # array-like as in MLPClassifier: a tuple, a list or a 1-D array of ints.
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "batch_norm": ["boolean"],
        "head_hidden": [dict, None],
        "head_lr": [dict, None],
        "task_weights": [dict, None],
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "pos_weight": [StrOptions({"balanced"}), dict, None],
        "loss_weighting": [StrOptions(set(STRATEGIES)), HasMethods(["build"])],
        "loss_weighting_params": [dict, None],
        "optimizer": [callable],
        "optimizer_params": [dict, None],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left"), None],
        "preprocessing": [StrOptions({"auto"}), HasMethods(["fit", "transform"]), None],
        "lr_schedule": [StrOptions({"warmup_cosine", "constant"})],
        "label_smoothing": [Interval(Real, 0, 1, closed="left")],
        "ensemble_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "patience": [Interval(Integral, 1, None, closed="left")],
        "callbacks": [list, None],
        "device": [str, torch.device],
        "num_workers": [Interval(Integral, 0, None, closed="left")],
        "batch_transform": [callable, None],
        "data_parallel": ["boolean"],
        "mixed_precision": [StrOptions({"auto", *PRECISIONS}), None],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "decode": [StrOptions({"auto", "independent", "joint"}), HasMethods(["decode"])],
        "neighbors": [StrOptions({"auto"}), None],
        "lookup": [StrOptions({"auto"}), None],
    }

    def __init__(
        self,
        tasks=None,
        *,
        encoder=None,
        preprocessing="auto",
        trunk="mlp",
        trunk_params=None,
        hidden_layer_sizes=(192, 192, 192),
        activation="relu",
        dropout=0.0,
        batch_norm=False,
        ensemble_size="auto",
        head_hidden=None,
        head_lr=None,
        task_weights=None,
        class_weight=None,
        pos_weight=None,
        loss_weighting="fixed",
        loss_weighting_params=None,
        optimizer=torch.optim.AdamW,
        optimizer_params=None,
        lr=2e-3,
        lr_schedule="warmup_cosine",
        label_smoothing=0.1,
        batch_size=128,
        max_epochs=None,
        early_stopping=False,
        validation_fraction=0.1,
        patience=5,
        callbacks=None,
        device="cpu",
        num_workers=0,
        batch_transform=None,
        data_parallel=False,
        mixed_precision="auto",
        warm_start=False,
        decode="auto",
        neighbors=None,
        lookup="auto",
        random_state=None,
        verbose=0,
    ):
        self.tasks = tasks
        self.encoder = encoder
        self.preprocessing = preprocessing
        self.trunk = trunk
        self.trunk_params = trunk_params
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.ensemble_size = ensemble_size
        self.head_hidden = head_hidden
        self.head_lr = head_lr
        self.task_weights = task_weights
        self.class_weight = class_weight
        self.pos_weight = pos_weight
        self.loss_weighting = loss_weighting
        self.loss_weighting_params = loss_weighting_params
        self.optimizer = optimizer
        self.optimizer_params = optimizer_params
        self.lr = lr
        self.lr_schedule = lr_schedule
        self.label_smoothing = label_smoothing
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.callbacks = callbacks
        self.device = device
        self.num_workers = num_workers
        self.batch_transform = batch_transform
        self.data_parallel = data_parallel
        self.mixed_precision = mixed_precision
        self.warm_start = warm_start
        self.decode = decode
        self.neighbors = neighbors
        self.lookup = lookup
        self.random_state = random_state
        self.verbose = verbose

    def set_params(self, **params):
        """Set the parameters of this estimator.

        Besides scikit-learn's ``name=value``, one entry of a ``*_params`` dict can be set
        as ``trunk_params__channels=(16, 32)``: the dict is copied with that entry
        replaced (the given dict is never modified), so grid searches can tune it; so can
        one task's entry of ``task_weights``, ``head_lr``, ``head_hidden``,
        ``class_weight`` or ``pos_weight`` (``task_weights__sex=2.0``). As in
        skorch, ``optimizer__<name>`` sets the optimizer's argument (an entry of
        ``optimizer_params``; ``optimizer__lr`` is ``lr``), and
        ``callbacks__<name>__<param>`` a callback's parameter.

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : MultiTaskClassifier
            The estimator.
        """
        nested, by_callback, replaced = {}, {}, {}
        for key in list(params):
            name, sep, entry = key.partition("__")
            if sep and name.endswith("_params") and name in self.get_params(deep=False):
                nested.setdefault(name, {})[entry] = params.pop(key)
            elif sep and name in _TASK_DICTS:
                # one task's entry (task_weights__sex=2.0, a grid over one task's weight):
                # scikit-learn's nested set_params failed on the dict (or None) with an
                # AttributeError, "'NoneType' object has no attribute 'set_params'"
                base = params.get(name, getattr(self, name))
                if base is not None and not isinstance(base, Mapping):
                    raise ValueError(
                        f"Invalid parameter {key!r}: {name} is {base!r}, which has no "
                        f"entries to set; set {name} in full, e.g. "
                        f"{name}={{{entry!r}: ...}}."
                    )
                nested.setdefault(name, {})[entry] = params.pop(key)
            elif sep and name == "optimizer" and not hasattr(
                    params.get("optimizer", self.optimizer), "set_params"):
                # skorch's way to the optimizer's arguments (optimizer__lr is lr)
                if entry == "lr":
                    if "lr" in params:  # (one of the two was kept, silently)
                        raise ValueError(
                            f"Invalid parameters {key!r} and 'lr': both set the learning "
                            "rate; give one."
                        )
                    params["lr"] = params.pop(key)
                else:
                    nested.setdefault("optimizer_params", {})[entry] = params.pop(key)
            elif sep and name == "loss_weighting" and isinstance(
                    params.get("loss_weighting", self.loss_weighting), str):
                # a strategy given by name takes its parameters in loss_weighting_params
                # (scikit-learn's nested set_params failed on the str with an
                # AttributeError): loss_weighting__temperature sets the same entry
                nested.setdefault("loss_weighting_params", {})[entry] = params.pop(key)
            elif sep and name in _SKORCH_PARTS:
                raise ValueError(
                    f"Invalid parameter {key!r}: {type(self).__name__} has no skorch "
                    f"{name}__ parameters; {_SKORCH_PARTS[name]}."
                )
            elif sep and name == "callbacks":
                target, sep, param = entry.partition("__")
                if not sep:  # the callback itself, as skorch sets it: another, or None
                    replaced[target] = _callback_or_none(key, params.pop(key))
                    continue
                by_callback.setdefault(target, {})[param] = params.pop(key)
        for name, entries in nested.items():
            base = params.get(name, getattr(self, name))
            params[name] = {**(base or {}), **entries}
        if replaced or by_callback:
            params["callbacks"] = _set_callback_params(
                params.get("callbacks", self.callbacks), by_callback, replaced)
        return super().set_params(**params)

    def get_params(self, deep=True):
        """Parameters of this estimator; with ``deep``, also each callback, as
        ``callbacks__<name>``, and its parameters, as ``callbacks__<name>__<param>``
        (see ``callbacks``), as skorch lists them.

        Parameters
        ----------
        deep : bool, default=True
            Also the callbacks and their parameters.

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        params = super().get_params(deep=deep)
        if deep:
            for name, callback in _uniquely_named_callbacks(self.callbacks):
                # a class, built only at fit, is not listed, nor its parameters (skorch
                # lists an uninitialised callback's none either); None: switched off
                if isinstance(callback, type):
                    continue
                params[f"callbacks__{name}"] = callback
                if hasattr(callback, "get_params"):
                    params.update({f"callbacks__{name}__{key}": value
                                   for key, value in callback.get_params(deep=False).items()})
        return params

    # ------------------------------------------------------------------------ input
    def _validate_X(self, X, *, reset, fit_rows=None, rows=False):
        """``X`` checked and, for a 2-D table, preprocessed; with ``rows`` (prediction)
        a table is left as :class:`_TableRows`, preprocessed batch by batch in
        ``_forward``, so that prediction never holds the whole preprocessed table (the
        encoded view's columns are many times the input's). ``fit_rows`` (with
        ``reset``): the mask of the rows of positive ``sample_weight`` that the
        preprocessing is fitted on (``None``: every row; see ``_fit_preprocessor``)."""
        refuse_mappings(X)
        if isinstance(X, ParquetShards):  # fit reads them (fit_shards); nothing else does
            raise ValueError(
                f"X is ParquetShards, which {type(self).__name__} fits on but does not "
                "predict from: sklearn_mtl.sharded.predict_shards(model, shards, output) "
                "writes their predictions file by file; or pass rows in memory, e.g. "
                "shards.dataset.to_table(columns=shards.features).to_pandas()."
            )
        if isinstance(X, IterableDataset):
            raise ValueError(
                f"X is a torch IterableDataset ({type(X).__name__}), which "
                f"{type(self).__name__} can neither index nor align with y. Use a map-style "
                "Dataset (__len__ and __getitem__), a memory-mapped array, or "
                "sklearn_mtl.sharded.ParquetShards to read features and labels lazily."
            )
        if isinstance(X, DataLoader):  # as skorch's fit takes a Dataset, not a loader
            raise ValueError(
                f"X is a torch DataLoader; pass its Dataset, X.dataset: "
                f"{type(self).__name__} batches it itself (batch_size, num_workers) and "
                "takes the labels from y."
            )
        users_dataset = isinstance(X, Dataset)  # (not a memory map read as one below)
        fitted = getattr(self, "_input_shape", None)
        if (not reset and isinstance(X, (np.ndarray, torch.Tensor)) and fitted is not None
                and len(fitted) > 1 and X.ndim == 2):
            # flattened images (X.reshape(n, -1)): the error said "X has 768 features,
            # but ... is expecting 3 features", its channels, without the shape it expects
            shape = ", ".join(map(str, fitted))
            flat = X.shape[1] == flat_size(fitted)
            raise ValueError(
                f"X has shape {tuple(X.shape)}, rows of {X.shape[1]} features, but "
                f"{type(self).__name__} was fitted on samples of shape {fitted} and expects "
                f"X of shape (n_samples, {shape})."
                + (f" If each row is one sample flattened, pass X.reshape(-1, {shape})."
                   if flat else "")
            )
        # images checked before the memory-map branch, which refused them in the words
        # of a table ("X has 12 features"), and tensors as arrays
        shape = tuple(int(d) for d in X.shape) if isinstance(
            X, (np.ndarray, torch.Tensor)) else None
        if (not reset and shape is not None and fitted is not None and len(fitted) > 1
                and len(shape) == len(fitted) and shape[0] != 1 and fitted[0] == 1
                and shape[1:] == fitted[1:]):
            # grey images (or clips) without their one channel axis: read as one sample,
            # the advice was X[np.newaxis], which makes the images its channels
            raise ValueError(
                f"X has shape {shape}, but {type(self).__name__} was fitted on samples of "
                f"shape {fitted}, with 1 channel first: for samples without their channel "
                f"axis, pass X[:, np.newaxis] (shape {(shape[0], *fitted)})."
            )
        if (not reset and shape is not None and fitted is not None
                and len(fitted) > 1 and len(shape) == len(fitted)):
            # one image (channels, height, width) or clip without its batch axis: read
            # as a batch, its channels were taken for samples and the error spoke of
            # "features" (as scikit-learn refuses a 1-D sample, "Reshape your data")
            if shape[0] != fitted[0]:
                # not one sample (its channels are not the model's): X[np.newaxis] would
                # make it one of shape[0] channels; likely a batch without channel axis
                raise ValueError(
                    f"X has shape {shape}, one sample's number of axes, but "
                    f"{type(self).__name__} was fitted on samples of shape {fitted} and "
                    f"expects a batch of them, shape (n_samples, {fitted[0]}, ...). Read as "
                    f"one sample, X has {_channels(shape[0])}, not {fitted[0]}; read as a "
                    f"batch, its samples lack the channel axis: give each sample its "
                    f"{_channels(fitted[0])}, X of shape {(shape[0], fitted[0], *shape[1:])}."
                )
            raise ValueError(
                f"X has shape {shape}, one sample's number of axes, but "
                f"{type(self).__name__} was fitted on samples of shape {fitted} and "
                f"expects a batch of them, shape (n_samples, ...). To predict one sample, "
                f"pass X[np.newaxis] (shape {(1, *shape)})."
            )
        if (not reset and shape is not None and fitted is not None
                and len(fitted) > 1 and len(shape) == len(fitted) + 1
                and shape[1] != fitted[0]):
            # images of other channels, or channels-last: the error said "X has 16
            # features, but ... is expecting 3 features", of channels it did not name
            last = shape[-1] == fitted[0]
            # clips of (frames, channels, height, width), as torchvision reads them
            frames_first = len(shape) == 5 and shape[2] == fitted[0]
            order = ", ".join(["0", str(len(shape) - 1), *map(str, range(1, len(shape) - 1))])
            raise ValueError(
                f"X has samples of shape {shape[1:]}, with {_channels(shape[1])} first, "
                f"but {type(self).__name__} was fitted on samples of shape {fitted}, with "
                f"{_channels(fitted[0])} first."
                + (" If the frames come first (frames, channels, height, width), as "
                   "torchvision's video readers give clips, pass X.transpose(0, 2, 1, 3, 4)."
                   if frames_first else
                   f" If the channels come last (as PIL, OpenCV and Keras give images), "
                   f"pass X.transpose({order})." if last else "")
            )
        if isinstance(X, np.memmap):  # also np.load(mmap_mode=...): read batch by batch
            _check_memmap(self, X, reset=reset)
            self._check_sample_shape(X.shape[1:], reset)
            if reset:
                self.preprocessor_ = None  # never a previous fit's
                if X.ndim == 2 and self.preprocessing is not None:
                    self.n_features_in_ = X.shape[1]
                    self._fit_preprocessor(_row_sample(X, _MEMMAP_FIT_ROWS, fit_rows))
                elif X.ndim > 2:
                    self._warn_step_unused(
                        f"a memory map of {X.ndim - 1}-D samples (images, clips)")
            if X.ndim == 2 and getattr(self, "preprocessor_", None) is not None:
                # preprocessed batch by batch: at prediction as rows, in fit as a Dataset
                return _TableRows(X, self.preprocessor_) if rows else PreprocessedRows(
                    X, self.preprocessor_)
            X = ArrayDataset(X, dtype=np.float32)
        if isinstance(X, Dataset):
            if len(X) < 1:  # as an array of no row is refused
                raise ValueError(
                    f"Found a Dataset with 0 sample(s) while a minimum of 1 is required by "
                    f"{type(self).__name__}."
                )
            if users_dataset and not reset:
                self._check_read_as_is(f"a torch Dataset ({type(X).__name__})", "a Dataset")
            sample = _dataset_sample(X)  # read lazily, as it comes: its first sample
            if reset:  # no preprocessing (nor a stale one)
                self.n_features_in_ = sample.shape[0]
                self.preprocessor_ = None
                # nor the names of a previous fit on a DataFrame, which were checked
                # against the columns of every table predicted (a memory map's check
                # forgets them in _check_memmap, an array's in validate_data)
                _check_feature_names(self, X, reset=True)
                if users_dataset:
                    self._warn_step_unused(f"a torch Dataset ({type(X).__name__})")
            elif sample.shape[0] != self.n_features_in_:  # as an array's check says
                what = "channels" if sample.ndim > 1 else "features"
                raise ValueError(
                    f"X is a Dataset whose samples have {sample.shape[0]} {what} (shape "
                    f"{tuple(sample.shape)}), but {type(self).__name__} is expecting "
                    f"{self.n_features_in_} {what} as input."
                )
            self._check_sample_shape(sample.shape, reset)
            return X
        if isinstance(X, torch.Tensor):
            X = X.detach().cpu().numpy()
        X = to_pandas(X)
        if not reset:  # a fit on shards read their dates as days: a frame's are too
            X = read_shard_times(X, getattr(self, "_shard_times", ()))
        preprocess = self.preprocessing is not None
        # a pandas sparse frame is read as a sparse matrix: its names, for its errors
        sparse_frame = isinstance(X, pd.DataFrame) and any(
            isinstance(dtype, pd.SparseDtype) for dtype in X.dtypes)
        names = X.columns if sparse_frame else None
        table_values = self._table_values(X, reset) if preprocess else None
        if table_values is not None:
            # the values of a table fitted as a DataFrame, as an array (X.to_numpy())
            # or rows: read by position, as scikit-learn's estimators read them (after
            # the warning that X has no names), by the preprocessor that typed its
            # columns in fit; its numbers were taken for text that no float reads
            validate_data(self, table_values, reset=False, skip_check_array=True)
            X = pd.DataFrame(table_values, columns=getattr(  # (its warning given once)
                self.preprocessor_, "feature_names_in_", None))
        elif preprocess and self._reads_frame(X, reset):
            # Strings and categories: the column checks here, the values in the
            # preprocessor, which one-hot encodes them. A user's step (a
            # ColumnTransformer that selects columns by name) gets the frame as given.
            validate_data(self, X, reset=reset, skip_check_array=True)
            if X.shape[0] < 1:
                raise ValueError(  # scikit-learn's words for an array
                    f"Found array with 0 sample(s) (shape={X.shape}) while a minimum of 1 "
                    f"is required by {type(self).__name__}."
                )
            fitted = getattr(getattr(self, "preprocessor_", None), "feature_names_in_", None)
            if (not reset and isinstance(self.preprocessing, str) and fitted is not None
                    and _get_feature_names(X) is None):
                # a frame of names that are not strings (read_csv(header=None)): read by
                # position after the warning above, which the recipe would give again
                X = X.set_axis(fitted, axis=1)
        else:
            try:
                # A table that the recipe scales is read in float64 (float32 stays float32)
                # and cast to float32 after scaling: epoch seconds, ids and prices in cents
                # lose their last digits in float32 (1_700_000_059 reads 1_700_000_000)
                # images, clips and sparse matrices: float32 from the start (a list is
                # taken for a table, and an image list cast after)
                # (a table this model preprocesses: not where it was fitted on a sparse
                # matrix, images or preprocessing=None, whose network reads float32)
                scaled = preprocess if reset else getattr(self, "preprocessor_", None) is not None
                table = scaled and not sp.issparse(X) and getattr(X, "ndim", 2) == 2
                if preprocess:  # pandas' gaps in object columns (a row built from a dict)
                    X = _object_gaps_as_nan(X)
                X = validate_features(
                    self, X, reset=reset, dtype=[np.float64, np.float32] if table
                    else np.float32, allow_nd=True, accept_sparse="csr",
                    ensure_all_finite="allow-nan" if preprocess else True,
                )
            except ValueError as exc:
                if "convert string" in str(exc) and np.ndim(X) == 1:
                    # one row of text and numbers (X.iloc[i], a Series) failed on its text
                    # before scikit-learn's check of its axes, which says to pass 2-D X
                    raise ValueError(
                        f"Expected a 2-D table, got a 1-D {type(X).__name__} of "
                        f"{len(X)} values. To predict one sample, pass a DataFrame of one "
                        "row: X.iloc[[i]] rather than X.iloc[i], or row.to_frame().T."
                    ) from exc
                if preprocess and "convert string" in str(exc) and not hasattr(X, "columns"):
                    # text in an array (a ColumnTransformer's "passthrough" columns): the
                    # recipe reads text columns of a DataFrame only (a DataFrame's is text
                    # in a column that fit read as numbers: the error as it is)
                    raise ValueError(
                        f"{str(exc).rstrip()}\nX is an array holding text; the default "
                        "preprocessing one-hot encodes the text columns of a DataFrame. "
                        "Pass X as a DataFrame (a ColumnTransformer gives one with "
                        "set_output(transform='pandas'))."
                    ) from exc
                if preprocess or sp.issparse(X) or sparse_frame or not any(
                        w in str(exc) for w in ("NaN", "convert string")):
                    raise  # (no preprocessing reads a sparse matrix's gaps either)
                raise ValueError(
                    f"{str(exc).rstrip()}\nWith preprocessing=None, X must hold finite "
                    "numbers; the default, preprocessing='auto', reads gaps (NaN) and the "
                    "text columns of a DataFrame."
                ) from exc
        self._check_sample_shape(X.shape[1:], reset)
        if X.ndim != 2:  # images and clips given as lists: the network reads float32
            X = X.astype(np.float32, copy=False)
        if sp.issparse(X):  # kept sparse: each mini-batch is densified on its own
            if not reset:
                self._check_read_as_is(
                    "a sparse matrix (a DataFrame of sparse columns; X.sparse.to_dense() "
                    "makes it the table)" if sparse_frame else "a sparse matrix", "sparse X")
            read, X = X, X.astype(np.float32, copy=False)  # (a pandas sparse frame: float64)
            if not np.isfinite(X.data).all():  # gaps are imputed in dense tables only
                message = (
                    "Input X contains NaN, infinity or a value too large for "
                    "dtype('float32') in a sparse matrix; expected finite values (missing "
                    "values are handled in dense tables only)."
                )  # the entry located as it was read (1e300, not float32's inf)
                raise ValueError(
                    f"{message}\n{first_bad_value(read, message=message, columns=names)}")
            if reset:  # (TF-IDF, one-hot: already on a common scale)
                self.preprocessor_ = None
                self._warn_step_unused("a sparse matrix")
            return X
        if preprocess and X.ndim > 2 and np.isnan(X).any():  # NaN is for tables only
            where = tuple(int(i) for i in np.argwhere(np.isnan(X))[0])
            raise ValueError(
                f"Input X contains NaN at index {where}; missing values are handled in 2-D "
                "tables only, expected finite values in images and clips."
            )
        if reset:
            self.preprocessor_ = None
            if preprocess and X.ndim == 2:
                self._fit_preprocessor(X, fit_rows)
            elif X.ndim > 2:
                self._warn_step_unused(f"an array of {X.ndim - 1}-D samples (images, clips)")
        if getattr(self, "preprocessor_", None) is not None:
            if rows:
                return _TableRows(X, self.preprocessor_)
            X = self.preprocessor_.transform(X)
            if sp.issparse(X):  # a user's step's sparse output: densified a batch at a time
                X = X.tocsr().astype(np.float32)
                check_step_output(X.data, self.preprocessor_)
                return X
            return network_input(X, self.preprocessor_)
        return X if X.flags.writeable else np.array(X)  # torch warns on read-only arrays

    def _warn_step_unused(self, what):
        """Warn where ``preprocessing`` is a step the user chose and X is ``what`` (a
        sparse matrix, a Dataset, images), which the network reads as it is: the step
        would otherwise go unused unsaid, as scikit-learn warns of a parameter its other
        settings ignore. ``"auto"`` and None stay silent."""
        if self.preprocessing is None or isinstance(self.preprocessing, str):
            return
        step, name = type(self.preprocessing).__name__, type(self).__name__
        warnings.warn(
            f"preprocessing={step}(...) is not used: X is {what}, whose values {name} "
            "reads as they are (only a 2-D table is preprocessed; preprocessor_ is None). "
            f"To apply the step, put it in a Pipeline in front: make_pipeline({step}(...), "
            f"{name}()); or set preprocessing='auto' or None to silence this warning.",
            UserWarning,
        )

    def _check_read_as_is(self, what, fitted_on):
        """A ValueError where ``X`` is ``what`` (a Dataset, a sparse matrix), whose values
        reach the network as they are, and this model was fitted on a dense table: its
        network reads rows only through the fitted preprocessing (``preprocessor_``)."""
        if getattr(self, "preprocessor_", None) is None:
            return
        raise ValueError(
            f"X is {what}, but this {type(self).__name__} was fitted on a table "
            f"with preprocessing (preprocessor_), and {what.split(' (')[0]}'s values are "
            "read as they are, without it: they would reach the network unscaled. Pass "
            "the table instead (an array, a DataFrame or a memory-mapped array), as in "
            "fit; or fit "
            f"on {fitted_on} (of values scaled yourself) to predict on it."
        )

    def _check_sample_shape(self, shape, reset):
        """Keep the shape of one sample of ``X`` in fit (``reset``); afterwards, a
        ValueError where the MLP trunk would read samples of another shape: it flattens
        each sample, so other images would fail in a matrix product or, with as many
        values, be read in the fitted layout. 2-D tables are checked by their number of
        features; other trunks (convolutions pool any image size) are not checked."""
        shape = tuple(int(d) for d in shape)
        if reset:
            self._input_shape = shape
            return
        fitted = getattr(self, "_input_shape", None)  # None: a model saved before it was kept
        if fitted is None or self.trunk != "mlp" or shape == fitted or len(shape) + len(
            fitted
        ) < 3:
            return
        raise ValueError(
            f"X has samples of shape {shape}, but {type(self).__name__} is expecting "
            f"samples of shape {fitted} as input (trunk='mlp' reads each sample's "
            f"{flat_size(fitted)} values in the layout it was fitted on)."
        )

    def _table_values(self, X, reset):
        """At prediction, ``X`` as a 2-D object array where it is an array or rows
        (lists) holding what only a DataFrame's columns hold (text, dates), and the
        recipe (``preprocessing="auto"``) was fitted on a DataFrame of such columns;
        else None."""
        pre = getattr(self, "preprocessor_", None)
        if (reset or not isinstance(self.preprocessing, str) or pre is None
                or isinstance(X, pd.DataFrame) or sp.issparse(X)
                or not (len(getattr(pre, "categorical_columns_", ()))
                        or len(getattr(pre, "time_columns_", ())))):
            return None
        if isinstance(X, np.ndarray):
            return X if X.ndim == 2 and X.dtype.kind in "OUS" and X.size else None
        if not isinstance(X, (list, tuple)):
            return None
        try:
            X = np.asarray(X, dtype=object)  # rows of numbers and text
        except ValueError:  # ragged rows: the validation's message names the row
            return None
        return X if X.ndim == 2 and X.size else None

    def _reads_frame(self, X, reset):
        """Whether the preprocessing step reads the DataFrame ``X`` as a frame, rather
        than the array it validates to: a user's step always does; the recipe's
        where a column is not numeric, and at prediction where it was fitted on a frame
        (whatever the new rows' dtypes). A frame of pandas sparse columns of numbers or
        booleans only, of fill value 0 (``pd.get_dummies(..., sparse=True)``), is read in
        fit as the sparse matrix it stores, booleans as numbers are: never made dense whole."""
        if not isinstance(X, pd.DataFrame):
            return False
        if not isinstance(self.preprocessing, str):
            return True
        if reset:
            return is_tabular_frame(X) and not (X.shape[1] and all(
                isinstance(dtype, pd.SparseDtype) and dtype.subtype.kind in "biuf"
                and dtype.fill_value == 0 for dtype in X.dtypes))
        # at prediction, as in fit: a step fitted on the float array gets the float array,
        # one fitted on a frame the frame. Its names tell a frame of string names; columns
        # that only a frame holds (text, categories, dates) tell one of other names (an
        # integer from read_csv(header=None), a MultiIndex), whose names a step keeps none of
        pre = getattr(self, "preprocessor_", None)
        return pre is not None and (
            getattr(pre, "feature_names_in_", None) is not None
            or len(getattr(pre, "categorical_columns_", ())) > 0
            or len(getattr(pre, "time_columns_", ())) > 0)

    def _fit_preprocessor(self, X, rows=None):
        """``preprocessor_``: ``preprocessing``'s transformer (``"auto"``: the recipe's
        :class:`~sklearn_mtl.neural.TabularPreprocessor`, with the second input view's
        encoding where the recipe trains two views), fitted on the table ``X``; ``rows``
        (a mask of the rows of positive ``sample_weight``): on those rows only."""
        # The recipe's own step returns arrays whatever scikit-learn's global
        # ``transform_output`` says, as HistGradientBoostingClassifier's encoder does; a
        # user's step keeps its own setting (its output is read as an array below).
        self.preprocessor_ = (
            TabularPreprocessor().set_output(transform="default")
            if self.preprocessing == "auto" else clone(self.preprocessing)
        )
        if getattr(self, "_input_views", False):  # the second view's encoding
            self.preprocessor_.set_params(n_bins=_VIEW_BINS,
                                          max_encoded_columns=_VIEW_MAX_ENCODED, ratios=True)
        if rows is not None and len(rows) == _num_samples(X) and rows.any():
            # a sample of weight 0 is as if dropped: it does not move the centres, scales
            # and categories the network reads its inputs by (nor does it in the loss)
            X = X.iloc[rows] if hasattr(X, "iloc") else X[rows]
        self.preprocessor_.fit(X)
        if getattr(self, "_input_views", False):
            self._input_views = len(self.preprocessor_.encoded_columns_) > 0

    @staticmethod
    def _as_tensor(X):
        return X if isinstance(X, Dataset) or sp.issparse(X) else torch.from_numpy(X)

    # -------------------------------------------------------------------------- fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None, groups=None, X_val=None, y_val=None,
            sample_weight_val=None):
        """Fit the network.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...), sparse matrix, tensor, torch Dataset or \
                ParquetShards
            Features: a table (n_samples, n_features), a ``scipy.sparse`` matrix
            (densified one mini-batch at a time), images (n_samples, C, H, W), clips
            (n_samples, C, T, H, W), a ``torch.utils.data.Dataset`` whose items are the
            features of one sample (read as float32, as arrays are), or
            :class:`~sklearn_mtl.sharded.ParquetShards` (features and labels read lazily
            from Parquet; data larger than memory).
        y : DataFrame, array-like of shape (n_samples, n_tasks) or (n_samples,)
            Structured labels in any form the encoder takes (named ``y``, not ``Y``,
            because scikit-learn's tools pass it by that keyword). ``None`` only with
            ``ParquetShards``, whose ``targets`` columns hold the labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights, multiplying each sample's loss.
        groups : array-like of shape (n_samples,), default=None
            Each sample's group (a patient, a store, a session). The ensemble's held-out
            folds (:class:`~sklearn_mtl.neural.MemberHoldout`) then keep each group
            whole, so the epoch and the read-outs chosen on them are chosen on groups the
            scored member never saw, as a ``GroupKFold`` would score the model; without
            it, a group's other samples in a member's training data reward memorising the
            group. The ensemble needs at least as many groups as members: with fewer
            than eight groups (two or more), ``ensemble_size="auto"`` trains one member
            a group, and with fewer than sixteen, a large table's two input views are
            not trained (their sixteen members would each hold out a group). Only the
            ensemble's folds read it: ``early_stopping``'s split does not (an error,
            unless ``X_val`` replaces that split), and a model without held-out folds
            (one network) warns that it goes unused.
        X_val, y_val : validation data, default=None
            With ``early_stopping=True``, the data each epoch is scored on, in place of
            ``validation_fraction`` of ``X`` (every sample of ``X`` then trains), as
            ``HistGradientBoostingClassifier.fit`` and skorch's ``predefined_split``
            take them. ``X_val`` goes through the preprocessing fitted on ``X``; ``y_val``
            is read as ``y`` is (the same tasks; missing labels are not scored).
        sample_weight_val : array-like of shape (n_val_samples,), default=None
            Per-sample weights of the validation loss.

        Returns
        -------
        self : MultiTaskClassifier
        """
        own_split = self._check_validation_args(X, X_val, y_val, sample_weight_val)
        if groups is not None:
            if isinstance(X, ParquetShards):
                raise ValueError("groups is not supported with ParquetShards.")
            if self.early_stopping and not own_split:
                raise ValueError(
                    "groups keeps a group's samples in one of the ensemble's held-out "
                    "folds; early_stopping's validation split is drawn without them. "
                    "Set early_stopping=False, or pass the validation data as X_val and "
                    "y_val (each group on one side)."
                )
            groups = check_groups(groups, _num_samples(X))
        if not (self.warm_start and hasattr(self, "net_")):  # a new ensemble: its size
            self._n_groups = None if groups is None else len(np.unique(groups))
        if self.data_parallel:
            setup_data_parallel(self.device)  # under torchrun: join the process group
        if not (self.warm_start and hasattr(self, "net_")):
            self._shard_times = ()  # set by a fit on shards (the columns read as days)
        if isinstance(X, ParquetShards):  # labels from its columns, features read lazily
            self._input_views, self.input_view_ = False, None
            fit_shards(self, X, y, sample_weight)
            self._fit_params = self._recorded_params()
            self._no_readouts()  # the samples are read lazily: no held-out read-outs
            return self
        self._require_y(y)
        X = to_pandas(X)  # a polars table is read as pandas (its dtypes, its gaps)
        if isinstance(X, torch.Tensor):  # read as _validate_X reads it (also the lookup's
            X = X.detach().cpu().numpy()  # rows: a tensor that requires grad failed there)
        raw = X  # as the user gave it: the lookup compares rows as they come
        if self.warm_start and hasattr(self, "net_"):
            partial = self.__dict__.get("_partial")  # partial_fit trains on as it is
            # the values set since, checked as a first fit checks them: a warm start
            # applies a new head_lr, task_weights or class_weight
            self._check_task_dicts()
            if not partial:
                self._check_network_params()
            else:
                self._warn_params_kept()
            check_row_order(X, y)
            check_weight_order(X, sample_weight)  # (X's index: before it is validated)
            X = self._validate_X(X, reset=False)
            encoded = encode_more(self, y)
            check_same_length(X, encoded)
            if sample_weight is not None:
                sample_weight = check_sample_weight(sample_weight, X)
            if getattr(self, "_target_scaling_unset", None):  # a target without spread yet
                self._fit_target_scaling(encoded, sample_weight,
                                         only=self._target_scaling_unset)
            # batch_size, verbose, callbacks, the schedule over this training's steps...
            epochs = self._refresh_net(_num_samples(X), split=not own_split)
            self._follow_device()  # a device set since: training goes on there
            # the combinations of these labels join those seen before (decoding over the
            # observed ones could not predict them); a new fit's labels give the mass
            # of new combinations to expect, a partial_fit batch's alone would not
            self.observed_combinations_ = _merged_combinations(
                self.observed_combinations_, encoded, sample_weight)
            if not partial:
                self.unseen_combination_mass_ = unseen_combination_mass(encoded, sample_weight)
                self._apply_training_params(encoded, sample_weight)
            k = n_members(self.net_.module_)
            view = getattr(self, "input_view_", None)
            targets = self._with_folds(  # as the first fit drew them: two views' folds,
                self._targets(encoded, sample_weight, _num_samples(X)),  # the kept one's
                2 * k if view is not None else k, groups,
            )
            if view is not None:
                targets = _view_folds(targets, k, ("scaled", "encoded").index(view))
            valid = self._validation_data(X_val, y_val, sample_weight_val, targets.shape[1])
            # early_stopping and validation_fraction as they are now (none in partial_fit)
            self.net_.train_split = self._train_split(valid)
            self._rescale_regression_outputs(inverse=True)  # back to standardised units
            try:
                start = len(self.net_.history)  # this training's epochs follow
                with self._rng_context(self._seed + start):
                    self.net_.partial_fit(self._as_tensor(X), targets, epochs=epochs)
            finally:  # also where training raised: the outputs in the targets' units
                self.net_.train_split = self._train_split()  # keeps no validation data
                self._rescale_regression_outputs()
            self._check_finite_weights(start)
            self._fit_readouts(X, encoded, sample_weight, targets, raw)
            return self
        self._input_views, self.input_view_ = self._views_wanted(X), None
        # (the preprocessing is fitted on the rows of positive weight: see _validate_X)
        X, encoded, sample_weight = self._check_fit_inputs(
            X, y, sample_weight, batch=bool(self.__dict__.get("_partial"))
        )
        self._check_task_dicts()
        self._class_weight_values = [
            self._class_weights(task, encoded.codes[:, j], sample_weight)
            for j, task in enumerate(self.schema_)
        ]
        self._pos_weight_values = self._pos_weights(encoded, sample_weight)
        self.unseen_combination_mass_ = unseen_combination_mass(encoded, sample_weight)
        self._weighting = resolve_strategy(self.loss_weighting, self.loss_weighting_params)
        self._fit_target_scaling(encoded, sample_weight)
        targets = self._targets(encoded, sample_weight, _num_samples(X))
        self._seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        if self.data_parallel:
            self._seed = same_seed(self._seed)
        self._epochs, self._total_steps = self._training_length(_num_samples(X),
                                                                split=not own_split)
        with self._rng_context(self._seed):
            module = self._build_module(X)
            # the folds of the module's members: the recipe's ensemble or a user's own
            targets = self._with_folds(targets, n_members(module), groups)
            valid = self._validation_data(X_val, y_val, sample_weight_val, targets.shape[1])
            criterion = self._build_criterion()
            _check_param_groups(self.optimizer_params, module, criterion)
            self.net_ = self._build_net(module, criterion, valid=valid)
            self._fit_params = self._recorded_params()  # what a warm start compares with
            try:
                self.net_.fit(self._as_tensor(X), targets)
            finally:  # also where training raised, as after a warm start: the outputs in
                # the targets' units, which a warm start then reads back (a regression
                # head was left in the training's units, and a warm start after the
                # error standardised it a second time)
                self.net_.train_split = self._train_split()  # keeps no validation data
                if getattr(self.net_, "initialized_", False):
                    self._rescale_regression_outputs()
        self._check_finite_weights()
        targets = self._keep_view(targets)
        self._fit_readouts(X, encoded, sample_weight, targets, raw)
        return self

    def _check_finite_weights(self, start=0):
        """A ValueError where training left a weight NaN or infinite (its predictions
        would all be NaN), as ``MLPClassifier`` raises for its solver's; a
        ``ConvergenceWarning`` where the weights are finite but a loss of this training
        (the history from its ``start``-th epoch) was NaN or infinite: restored weights
        (the ensemble's held-out epoch, ``early_stopping``) or saturated outputs can
        hide a divergence that nothing else would report."""
        diverged = diverged_epochs(self.net_.history, start)
        hint = (
            f"Lower lr (now {self.lr}), scale X (preprocessing='auto' does), or check "
            "the weights given to the loss (class_weight, pos_weight, task_weights, "
            "sample_weight) and loss_weighting's parameters; history_ shows the loss "
            "epoch by epoch."
        )
        first = ""
        if diverged:
            epoch, key, value = diverged[0]
            first = f" ({key} was first {value} at epoch {epoch})"
        if all(bool(torch.isfinite(p).all()) for p in self.net_.module_.parameters()):
            if diverged:
                epochs = len(self.net_.history) - start
                warnings.warn(
                    f"The loss diverged: {key} was {value} at epoch {epoch}, and "
                    f"{len(diverged)} of the {epochs} epoch(s) trained had a NaN or "
                    "infinite loss. The network's weights are finite, but they may "
                    f"predict poorly. {hint}",
                    ConvergenceWarning,
                )
            return
        raise ValueError(
            "Training produced non-finite network weights (NaN or infinity): the loss "
            f"diverged{first}. {hint}"
        )

    def _recorded_params(self):
        """The parameters a warm start compares with the fitted ones (``_fit_params``):
        those that shape the network, the loss's and the optimizer's."""
        names = dict.fromkeys((*_NETWORK_PARAMS, *_LOSS_PARAMS, *_OPTIMIZER_PARAMS))
        return {name: _recorded(name, getattr(self, name)) for name in names}

    def _check_network_params(self):
        """Refuse a warm start after a change of a parameter that shapes the network: the
        fitted network cannot take it. A model saved before the parameters were
        recorded (no ``_fit_params``) is not checked."""
        fitted = self.__dict__.get("_fit_params")
        if fitted is None:
            return
        now = self._recorded_params()
        changed = []
        for name in _NETWORK_PARAMS:
            if name not in fitted:
                continue
            old, new = fitted[name], now[name]
            if name == "head_lr":  # set or not: per-head rates need a module per head
                if bool(old) != bool(new):
                    changed.append(f"head_lr (fitted {old!r}, now {new!r}; a learning rate "
                                   "per head needs heads that are not fused)")
            elif name in ("tasks", "encoder") and _unaddressed(old) != _unaddressed(new):
                changed.append(f"{name} (fitted {_shown(old)}, now {_shown(new)}; the "
                               "heads are built for the fitted schema_)")
            elif _unaddressed(old) != _unaddressed(new):
                changed.append(f"{name} (fitted {old!r}, now {new!r})")
        if changed:
            raise ValueError(
                "warm_start=True continues training the fitted network, but "
                f"{', '.join(changed)} changed since it was built, and "
                f"{'it shapes' if len(changed) == 1 else 'they shape'} the network. Set "
                "warm_start=False (or clone the estimator) to train a new network."
            )

    def _changed_params(self):
        """The names of the network's, loss's and optimizer's parameters changed since
        the network was built (or last fitted), in ``_recorded_params``' order; None for
        a model saved before the parameters were recorded."""
        fitted = self.__dict__.get("_fit_params")
        if fitted is None:
            return None
        now = self._recorded_params()
        return [name for name in now if name in fitted
                and _unaddressed(now[name]) != _unaddressed(fitted[name])]

    def _warn_params_kept(self):
        """In ``partial_fit``: a warning naming the network's, loss's and optimizer's
        parameters changed since the network was built (or last fitted), which
        ``partial_fit`` does not apply (it trains on as it is, as ``MLPClassifier``'s
        keeps its optimizer), rather than ignoring a new ``lr`` in silence."""
        changed = self._changed_params()
        if changed:
            rate = (f" (it trains at lr={self._fit_params['lr']!r})" if "lr" in changed
                    else "")
            warnings.warn(
                f"{', '.join(changed)} changed since the network was fitted; partial_fit "
                f"trains the network, its loss and its optimizer on as they are{rate}, as "
                "MLPClassifier.partial_fit does. A warm start applies a new loss or "
                "optimizer parameter (warm_start=True, then fit); one that shapes the "
                "network needs a new fit.",
                UserWarning, stacklevel=5,
            )

    def _apply_training_params(self, encoded, sample_weight=None):
        """On a warm start (not ``partial_fit``): the loss and optimizer parameters
        changed since the network was built apply to the training that follows, on the
        same module and history. A changed loss parameter rebuilds the criterion (a
        ``"balanced"`` ``class_weight`` or ``pos_weight`` set anew is counted on
        ``encoded``, this fit's labels), keeping the weighting strategy's module and its
        state unless ``loss_weighting`` or its parameters changed; a changed optimizer
        parameter, or a new strategy with learned parameters, builds a new optimizer,
        whose moments start again, as ``MLPClassifier``'s warm start does. Nothing
        changed: the network trains on as it is."""
        changed = self._changed_params()
        if changed is None:
            return
        changed = set(changed)
        # "balanced" is counted on each fit's labels, as a warm-started LogisticRegression
        # or SGDClassifier counts it: the first fit's counts weighed this one's classes
        changed |= {name for name in ("class_weight", "pos_weight")
                    if _names_balanced(getattr(self, name))}
        net = self.net_
        new_optimizer = bool(changed & set(_OPTIMIZER_PARAMS))
        if changed & set(_LOSS_PARAMS):
            if "class_weight" in changed:
                self._class_weight_values = [
                    self._class_weights(task, encoded.codes[:, j], sample_weight)
                    for j, task in enumerate(self.schema_)
                ]
            if "pos_weight" in changed:
                self._pos_weight_values = self._pos_weights(encoded, sample_weight)
            weighting = getattr(net.criterion_, "weighting", None)
            if {"loss_weighting", "loss_weighting_params"} & changed or weighting is None:
                old = list(net.criterion_.parameters())
                self._weighting = resolve_strategy(self.loss_weighting,
                                                   self.loss_weighting_params)
                weighting = self._weighting.build(self.schema_)
                if self.data_parallel or self.__dict__.get("mixed_precision_"):
                    check_weighting(
                        weighting, data_parallel=self.data_parallel,
                        mixed_precision=self.mixed_precision_,
                        name=self.loss_weighting if isinstance(self.loss_weighting, str)
                        else None,
                    )
                # the optimizer holds the old strategy's parameters, if any
                new_optimizer |= bool(old) or any(p.requires_grad
                                                  for p in weighting.parameters())
            net.criterion = self._build_criterion(weighting)
            net._initialize_criterion()  # on the net's device
        if new_optimizer:
            _check_param_groups(self.optimizer_params, net.module_, net.criterion_)
            for key in [key for key in vars(net) if key.startswith("optimizer__")]:
                delattr(net, key)  # skorch keeps the optimizer's arguments as attributes
            kwargs = self._optimizer_kwargs(net.criterion_, net.module_)
            net.fast_step = kwargs.pop("fast_step")
            vars(net).update(kwargs)
            net.optimizer, net.lr = self.optimizer, self.lr
            net._initialize_optimizer()
        self._fit_params = self._recorded_params()

    def _views_wanted(self, X):
        """Whether ``fit`` trains the recipe's two input views (see ``input_view_``): a
        2-D table of at least ``_VIEW_MIN_SAMPLES`` samples, ``preprocessing="auto"``,
        the default MLP ensemble with the recipe's own epoch selection, one process, and
        without ``groups`` or with a group for each of the views' members to hold out."""
        n_groups = self.__dict__.get("_n_groups")
        return bool(
            isinstance(self.preprocessing, str) and self.ensemble_size == "auto"
            and self._ensemble_members() > 1
            and (n_groups is None or n_groups >= 2 * _DEFAULT_ENSEMBLE)
            and not _has_callback(self.callbacks, MemberHoldout) and not self.early_stopping
            and not self.data_parallel and not self.__dict__.get("_partial")
            and not isinstance(X, (Dataset, torch.Tensor, np.memmap)) and not sp.issparse(X)
            and _num_samples(X) >= _VIEW_MIN_SAMPLES
            and len(getattr(X, "shape", None) or np.shape(np.asarray(X, dtype=object))) == 2
        )

    def _view_masks(self, n_features):
        """The input columns each member of the recipe's ensemble reads, (members,
        n_features) bool, or ``None`` (every member reads every column)."""
        if not getattr(self, "_input_views", False) or getattr(self, "preprocessor_", None) is None:
            return None
        k = self._ensemble_members()
        if getattr(self, "input_view_", None) is not None:  # chosen: k members (a load)
            return np.ones((k, n_features), dtype=bool)  # the mask comes with the weights
        scaled = np.ones(n_features, dtype=bool)
        scaled[self.preprocessor_.encoded_columns_] = False
        return np.vstack([np.tile(scaled, (k, 1)), np.ones((k, n_features), dtype=bool)])

    def _keep_view(self, targets):
        """After training the two input views: drop the members of the view that did
        worse on their held-out folds (``input_view_``); the targets' fold column then
        numbers the kept members' folds (-1: a fold no kept member held out)."""
        if not getattr(self, "_input_views", False):
            return targets
        history = self.net_.history
        kept = history[-1].get("member_view") if len(history) else None
        if kept is None:  # no held-out score: both views stay, as trained
            return targets
        k = self._ensemble_members()
        index = np.arange(k) + k * int(kept)
        pairs = keep_members(self.net_.module_, index)
        state = self.net_.optimizer_.state
        self.net_.initialize_optimizer()  # the kept members' parameters are new tensors;
        # their moments go with them, so that a warm start continues where training ended
        carry_member_state(self.net_.optimizer_, state, pairs, index)
        self.input_view_ = ("scaled", "encoded")[int(kept)]
        return _view_folds(targets, k, int(kept))

    def _fit_readouts(self, X, encoded, sample_weight, targets, raw=None):
        """After training, on the members' held-out folds: the neighbour blend
        (``neighbors``), the lookup of rows seen in training (``lookup``, on ``raw``, the
        table as given) and, with ``decode="auto"`` and no gated task, the combination
        probe (``combination_weight_``), where many new combinations are expected
        together with the choice between decoding over the observed combinations and
        deciding task by task."""
        kinds = [t.kind for t in self.schema_]
        self._no_readouts()
        probe = self._probe_wanted(kinds, len(encoded.codes))
        table = (isinstance(X, np.ndarray) and X.ndim == 2) or sp.issparse(X)
        columns = row_ids = None
        if self.lookup is not None and table and not sp.issparse(X):
            rows = np.asarray(raw) if isinstance(raw, (list, tuple)) else raw
            columns = table_columns(rows)
            if columns is not None and not float32_tells_apart(columns, rows):
                columns = None  # rows that differ would be read as repeats
            row_ids = None if columns is None else row_keys(columns)
            if row_ids is not None and len(np.unique(row_ids)) == len(row_ids):
                columns = None  # no row repeats: nothing to look up
        if (
            (self.neighbors is None and not probe and columns is None)
            or self.__dict__.get("_partial")
            or not self.net_.__dict__.get("_member_holdout")
            or not table
            or world()[1] > 1  # each process holds a shard of the samples
        ):
            return  # only an ensemble trained with held-out folds, on a table
        folds = targets[:, -1].numpy().astype(np.int64)
        feats, held_out = held_out_pass(
            self.net_.module_, X, folds, kinds, self.batch_size, self.net_.device
        )
        if self.neighbors is not None and not sp.issparse(X):
            n_classes = [len(t.classes) if t.kind in BLENDABLE else 0 for t in self.schema_]
            self.neighbor_counts_, self.neighbor_weights_ = select_blend(
                feats, held_out, encoded.codes, kinds, n_classes, folds, sample_weight
            )
            if self.neighbor_weights_.any():
                # a copy: votes read it; without the samples of weight 0, which are
                # absent (no one's neighbour, nor taking a voter's place)
                present = (slice(None) if sample_weight is None
                           else np.asarray(sample_weight) > 0)
                self._neighbor_X = np.array(X[present], dtype=np.float32)
                self._neighbor_codes = encoded.codes[present].copy()
        if columns is not None:
            n_classes = [len(t.classes) if t.kind in BLENDABLE else 0 for t in self.schema_]
            self._lookup, held_out = fit_lookup(
                row_ids, columns, encoded.codes, kinds, n_classes, folds, held_out, sample_weight
            )
            if self._lookup is not None:
                self.lookup_tasks_ = np.array([c is not None for c in self._lookup.counts])
        if probe:
            observed = self.observed_combinations_
            held = folds >= 0  # samples a member held out (see ``_keep_view``)
            own = None  # over too many combinations no probe: its weight stays 0
            if len(observed) <= MAX_PROBE_COMBINATIONS:
                weight, bias = fit_probes(
                    feats, combination_index(encoded.codes, observed), folds, len(observed),
                    seed=self._seed, sample_weight=sample_weight,
                )
                own = held_out_probe(feats, weight, bias, folds)[held]
            task_scores = combination_scores(  # floored, as predict scores them
                [h.numpy()[held] for h in held_out], self.schema_, observed, floor=True
            )
            # where many new combinations are expected, the held-out folds also decide
            # whether to decode over the observed ones at all
            independent = None if isinstance(self._decoder(), JointDecoder) else np.stack(
                [h.numpy()[held].argmax(1) for h in held_out], axis=1)
            decoding, self.combination_weight_ = choose_decoding(
                task_scores, own, observed, encoded.codes[held], independent,
                None if sample_weight is None else np.asarray(sample_weight)[held],
            )
            self._held_out_decoding = decoding
            if self.combination_weight_ > 0:
                self._probe_weight, self._probe_bias = weight.numpy(), bias.numpy()

    def _no_readouts(self):
        """The network alone: no neighbour blend, no combination probe."""
        self.neighbor_counts_ = np.zeros(len(self.schema_), dtype=np.int64)
        self.neighbor_weights_ = np.zeros(len(self.schema_))
        self._neighbor_X = self._neighbor_codes = None
        self.lookup_tasks_ = np.zeros(len(self.schema_), dtype=bool)
        self._lookup = None
        self.combination_weight_ = 0.0
        self._probe_weight = self._probe_bias = None
        self._held_out_decoding = None  # "auto"'s decoding as its rule sets it

    def _probe_wanted(self, kinds, n_samples):
        """Whether ``fit`` fits the combination probe: ``decode="auto"``, two tasks or
        more, none gated, every task binary or multiclass, a bounded size."""
        observed = getattr(self, "observed_combinations_", None)
        return (
            isinstance(self.decode, str) and self.decode == "auto"
            and not any(task.gate is not None for task in self.schema_)
            and len(kinds) > 1 and all(kind in BLENDABLE for kind in kinds)
            and observed is not None and len(observed) > 1
            and min(n_samples, MIN_PROBE_ROWS) <= probe_rows(len(observed))
        )

    def _training_length(self, n_samples, split=True, epochs=None):
        """``(epochs, optimizer steps)`` of one ``fit`` on ``n_samples`` samples.

        ``epochs`` where given (a warm start's), else ``max_epochs`` when it is set.
        Otherwise the recipe's rule: as many epochs as make about ``_TARGET_STEPS``
        optimizer steps, within ``_EPOCH_RANGE``, so a small table is not under-trained
        and a large one does not take forever.
        """
        n_train = n_samples
        if self.early_stopping and split:  # (not where X_val is the validation data)
            n_train = n_samples - int(np.ceil(self.validation_fraction * n_samples))
            if n_train < 1:  # (scikit-learn's split said so without naming the parameter)
                raise ValueError(
                    f"early_stopping holds out validation_fraction="
                    f"{self.validation_fraction} of the {n_samples} training sample(s), "
                    "which leaves none to train on. Lower validation_fraction, or pass "
                    "the validation data as X_val and y_val."
                )
        steps_per_epoch = max(int(np.ceil(n_train / self.batch_size)), 1)
        if (self.batch_norm and self.trunk == "mlp" and steps_per_epoch > 1
                and n_train % self.batch_size == 1):
            steps_per_epoch -= 1  # a one-row last batch joins the one before (_merged_bounds)
        if epochs is not None:
            epochs = int(epochs)
        elif self.max_epochs is not None:
            epochs = int(self.max_epochs)
        else:
            low, high = _EPOCH_RANGE
            epochs = int(np.clip(np.ceil(_TARGET_STEPS / steps_per_epoch), low, high))
        return epochs, epochs * steps_per_epoch

    def _with_folds(self, targets, k, groups=None):
        """The target tensor, plus for an ensemble of ``k`` members a last column with
        each sample's fold (0 .. k - 1, balanced, seeded): the fold its member holds out
        (see :class:`~sklearn_mtl.neural.MemberHoldout`); with ``groups``, each group in
        one fold (:func:`group_folds`). The loss reads only its own columns."""
        if k <= 1 or (self.early_stopping and not _has_callback(self.callbacks, MemberHoldout)):
            if groups is not None:
                warnings.warn(
                    "groups is unused: this model has no held-out folds (an ensemble of "
                    "one member, a trunk of its own, or early_stopping=True, whose "
                    "validation data choose the epoch), and only they read groups.",
                    UserWarning,
                )
            return targets
        rng = np.random.RandomState(self._seed)
        if groups is None:
            folds = rng.permutation(len(targets)) % k
        else:
            folds = group_folds(groups, k, rng)
        return torch.cat([targets, torch.from_numpy(folds.astype(np.float32))[:, None]], 1)

    def _decoder(self):
        if not (isinstance(self.decode, str) and self.decode == "auto"):
            return self.decode
        # The recipe: the most probable combination seen in training, unless new
        # combinations are likely or tasks are gated (then each task's own most probable
        # value). Under gates the joint probability of a gated-on combination multiplies
        # the gated tasks' probabilities, so joint decoding leans to switching gates off:
        # it keeps exact match but costs the gated tasks' accuracy.
        # Where many new combinations are expected, the held-out folds may still choose
        # the observed ones (see ``combination_weight_``).
        chosen = getattr(self, "_held_out_decoding", None)
        if chosen is not None:
            return JointDecoder(allowed="observed") if chosen == "observed" else "independent"
        gated = any(task.gate is not None for task in self.schema_)
        if not gated and self.unseen_combination_mass_ <= _OBSERVED_DECODING_MAX_UNSEEN:
            return JointDecoder(allowed="observed")
        return "independent"

    def partial_fit(self, X, y=None, classes=None, sample_weight=None):
        """One pass over one batch, as :meth:`MLPClassifier.partial_fit
        <sklearn.neural_network.MLPClassifier.partial_fit>` does.

        The first call builds the network with the schema learned from ``y``, completed
        by ``classes`` (or given by ``tasks``/``encoder``, which must then list every
        class) and trains one epoch over the batch; each later call trains one more
        epoch on the batch it is given, which must fit that schema. A batch, the first
        too where the classes are known, may lack every label of a classification
        task: that task's head then does not train on it. Each call trains at
        the constant rate ``lr``, also after a ``fit`` (whose schedule ended at 0), with
        the ``batch_size``, ``verbose`` and ``callbacks`` set now; the network, its loss
        and its optimizer go on as they were built (as ``MLPClassifier``'s optimizer
        does): a parameter of theirs set since (``lr`` too) is not applied, with a
        warning naming it (a warm start applies it). ``early_stopping``
        does not apply (there is no held-out part of a batch); ``class_weight`` and
        ``pos_weight`` set to ``"balanced"`` are computed on the first batch (a class
        absent from it weighs 1), and so is the preprocessing (``preprocessor_``), kept
        for the later batches.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, ...)
            One batch of samples.
        y : DataFrame, array-like of shape (n_samples, n_tasks) or (n_samples,)
            Its structured labels. ``None`` only with ``ParquetShards``, whose
            ``targets`` columns hold the labels (as for :meth:`fit`).
        classes : list of array-like or dict of str -> array-like, default=None
            The classes of every task, one array per task in column order (one array
            for a 1-D ``y``), as for :class:`~sklearn.multioutput.MultiOutputClassifier`,
            or ``{task: classes}``: read on the first call; a later call may repeat
            them, in any order, and raises a ValueError where they differ.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights, multiplying each sample's loss.

        Returns
        -------
        self : MultiTaskClassifier
            The updated estimator.
        """
        self._validate_params()  # the user's values, before the overrides below
        # One epoch at a constant learning rate (a schedule spans one fit, not a stream).
        overrides = {"max_epochs": 1, "early_stopping": False, "lr_schedule": "constant"}
        labels = y  # what classes are read against: y, or the shards' targets columns
        if not isinstance(X, ParquetShards):
            self._require_y(y)  # (classes read against y=None: an IndexError)
        elif y is None and classes is not None and not hasattr(self, "net_"):
            labels = X.labels()  # as fit_shards reads them (it refuses a second call)
        if hasattr(self, "net_"):
            if not isinstance(X, ParquetShards):  # (fit_shards refuses a second call)
                check_same_classes(self, labels, classes)
            overrides["warm_start"] = True
        elif classes is not None:
            overrides["tasks"] = tasks_from_classes(self, labels, classes)
        saved = {name: getattr(self, name) for name in overrides}
        first = not hasattr(self, "net_")
        try:  # fit() with these parameters; the user's parameters are put back after
            for name, value in overrides.items():
                setattr(self, name, value)
            # no read-outs fitted on one batch, nor a warning that it shows a single
            # class of a task (see _check_task_labels)
            self.__dict__["_partial"] = True
            return self.fit(X, y, sample_weight=sample_weight)
        finally:
            self.__dict__.pop("_partial", None)
            for name, value in saved.items():
                setattr(self, name, value)
            if first and "tasks" in overrides and "_fit_params" in self.__dict__:
                # the user's tasks (None), not those classes completed, which a later
                # call or warm start compares with its own
                self._fit_params["tasks"] = _recorded("tasks", self.tasks)
            if first and hasattr(self, "net_"):
                # the one epoch of the override is not the training length that a
                # warm-start fit with max_epochs=None trains again (it trained 1 epoch):
                # that fit trains the recipe's (see _refresh_net)
                self._epochs = None

    def _rng_context(self, seed):
        return _seeded(seed, torch.device(self.device))

    def _check_task_dicts(self):
        """The parameters read against the schema (the task dicts: ``head_lr``,
        ``task_weights``, ``class_weight``...) and the numeric values the parameter
        constraints cannot check, on every ``fit``: a warm start's too."""
        names = set(self.schema_.names)
        if "best" in names:  # train_loss_<task>, valid_acc_<task>: skorch's flags
            raise ValueError(
                "MultiTaskClassifier records each task's losses in history_ as "
                "train_loss_<task> and valid_loss_<task>; a task named 'best' would write "
                "over skorch's train_loss_best and valid_loss_best flags (which Checkpoint "
                "and EarlyStopping read). Rename the task, e.g. Y.rename(columns={'best': "
                "'best_'})."
            )
        for param in ("head_hidden", "head_lr", "task_weights"):
            value = getattr(self, param) or {}
            unknown = sorted(set(value) - names)
            if unknown:
                raise ValueError(
                    f"{param} names unknown task(s) {unknown}; the tasks are {self.schema_.names}."
                )
        if isinstance(self.class_weight, dict):
            for name in self._class_weight_by_task():
                task = self.schema_[name] if name in names else None
                if task is None:
                    raise ValueError(
                        f"class_weight names unknown task {name!r}; the tasks are "
                        f"{self.schema_.names}."
                    )
                if not task.is_classification:
                    raise ValueError(
                        f"class_weight is for binary and multiclass tasks; task {name!r} is "
                        f"{task.kind}."
                    )
        check_network_params(self)
        if self.task_weights and not any(
                float(self.task_weights.get(name, 1.0)) > 0 for name in self.schema_.names):
            # a loss of 0 on every batch: the network kept its initial weights, and its
            # predictions, without a word (a sample_weight of 0s alone is refused)
            raise ValueError(
                f"task_weights gives every task a weight of 0 ({self.task_weights!r}): "
                "the loss would be 0 and the network would not train. Give at least one "
                "task a positive weight."
            )
        # the optimizer's values, tried on a probe tensor: here, at fit, not where a
        # loaded model rebuilds its net (building an optimizer imports torch's compiler)
        _check_optimizer_params(self.optimizer, self.optimizer_params, self.lr)

    def _layout(self):
        """Per-task column slices of the target tensor: labels, then their weights."""
        specs, start = [], 0
        for task in self.schema_:
            width = len(task.classes) if task.kind == "multilabel" else 1
            specs.append({"kind": task.kind, "start": start, "width": width})
            start += 2 * width
        return specs

    def _fit_target_scaling(self, encoded, sample_weight=None, only=None):
        """Each regression task's mean and standard deviation over its training labels.

        The network learns the standardised values, and each regression output layer is
        rescaled to the labels' units after training (:meth:`_rescale_regression_outputs`):
        a target in grams then weighs in the loss as one in kilograms, next to the
        classification tasks' cross-entropies, as RealMLP standardises its targets. A
        warm start keeps the first fit's scaling. With ``sample_weight``, weighted, as the
        loss weighs the samples (a weight of 2 counts as the sample twice).

        A target without spread (one labelled row, or one value: to float rounding, as
        scikit-learn's ``StandardScaler`` tells a constant feature) is scaled by its
        spread, or 1 where there is none, and left ``_target_scaling_unset``: the next
        fit of a warm start or ``partial_fit`` batch whose labels spread sets its scaling
        (``only``: those tasks' names); a stream begun with one row trained on the grams
        themselves.
        """
        scaling = {} if only is None else dict(self._target_scaling)
        unset = set() if only is None else set(only)
        eps = np.finfo(np.float64).eps
        for task in self.schema_:
            if task.kind == "regression" and (only is None or task.name in only):
                values = encoded.regression[task.name]
                given = ~np.isnan(values)
                values = values[given]
                w = None if sample_weight is None else np.asarray(sample_weight)[given]
                if w is not None and not w.sum() > 0:
                    w = None  # no weighted sample: every labelled one counts alike
                n = len(values)
                mean = float(np.average(values, weights=w)) if n else 0.0
                var = float(np.average((values - mean) ** 2, weights=w)) if n else 0.0
                # the mean of ten 0.1s is not 0.1: their variance is rounding's, not 0
                if not np.isfinite(var) or var <= n * eps * var + (n * mean * eps) ** 2:
                    unset.add(task.name)
                    if only is None:  # its rounding's spread (0.1 ± 4e-17) predicts 0.1
                        std = float(np.sqrt(var))
                        scaling[task.name] = (mean, std if np.isfinite(std) and std > 0
                                              else 1.0)
                    continue
                unset.discard(task.name)
                scaling[task.name] = (mean, float(np.sqrt(var)))
        self._target_scaling, self._target_scaling_unset = scaling, unset

    def _rescale_regression_outputs(self, inverse=False):
        """Put the regression outputs in the labels' units (``inverse``: back to the
        standardised units the network trains in); the net keeps which units they are
        in (``_label_units``), for its ``save_params`` and ``load_params``."""
        units = self._regression_units()
        if units:
            self.net_._scale_label_units(units, inverse=inverse)
        self.net_._label_units = None if inverse or not units else units

    def _regression_units(self):
        """``{task position: (mean, std)}`` of the regression tasks' standardisation."""
        return {self.schema_.index(name): scaling
                for name, scaling in getattr(self, "_target_scaling", {}).items()}

    def _targets(self, encoded, sample_weight, n_samples):
        """The training target tensor (see :class:`~sklearn_mtl.neural.MultiTaskLoss`).

        Per task: the labels, masked ones replaced by 0, then per-entry weights: sample
        weight × class weight of the label, 0 where the label is masked. Regression
        labels are standardised (:meth:`_fit_target_scaling`).
        """
        sw = np.ones(n_samples) if sample_weight is None else np.asarray(sample_weight, float)
        cols = []
        for j, task in enumerate(self.schema_):
            if task.kind == "multilabel":
                block = encoded.multilabel[task.name]
                cols += [np.maximum(block, 0), sw[:, None] * (block >= 0)]
            elif task.kind == "regression":
                values = encoded.regression[task.name]
                present = ~np.isnan(values)
                mean, std = getattr(self, "_target_scaling", {}).get(task.name, (0.0, 1.0))
                values = np.where(present, (values - mean) / std, 0.0)
                cols += [values[:, None], (sw * present)[:, None]]
            else:
                codes = encoded.codes[:, j]
                labels = np.maximum(codes, 0)
                weight = sw * (codes >= 0)
                class_weight = self._class_weight_values[j]
                if class_weight is not None:
                    weight = weight * class_weight[labels]
                cols += [labels[:, None], weight[:, None]]
        return torch.from_numpy(np.hstack(cols).astype(np.float32))

    def _class_weight_by_task(self):
        """``class_weight`` as ``{task: spec}``; a single task also takes ``{class: w}``
        (a dict of numbers, whatever its keys: a class may be named as the task)."""
        spec = self.class_weight
        if not isinstance(spec, dict):
            return {t.name: spec for t in self.schema_}
        if len(self.schema_) == 1 and (
            not set(spec) <= set(self.schema_.names)
            or all(isinstance(v, Real) and not isinstance(v, bool) for v in spec.values())
        ):
            return {self.schema_[0].name: spec}
        return spec

    def _class_weights(self, task, codes, sample_weight=None):
        spec = self._class_weight_by_task().get(task.name)
        if spec is None or not task.is_classification:
            return None
        k = len(task.classes)
        if isinstance(spec, str) and spec == "balanced":
            # as scikit-learn counts the classes: a sample of weight 2 counts twice
            present = codes >= 0
            w = _weights_of(sample_weight, len(codes))[present]
            counts = np.bincount(codes[present], weights=w, minlength=k)
            # n_samples / (n_classes * count) over the classes the labels hold, as
            # compute_class_weight divides; a declared class they lack weighs 1 (counted
            # over every declared class, the others shrank, and a class first seen in a
            # later partial_fit batch weighed the first batch's whole weight)
            seen = counts > 0
            weights = np.ones(k)
            weights[seen] = w.sum() / (seen.sum() * counts[seen])
            return weights
        if not isinstance(spec, Mapping):
            raise ValueError(
                f"class_weight for task {task.name!r} must be 'balanced' or a dict "
                f"{{class: weight}}; got {spec!r}."
            )
        unknown = [c for c in spec if c not in task.classes]
        if unknown:
            raise ValueError(
                f"class_weight for task {task.name!r} names unknown class(es) {unknown}; "
                f"its classes are {list(task.classes)}."
            )
        return np.array([float(spec.get(c, 1.0)) for c in task.classes])

    def _build_criterion(self, weighting=None):
        """The loss; ``weighting``: the strategy's module to use (a warm start keeps the
        fitted one), else a new one."""
        specs = self._layout()
        for spec, pos_weight in zip(specs, self._pos_weight_values):
            if pos_weight is not None:
                spec["pos_weight"] = torch.as_tensor(pos_weight, dtype=torch.float32)
        weights = [float((self.task_weights or {}).get(t.name, 1.0)) for t in self.schema_]
        return MultiTaskLoss(
            specs, weights,
            weighting=self._weighting.build(self.schema_) if weighting is None else weighting,
            label_smoothing=self.label_smoothing,
        )

    def _pos_weights(self, encoded, sample_weight=None):
        """Per-task ``pos_weight`` arrays (None where unset) from ``pos_weight``; a
        ``"balanced"`` one counts the samples by their ``sample_weight``."""
        spec = self.pos_weight
        if spec is None:
            return [None] * len(self.schema_)
        if not isinstance(spec, dict):
            spec = {t.name: spec for t in self.schema_ if t.kind in ("binary", "multilabel")}
        unknown = sorted(set(spec) - set(self.schema_.names))
        if unknown:
            raise ValueError(
                f"pos_weight names unknown task(s) {unknown}; the tasks are {self.schema_.names}."
            )
        values = []
        for j, task in enumerate(self.schema_):
            value = spec.get(task.name)
            if value is None:
                values.append(None)
                continue
            if task.kind not in ("binary", "multilabel"):
                raise ValueError(
                    f"pos_weight is for binary and multilabel tasks; task {task.name!r} is "
                    f"{task.kind}."
                )
            width = len(task.classes) if task.kind == "multilabel" else 1
            if isinstance(value, str) and value == "balanced":
                labels = (
                    encoded.multilabel[task.name] if task.kind == "multilabel"
                    else encoded.codes[:, j : j + 1]
                )
                w = _weights_of(sample_weight, len(labels))[:, None]
                positive = ((labels == 1) * w).sum(axis=0)
                negative = ((labels == 0) * w).sum(axis=0)
                # a label without negatives was weighted 0: its positives weighed
                # nothing and it never learned them; without both, 1 (no balancing)
                both = (positive > 0) & (negative > 0)
                value = np.where(both, negative / np.where(both, positive, 1.0), 1.0)
            else:
                try:
                    value = np.atleast_1d(np.asarray(value, dtype=float))
                except (TypeError, ValueError):
                    value = np.array([np.nan])  # text: refused below
                if (value.shape not in ((1,), (width,)) or not np.all(value > 0)
                        or not np.all(np.isfinite(value.astype(np.float32)))):
                    raise ValueError(
                        f"pos_weight for task {task.name!r} must be 'balanced', a positive "
                        f"finite float or {width} such weight(s), one per label; got "
                        f"{spec[task.name]!r}."
                    )
            values.append(np.broadcast_to(value, (width,)).astype(float))
        return values

    def _build_trunk(self, X):
        sample_shape = tuple(_dataset_sample(X).shape) if isinstance(X, Dataset) else X.shape[1:]
        k = self._ensemble_members()  # refuses an ensemble_size the trunk cannot take
        if isinstance(self.trunk, str) and self.trunk != "mlp":
            return _build_named_trunk(self.trunk, self.trunk_params, sample_shape)
        if self.trunk_params and (self.trunk == "mlp"
                                  or isinstance(self.trunk, torch.nn.Module)):
            built = ("trunk='mlp' is built from hidden_layer_sizes, activation, dropout and "
                     "batch_norm: set those" if self.trunk == "mlp" else
                     f"trunk is a module instance ({type(self.trunk).__name__}), used as it "
                     "is: pass its class with trunk_params, or build it with them")
            raise ValueError(
                f"trunk_params {sorted(self.trunk_params)} would be ignored: {built}."
            )
        if self.trunk == "mlp":
            if k > 1:
                if self.batch_norm:
                    raise ValueError(
                        f"batch_norm=True is not available with an ensemble (ensemble_size="
                        f"{self.ensemble_size!r} gives {k} members); set ensemble_size=1."
                    )
                views = self._view_masks(flat_size(sample_shape))
                return EnsembleMLPTrunk(
                    flat_size(sample_shape), self._layer_sizes(),
                    k if views is None else len(views), self.activation, self.dropout,
                    member_inputs=views,
                )
            return MLPTrunk(
                flat_size(sample_shape), self._layer_sizes(), self.activation,
                self.dropout, self.batch_norm,
            )
        if isinstance(self.trunk, torch.nn.Module):
            return copy.deepcopy(self.trunk)
        params = dict(self.trunk_params or {})
        try:
            signature = inspect.signature(self.trunk)
        except (TypeError, ValueError):
            signature = None
        accepted = {} if signature is None else signature.parameters
        inferred = {
            "n_features": flat_size(sample_shape),
            "in_features": flat_size(sample_shape),
            "in_channels": sample_shape[0] if sample_shape else 1,
            "input_shape": sample_shape,
        }
        for name, value in inferred.items():
            if name in accepted and name not in params:
                params[name] = value
        try:
            if signature is not None:
                signature.bind(**params)
        except TypeError as error:  # (it was Python's own, naming no trunk_params)
            name = getattr(self.trunk, "__name__", type(self.trunk).__name__)
            raise ValueError(
                f"The trunk {name} cannot be called with {sorted(params)} (trunk_params "
                f"{sorted(self.trunk_params or {})}, and the input size where its "
                f"signature asks for it: n_features, in_features, in_channels or "
                f"input_shape): {error}. Its parameters are {list(accepted)}."
            ) from None
        trunk = self.trunk(**params)
        if not isinstance(trunk, torch.nn.Module):
            raise ValueError(
                f"trunk must build a torch.nn.Module; {self.trunk!r} returned "
                f"{type(trunk).__name__}."
            )
        return trunk

    def _check_mlp_params_used(self):
        """A ValueError where ``dropout`` or ``batch_norm``, which build the MLP trunk, is
        set with another trunk: the network trained without it, and said nothing (as
        ``trunk_params`` with the MLP is refused)."""
        if isinstance(self.trunk, str) and self.trunk == "mlp":
            return
        unused = {name: value for name, value in
                  (("dropout", self.dropout), ("batch_norm", self.batch_norm)) if value}
        if not unused:
            return
        it = "it" if len(unused) == 1 else "them"
        if isinstance(self.trunk, str):  # a named trunk takes them as arguments
            how = (f"pass {it} as the trunk's arguments, trunk_params="
                   f"{({**(self.trunk_params or {}), **unused})!r}")
        else:
            how = f"build the trunk with {it}"
        trunk = self.trunk if isinstance(self.trunk, str) else getattr(
            self.trunk, "__name__", type(self.trunk).__name__)
        raise ValueError(
            f"{', '.join(f'{name}={value!r}' for name, value in unused.items())} would be "
            f"ignored: {'it builds' if len(unused) == 1 else 'they build'} the MLP trunk "
            f"(trunk='mlp'), and the trunk is {trunk!r}; {how}, or leave {it} at the "
            "default."
        )

    def _ensemble_members(self):
        """Members of the MLP ensemble: ``ensemble_size``, or the recipe's for "auto"
        (an ensemble for the built-in MLP with hidden layers, else one network)."""
        if self.ensemble_size != "auto":
            if self.ensemble_size > 1 and (self.trunk != "mlp" or not self._layer_sizes()):
                raise ValueError(
                    f"ensemble_size={self.ensemble_size} needs the built-in MLP trunk with at "
                    f"least one hidden layer (trunk='mlp'); got trunk={self.trunk!r} and "
                    f"hidden_layer_sizes={self.hidden_layer_sizes!r}."
                )
            return int(self.ensemble_size)
        if self.trunk != "mlp" or not self._layer_sizes() or self.batch_norm:
            return 1
        # each member holds out whole groups: fewer groups, as many members
        n_groups = self.__dict__.get("_n_groups")
        if n_groups is not None and 2 <= n_groups < _DEFAULT_ENSEMBLE:
            return n_groups
        return _DEFAULT_ENSEMBLE

    def _layer_sizes(self):
        """``hidden_layer_sizes`` as a tuple (an int is one layer, as in scikit-learn's
        MLPClassifier)."""
        return check_layer_sizes("hidden_layer_sizes", self.hidden_layer_sizes)

    def _build_module(self, X, rebuild=False):
        """The network for ``X``; ``rebuild``: a saved model's, as it was trained."""
        if not rebuild:
            # each member's own heads where they are not fused (a saved model from before
            # this was the case is rebuilt with heads that the members share)
            self._member_heads = True
            self._check_mlp_params_used()  # (a saved model is rebuilt as it was trained)
        trunk = self._build_trunk(X)
        # in training mode, as skorch's train step puts every submodule: the net switches
        # modes at its top module only (see MultiTaskNet._set_training), so a trunk given
        # (or built) in eval mode trained with its dropout off and its batch-norm
        # statistics frozen
        trunk.train()
        if isinstance(X, Dataset):
            # float32, as training reads it: a float64 or uint8 item failed the dry pass
            sample = as_features(np.asarray(_dataset_sample(X)))[None]
        else:
            sample = torch.from_numpy(X[:2].toarray() if sp.issparse(X) else X[:2])
        self._sample_shape = tuple(sample.shape[1:])  # rebuilds the module on load
        width = getattr(trunk, "out_features", None)
        if width is None or type(trunk) not in _OWN_TRUNKS:
            # a user's trunk runs once on a sample, also where it states its width: an
            # output of another shape than (batch, out_features) failed in the heads,
            # in the middle of training, with an error that did not name the trunk
            # (the package's own trunks state theirs; an ensemble's has a member axis)
            width = infer_out_features(trunk, sample, stated=width)
        elif not isinstance(self.trunk, str):
            # one of the package's trunks, given as an instance (or a class with
            # trunk_params): built for another input width, it failed in the middle of
            # training with torch's error, naming neither it nor the width
            trunk_dry_run(trunk, sample)
        head_hidden = self.head_hidden or {}
        specs = [(task.n_outputs, check_layer_sizes(f"head_hidden[{task.name!r}]",
                                                    head_hidden.get(task.name, ())))
                 for task in self.schema_]
        # Plain linear heads are fused into one matrix product, unless each head needs
        # parameters of its own (a learning rate per head).
        return MultiHeadModule(
            trunk, width, specs, activation=self.activation, fuse=not self.head_lr,
            member_heads=self.__dict__.get("_member_heads", False),
        )

    def _precision(self, module):
        """``mixed_precision`` with "auto" resolved (see the parameter): bfloat16 for an
        MLP ensemble on a CPU with bfloat16 products in hardware, else float32."""
        if self.mixed_precision != "auto":
            return self.mixed_precision
        trunk = getattr(module, "trunk", None)
        if isinstance(trunk, EnsembleMLPTrunk) and trunk.n_members > 1 and native_bf16(
            self.device
        ):
            return "bf16"
        return None

    def _check_validation_args(self, X, X_val, y_val, sample_weight_val):
        """Whether ``fit`` was given its validation data (``X_val``, ``y_val``)."""
        if X_val is None and y_val is None:
            if sample_weight_val is not None:
                raise ValueError("sample_weight_val is given without X_val and y_val.")
            return False
        if X_val is None or y_val is None:
            raise ValueError("X_val and y_val go together: pass both, or neither.")
        if not self.early_stopping:
            raise ValueError(
                "X_val and y_val are passed to fit while early_stopping=False: they are "
                "the data early stopping scores each epoch on. Set early_stopping=True, or "
                "leave them out (the default ensemble chooses its epoch on its own "
                "held-out folds)."
            )
        if isinstance(X, ParquetShards):
            raise ValueError("X_val and y_val are not supported with ParquetShards as X.")
        if isinstance(X_val, (Dataset, ParquetShards)):
            raise ValueError(
                "X_val takes a table, an array (a memory-mapped one is read into memory) "
                f"or a sparse matrix, held in memory; got {type(X_val).__name__}."
            )
        # rows are paired by position, as those of X and y: early stopping would score
        # each epoch on a y_val shuffled apart from X_val (the same warning as for X, y)
        check_row_order(X_val, y_val, names=("X_val", "y_val"),
                        align="y_val = y_val.loc[X_val.index]")
        check_weight_order(X_val, sample_weight_val, names=("X_val", "sample_weight_val"))
        return True

    def _validation_data(self, X_val, y_val, sample_weight_val, width):
        """``(network input, target tensor)`` of the validation data, read as ``fit``
        reads its training data (``width``: the training targets' columns, the last one
        the ensemble's folds where there is one), or None."""
        if X_val is None:
            return None
        if isinstance(X_val, np.memmap):
            # read into memory, as a validation set is (scored whole each epoch): a memory
            # map would otherwise be validated to a lazy Dataset the split cannot slice
            X_val = np.asarray(X_val)
        X_val = to_pandas(X_val)
        # a Pipeline passes its final step's fit parameters as they are: X_val has not
        # been through the steps that made X, and is read by position, unscaled
        unnamed = (
            f"X_val is a DataFrame with column names, but {type(self).__name__} is fitted "
            "on an array without them, such as the output of a Pipeline's earlier steps; "
            "X_val is read as it is, by position. In a Pipeline, X_val must go through "
            "those steps as X does: enable metadata routing, build the pipeline with "
            "Pipeline(..., transform_input=['X_val']) and request them with "
            "set_fit_request(X_val=True, y_val=True)."
        ) if _get_feature_names(X_val) is not None and not hasattr(
            self, "feature_names_in_") else None
        if unnamed:
            warnings.warn(unnamed, UserWarning, stacklevel=4)
            # read by position, as said: the names of numbers dropped here, so that
            # scikit-learn's "X has feature names" (naming X, not X_val) does not say it
            # again (a catch_warnings would swap the filters of every thread: see
            # _warnings); a frame holding text keeps them, for the error to name its column
            if all(pd.api.types.is_numeric_dtype(dtype) for dtype in X_val.dtypes):
                X_val = X_val.to_numpy()
        try:
            with _naming("X", "X_val"):
                X_val = self._validate_X(X_val, reset=False)
        except ValueError as exc:
            if not unnamed:
                raise
            raise ValueError(f"{str(exc).rstrip()}\n{unnamed}") from exc
        with _naming("Y", "y_val"):
            encoded = self.encoder_.transform(y_val)
        n_val = _num_samples(X_val)
        if n_val != encoded.n_samples:
            raise ValueError(
                f"X_val has {n_val} samples, but y_val has {encoded.n_samples}; expected "
                "one row of labels per sample."
            )
        if sample_weight_val is not None:
            with _naming("sample_weight", "sample_weight_val"):
                sample_weight_val = check_sample_weight(sample_weight_val, X_val)
        targets = self._targets(encoded, sample_weight_val, n_val)
        if targets.shape[1] < width:  # the fold column: no member holds these samples out
            targets = torch.cat([targets, torch.full((n_val, 1), -1.0)], 1)
        return self._as_tensor(X_val), targets

    def _train_split(self, valid=None):
        """skorch's ``train_split``: ``validation_fraction`` of the training data with
        ``early_stopping`` (``valid``, the validation data, in its place), else none."""
        if not self.early_stopping:
            return None
        if valid is not None:
            return predefined_split(TensorPairDataset(*valid))
        return ValidSplit(self.validation_fraction, stratified=False, random_state=self._seed)

    def _optimizer_kwargs(self, criterion, module):
        """The net's ``optimizer__*`` arguments and ``fast_step``, from ``optimizer_params``,
        ``head_lr`` and the learned parameters of ``criterion``'s weighting (a group of
        ``optimizer_params`` addressed to them alone, none of ``module``'s, sets theirs)."""
        _check_optimizer_params(self.optimizer, self.optimizer_params)
        params = dict(self.optimizer_params or {})
        # skorch's parameter groups, [(name pattern, {argument: value})]: a parameter
        # joins the first group whose pattern matches its name
        own_groups = [tuple(group) for group in params.pop("param_groups", None) or []]
        kwargs = {f"optimizer__{k}": v for k, v in params.items()}
        # One fused kernel per step (else one multi-tensor kernel) instead of a loop over
        # parameters, unless the user chose: the net asks torch when it builds the optimizer
        kwargs["fast_step"] = not {"foreach", "fused"} & set(params)
        groups = []
        if self.head_lr:  # one head's rate: before the user's groups, as more specific
            groups += [(f"heads.{self.schema_.index(name)}.*", {"lr": float(lr)})
                       for name, lr in self.head_lr.items()]
        if any(p.requires_grad for p in criterion.parameters()):
            # Learned weighting parameters (criterion.weighting): no weight decay, own lr.
            group = {}
            if "weight_decay" in inspect.signature(self.optimizer).parameters:
                group["weight_decay"] = 0.0
            if getattr(self._weighting, "lr", None) is not None:
                group["lr"] = float(self._weighting.lr)
            # a group of the user's for them (("weighting.*", {"lr": 0.05})) came after
            # this one, which took them first: its arguments went unused without a word.
            # One that also takes the network's parameters ("*") leaves them as they are
            own = [n for n, p in criterion.named_parameters() if p.requires_grad]
            taken = [n for n, _ in module.named_parameters()]
            for pattern, args in own_groups:
                if any(fnmatch.fnmatch(n, pattern) for n in own) and not any(
                        fnmatch.fnmatch(n, pattern) for n in taken):
                    group.update(args)
                    break
            groups.append(("weighting.*", group))
        groups += own_groups
        if groups:
            kwargs["optimizer__param_groups"] = groups
        return kwargs

    def _recipe_callbacks(self, members, user_callbacks, total_steps, kept=()):
        """The recipe's own callbacks, put before the user's ``callbacks``.

        ``EarlyStopping`` with ``early_stopping``; the ensemble's epoch selection
        (``MemberHoldout``) for a module of several ``members``, unless
        ``user_callbacks`` hold one or ``early_stopping`` chooses the epoch; the warm-up
        and cosine schedule over ``total_steps`` optimizer steps with
        ``lr_schedule="warmup_cosine"``, unless ``user_callbacks`` hold a skorch
        ``LRScheduler``. ``kept``: the ``(name, callback)`` pairs of the recipe's that a
        fitted net holds; one still wanted is reused, set to the current ``patience`` and
        ``total_steps`` (a saved model's ``MemberHoldout`` keeps its ``select``).
        """
        kept = dict(kept)
        callbacks = []
        if self.early_stopping:
            stopping = kept.get("early_stopping")
            if stopping is None:
                stopping = EarlyStopping(patience=self.patience, load_best=True)
            stopping.patience = self.patience
            callbacks.append(("early_stopping", stopping))
        if members > 1 and not self.early_stopping and not _has_callback(
            user_callbacks, MemberHoldout
        ):  # a MemberHoldout of the user's replaces the recipe's; early stopping, asked
            # for, chooses the epoch on its validation data in its place
            holdout = kept.get("member_holdout")
            callbacks.append(("member_holdout", MemberHoldout() if holdout is None else holdout))
        if self.lr_schedule == "warmup_cosine" and not _has_callback(user_callbacks, LRScheduler):
            schedule = kept.get("lr_schedule")
            if schedule is None:
                schedule = WarmupCosineSchedule(total_steps)
            schedule.total_steps = total_steps
            callbacks.append(("lr_schedule", schedule))
        return callbacks

    def _refresh_net(self, n_samples, split=True):
        """On a warm start or ``partial_fit``: the fitted net takes the parameters that do
        not shape the network as they are now, as skorch's ``set_params`` and
        ``MLPClassifier``'s warm start apply them.

        ``batch_size``, ``verbose``, ``num_workers`` and ``batch_transform`` (a copy of
        one set since the net was built); ``callbacks`` (a list set since
        the net was built is copied and checked as ``fit`` does); the recipe's callbacks
        as ``early_stopping``, ``patience`` and ``lr_schedule`` ask now, the schedule
        spanning this training's optimizer steps (a warm restart, never a rate of 0
        where the first fit's steps ran out). Where no schedule sets the rate, every
        parameter group trains at its base rate (a schedule's last rate is 0). The
        callbacks that stay keep their state. ``partial_fit``'s own settings (no early
        stopping, a constant rate) are read the same way. The split (``early_stopping``,
        ``validation_fraction``) is set around the training, see ``fit``.

        Parameters
        ----------
        n_samples : int
            The samples this training is given.
        split : bool, default=True
            Whether ``early_stopping`` holds out ``validation_fraction`` of them (not
            where ``X_val`` is the validation data).

        Returns
        -------
        epochs : int
            The epochs to train: ``max_epochs``, or the first fit's number where it is
            None (the recipe's for ``n_samples`` where the first was a ``partial_fit``
            batch, whose one epoch is no training length).
        """
        net = self.net_
        epochs = self.__dict__.get("_epochs") if self.max_epochs is None else int(
            self.max_epochs)
        epochs, steps = self._training_length(n_samples, split=split, epochs=epochs)
        net.batch_size, net.verbose = self.batch_size, self.verbose
        net.num_workers = self.num_workers
        # a batch_transform set since the net was built: a copy, as fit makes (one left
        # as it was keeps its state); it was left out, the first fit's transform applied
        if self.batch_transform is not net.__dict__.get("batch_transform_from_",
                                                       self.batch_transform):
            net.batch_transform = copy.deepcopy(self.batch_transform)
        net.__dict__["batch_transform_from_"] = self.batch_transform
        members = n_members(net.module_)
        entries = list(net.callbacks or [])
        source, recipe = net.__dict__.get("callbacks_from_", (self.callbacks, None))
        named = _named_callbacks(entries)
        if recipe is None:  # a net built before this was recorded: the recipe's by name
            recipe = [cb for name, cb in named if isinstance(cb, _RECIPE_CALLBACKS.get(name, ()))]
        ids = {id(cb) for cb in recipe}
        kept = [(name, cb) for name, cb in named if id(cb) in ids]
        user = None  # callbacks set since the net was built: copied and checked anew
        if source is self.callbacks:  # unchanged: the net's own copies, and their state
            user = [entry for entry, (_, cb) in zip(entries, named) if id(cb) not in ids]
        recipe, user = self._net_callbacks(members, steps, user, kept)
        callbacks = [*recipe, *user]
        if (net.__dict__.get("callbacks_pending_")  # a loaded net's (see _set_net_callbacks)
                or _callback_ids(callbacks) != _callback_ids(entries)):
            _set_net_callbacks(net, callbacks)
        net.__dict__["callbacks_from_"] = (self.callbacks, [cb for _, cb in recipe])
        if not any(isinstance(cb, (WarmupCosineSchedule, LRScheduler)) for _, cb in net.callbacks_):
            for name in net._optimizers:  # a constant rate: the base rate, not a schedule's last
                for group in getattr(net, name + "_").param_groups:
                    if "initial_lr" in group:
                        group["lr"] = group["initial_lr"]
        elif len(net.history) and any(isinstance(cb, LRScheduler) for _, cb in net.callbacks_):
            # a torch scheduler resumed past epoch 0 reads each group's base rate, which
            # only a schedule's first epoch sets: none where the net trained at a
            # constant rate (partial_fit, lr_schedule="constant") had (torch's KeyError);
            # one set after the recipe's cosine starts from that base rate, not the 0 the
            # cosine ended at, which the scheduler's steps only scaled (no step trained)
            after_cosine = any(isinstance(cb, WarmupCosineSchedule)
                               for _, cb in _named_callbacks(entries))
            for name in net._optimizers:
                for group in getattr(net, name + "_").param_groups:
                    group.setdefault("initial_lr", group["lr"])
                    if after_cosine:
                        group["lr"] = group["initial_lr"]
        return epochs

    def _net_callbacks(self, members, total_steps, user=None, kept=()):
        """``(recipe, user)``: the recipe's callbacks (see ``_recipe_callbacks``, with
        ``kept``) and the user's, checked as ``fit`` checks them. ``user``: the user's
        callbacks that a fitted net holds; None, a copy of the ``callbacks`` parameter."""
        if user is None:
            user = copy.deepcopy(self.callbacks or [])
            _check_scorings(user)
        recipe = self._recipe_callbacks(members, user, total_steps, kept)
        # a name taken is said first: a callback named "train_loss" that monitors
        # valid_loss was told of its monitor, then, renamed, of its name
        _check_callback_names(user, [name for name, _ in recipe])
        if not self.early_stopping:
            _check_monitors(user, members > 1)
        if not _has_callback([*recipe, *user], MemberHoldout):
            _check_member_monitors(user, self.early_stopping)
        return recipe, user

    def _build_net(self, module, criterion, valid=None):
        recipe, user_callbacks = self._net_callbacks(getattr(module, "n_members", 1),
                                                     self._total_steps)
        callbacks = [*recipe, *user_callbacks]
        kwargs = self._optimizer_kwargs(criterion, module)
        train_split = self._train_split(valid)
        net_class, device = MultiTaskNet, self.device
        self.mixed_precision_ = precision = self._precision(module)
        if self.data_parallel or precision:
            check_weighting(
                getattr(criterion, "weighting", None), data_parallel=self.data_parallel,
                mixed_precision=precision, name=self.loss_weighting
                if isinstance(self.loss_weighting, str) else None,
            )
            net_class = ParallelMultiTaskNet
            kwargs.update(data_parallel=self.data_parallel, mixed_precision=precision)
            if self.data_parallel:
                device = setup_data_parallel(device, init=False)
        net = net_class(
            module=module,
            criterion=criterion,
            optimizer=self.optimizer,
            lr=self.lr,
            max_epochs=self._epochs,
            batch_size=self.batch_size,
            train_split=train_split,
            callbacks=callbacks,
            device=device,
            verbose=self.verbose,
            task_names=self.schema_.names,
            shuffle_seed=self._seed,
            num_workers=self.num_workers,
            batch_transform=copy.deepcopy(self.batch_transform),
            **kwargs,
        )
        # what the callbacks were built from: a warm start builds them anew where the
        # callbacks parameter changed (see _refresh_net), and so its batch_transform
        net.__dict__["callbacks_from_"] = (self.callbacks, [cb for _, cb in recipe])
        net.__dict__["batch_transform_from_"] = self.batch_transform
        return net

    # ----------------------------------------------------------------------- predict
    @property
    def history_(self):
        check_is_fitted(self, "net_")
        return self.net_.history

    def _outputs(self, X):
        check_is_fitted(self)
        return self._predict_outputs(self._validate_X(X, reset=False, rows=True))

    def _predict_outputs(self, X):
        return self._forward(X)[0]

    def predict_encoded(self, X):
        """Predictions as :class:`~sklearn_mtl.EncodedLabels` (codes, blocks, masks).

        The combination probe (``combination_weight_``) decodes only under
        ``decode="auto"``, as ``fit`` chose it; a ``decode`` set after ``fit`` decodes
        exactly as it says (``"independent"``: each task's own most probable value).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        encoded : EncodedLabels
            The predicted codes of every task (the gated-off ones ``NOT_APPLICABLE``),
            the multilabel blocks and the regression values.
        """
        if not (getattr(self, "combination_weight_", 0.0)
                and isinstance(self.decode, str) and self.decode == "auto"
                and isinstance(self._decoder(), JointDecoder)):
            return super().predict_encoded(X)
        check_is_fitted(self)
        outputs, best = self._forward(self._validate_X(X, reset=False, rows=True),
                                      joint=True)
        return finish_decoding(self.observed_combinations_[best], outputs, self.schema_)

    def _follow_device(self):
        """The fitted network moved to ``device`` where it was set since (``set_params(
        device="cpu")`` to predict on the CPU what trained on a GPU, as ``n_jobs`` set
        after fit applies to scikit-learn's ``predict``): the module and the loss, and
        the optimizer's state, which torch's ``load_state_dict`` puts beside the
        parameters (a warm start goes on there). A device this build cannot use is
        refused as ``fit`` refuses it."""
        net = self.net_
        if str(self.device) == str(net.device) or self.data_parallel:  # (a process's own)
            return
        device, current = check_device(self.device), torch.device(net.device)
        if device.type == current.type and device.index in (None, current.index):
            return  # "cuda" where the net is on "cuda:0"
        net.module_.to(device)
        criterion = getattr(net, "criterion_", None)
        if isinstance(criterion, torch.nn.Module):
            criterion.to(device)
        optimizer = getattr(net, "optimizer_", None)
        if optimizer is not None and optimizer.state:
            optimizer.load_state_dict(optimizer.state_dict())
        net.device = self.device

    def _forward(self, X, joint=False):
        """The per-task outputs for ``X`` and, with ``joint``, each sample's observed
        combination decoded with the combination probe (its index, see
        ``combination_weight_``), batch by batch."""
        self._follow_device()
        module = self.net_.module_
        module.eval()
        device = self.net_.device
        n = _num_samples(X)
        outputs = [
            np.empty((n, 2 if t.kind == "binary" else t.n_outputs), dtype=np.float32)
            if t.kind != "regression"
            else np.empty(n, dtype=np.float32)
            for t in self.schema_
        ]
        if isinstance(X, Dataset):
            batches = (  # the features, as float32 (as arrays are read)
                as_features(b[0] if isinstance(b, (tuple, list)) else b)
                # a generator of its own: a loader seeds its workers from torch's global
                # one, which prediction leaves alone
                for b in WorkerLoader(X, batch_size=self.batch_size,
                                      num_workers=self.num_workers, generator=torch.Generator())
            )
        elif isinstance(X, _TableRows):  # preprocessed one batch at a time
            batches = (torch.from_numpy(X.batch(i, i + self.batch_size))
                       for i in range(0, n, self.batch_size))
        elif sp.issparse(X):  # one dense batch at a time, never the whole matrix
            batches = (
                torch.from_numpy(X[i : i + self.batch_size].toarray())
                for i in range(0, n, self.batch_size)
            )
        else:
            Xt = torch.from_numpy(X)
            batches = (Xt[i : i + self.batch_size] for i in range(0, n, self.batch_size))
        kinds = [t.kind for t in self.schema_]
        k = getattr(module, "n_members", 1)  # an ensemble averages its members' outputs
        lookup = getattr(self, "_lookup", None)  # see ``lookup``
        query_keys = None if lookup is None else _QueryKeys(
            X, n, lookup.numeric)  # (a file saved before it: Lookup's BY_DTYPE)
        keys = None
        if getattr(self, "_neighbor_X", None) is not None:  # see ``neighbors``
            keys = training_features(module, self._neighbor_X, self.batch_size, device)
            codes = torch.from_numpy(self._neighbor_codes)
        combos = None
        if joint:  # see ``combination_weight_``
            probe = [torch.from_numpy(self._probe_weight).to(device),
                     torch.from_numpy(self._probe_bias).to(device)]
            combos = np.empty(n, dtype=np.int64)
        start = 0
        with torch.inference_mode():
            for xb in batches:
                stop = start + len(xb)
                if isinstance(X, Dataset):  # (an array's NaN: refused in its validation)
                    check_finite_items(xb, start, X)
                if keys is None and combos is None:
                    raw = module(xb.to(device))
                else:
                    feats, raw = member_forward(module, xb.to(device))
                for out, kind, z in zip(outputs, kinds, raw):
                    if kind in BLENDABLE:  # class probabilities, the members' pooled
                        out[start:stop] = pooled_probabilities(kind, z, k).cpu().numpy()
                    elif kind == "multilabel":  # each label's as a binary task's
                        out[start:stop] = torch.sigmoid(member_mean(z.float(), k)).cpu().numpy()
                    else:
                        out[start:stop] = member_mean(z[:, 0], k).cpu().numpy()
                if keys is not None:
                    apply_blend(outputs, start, feats, keys, codes, kinds,
                                self.neighbor_counts_, self.neighbor_weights_)
                if lookup is not None:
                    lookup_keys = query_keys.get(start, stop, xb)
                    if lookup_keys is not None:
                        lookup.blend(outputs, start, lookup_keys)
                if combos is not None:
                    combos[start:stop] = best_combinations(
                        [o[start:stop] for o in outputs], self.schema_,
                        self.observed_combinations_,
                        mean_log_proba(feats, *probe).cpu().numpy(), self.combination_weight_,
                    )
                start = stop
        return outputs, combos

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        step = self.preprocessing
        if isinstance(step, str):  # "auto": the recipe's preprocessor reads gaps and text
            tags = table_input_tags(tags)
        elif step is not None:  # a transformer of the user's: the text it reads
            # (gaps stay allowed: a ColumnTransformer tags allow_nan False whatever its
            # imputers, and a gap its step passes on is refused with a message in fit)
            inner = get_tags(step).input_tags
            tags.input_tags.allow_nan = True
            tags.input_tags.string = inner.string
            tags.input_tags.categorical = inner.categorical
        return tags


def group_folds(groups, k, rng):
    """Each sample's fold (0 .. k - 1) with every group in one fold: the groups, largest
    first (ties in a seeded order), each go to the fold with the fewest samples so far.

    >>> group_folds(np.array(["a", "a", "a", "b", "b", "c"]), 2, np.random.RandomState(0))
    array([0, 0, 0, 1, 1, 1])
    """
    values, index, counts = np.unique(groups, return_inverse=True, return_counts=True)
    if len(values) < 2:
        raise ValueError(
            f"groups has {len(values)} distinct value: each member of the ensemble holds "
            "out whole groups, and one group leaves no sample to hold out from another. "
            "Give two groups or more, or leave groups out."
        )
    if len(values) < k:
        raise ValueError(
            f"groups has {len(values)} distinct value(s), fewer than the ensemble's {k} "
            "members: each member holds out whole groups. Give more groups, or set "
            f"ensemble_size to at most {len(values)}."
        )
    order = rng.permutation(len(values))
    order = order[np.argsort(-counts[order], kind="stable")]
    sizes = np.zeros(k, dtype=np.int64)
    fold_of = np.empty(len(values), dtype=np.int64)
    for g in order:
        fold_of[g] = int(np.argmin(sizes))
        sizes[fold_of[g]] += counts[g]
    return fold_of[index.ravel()]


#: The recipe's training length when ``max_epochs=None``: about this many optimizer
#: steps, within this range of epochs (see "What the defaults do" in the docs).
_TARGET_STEPS = 1200
_EPOCH_RANGE = (32, 256)
#: ``decode="auto"`` decodes over the observed combinations when at most this share of
#: new samples is expected to carry a combination unseen in training (Good–Turing).
_OBSERVED_DECODING_MAX_UNSEEN = 0.05
#: Parameters that shape the network: a warm start refuses a change of them (``head_lr``
#: shapes it only by being set or not: per-head rates need unfused heads; ``preprocessing``
#: makes the inputs it was trained on, fitted once as ``preprocessor_``: a warm start
#: kept the first one and ignored a new one).
_NETWORK_PARAMS = ("trunk", "trunk_params", "hidden_layer_sizes", "activation", "dropout",
                   "batch_norm", "ensemble_size", "head_hidden", "head_lr", "preprocessing",
                   # the schema, whose tasks and classes the heads are built for
                   "tasks", "encoder")
#: The loss's parameters: a warm start after a change of one rebuilds the criterion.
_LOSS_PARAMS = ("task_weights", "class_weight", "pos_weight", "label_smoothing",
                "loss_weighting", "loss_weighting_params")
#: The optimizer's: a warm start after a change of one builds a new optimizer.
_OPTIMIZER_PARAMS = ("optimizer", "optimizer_params", "lr", "head_lr")
#: Dict parameters of one entry per task, set one entry at a time as ``<name>__<task>``.
_TASK_DICTS = ("task_weights", "head_lr", "head_hidden", "class_weight", "pos_weight")
#: Dict parameters for which None and {} mean the same.
_DICT_PARAMS = ("trunk_params", "head_hidden", "head_lr", "task_weights", "optimizer_params",
                "loss_weighting_params")


def _recorded(name, value):
    """A parameter's value as ``_fit_params`` keeps it, for a warm start to compare and
    ``save`` to store: numbers, strings, tuples (a list read as one) and dicts as they
    are, classes and functions themselves, anything else (a module instance, an array,
    a strategy object) by its repr."""
    if name in _DICT_PARAMS and value is None:
        return {}
    if name == "hidden_layer_sizes" and isinstance(value, Integral):
        value = (value,)  # one layer, as in MLPClassifier
    elif name == "hidden_layer_sizes" and isinstance(value, np.ndarray) and value.ndim == 1:
        value = tuple(value.tolist())  # the layers, not the array's repr
    elif name == "encoder" and isinstance(value, BaseEstimator):
        # in full: scikit-learn's repr cuts one past 700 characters (an encoder of a
        # task of 100 classes) to its ends, and a class changed between them went unseen
        return _estimator_repr(value, full=True)
    return _plain(value)


def _estimator_repr(value, full=False):
    """An estimator's repr as scikit-learn prints it by default (``print_changed_only``),
    whatever this process's configuration: a warm start compares it with the one recorded
    at fit, perhaps by another process (a saved model), and ``set_config(
    print_changed_only=False)`` since then was taken for a changed parameter."""
    with config_context(print_changed_only=True):
        if full and type(value).__repr__ is BaseEstimator.__repr__:
            # as BaseEstimator.__repr__ prints, uncut: it shows 30 items of a list (the
            # tasks of an encoder of 40, the 31st swapped unseen) and 700 characters
            try:  # (scikit-learn's printer is private: its 700 characters uncut else)
                from sklearn.utils._pprint import _EstimatorPrettyPrinter

                printer = _EstimatorPrettyPrinter(compact=True, indent=1,
                                                  indent_at_name=True,
                                                  n_max_elements_to_show=None)
                return printer.pformat(value)
            except (ImportError, TypeError):
                return value.__repr__(N_CHAR_MAX=np.iinfo(np.int64).max)
        return repr(value)


#: The memory address of a default repr (``<function f at 0x7f...>``, in the repr of a
#: ``FunctionTransformer(f)`` given as ``preprocessing``), which another process gives
#: the same object anew: a warm start after ``load`` compares the reprs without it.
_ADDRESS = re.compile(r" at 0x[0-9A-Fa-f]+")


def _unaddressed(value):
    """A recorded parameter (see :func:`_recorded`) with no memory address in its
    reprs."""
    if isinstance(value, str):
        return _ADDRESS.sub("", value)
    if isinstance(value, tuple):
        return tuple(_unaddressed(v) for v in value)
    if isinstance(value, dict):
        return {k: _unaddressed(v) for k, v in value.items()}
    return value


def _shown(value):
    """A recorded ``tasks`` or ``encoder`` (see :func:`_recorded`) as it was written: a
    list of its tasks' reprs, unquoted."""
    if isinstance(value, tuple):
        return "[" + ", ".join(map(_shown, value)) + "]"
    text = value if isinstance(value, str) else repr(value)
    # its ends, as scikit-learn shows a long repr (a task of 1,000 classes)
    return text if len(text) <= 700 else f"{text[:300]}...{text[-300:]}"


def _plain(value):
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (tuple, list)):
        return tuple(_plain(v) for v in value)
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, type) or inspect.isfunction(value) or inspect.isbuiltin(value):
        return value
    return _estimator_repr(value) if isinstance(value, BaseEstimator) else repr(value)


#: Members of the default MLP ensemble (``ensemble_size="auto"``).
_DEFAULT_ENSEMBLE = 8
#: From this many samples a table's default ensemble trains two input views (see
#: ``input_view_``): the second reads each numeric column's piecewise-linear encoding,
#: at most ``_VIEW_BINS`` bins a column and ``_VIEW_MAX_ENCODED`` encoding columns, and
#: the positive columns' pairwise log-ratios with their encoding (as many again at most).
_VIEW_MIN_SAMPLES = 5000
_VIEW_BINS = 64
_VIEW_MAX_ENCODED = 512


#: Rows hashed at a time for the lookup at prediction (see :class:`_QueryKeys`).
_KEY_CHUNK = 8192


@contextlib.contextmanager
def _naming(name, given):
    """Errors raised inside reworded to name ``given`` (``X_val``) where they name the
    training argument ``name`` (``X``): validation data goes through the checks written
    for the training data. A message that does not name it is prefixed with ``given``."""
    try:
        yield
    except ValueError as exc:
        # the argument as a word of its own, not a (quoted or listed) column name
        pattern = rf"(?<![\w'\"])(?<!- ){re.escape(name)}(?=\s|'s\b|[,.;:)]|$)"
        message, n = re.subn(pattern, given, str(exc))
        raise ValueError(message if n else f"{given}: {message}") from exc


def _object_gaps_as_nan(X):
    """``X``, where a DataFrame, with the gaps of its object columns (``pd.NA``, ``NaT``,
    None) as NaN, which scikit-learn's validation reads as a missing value (``pd.NA``
    fails its conversion to float); a copy only where there is one."""
    if not isinstance(X, pd.DataFrame):
        return X
    objects = [j for j, dtype in enumerate(X.dtypes)
               if isinstance(dtype, np.dtype) and dtype.kind == "O"]
    gaps = [j for j in objects if X.iloc[:, j].isna().any()]
    if not gaps:
        return X
    X = X.copy()
    for j in gaps:
        column = X.iloc[:, j]
        X.isetitem(j, column.where(column.notna(), np.nan))
    return X


def _has_callback(callbacks, kind):
    """Whether the user's ``callbacks`` (callbacks or (name, callback) pairs) hold one
    of class ``kind``, which replaces the recipe's own (a
    :class:`~sklearn_mtl.neural.MemberHoldout`, a skorch ``LRScheduler``)."""
    def given(cb):  # a callback, or its class (built at fit)
        return cb if isinstance(cb, type) else type(cb)

    return any(issubclass(given(cb[1] if isinstance(cb, tuple) else cb), kind)
               for cb in callbacks or [])


def _is_kind(callback, kind):
    """Whether ``callback``, an instance or a class (built at fit), is of ``kind``."""
    return isinstance(callback, kind) or isinstance(callback, type) and issubclass(
        callback, kind)


def _callback_param(callback, name):
    """``callback``'s parameter ``name``; for a callback given as its class, the default
    ``fit`` builds it with (None where it has no such parameter)."""
    if not isinstance(callback, type):
        return getattr(callback, name, None)
    try:
        parameter = inspect.signature(callback).parameters.get(name)
    except (TypeError, ValueError):
        return None
    if parameter is None or parameter.default is inspect.Parameter.empty:
        return None
    return parameter.default


def _check_scorings(callbacks):
    """A ``ValueError`` for a skorch scoring callback given a scikit-learn metric's
    name or scorer (``make_scorer``, ``get_scorer``): it would score the inner net, whose
    target is the encoded label matrix (labels, loss weights, folds), not the tasks'
    labels, and fail with a message about mixed target types; or given
    ``scoring=None``, the inner net's ``score``, which it has not."""
    from sklearn.metrics._scorer import _BaseScorer
    from skorch.callbacks import Callback
    from skorch.callbacks.scoring import ScoringBase

    for i, (name, callback) in enumerate(_named_callbacks(callbacks)):
        if callback is None and isinstance(callbacks[i], tuple):
            continue  # switched off (callbacks__<name>=None), which skorch skips
        if not (isinstance(callback, Callback)  # a class skorch builds itself, or one
                or isinstance(callback, type) and issubclass(callback, Callback)):
            raise ValueError(
                f"callbacks[{i}] is {callback!r}; expected a skorch Callback (an instance "
                "or its class) or a (name, callback) pair."
            )
        if not isinstance(callback, ScoringBase):  # (skorch's classes need a scoring)
            continue
        scoring = callback.scoring
        if isinstance(scoring, str):
            what = f"scores {scoring!r}"
        elif isinstance(scoring, _BaseScorer):
            what = f"scores with the scikit-learn scorer {scoring!r}"
        elif scoring is None:
            what = "scores with scoring=None (the score method of the net)"
        else:
            continue
        raise ValueError(
            f"Callback {name!r} {what} on the inner skorch net, "
            "whose target is the encoded label matrix, not the tasks' labels. The "
            "history already records each task's accuracy: valid_acc_<task> with "
            "early_stopping=True, member_valid_acc_<task> with the default ensemble. "
            "For another metric, give the scoring callback a function "
            "scoring(net, X, y) of your own, or score the fitted estimator."
        )


#: skorch's NeuralNet parameter prefixes that have no counterpart here: where the
#: estimator takes what they set.
_SKORCH_PARTS = {
    "module": "the network is built from its own parameters (hidden_layer_sizes, "
              "activation, dropout, batch_norm, ensemble_size, head_hidden), or from trunk "
              "and trunk_params",
    "criterion": "the loss takes label_smoothing, class_weight, pos_weight, task_weights "
                 "and loss_weighting",
    "iterator_train": "training batches are set by batch_size and num_workers",
    "iterator_valid": "prediction batches are set by batch_size and num_workers",
    "dataset": "X is read as given (an array, a DataFrame, a torch Dataset)",
}


def _check_monitors(callbacks, members):
    """A ``ValueError`` for a callback that monitors a validation score
    (``EarlyStopping``'s ``valid_loss``, ``Checkpoint``'s ``valid_loss_best``) in a fit
    without validation data, where skorch's own split would have made one: the history
    records none, and skorch fails with a ``KeyError`` after the first epoch."""
    from skorch.callbacks.scoring import ScoringBase

    for name, callback in _named_callbacks(callbacks):
        if _is_kind(callback, ScoringBase) and not _callback_param(callback, "on_train"):
            raise ValueError(
                f"Callback {name!r} scores the validation data (on_train=False), which "
                "this fit has none of: the history would record nothing. Set "
                "early_stopping=True (it holds out validation_fraction of the samples, "
                "or takes X_val and y_val in fit), or on_train=True."
            )
        monitor = _callback_param(callback, "monitor")
        if isinstance(monitor, str) and monitor.startswith("valid_"):
            _check_per_task_monitor(name, monitor)
            held_out = (" With the default ensemble, also 'member_valid_loss' and "
                        "'member_valid_loss_best': the members' score on the samples each "
                        "did not train on." if members else "")
            raise ValueError(
                f"Callback {name!r} monitors {monitor!r}, which the history records only "
                "with validation data: set early_stopping=True (it holds out "
                "validation_fraction of the samples, or takes X_val and y_val in fit), "
                "or monitor a key this fit records: 'train_loss' or 'train_loss_best'."
                f"{held_out}"
            )


def _check_per_task_monitor(name, monitor):
    """A ``ValueError`` for callback ``name`` monitoring ``valid_acc`` or
    ``member_valid_acc`` (or its ``_best``), which skorch's classifiers record and this
    net's history never does: it records each task's accuracy. The checks that refuse a
    validation key in a fit without validation data said it is recorded "only with
    validation data", and the fit so set up failed on it at its first epoch's end."""
    key = monitor.removesuffix("_best")
    if key not in ("valid_acc", "member_valid_acc"):
        return
    raise ValueError(
        f"Callback {name!r} monitors {monitor!r}, which the history never records: "
        "where skorch's classifiers record one 'valid_acc', it records each "
        "classification task's accuracy under a key of its own, 'valid_acc_<task>' "
        "with early_stopping=True and 'member_valid_acc_<task>' on the default "
        "ensemble's held-out folds. Monitor one task's accuracy, or a loss: "
        "'train_loss', 'valid_loss' (early_stopping=True) or 'member_valid_loss' (the "
        "default ensemble)."
    )


def _check_member_monitors(callbacks, early_stopping):
    """A ``ValueError`` for a callback that monitors the ensemble's held-out score
    (``member_valid_loss``, ``member_valid_loss_best``) in a fit without the ensemble's
    held-out folds (one network, or ``early_stopping=True``, whose validation data
    replace them): the history records none, and skorch fails with a ``KeyError``
    after the first epoch."""
    for name, callback in _named_callbacks(callbacks):
        monitor = _callback_param(callback, "monitor")
        if isinstance(monitor, str) and monitor.startswith("member_valid"):
            _check_per_task_monitor(name, monitor)
            instead = ("'valid_loss' or 'valid_loss_best', the score on early_stopping's "
                       "validation data" if early_stopping else
                       "'train_loss' or 'train_loss_best'")
            raise ValueError(
                f"Callback {name!r} monitors {monitor!r}, which the history records only "
                "with the ensemble's held-out folds: an ensemble of several members "
                "(ensemble_size='auto' or > 1, the built-in MLP) with "
                f"early_stopping=False. This fit has none; monitor {instead}."
            )


#: Why the recipe adds each of its callbacks, by the name it gives it.
_RECIPE_REASONS = {
    "early_stopping": "early_stopping=True adds to stop training",
    "member_holdout": "the ensemble adds to choose its epoch on its held-out folds",
    "lr_schedule": "lr_schedule='warmup_cosine' adds to set the learning rate",
}

#: The net's own callbacks, which record the history (a callback of the user's named
#: "print_log" replaces the default log instead, as in skorch).
_NET_CALLBACKS = ("epoch_timer", "train_loss", "valid_loss", "task_losses", "task_weights")


def _check_callback_names(callbacks, recipe_names):
    """A ``ValueError`` for a ``(name, callback)`` pair among the user's ``callbacks``
    that takes the name of a callback the recipe adds (``recipe_names``) or of one the
    net records its history with: skorch refused it as a "duplicate user-set callback
    name", of a callback the user never set."""
    for item in callbacks or []:
        if not (isinstance(item, tuple) and len(item) == 2):
            continue
        name = item[0]
        if name in recipe_names:
            reason = f"the name of the callback that {_RECIPE_REASONS[name]}"
        elif name in _NET_CALLBACKS:
            reason = ("the name of one of the net's own callbacks, which record the "
                      f"history ({', '.join(_NET_CALLBACKS)}); only 'print_log', the "
                      "printed log, can be replaced")
        else:
            continue
        raise ValueError(
            f"callbacks holds a callback named {name!r}, {reason}. Give yours another "
            "name."
        )


def _named_callbacks(callbacks):
    """``[(name, callback)]`` of the ``callbacks`` parameter: a pair's own name, else
    the callback's class name (a class's own name for a callback given as its class),
    as skorch names them (none for a value that is not a list: ``fit`` refuses it,
    ``get_params`` does not)."""
    if not isinstance(callbacks, (list, tuple)):
        return []
    return [cb if isinstance(cb, tuple) and len(cb) == 2
            else (cb.__name__ if isinstance(cb, type) else type(cb).__name__, cb)
            for cb in callbacks]


def _uniquely_named_callbacks(callbacks):
    """:func:`_named_callbacks`, where unnamed callbacks that share a class name are
    ``<name>_1``, ``<name>_2``, ... in their order, as skorch names them once the net is
    initialized (``_uniquely_named_callbacks``): the names of their parameters,
    ``callbacks__<name>__<param>``, which ``get_params`` lists and ``set_params`` sets
    (the last one's alone were listed, and setting them was refused as ambiguous)."""
    named = _named_callbacks(callbacks)  # none for a value that is not a list
    unnamed = ([not (isinstance(cb, tuple) and len(cb) == 2) for cb in callbacks]
               if named else [])
    counts = collections.Counter(name for (name, _), plain in zip(named, unnamed) if plain)
    seen = collections.Counter()
    out = []
    for (name, callback), plain in zip(named, unnamed):
        if plain and counts[name] > 1:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        out.append((name, callback))
    return out


#: The recipe's own callbacks by the names ``_recipe_callbacks`` gives them.
_RECIPE_CALLBACKS = {"early_stopping": EarlyStopping, "member_holdout": MemberHoldout,
                     "lr_schedule": WarmupCosineSchedule}


def _callback_ids(callbacks):
    """``[(name, id(callback))]`` of a callbacks list: whether two lists hold the very
    same callbacks, in the same order."""
    return [(name, id(cb)) for name, cb in _named_callbacks(callbacks)]


def _set_net_callbacks(net, callbacks):
    """Give the initialized skorch ``net`` the list ``callbacks``.

    ``net.callbacks_`` as skorch's ``initialize_callbacks`` makes it (the default
    callbacks, then ``callbacks``, named), except that a callback the net held already
    is kept as it is, not initialized again: the same object, the instance built from a
    callback class of the same name, or a default one (``print_log``, ``train_loss``).
    Only the new callbacks are initialized. So, e.g., a ``LoadInitState`` that has
    loaded its checkpoint does not load it again. A loaded net's callbacks are built
    but not initialized (``callbacks_pending_``, see ``sklearn_mtl._persistence``):
    here all are, in their order, once.
    """
    before = dict(getattr(net, "callbacks_", []))
    held = {id(cb) for cb in before.values()}
    pending = net.__dict__.get("callbacks_pending_", False)
    defaults = {name for name, _ in net.get_default_callbacks()}
    net.callbacks = callbacks
    # a default one is kept where it stays a default: not where a callback of the
    # user's takes its name ("print_log"), or gives it back
    defaults &= {name for name, _ in net.get_default_callbacks()}
    initialized = []
    for name, cb in net._uniquely_named_callbacks():
        old = before.get(name)
        if cb is None:
            continue
        if id(cb) not in held and old is not None and (
                type(old) is cb or name in defaults and type(old) is type(cb)):
            cb = old
        if pending or id(cb) not in held:
            cb = cb() if isinstance(cb, type) else cb
            cb.initialize()
        initialized.append((name, cb))
    net.callbacks_ = initialized
    net.__dict__.pop("callbacks_pending_", None)
    if pending:
        _resume_best_scores(net)


def _resume_best_scores(net):
    """Give the scoring callbacks of a loaded ``net`` (``train_loss``, ``valid_loss``,
    built anew) the best score of its history, as they held it when the model was
    saved (and as a pickled one keeps it): initialized, their best was infinite, so the
    first epoch of a continued training was marked ``train_loss_best`` (and a
    ``Checkpoint`` monitoring it saved it) however much worse it was."""
    from skorch.callbacks import PassthroughScoring
    from skorch.callbacks.scoring import ScoringBase

    for _, callback in net.callbacks_:
        if not isinstance(callback, (ScoringBase, PassthroughScoring)):
            continue
        name = getattr(callback, "name_", None) or callback.name
        for row in reversed(net.history):
            if row.get(f"{name}_best") is True and name in row:
                callback.best_score_ = row[name]
                break


def _callback_or_none(key, value):
    """``value`` of ``callbacks__<name>`` (``key``): a skorch callback (an instance or
    its class) that takes the named one's place, or None, which switches it off, as
    skorch's ``set_params`` reads them."""
    from skorch.callbacks import Callback

    if value is None or isinstance(value, Callback) or (
            isinstance(value, type) and issubclass(value, Callback)):
        return value
    raise ValueError(
        f"Invalid parameter {key!r}: {value!r} is no skorch Callback; set it to a "
        "callback (an instance or its class), None to switch the callback off, or one of "
        "its parameters as callbacks__<name>__<param>."
    )


def _set_callback_params(callbacks, by_callback, replaced=None):
    """A copy of the ``callbacks`` list whose callbacks named in ``replaced``
    (``{name: callback or None}``, as skorch's ``callbacks__<name>=...``) are those
    (None: switched off, kept as ``(name, None)``, which skorch skips) and whose
    callbacks named in ``by_callback`` (``{name: {param: value}}``) are copies with
    those parameters set: the given list and callbacks are never modified, as a
    ``*_params`` dict is not. A callback given as its class is built first, with its
    defaults, as ``fit`` builds it (and skorch's ``set_params`` does). ``print_log``,
    where no callback has that name, is the net's default log
    (:class:`~sklearn_mtl.neural._net.TaskPrintLog`), added."""
    replaced = replaced or {}
    both = sorted(set(replaced) & set(by_callback))
    if both and replaced[both[0]] is None:  # as skorch refuses it
        raise ValueError(
            f"Cannot set callbacks__{both[0]}__... of the callback that "
            f"callbacks__{both[0]}=None switches off."
        )
    named = _uniquely_named_callbacks(callbacks)
    out = list(callbacks or [])
    if "print_log" in {*by_callback, *replaced} and "print_log" not in [
            name for name, _ in named]:
        # the net's default log, as skorch's callbacks__print_log__<param> reaches it:
        # a copy of it joins the list, named so that it replaces the default
        out.append(("print_log", TaskPrintLog()))
        named = _uniquely_named_callbacks(out)
    names = [name for name, _ in named]
    for target, callback in replaced.items():
        if names.count(target) != 1:
            _no_callback_named(target, names)
        i = names.index(target)
        out[i] = (target, callback)
        named[i] = (target, callback)
    for target, values in by_callback.items():
        if names.count(target) != 1:
            _no_callback_named(target, names, "__...")
        i = names.index(target)
        callback = named[i][1]
        callback = callback() if isinstance(callback, type) else copy.deepcopy(callback)
        if not hasattr(callback, "set_params"):
            raise ValueError(
                f"Callback {target!r} ({type(callback).__name__}) has no set_params; "
                "set its parameters when building it."
            )
        callback.set_params(**values)
        out[i] = (target, callback) if isinstance(out[i], tuple) else callback
    return out


def _no_callback_named(target, names, after=""):
    """The ``ValueError`` of ``callbacks__<target>...`` where no callback, or two, have
    that name (``names``: the callbacks')."""
    known = ", ".join(repr(n) for n in names) or "none"
    problem = "two callbacks have" if names.count(target) else "no callback has"
    raise ValueError(
        f"Cannot set callbacks__{target}{after}: {problem} the name {target!r} (the "
        f"callbacks' names: {known}). Name a callback with a (name, callback) pair."
    )


#: Held while a fit draws from torch's generator, which is one for the whole process.
_SEEDED = threading.RLock()


def _new_seeded_lock():
    # A process forked while a fit in another thread held the lock (a multiprocessing
    # "fork" pool next to a training thread) inherits it held, by a thread it does not
    # have: its first fit waited for ever.
    global _SEEDED
    _SEEDED = threading.RLock()


if hasattr(os, "register_at_fork"):  # not on Windows, which does not fork
    os.register_at_fork(after_in_child=_new_seeded_lock)


@contextlib.contextmanager
def _seeded(seed, device):
    """Seed torch inside the block only: the caller's global RNG state is restored.

    torch's generator is one for the process, so a fit in another thread waits for this
    block to end (their draws would interleave, and neither fit would reproduce). The
    network is built and trained in float32 whatever torch's default dtype.

    Only the generators the fit draws from are seeded and restored: the CPU's and, on a
    GPU, that GPU's (``"cuda"`` is the current one, not always the first).
    ``torch.manual_seed`` would also seed every GPU's generator, which a fit on the CPU
    does not restore (or, before CUDA starts, seeds it when it starts)."""
    index = training_generator(device)
    with _SEEDED, torch.random.fork_rng(devices=[] if index is None else [index]):
        default = torch.get_default_dtype()
        torch.set_default_dtype(torch.float32)
        try:
            seed_generators(seed, device)
            yield
        finally:
            torch.set_default_dtype(default)


class _TableRows:
    """A validated 2-D table (array, DataFrame or memory map) and the fitted
    preprocessor that turns any run of its rows into the network's input."""

    def __init__(self, X, preprocessor):
        self.X, self.preprocessor = X, preprocessor

    @property
    def shape(self):
        return (len(self), self._width)

    @functools.cached_property
    def _width(self):
        # A user's transformer may not say its width (n_features_out_): one row shows it.
        width = getattr(self.preprocessor, "n_features_out_", None)
        return self.batch(0, 1).shape[1] if width is None else width

    def __len__(self):
        return self.X.shape[0]

    def rows(self, start, stop):
        """Rows ``start:stop`` as given (a memory map's as float64, float32 staying
        float32, as an array's are validated; a DataFrame's dates and durations read as
        such where they come as text, see :class:`~sklearn_mtl.neural.TabularPreprocessor`)."""
        if isinstance(self.X, np.memmap):
            return np.asarray(self.X[start:stop], dtype=table_dtype(self.X.dtype))
        if not hasattr(self.X, "iloc"):
            return self.X[start:stop]
        pre = self.preprocessor
        return read_times(self.X.iloc[start:stop], getattr(pre, "time_columns_", ()),
                          getattr(pre, "_dates", ()), getattr(pre, "_periods", ()))

    def batch(self, start, stop):
        """Rows ``start:stop``, preprocessed (float32, C-contiguous)."""
        try:
            return preprocess(self.preprocessor, self.rows(start, stop))
        except RowError as exc:  # the row numbered in X, not in the batch
            raise exc.at(start) from None


def _names_balanced(spec):
    """Whether a ``class_weight`` or ``pos_weight`` asks for ``"balanced"`` anywhere."""
    values = spec.values() if isinstance(spec, Mapping) else [spec]
    return any(isinstance(v, str) and v == "balanced" for v in values)


def _weights_of(sample_weight, n):
    """The samples' weights as floats: ones where none are given."""
    return np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=float)


def _view_folds(targets, k, kept):
    """The targets with the fold column of the ``k`` members of view ``kept``, out of the
    two views' ``2 k`` folds: their own folds numbered 0 .. k - 1, the other view's -1 (a
    fold that no kept member holds out)."""
    fold = targets[:, -1] - k * kept
    targets = targets.clone()
    targets[:, -1] = torch.where((fold >= 0) & (fold < k), fold, torch.full_like(fold, -1))
    return targets


class _QueryKeys:
    """The lookup keys of the rows being predicted (see ``lookup``), hashed
    ``_KEY_CHUNK`` rows at a time: hashing one batch costs about what hashing thousands
    of rows does, and a chunk's keys take 8 bytes a row."""

    def __init__(self, X, n, numeric=None):
        self.X, self.n, self.numeric = X, n, numeric  # the training table's numbers
        self.start, self.keys = 0, np.empty(0, dtype=np.uint64)

    def get(self, start, stop, batch):
        """The keys of rows ``start:stop`` (``batch`` their network input), or ``None``
        where the rows are not a table."""
        X = self.X
        if isinstance(X, Dataset):  # read as it comes: the batch itself
            columns = table_columns(batch)
            return None if columns is None else row_keys(columns)
        if stop > self.start + len(self.keys):
            self.start, end = start, min(self.n, start + max(_KEY_CHUNK, stop - start))
            rows = (X.rows(start, end) if isinstance(X, _TableRows)
                    else X[start:end].toarray() if sp.issparse(X) else X[start:end])
            columns = table_columns(rows, self.numeric)
            if columns is None:
                return None
            if isinstance(X, _TableRows):  # categories as the preprocessing reads them
                columns = spelled_as_fitted(columns, rows, X.preprocessor, self.numeric)
            self.keys = row_keys(columns)
        return self.keys[start - self.start : stop - self.start]


#: A memory-mapped table's preprocessor is fitted on at most this many of its rows (a
#: sample beyond it, as gradient boosting bins a large table on a sample of 200,000).
_MEMMAP_FIT_ROWS = 200_000


def _row_sample(X, n_rows, weighted=None):
    """The rows of a memory map that its preprocessor is fitted on, read into memory (in
    the dtype that ``table_dtype`` gives): every row, or ``n_rows`` of them drawn with a
    fixed seed (so that every process of a data-parallel fit draws the same), read in
    file order. ``weighted`` (a mask of the rows of positive ``sample_weight``, see
    ``_base._positive_rows``): the rows are those, as if the others were not in the
    file."""
    index = None
    if weighted is not None and len(weighted) == X.shape[0] and weighted.any():
        # a sample of weight 0 is as if dropped, also beyond n_rows (where the mask
        # cannot be applied to the sample afterwards): drawn among the others only
        index = np.flatnonzero(weighted)
    n = X.shape[0] if index is None else len(index)
    if n > n_rows:
        pick = np.sort(np.random.RandomState(0).choice(n, n_rows, replace=False))
        X = X[pick if index is None else index[pick]]
    elif index is not None:
        X = X[index]
    return np.asarray(X, dtype=table_dtype(X.dtype))  # as an array in memory is validated


def _channels(n):
    """``"1 channel"``, ``"3 channels"``."""
    return f"{n} channel" + ("" if n == 1 else "s")


def _check_memmap(estimator, X, *, reset):
    """The checks of a memory-mapped X, which is read batch by batch: validating or
    converting it with ``validate_data`` would read (and for a read-only map, copy) the
    whole file."""
    name = type(estimator).__name__
    if X.ndim < 2:
        raise ValueError(
            f"Expected a 2-D or larger array, got a memory-mapped array of shape {X.shape}."
        )
    # as validate_data does for an array in memory: at fit, forget the names of a
    # previous fit on a DataFrame; at prediction, warn that X has none where fit had them
    _check_feature_names(estimator, X, reset=reset)
    # bools are read as 0 and 1, as an array of them in memory is
    real = np.issubdtype(X.dtype, np.number) or X.dtype == np.bool_
    if not real or np.issubdtype(X.dtype, np.complexfloating):
        raise ValueError(f"{name} needs real numbers in X; the memory map holds {X.dtype}.")
    if X.shape[0] < 1:  # scikit-learn's words for an array in memory
        raise ValueError(
            f"Found array with 0 sample(s) (shape={X.shape}) while a minimum of 1 is "
            f"required by {name}."
        )
    if not reset and X.shape[1] != estimator.n_features_in_:
        raise ValueError(
            f"X has {X.shape[1]} features, but {name} is expecting "
            f"{estimator.n_features_in_} features as input."
        )


def _check_optimizer_params(optimizer, params, lr=None):
    """A ValueError naming the entries of ``optimizer_params`` that ``optimizer`` does not
    take (unless its signature takes any keyword), or that other parameters set, or whose
    values it refuses (a negative weight decay, a group's negative ``lr``), the group
    named: torch checks the values of its optimizer's defaults only, so a parameter
    group's went unchecked and trained (a negative rate climbs the loss)."""
    params = params or {}
    if "lr" in params:
        raise ValueError(
            "optimizer_params sets 'lr'; set the estimator's lr= instead (the peak of "
            "lr_schedule, which also drives the schedule)."
        )
    groups = params.get("param_groups")
    if groups is not None and not (isinstance(groups, (list, tuple)) and all(
            isinstance(g, (list, tuple)) and len(g) == 2 and isinstance(g[0], str)
            and isinstance(g[1], dict) for g in groups)):
        raise ValueError(
            f"optimizer_params['param_groups'] is {groups!r}; expected skorch's list of "
            "(name pattern, {argument: value}) pairs, e.g. [('trunk.*', {'lr': 1e-4})]."
        )
    try:
        accepted = inspect.signature(optimizer).parameters
    except (TypeError, ValueError):  # a builtin or C callable: left to the optimizer
        return
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values()):
        return
    takes = [name for name in accepted if name not in ("params", "lr")]
    name = getattr(optimizer, "__name__", type(optimizer).__name__)
    unknown = sorted(k for k in params if k not in takes and k != "param_groups")
    if unknown:
        raise ValueError(
            f"optimizer_params {unknown} are not parameters of {name}; it takes {takes}."
        )
    for pattern, group in groups or []:
        unknown = sorted(k for k in group if k not in takes and k != "lr")
        if unknown:
            raise ValueError(
                f"optimizer_params['param_groups'] sets {unknown} for {pattern!r}, which "
                f"are not parameters of {name}; a group takes 'lr' and {takes}."
            )
    if lr is None:
        return
    # The values, as the optimizer checks its defaults: built once on a probe tensor with
    # the arguments that every parameter, then each group's, trains with (the choice of
    # kernel left out: it depends on the device, not on the values).
    kernel = ("foreach", "fused", "capturable", "differentiable")
    base = {k: v for k, v in params.items() if k != "param_groups" and k not in kernel}
    for pattern, group in [(None, {}), *(groups or [])]:
        args = {"lr": lr, **base, **{k: v for k, v in group.items() if k not in kernel}}
        try:
            optimizer([torch.zeros(1, requires_grad=True)], **args)
        except ValueError as error:
            where = ("optimizer_params" if pattern is None else
                     f"optimizer_params['param_groups'] group {pattern!r}")
            given = base if pattern is None else group
            raise ValueError(f"{where} sets {given!r}, which {name} refuses: {error}") from None


def _check_param_groups(params, module, criterion):
    """A ValueError naming a group of ``optimizer_params["param_groups"]`` whose pattern
    matches the name of no parameter of ``module`` or ``criterion``: skorch skips such a
    group, and its arguments went unused without a word (a typo, or ``"heads.0.*"``
    where the heads are fused into one layer, ``heads.weight``). Checked at ``fit``,
    not where a saved model is loaded. A group for the loss weighting's parameters
    (``"weighting.*"``) passes where the strategy learns none ("dwa", "pcgrad"): it
    has nothing to train there, and a search over ``loss_weighting`` gives it to all."""
    groups = (params or {}).get("param_groups") or []
    if not groups:
        return
    names = [name for part in (module, criterion) for name, _ in part.named_parameters()]
    learns = any(p.requires_grad for p in criterion.parameters())
    for pattern, group in groups:
        if not learns and pattern.startswith("weighting."):
            continue
        if not any(fnmatch.fnmatch(name, pattern) for name in names):  # as skorch matches
            shown = ", ".join(repr(n) for n in names[:12]) + (", ..." if len(names) > 12 else "")
            raise ValueError(
                f"optimizer_params['param_groups'] group {pattern!r} matches no parameter "
                f"of the network, so its arguments {group!r} would be unused. The "
                f"parameters are named {shown} (a head of its own, 'heads.<j>.*' for the "
                "j-th task, only with head_lr or head_hidden: plain heads are one layer, "
                "'heads.weight')."
            )


def _build_named_trunk(name, trunk_params, sample_shape):
    """``trunk="conv2d"`` etc.: the class from NAMED_TRUNKS, with the input inferred."""
    cls = NAMED_TRUNKS[name]
    params = dict(trunk_params or {})
    accepted = inspect.signature(cls).parameters
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise ValueError(
            f"trunk_params {unknown} are not parameters of {cls.__name__} (trunk={name!r}); "
            f"it takes {[p for p in accepted if p not in ('in_channels', 'input_shape')]}."
        )
    params.setdefault("input_shape", tuple(sample_shape))
    params.setdefault("in_channels", sample_shape[0] if len(sample_shape) else 1)
    return cls(**params)


#: The package's trunks, whose ``out_features`` is their width (given as instances too).
_OWN_TRUNKS = (MLPTrunk, EnsembleMLPTrunk, *NAMED_TRUNKS.values())


def _dataset_sample(dataset):
    item = first = dataset[0]
    pair = isinstance(item, (tuple, list))
    if pair:
        item = item[0]
    # an item is the features of one sample; skorch would also take a dict, which it
    # passes to the module as keyword arguments, but a trunk takes one tensor
    if isinstance(item, Mapping):
        raise ValueError(
            f"X is a Dataset ({type(dataset).__name__}) whose items are dicts (keys "
            f"{sorted(map(str, item))}); an item must be the features of one sample, an "
            f"array or tensor (or a tuple whose first entry is one; the labels come from "
            f"y). Return the features alone from __getitem__."
        )
    sample = np.asarray(item)
    # a list's entries are batched one by one (a list of tensors, not one tensor)
    if sample.ndim == 0 or sample.dtype == object or isinstance(item, (tuple, list)):
        what = (f"{type(first).__name__}s read as (features, label), whose first "
                f"entry is a {type(item).__name__}") if pair else type(item).__name__
        raise ValueError(
            f"X is a Dataset ({type(dataset).__name__}) whose items are {what}; an item "
            f"must be the features of one sample, an array or tensor of at least one "
            f"dimension (or a tuple whose first entry is one): return np.asarray(...) or "
            f"a tensor from __getitem__."
        )
    return sample
