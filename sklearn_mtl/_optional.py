"""Optional dependencies, imported only where a feature needs them.

The optional engines (Dask, pyarrow, ONNX, matplotlib, polars) live behind the package's
extras, never in its core dependencies, so ``import sklearn_mtl`` works without them. A
feature that needs one imports it through :func:`import_optional`: when the package is
missing, the user reads which feature needs it and the ``pip install`` line that brings
it, rather than a bare ``No module named 'dask'`` from deep inside.
"""

from __future__ import annotations

import importlib


def import_optional(module, *, feature, extra=None):
    """Import ``module`` for ``feature``, or raise an ImportError naming the extra.

    Parameters
    ----------
    module : str
        The module to import (``"dask.dataframe"``, ``"pyarrow.dataset"``).
    feature : str
        What needs it, as the user calls it (``"predict_partitions"``).
    extra : str, default=None
        The sklearn-mtl extra that installs it (``"distributed"``); None for a package
        that no extra installs, which the message then names itself.

    Returns
    -------
    module : module
        The imported module.

    Raises
    ------
    ImportError
        When ``module`` or a package it needs is not installed; the message names
        ``feature`` and the ``pip install`` command, and chains the original error.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        # the package that is missing: ``module`` itself or one it imports (dask's
        # dataframe needs pyarrow, which the same extra installs)
        package = (getattr(exc, "name", None) or module).partition(".")[0]
        command = f'pip install "sklearn-mtl[{extra}]"' if extra else f"pip install {package}"
        if not isinstance(exc, ModuleNotFoundError):
            # installed, but its import failed (a build against another numpy, a
            # broken install): reinstalling the extra is the likely cure, not a first one
            raise ImportError(
                f"{feature} needs {module.partition('.')[0]}, which is installed but "
                f"failed to import ({exc}). Reinstall it, e.g. `{command} "
                "--force-reinstall`.",
                name=package,
            ) from exc
        raise ImportError(
            f"{feature} needs {package}, which is not installed ({exc}). "
            f"Install it with `{command}`.",
            name=package,
        ) from exc
