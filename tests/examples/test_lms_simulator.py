"""The simulated production day: it parses, and what the ingest sees matches its ground truth."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from examples.lms.personas import END, PERSONAS, START
from examples.lms.simulate import simulate_day
from inferload.logs import IngestOptions, LogIngest
from inferload.spec import load_catalog
from tests.conftest import FIXTURES

LMS = FIXTURES / "lms"


def test_shipped_sample_matches_its_ground_truth() -> None:
    truth = json.loads((LMS / "ground-truth.json").read_text())
    ingest = LogIngest([LMS / "access.log.gz"], load_catalog(LMS / "openapi.yaml"), IngestOptions())
    sessions = list(ingest)
    report = ingest.report
    assert report is not None
    counts = truth["counts"]
    assert report.lines_read > 150_000
    assert report.kept_requests == counts["requests"]
    assert report.malformed == counts["noise:malformed"]
    assert report.dropped == {
        "static asset": counts["noise:static"],
        "health check": counts["noise:health"],
        "OPTIONS preflight": counts["noise:options"],
        "bot or crawler": counts["noise:bots"],
    }
    assert abs(len(sessions) - truth["sessions"]) <= truth["sessions"] * 0.005
    assert report.operations["login"] == truth["sessions"]  # every session starts by logging in
    documented = {op for p in truth["personas"].values() for op in p["transitions"]} - {START}
    assert set(report.operations) == documented
    weights = {name: p["weight"] for name, p in truth["personas"].items()}
    assert weights == {p.name: p.weight for p in PERSONAS} and abs(sum(weights.values()) - 1) < 1e-9


def test_ground_truth_chains_are_proper_distributions() -> None:
    for persona in PERSONAS:
        for source, targets in persona.transitions.items():
            assert abs(sum(targets.values()) - 1) < 1e-9, (persona.name, source)
            assert all(t == END or t in persona.transitions for t in targets), (
                persona.name,
                source,
            )


def test_simulation_is_deterministic_and_diurnal(tmp_path: Path) -> None:
    first = simulate_day(tmp_path / "a.log.gz", tmp_path / "a.json", sessions=1500, seed=3)
    second = simulate_day(tmp_path / "b.log.gz", tmp_path / "b.json", sessions=1500, seed=3)
    assert first == second
    with gzip.open(tmp_path / "a.log.gz", "rt") as a, gzip.open(tmp_path / "b.log.gz", "rt") as b:
        assert a.read() == b.read()
    with gzip.open(tmp_path / "a.log.gz", "rt") as handle:
        logins = [line for line in handle if '"POST /api/auth/login' in line]
    hours = [int(line.split("[", 1)[1].split(":")[1]) for line in logins]
    night = sum(1 for h in hours if 0 <= h < 4)
    midday = sum(1 for h in hours if 11 <= h < 15)
    assert midday > 3 * night
