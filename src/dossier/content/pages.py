"""The project's HTML templates through one Jinja environment, autoescaped.

Every value a template shows is escaped unless the template says otherwise,
so no text from the data can become markup in a dossier, a mail or an index.
Light on purpose: the batch and mail commands use it without importing the
dossier's figures.
"""

from __future__ import annotations

from functools import cache

import jinja2

from ..resources import template_dir


@cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(template_dir()),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def render_page(name: str, view: dict) -> str:
    """Render the template ``name`` (relative to the templates folder) with ``view``."""
    return environment().get_template(name).render(**view)


def macros(name: str):
    """The macros of template ``name``, callable from Python."""
    return environment().get_template(name).module
