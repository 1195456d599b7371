"""inferload: realistic load tests inferred from an OpenAPI spec and production access logs.

The pipeline runs one way: spec/logs -> model -> design -> emit -> run -> analyse.
Each stage is a subpackage; `inferload.cli` is the only place that prints or exits.
"""

from __future__ import annotations

__version__ = "0.1.0"
