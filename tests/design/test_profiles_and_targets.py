"""Targets resolve against the workload; profiles have the shapes and sizes they promise."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from inferload.design.profiles import PROFILES, design_profiles, design_thresholds
from inferload.design.targets import Targets, load_targets, resolve
from inferload.errors import InferloadError
from inferload.model import infer_from_spec
from inferload.model.workload import Workload
from inferload.spec import load_catalog
from inferload.templating import figure
from tests.conftest import FIXTURES


@pytest.fixture(scope="module")
def workload() -> Workload:
    spec = FIXTURES / "lms/openapi.yaml"
    return infer_from_spec(load_catalog(spec), str(spec))


def test_defaults_come_from_the_workload_and_the_usual_sla(workload: Workload) -> None:
    resolved = resolve(workload, Targets())
    assert resolved.normal_arrival_rate_per_s == workload.load.normal_arrival_rate_per_s.value
    assert resolved.max_arrival_rate_per_s == 3 * resolved.normal_arrival_rate_per_s
    assert (resolved.sla.p95_ms, resolved.sla.p99_ms, resolved.sla.error_rate) == (500, 1000, 0.01)
    # a placeholder says why it is one (the plan's goals table and assumptions show it)
    note = workload.load.normal_arrival_rate_per_s.note
    assert resolved.origin["normal_arrival_rate_per_s"] == f"default: {note}" and note


def test_targets_file_overrides_and_is_checked(workload: Workload, tmp_path: Path) -> None:
    good = tmp_path / "targets.yaml"
    good.write_text(
        "normal_arrival_rate_per_s: 2\nsla: {p95_ms: 300, p99_ms: 800}\nendpoints: {login: {p95_ms: 200}}\n"
    )
    resolved = resolve(workload, load_targets(good))
    assert (
        resolved.normal_arrival_rate_per_s == 2
        and resolved.origin["normal_arrival_rate_per_s"] == "targets"
    )
    assert resolved.sla.p95_ms == 300
    bad = tmp_path / "bad.yaml"
    bad.write_text("sla: {p95_ms: 900, p99_ms: 300}\n")
    with pytest.raises(InferloadError, match="below p95_ms"):
        load_targets(bad)
    typo = tmp_path / "typo.yaml"
    typo.write_text("normal_rate: 3\n")
    with pytest.raises(InferloadError) as caught:
        load_targets(typo)
    assert caught.value.location is not None and caught.value.location.field == "normal_rate"
    for url in ("https://staging.example.com", "staging.example.com:8443", "`x`"):
        hosts = tmp_path / "hosts.yaml"
        hosts.write_text(f"allow_hosts: [{json.dumps(url)}]\n")
        with pytest.raises(InferloadError, match="give the host alone"):
            load_targets(hosts)
    hosts.write_text("allow_hosts: [Staging.Example.com, 10.0.0.5, '::1']\n")
    assert load_targets(hosts).allow_hosts == ["staging.example.com", "10.0.0.5", "::1"]
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("endpoints: {noSuchOperation: {p95_ms: 100}}\n")
    with pytest.raises(InferloadError, match="noSuchOperation"):
        resolve(workload, load_targets(unknown))


def test_a_normal_load_above_the_measured_peak_is_the_peak_and_says_so(
    workload: Workload,
) -> None:
    """A targets file that sets normal load above the peak the model measured raises the peak
    to it; the plan must not credit that number to the model."""
    measured = workload.load.peak_arrival_rate_per_s
    resolved = resolve(workload, Targets(normal_arrival_rate_per_s=measured.value * 10 + 1))
    assert resolved.peak_arrival_rate_per_s == resolved.normal_arrival_rate_per_s
    assert resolved.origin["peak_arrival_rate_per_s"].startswith("normal load")
    assert (
        f"{figure(60 * measured.value)} sessions/min" in resolved.origin["peak_arrival_rate_per_s"]
    )
    below = resolve(workload, Targets(normal_arrival_rate_per_s=measured.value / 2))
    assert below.peak_arrival_rate_per_s == measured.value
    assert below.origin["peak_arrival_rate_per_s"] == f"default: {measured.note}"


def test_profile_shapes_and_littles_law_sizing(workload: Workload) -> None:
    resolved = resolve(
        workload, Targets(normal_arrival_rate_per_s=2.0, peak_arrival_rate_per_s=4.0)
    )
    profiles = design_profiles(resolved)
    assert tuple(profiles) == PROFILES
    stress = profiles["stress"]
    assert stress.peak_per_s == pytest.approx(6.0)  # 3x normal
    assert stress.stages[-2].target_per_s == pytest.approx(2.0)  # recovery at normal
    spike = profiles["spike"]
    assert (
        sum(1 for s in spike.stages if s.target_per_s > 2.0 and s.duration_s == 10) == 2
    )  # two bursts
    assert profiles["breakpoint"].abort_on_fail and profiles[
        "breakpoint"
    ].peak_per_s == pytest.approx(40.0)
    assert profiles["soak"].duration_s >= 4 * 3600
    smoke = profiles["smoke"]
    assert smoke.in_flight == pytest.approx(2.0)  # ~2 sessions in flight
    load = profiles["load"]
    expected = 2.0 * resolved.session_duration_s  # L = lambda W
    assert load.in_flight == pytest.approx(expected)
    assert load.pre_allocated_vus >= expected and load.max_vus >= 2 * expected


def test_thresholds_global_per_endpoint_and_kill_switch(workload: Workload) -> None:
    resolved = resolve(
        workload,
        Targets.model_validate(
            {"endpoints": {"getReportOverview": {"p95_ms": 900, "error_rate": 0.05}}}
        ),
    )
    thresholds = design_thresholds(workload, resolved)
    pairs = {(t.metric, t.condition, t.abort_on_fail) for t in thresholds}
    assert ("http_req_duration", "p(95)<500", False) in pairs
    assert ("http_req_failed", "rate<0.1", True) in pairs
    assert ("http_req_duration{name:/api/reports/overview}", "p(95)<900", False) in pairs
    assert ("http_req_failed{name:/api/reports/overview}", "rate<0.05", False) in pairs
    assert any(
        t.metric == "http_req_duration{name:/api/auth/login}" for t in thresholds
    )  # high priority


def test_an_sla_of_no_errors_at_all_is_a_limit_a_clean_run_meets(workload: Workload) -> None:
    """`error_rate: 0` means no error may happen: `rate<=0` (k6) and `<= 0` (Artillery); `< 0`
    would fail every run. The kill switch stays at 1%, not at the first error."""
    from inferload.design.plan import design
    from inferload.emit.artillery import render_artillery
    from inferload.spec import load_catalog as load

    targets = Targets.model_validate({"sla": {"error_rate": 0}})
    thresholds = {
        (t.condition, t.abort_on_fail)
        for t in design_thresholds(workload, resolve(workload, targets))
    }
    assert ("rate<=0", False) in thresholds and ("rate<0.01", True) in thresholds
    plan = design(workload, load(FIXTURES / "lms/openapi.yaml"), targets)
    script = yaml.safe_load(render_artillery(plan)["artillery/script.yml"])
    (condition,) = script["config"]["plugins"]["ensure"]["conditions"]
    assert condition["expression"].endswith("/ http.requests <= 0")


def test_what_to_survive_covers_the_burst_production_already_sent(workload: Workload) -> None:
    """3x normal is the usual margin, but production's busiest minute may be above it: the
    spike must then reach that burst, not stop below what users already did."""
    from inferload.model.workload import Measured, Provenance

    normal = workload.load.normal_arrival_rate_per_s.value
    burst = Measured(value=5 * normal, provenance=Provenance.LOGS, note="busiest clock minute")
    bursty = workload.model_copy(
        update={"load": workload.load.model_copy(update={"peak_minute_arrival_rate_per_s": burst})}
    )
    resolved = resolve(bursty, Targets())
    assert resolved.max_arrival_rate_per_s == 5 * normal
    assert resolved.origin["max_arrival_rate_per_s"].startswith("logs: the busiest minute")
    spike = design_profiles(resolved)["spike"]
    assert max(stage.target_per_s for stage in spike.stages) == 5 * normal
    calm = Measured(value=2 * normal, provenance=Provenance.LOGS, note="busiest clock minute")
    usual = workload.model_copy(
        update={"load": workload.load.model_copy(update={"peak_minute_arrival_rate_per_s": calm})}
    )
    assert resolve(usual, Targets()).origin["max_arrival_rate_per_s"] == "default: 3x normal"
    high_peak = resolve(workload, Targets(peak_arrival_rate_per_s=4 * normal))
    assert high_peak.max_arrival_rate_per_s == 4 * normal
    assert high_peak.origin["max_arrival_rate_per_s"] == "the peak load"
