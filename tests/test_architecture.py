"""The pipeline's import rule (docs/architecture.md): data flows one way between stages."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

# What each stage may import besides itself and the shared modules (errors, the package root).
ALLOWED = {
    "spec": set(),
    "logs": {"spec"},
    "model": {"spec", "logs"},
    "design": {"spec", "model"},
    "emit": {"design", "model"},  # an emitter never reads logs
    "run": {"design", "model", "emit"},  # emit: the generated folder's layout, k6 system tags
    "analyse": {"run", "design", "model"},
    "refresh": {"spec", "logs", "model", "analyse"},  # compare reads test results back
}
SHARED = {"errors", "yamlfile", "gcpause", "templating", "streams", ""}


def stage_imports(module: Path) -> set[str]:
    tree = ast.parse(module.read_text())
    stages: set[str] = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            if name == "inferload" or name.startswith("inferload."):
                stages.add(name.split(".")[1] if "." in name else "")
    return stages


def test_stages_import_only_downstream_stages() -> None:
    package = ROOT / "inferload"
    violations = []
    for module in package.rglob("*.py"):
        relative = module.relative_to(package)
        stage = relative.parts[0] if len(relative.parts) > 1 else None
        if stage is None:
            continue  # cli*.py, render*.py, errors.py, templating.py, __init__.py, __main__.py
        assert stage in ALLOWED, f"new stage {stage!r}: add its rule to ALLOWED and the docs"
        for imported in stage_imports(module) - SHARED - {stage}:
            if imported not in ALLOWED[stage]:
                violations.append(f"{relative} imports inferload.{imported}")
    assert violations == []


def test_only_the_cli_prints_or_exits() -> None:
    offenders = []
    for module in (ROOT / "inferload").rglob("*.py"):
        if module.name.startswith(("cli", "render")) or module.name == "__main__.py":
            continue
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name | ast.Attribute):
                name = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
                if name in ("print", "exit") or (
                    name == "echo" and "click" in ast.unparse(node.func)
                ):
                    offenders.append(f"{module.name}:{node.lineno} {ast.unparse(node.func)}")
    assert offenders == []
