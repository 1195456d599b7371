"""The jinja2 environment every document and script is rendered with (templates/ at the top).

StrictUndefined turns a misspelt variable into an error instead of an empty string in a script.
HTML templates (`.html.j2`) are autoescaped: names from specs and logs reach them as text.
"""

from __future__ import annotations

from pathlib import Path

import jinja2

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


def figure(value: float) -> str:
    """A rate or count as a person writes it: whole and grouped from 100 (1,200 sessions/min,
    not 1200.00), one decimal from 1, two significant digits below 1 (a quiet site's 0.007
    requests/s is not 0)."""
    if abs(value) >= 100 or value == 0:
        return f"{value:,.0f}"
    return f"{value:.1f}" if abs(value) >= 1 else f"{value:.2g}"


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html.j2",), default_for_string=False
        ),
        keep_trailing_newline=True,
    )
    env.filters["figure"] = figure
    return env
