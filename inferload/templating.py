"""The jinja2 environment every document and script is rendered with (templates/ at the top).

StrictUndefined turns a misspelt variable into an error instead of an empty string in a script.
HTML templates (`.html.j2`) are autoescaped: names from specs and logs reach them as text.
"""

from __future__ import annotations

from pathlib import Path

import jinja2

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html.j2",), default_for_string=False
        ),
        keep_trailing_newline=True,
    )
