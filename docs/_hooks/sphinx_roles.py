"""mkdocs hook: render the Sphinx roles of numpydoc docstrings as links.

The docstrings follow scikit-learn's numpydoc style, which writes cross-references as
``:class:`~sklearn_mtl.Task```. mkdocstrings shows such a role verbatim; this hook turns it
into an optional cross-reference: a link where the target is documented on the site, plain
code otherwise. ``~`` keeps only the last component of the name, as in Sphinx.
"""

from __future__ import annotations

import re

_ROLE = re.compile(r":(?:class|func|meth|mod|obj|attr|data|exc):<code>(~?)([^<]*)</code>")


def _replace(match):
    short, target = match.group(1), match.group(2).strip()
    shown = target.rsplit(".", 1)[-1] if short else target
    return f'<autoref identifier="{target}" optional><code>{shown}</code></autoref>'


def on_page_content(html, **kwargs):
    return _ROLE.sub(_replace, html)
