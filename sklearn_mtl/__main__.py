"""``python -m sklearn_mtl``: the ``sklearn-mtl`` command, where the script is not on the
``PATH`` (an environment that is not activated)."""

import sys

from .cli import main

sys.exit(main())
