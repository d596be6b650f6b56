"""The public API's docstrings agree with the code, as scikit-learn's
``test_docstring_parameters`` checks its own (without needing numpydoc: a small parser of
numpydoc sections is enough for what is checked here).

- A Parameters section lists the signature's parameters, in order; each documented
  ``default=`` is the real default.
- Every exported function, every public class taking parameters, the prediction
  methods of the estimators and every public method of the label classes
  (``FULLY_DOCUMENTED``) have a Parameters section; those that return a value a Returns
  section. A section header is preceded by a blank line (without it numpydoc and
  mkdocstrings read it as part of the text above).
- The module-level scorer objects document how they are called and what they return.
- Every "See Also" target exists.
- The Attributes section of each estimator lists exactly its fitted attributes.
- Estimators' repr and HTML repr render, showing only the changed parameters.

The docstring examples themselves run in ``test_docs.py``.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import textwrap
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn import config_context
from sklearn.base import BaseEstimator
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils import estimator_html_repr

import sklearn_mtl

MODULES = (
    "sklearn_mtl", "sklearn_mtl.metrics", "sklearn_mtl.model_selection", "sklearn_mtl.neural",
    "sklearn_mtl.datasets", "sklearn_mtl.plotting", "sklearn_mtl.distributed",
    "sklearn_mtl.sharded",
)

SECTIONS = (
    "Parameters", "Returns", "Yields", "Receives", "Other Parameters", "Raises", "Warns",
    "Warnings", "See Also", "Notes", "References", "Examples", "Attributes", "Methods",
)

# The methods an estimator documents in full, as scikit-learn's do.
ESTIMATOR_METHODS = (
    "fit", "partial_fit", "predict", "predict_proba", "predict_log_proba",
    "decision_function", "predict_encoded", "score", "transform", "fit_transform",
    "inverse_transform", "get_feature_names_out",
)


def _public_objects():
    """(qualified name, object, module) of each exported class or function, once."""
    seen, objects = set(), []
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if not (inspect.isclass(obj) or inspect.isfunction(obj)) or id(obj) in seen:
                continue
            seen.add(id(obj))
            objects.append((f"{module_name}.{name}", obj, module))
    return objects


PUBLIC = _public_objects()


def _own_methods(cls):
    """(name, function) of the public methods of ``cls`` written in sklearn_mtl (skorch's
    and torch's own, inherited with their own docstrings, are theirs to check)."""
    for name in dir(cls):
        if name.startswith("_"):
            continue
        func = inspect.getattr_static(cls, name)
        if isinstance(func, (classmethod, staticmethod)):
            func = func.__func__
        if inspect.isfunction(func) and func.__module__.startswith("sklearn_mtl"):
            yield name, func


def _documented():
    """(id, object, its signature's owner) of every docstring with parameters to check."""
    items = []
    for qualname, obj, _ in PUBLIC:
        items.append((qualname, obj, obj))
        if inspect.isclass(obj):
            for name, func in _own_methods(obj):
                items.append((f"{qualname}.{name}", func, func))
    return items


DOCUMENTED = _documented()


def sections(doc):
    """{section name: list of its lines} of a numpydoc docstring, and the names of the
    sections whose header has no blank line above it."""
    lines = inspect.cleandoc(doc or "").splitlines()
    found, glued, current = {}, [], None
    for i, line in enumerate(lines):
        is_header = (
            line.strip() in SECTIONS and i + 1 < len(lines)
            and re.fullmatch(r"-{3,}", lines[i + 1].strip()) is not None
        )
        if is_header:
            current = line.strip()
            found[current] = []
            if i > 0 and lines[i - 1].strip():
                glued.append(current)
        elif current is not None and not re.fullmatch(r"-{3,}", line.strip()):
            found[current].append(line)
    return found, glued


def entries(lines):
    """(names, type) of each entry of a Parameters-like section: its unindented lines."""
    out = []
    for line in lines:
        if not line.strip() or line.startswith(" "):
            continue
        names, _, kind = line.partition(" : ")
        out.append(([n.strip() for n in names.split(",")], kind.strip()))
    return out


def test_sections_parser():
    doc = """Summary.
    Parameters
    ----------
    a, b : int, default=1
        Text.
    c : str

    Returns
    -------
    x : float
    """
    found, glued = sections(doc)
    assert glued == ["Parameters"]
    assert entries(found["Parameters"]) == [(["a", "b"], "int, default=1"), (["c"], "str")]
    assert entries(found["Returns"]) == [(["x"], "float")]


def _signature_parameters(obj, keep=()):
    try:
        params = list(inspect.signature(obj).parameters.values())
    except ValueError:  # an exception class: a builtin's signature
        return []
    if params and params[0].name in ("self", "cls"):
        params = params[1:]
    # ``*args, **kwargs`` handed on to a base (skorch's NeuralNet) are the base's to
    # document; those the docstring lists (``**fit_params``) are checked as the others
    return [p for p in params
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or p.name in keep]


def _same_default(documented, real):
    if documented == repr(real):
        return True
    try:
        return ast.literal_eval(documented) == real
    except (ValueError, SyntaxError):
        pass
    # a dotted name (``torch.optim.AdamW``) or ``np.nan``
    module, _, attr = documented.rpartition(".")
    try:
        value = getattr(importlib.import_module("numpy" if module == "np" else module), attr)
    except (ImportError, AttributeError, ValueError):
        return False
    return value is real or (value != value and real != real)


@pytest.mark.parametrize(("name", "obj", "owner"), DOCUMENTED, ids=[d[0] for d in DOCUMENTED])
def test_parameters_match_signature(name, obj, owner):
    found, glued = sections(obj.__doc__)
    assert not glued, f"{name}: no blank line above the section(s) {glued}"
    if "Parameters" not in found:
        return
    documented = [(n.lstrip("*"), kind)
                  for names, kind in entries(found["Parameters"]) for n in names]
    params = _signature_parameters(obj, keep={n for n, _ in documented})
    assert [n for n, _ in documented] == [p.name for p in params], name
    for (doc_name, kind), param in zip(documented, params, strict=True):
        match = re.search(r"default\s*=\s*(.+)$", kind)
        if param.default is inspect.Parameter.empty:
            assert match is None, f"{name}: {doc_name} is required, documented {kind!r}"
        elif match is None:
            # a method's optional ``y`` (``None`` for a Dataset, as in skorch) may say
            # so in its text, as scikit-learn's ``y : Ignored`` does
            assert "." in owner.__qualname__, f"{name}: {doc_name} has no documented default"
        else:
            assert _same_default(match.group(1).strip(), param.default), (
                f"{name}: {doc_name} documented default={match.group(1)}, "
                f"real {param.default!r}"
            )


# Public classes other than estimators whose public methods are all documented in full,
# as scikit-learn's: a Parameters section where they take any, a Returns section where
# they return a value. (Without a name here, a class's methods are only checked where
# they have a Parameters section, so one without any passed unseen.)
FULLY_DOCUMENTED = (
    "sklearn_mtl.Task", "sklearn_mtl.Schema", "sklearn_mtl.EncodedLabels",
    "sklearn_mtl.distributed.ThreadLimits",
)


def _returns_a_value(func):
    """Whether ``func``'s own code (not a function nested in it) has ``return <value>``."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    body = tree.body[0]
    todo = list(ast.iter_child_nodes(body))
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda,
                             ast.ClassDef)):
            continue
        if isinstance(node, ast.Return) and node.value is not None:
            return True
        todo.extend(ast.iter_child_nodes(node))
    return False


def test_returns_a_value():
    def returns():
        return 1

    def returns_none():
        def inner():
            return 1

        inner()
        return

    assert _returns_a_value(returns)
    assert not _returns_a_value(returns_none)


def _needs_parameters():
    """(id, object, whether it needs a Returns section) of each docstring that must have
    its sections."""
    items = []
    for qualname, obj, _ in PUBLIC:
        if issubclass(obj, Warning) if inspect.isclass(obj) else False:
            continue
        if _signature_parameters(obj):
            items.append((qualname, obj, inspect.isfunction(obj)))
        if inspect.isclass(obj) and issubclass(obj, BaseEstimator):
            for name, func in _own_methods(obj):
                if name in ESTIMATOR_METHODS and _signature_parameters(func):
                    items.append((f"{qualname}.{name}", func, False))
        elif qualname in FULLY_DOCUMENTED:
            for name, func in _own_methods(obj):
                returns = _returns_a_value(func)
                if _signature_parameters(func) or returns:
                    items.append((f"{qualname}.{name}", func, returns))
    return items


# Exported helpers of the network's plumbing documented in prose, not (yet) per parameter.
PROSE_ONLY = {
    "sklearn_mtl.neural.LabelledDataset", "sklearn_mtl.neural.SliceBatchIterator",
    "sklearn_mtl.neural.TaskOutputs", "sklearn_mtl.neural.TensorPairDataset",
}


NEEDS_PARAMETERS = _needs_parameters()


@pytest.mark.parametrize(("name", "obj", "returns"), NEEDS_PARAMETERS,
                         ids=[item[0] for item in NEEDS_PARAMETERS])
def test_public_api_documents_its_parameters(name, obj, returns):
    if name in PROSE_ONLY:
        pytest.skip("documented in prose")
    # an override without a docstring of its own shows its base's (skorch's), as
    # ``help`` does
    found, _ = sections(inspect.getdoc(obj))
    if _signature_parameters(obj):
        assert "Parameters" in found, f"{name} has parameters but no Parameters section"
    if returns and not inspect.isgeneratorfunction(obj):  # it returns a value
        assert "Returns" in found, f"{name} has no Returns section"


def test_fully_documented_classes_are_checked():
    # a name that is no longer exported would leave its class unchecked, silently
    assert set(FULLY_DOCUMENTED) <= {qualname for qualname, _, _ in PUBLIC}
    checked = {name for name, _, _ in NEEDS_PARAMETERS}
    for method in ("sklearn_mtl.Schema.apply_gates", "sklearn_mtl.Schema.from_dict",
                   "sklearn_mtl.Task.from_dict", "sklearn_mtl.Task.to_dict",
                   "sklearn_mtl.EncodedLabels.task_values",
                   "sklearn_mtl.distributed.ThreadLimits.setup"):
        assert method in checked, method


# The module-level scorer objects, documented by their own ``__doc__`` (which the API
# pages show; an instance without one shows its class's).
SCORERS = [
    (f"sklearn_mtl.metrics.{name}", getattr(sklearn_mtl.metrics, name))
    for name in sklearn_mtl.metrics.__all__
    if name.endswith("_scorer") and not inspect.isfunction(getattr(sklearn_mtl.metrics, name))
]


def test_scorers_are_found():
    assert [name for name, _ in SCORERS] == [
        f"sklearn_mtl.metrics.{name}"
        for name in ("exact_match_scorer", "mean_task_accuracy_scorer",
                     "neg_hamming_loss_scorer")
    ]


@pytest.mark.parametrize(("name", "scorer"), SCORERS, ids=[s[0] for s in SCORERS])
def test_scorer_objects_document_their_call(name, scorer):
    assert scorer.__doc__ != type(scorer).__doc__, f"{name} has no docstring of its own"
    found, glued = sections(scorer.__doc__)
    assert not glued, f"{name}: no blank line above the section(s) {glued}"
    documented = [n for names, _ in entries(found.get("Parameters", [])) for n in names]
    # scorer(estimator, X, y_true, sample_weight=None), as scikit-learn's scorers are called
    assert documented == [p.name for p in _signature_parameters(scorer)], name
    assert [kind for _, kind in entries(found.get("Returns", []))] == ["float"], name
    assert "scorer(estimator, X, y_true, sample_weight=None)" in scorer.__doc__
    assert "Greater is better" in scorer.__doc__


def _resolve(target, module, owner):
    candidates = [target, f"{module.__name__}.{target}", f"{owner.__module__}.{target}"]
    candidates += [f"{m}.{target}" for m in MODULES]
    for candidate in candidates:
        parts = candidate.split(".")
        for i in range(len(parts), 0, -1):
            try:
                obj = importlib.import_module(".".join(parts[:i]))
            except ImportError:
                continue
            try:
                for part in parts[i:]:
                    obj = getattr(obj, part)
            except AttributeError:
                break
            return True
    return False


def _see_also():
    items = []
    for qualname, obj, module in PUBLIC:
        found, _ = sections(obj.__doc__)
        for line in found.get("See Also", []):
            if line and not line.startswith(" "):
                for target in line.partition(" : ")[0].split(","):
                    items.append((f"{qualname} -> {target.strip()}", target.strip(), module, obj))
    return items


@pytest.mark.parametrize(("label", "target", "module", "owner"), _see_also(),
                         ids=lambda x: x if isinstance(x, str) and "->" in x else "")
def test_see_also_targets_exist(label, target, module, owner):
    assert _resolve(target, module, owner), label


# ------------------------------------------------------------------ fitted attributes
def _data():
    rng = np.random.RandomState(0)
    X = pd.DataFrame(rng.normal(size=(40, 3)), columns=["a", "b", "c"])
    car = np.where(X["a"] > 0, "yes", "no")
    Y = pd.DataFrame({"car": car, "color": np.where(X["b"] > 0, "red", "blue")})
    return X, Y


def _estimators():
    from sklearn_mtl.neural import TabularPreprocessor

    tree = DecisionTreeClassifier(max_depth=2, random_state=0)
    return {
        "MultiTaskClassifier": sklearn_mtl.MultiTaskClassifier(
            hidden_layer_sizes=(4,), max_epochs=1, random_state=0),
        "IndependentTaskClassifier": sklearn_mtl.IndependentTaskClassifier(tree),
        "LabelProductClassifier": sklearn_mtl.LabelProductClassifier(tree),
        "TaskChainClassifier": sklearn_mtl.TaskChainClassifier(tree),
        "TaskThresholdTuner": sklearn_mtl.TaskThresholdTuner(
            sklearn_mtl.IndependentTaskClassifier(tree), cv=2),
        "TaskFeatureSelector": sklearn_mtl.TaskFeatureSelector(n_estimators=3, random_state=0),
        "StructuredLabelEncoder": sklearn_mtl.StructuredLabelEncoder(),
        "TabularPreprocessor": TabularPreprocessor(),
    }


@pytest.mark.parametrize("name", list(_estimators()))
def test_attributes_section_lists_the_fitted_attributes(name):
    est = _estimators()[name]
    X, Y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if name == "StructuredLabelEncoder":
            est.fit(Y)
        elif name == "TabularPreprocessor":
            est.fit(X)
        else:
            est.fit(X, Y)
    found, _ = sections(type(est).__doc__)
    documented = [n for names, _ in entries(found["Attributes"]) for n in names]
    fitted = [k for k in vars(est) if k.endswith("_") and not k.startswith("_")]
    assert sorted(set(fitted) - set(documented)) == [], "fitted but not documented"
    assert [k for k in documented if k.endswith("_") and not hasattr(est, k)] == [], (
        "documented but absent after fit"
    )


@pytest.mark.parametrize("name", list(_estimators()))
def test_repr_shows_changed_parameters_only(name):
    est = _estimators()[name]
    assert f"{type(est).__name__}(" in repr(est)
    assert "<div" in estimator_html_repr(est)
    default = type(est)
    if name == "MultiTaskClassifier":
        assert repr(est) == ("MultiTaskClassifier(hidden_layer_sizes=(4,), max_epochs=1, "
                             "random_state=0)")
        assert repr(default()) == "MultiTaskClassifier()"
        with config_context(print_changed_only=False):
            assert "label_smoothing=0.1" in repr(default())
