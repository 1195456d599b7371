from __future__ import annotations

import functools
import warnings
from pathlib import Path

import pytest

from inferload.spec import Catalog, build_catalog

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SPECS = FIXTURES / "specs"
PACKAGE = ROOT / "inferload"

# A library's deprecation raised in our own code fails the run: CI installs the newest
# releases, and a deprecated call is the next major version's break. (A `filterwarnings =
# error` cannot do it: Polars warns from Rust, which swallows the exception the filter makes.)
_DEPRECATIONS: list[str] = []


def pytest_warning_recorded(
    warning_message: warnings.WarningMessage, when: str, nodeid: str, location: object
) -> None:
    source = Path(warning_message.filename).resolve()
    deprecation = issubclass(warning_message.category, (DeprecationWarning, FutureWarning))
    if deprecation and source.is_relative_to(PACKAGE):
        where = f"{source.relative_to(ROOT)}:{warning_message.lineno}"
        _DEPRECATIONS.append(f"{where}: {str(warning_message.message).splitlines()[0]} ({nodeid})")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _DEPRECATIONS and exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _DEPRECATIONS:
        terminalreporter.section("deprecated calls in inferload/ (these fail the run)", red=True)
        for line in dict.fromkeys(_DEPRECATIONS):
            terminalreporter.line(line)


@pytest.fixture(autouse=True)
def isolated_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Each test gets its own catalog cache, so no test sees another's (or the user's) entries."""
    cache = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("INFERLOAD_CACHE_DIR", str(cache))
    return cache


@functools.cache
def fixture_catalog(relative: str) -> Catalog:
    """A fixture spec's catalog, built once per test session (catalogs are immutable)."""
    return build_catalog(SPECS / relative)


@pytest.fixture(scope="session")
def lms_workload_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """workload.yaml inferred once per test session from the bundled LMS sample (read-only)."""
    from click.testing import CliRunner

    from inferload.cli import main

    out = tmp_path_factory.mktemp("lms-workload") / "workload.yaml"
    result = CliRunner().invoke(
        main,
        [
            "infer",
            "--spec",
            str(FIXTURES / "lms/openapi.yaml"),
            "--logs",
            str(FIXTURES / "lms/access.log.gz"),
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="session")
def lms_generated(lms_workload_file: Path) -> Path:
    """The scripts generated from it, once per test session (read-only)."""
    from click.testing import CliRunner

    from inferload.cli import main

    out = lms_workload_file.parent / "out"
    result = CliRunner().invoke(main, ["generate", str(lms_workload_file), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out
