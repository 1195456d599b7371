"""Read a results folder: the manifest, the engine's raw output, the resource samples.

k6's JSON output has one line per metric point, millions for a long run: it is read in
bounded byte chunks (gzip too), each parsed by Polars with a fixed schema and cut down to the
points the analysis uses, so memory follows the kept rows, not the file. Artillery's report
is one JSON document of 10-second periods.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from inferload.analyse.jsonlines import JsonLines, Unreadable
from inferload.analyse.samples import ALL, RawSamples, Samples, WindowSamples
from inferload.errors import ErrorKind, InferloadError, Location
from inferload.run.manifest import GENERATOR_SOURCES, RESOURCES_NAME, RunManifest, read_manifest
from inferload.streams import iter_chunks, open_input, read_whole

_CHUNK_BYTES = 16 * 1024 * 1024
_K6_METRICS = [
    "http_req_duration",
    "vus",
    "dropped_iterations",
    "checks",
    "sessions_begun",
    "sessions_ended",
]
_K6_SCHEMA = pl.Schema({
    "type": pl.String(),
    "metric": pl.String(),
    "data": pl.Struct(
        {
            "time": pl.String(),
            "value": pl.Float64(),
            "tags": pl.Struct({"name": pl.String(), "method": pl.String(), "status": pl.String(), "expected_response": pl.String(),
                               "scenario": pl.String()}),
            "metadata": pl.Struct({"vu": pl.String(), "iter": pl.String()}),  # `run --tag-sessions`
        }
    ),
})  # fmt: skip


@dataclass(frozen=True)
class RunData:
    manifest: RunManifest
    folder: Path
    samples: Samples
    users: pl.DataFrame  # t (s from start), users: sessions in flight
    dropped_sessions: int  # sessions the generator could not start (no free VU)
    checks: tuple[int, int]  # (failed, total)
    resources: pl.DataFrame  # the target's: t, metric, value; counters as per-second rates
    generator: pl.DataFrame  # the load generator's CPU: t, source (generator, host), value
    unreadable: tuple[Unreadable, ...] = ()  # results files' lines left out (a run cut short)


def read_run(folder: Path) -> RunData:
    manifest = read_manifest(folder)
    unreadable: list[Unreadable] = []
    if manifest.tool == "k6":
        samples, users, dropped, checks, t0 = _read_k6(
            _kept(folder / manifest.files["points"]), unreadable
        )
    else:
        samples, users, dropped, checks, t0 = _read_artillery(
            _kept(folder / manifest.files["report"]), unreadable
        )
    resources = read_resources(_kept(folder / RESOURCES_NAME), t0, unreadable)
    ours = pl.col("source").is_in(GENERATOR_SOURCES)
    generator = resources.filter(ours & (pl.col("metric") == "cpu_percent"))
    return RunData(
        manifest, folder, samples, users, dropped, checks,
        resources.filter(~ours).drop("source"), generator.select("t", "source", "value"),
        tuple(unreadable),
    )  # fmt: skip


def _kept(path: Path) -> Path:
    """A results file as written, or gzipped for keeping (`gzip k6-points.json`)."""
    zipped = path.with_name(path.name + ".gz")
    return zipped if not path.exists() and zipped.exists() else path


def _read_k6(
    path: Path, unreadable: list[Unreadable]
) -> tuple[Samples, pl.DataFrame, int, tuple[int, int], float]:
    lines = JsonLines(path.name, _K6_SCHEMA)
    with open_input(path) as (stream, _):
        frames = [
            _k6_points(lines.frame(chunk)) for chunk in iter_chunks(stream, str(path), _CHUNK_BYTES)
        ]
    if (left_out := lines.unreadable()) is not None:
        unreadable.append(left_out)
    frames = [frame for frame in frames if frame.height]
    if not frames:
        raise InferloadError(
            ErrorKind.INVALID, "no k6 metric points in this file", location=Location(str(path))
        )
    points = pl.concat(frames)
    durations = points.filter(pl.col("metric") == "http_req_duration")
    t0 = (
        _test_start(durations)
        if durations.height
        else float(points.select(pl.col("epoch").min()).item())
    )
    t = (pl.col("epoch") - t0).alias("t")
    requests = durations.select(
        t, pl.concat_str(pl.col("method").fill_null(""), pl.lit(" "), pl.col("name").fill_null("?")).alias("name"),
        pl.col("status").fill_null("0"), pl.col("value").alias("ms"), (pl.col("expected_response") == "false").alias("failed"),
        pl.col("method").fill_null(""), pl.col("name").fill_null("?").alias("template"), "scenario", "vu", "iter",
    )  # fmt: skip
    users = _k6_users(points.with_columns(t))
    dropped = int(
        points.filter(pl.col("metric") == "dropped_iterations").select(pl.col("value").sum()).item()
        or 0
    )
    checks = (
        points.filter(pl.col("metric") == "checks")
        .select((pl.col("value") == 0).sum(), pl.len())
        .row(0)
    )
    return RawSamples(requests), users, dropped, (int(checks[0]), int(checks[1])), t0


def _k6_users(points: pl.DataFrame) -> pl.DataFrame:
    """Sessions in flight at each of k6's `vus` points (one a second): the script's sessions
    begun less those ended. A session waiting for its random start holds a VU, so `vus` itself
    counts it; it is the figure only for scripts that do not count their sessions. Sessions are
    counted from the script's start: the first ones begin just before the first request, the
    test's time 0 (left out, each would have stayed out of the count for the whole run)."""
    grid = points.filter((pl.col("metric") == "vus") & (pl.col("t") >= 0)).select(
        "t", pl.col("value").alias("users")
    )
    begun, ended = pl.col("metric") == "sessions_begun", pl.col("metric") == "sessions_ended"
    changes = points.filter(begun | ended)
    if not changes.filter(begun).height:
        return grid
    in_flight = (
        changes.select(
            "t", pl.when(begun).then(pl.col("value")).otherwise(-pl.col("value")).alias("change")
        )
        .sort("t")
        .select("t", pl.col("change").cum_sum().alias("in_flight"))
    )
    return (
        grid.sort("t")
        .join_asof(in_flight, on="t")
        .select("t", pl.col("in_flight").fill_null(0.0).clip(lower_bound=0.0).alias("users"))
    )


def _test_start(durations: pl.DataFrame) -> float:
    """When the test began: the first request's start (a `http_req_duration` point's time is
    when its request ended). Not the first point: k6 reports `vus` from before its VUs are
    initialised, seconds earlier on a busy machine, and the profile's stages, offsets from the
    test's start, would then cover the wrong requests (the first level none at all)."""
    return float(durations.select((pl.col("epoch") - pl.col("value") / 1000).min()).item())


def _k6_points(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.filter((pl.col("type") == "Point") & pl.col("metric").is_in(_K6_METRICS)).select(
        "metric",
        pl.col("data").struct.field("time").str.to_datetime(time_unit="us", time_zone="UTC").dt.epoch("us").truediv(1e6).alias("epoch"),
        pl.col("data").struct.field("value").alias("value"),
        pl.col("data").struct.field("tags").struct.unnest(),
        pl.col("data").struct.field("metadata").struct.unnest(),
    )  # fmt: skip


_PARENS = re.compile(r"\(([^()/]+)\)")
_BY_ENDPOINT = "plugins.metrics-by-endpoint."


def _read_artillery(
    path: Path, unreadable: list[Unreadable]
) -> tuple[Samples, pl.DataFrame, int, tuple[int, int], float]:
    """Artillery's JSON report (`intermediate`: its 10-second periods), or the periods as a run
    stopped early kept them, one JSON object a line (`.jsonl`, see run/periods_reporter.js)."""
    try:
        text = read_whole(path)
        if path.name.removesuffix(".gz").endswith(".jsonl"):
            lines = JsonLines(path.name)
            periods = lines.records(text)
            if (left_out := lines.unreadable()) is not None:
                unreadable.append(left_out)
        else:
            periods = json.loads(text)["intermediate"]
    except (ValueError, KeyError, TypeError) as exc:
        raise InferloadError(
            ErrorKind.INVALID, "not an Artillery JSON report", location=Location(str(path))
        ) from exc
    periods = [p for p in periods if p.get("firstMetricAt")]
    if not periods:
        raise InferloadError(
            ErrorKind.INVALID, "the Artillery report has no periods", location=Location(str(path))
        )
    t0 = min(p["firstMetricAt"] for p in periods) / 1000
    rows: list[dict[str, Any]] = []
    users: list[tuple[float, float]] = []
    in_flight = 0.0
    statuses: dict[tuple[str, str], int] = {}
    dropped = 0
    # sessions in flight: begun (their random start waited out: the processor counts them)
    # less ended; Artillery's vusers.created counts a session from its creation, waiting or not
    counted = any("sessions.begun" in p.get("counters", {}) for p in periods)
    begun = "sessions.begun" if counted else "vusers.created"
    for period in sorted(periods, key=lambda p: p["firstMetricAt"]):
        start = period["firstMetricAt"] / 1000 - t0
        span = max((period["lastMetricAt"] - period["firstMetricAt"]) / 1000, 1.0)
        counters: dict[str, int] = period.get("counters", {})
        in_flight += (
            counters.get(begun, 0)
            - counters.get("vusers.completed", 0)
            - counters.get("vusers.failed", 0)
        )
        users.append((start, max(in_flight, 0.0)))
        dropped += counters.get("vusers.skipped", 0)
        errors = _artillery_errors(counters, statuses)
        for key, summary in period.get("summaries", {}).items():
            if key == "http.response_time":
                name = ALL
            elif key.startswith(_BY_ENDPOINT + "response_time."):
                name = _PARENS.sub(r"{\1}", key[len(_BY_ENDPOINT + "response_time.") :])
            else:
                continue
            rows.append({
                "t": start, "span_s": span, "name": name, "requests": int(summary["count"]), "errors": errors.get(name, 0),
                "mean": float(summary["mean"]), "p50": float(summary["p50"]), "p95": float(summary["p95"]),
                "p99": float(summary["p99"]), "max": float(summary["max"]),
            })  # fmt: skip
    ranked = sorted(
        ((n, s, c) for (n, s), c in statuses.items()), key=lambda item: (-item[2], item[0], item[1])
    )
    return (
        WindowSamples(pl.DataFrame(rows), ranked),
        pl.DataFrame(users, schema=["t", "users"], orient="row"),
        dropped,
        (0, 0),
        t0,
    )


def _artillery_errors(
    counters: dict[str, int], statuses: dict[tuple[str, str], int]
) -> dict[str, int]:
    """Failed requests per endpoint in one period: 4xx/5xx answers and transport errors."""
    errors: dict[str, int] = {ALL: 0}
    for key, count in counters.items():
        if key.startswith("errors.") or (key.startswith("http.codes.") and key[11:12] in "45"):
            errors[ALL] += count
        if not key.startswith(_BY_ENDPOINT):
            continue
        name, found, kind = key[len(_BY_ENDPOINT) :].rpartition(".codes.")
        if not found or kind[:1] not in "45":
            name, found, kind = key[len(_BY_ENDPOINT) :].rpartition(".errors.")
            if not found:
                continue
        name = _PARENS.sub(r"{\1}", name)
        errors[name] = errors.get(name, 0) + count
        statuses[(name, kind)] = statuses.get((name, kind), 0) + count
    return errors


def read_resources(path: Path, t0: float, unreadable: list[Unreadable]) -> pl.DataFrame:
    """Samples aligned to the run's clock; `_total` counters become per-second rates."""
    schema = {
        "t": pl.Float64(),
        "source": pl.String(),
        "metric": pl.String(),
        "value": pl.Float64(),
    }
    if not path.is_file() or path.stat().st_size == 0:
        return pl.DataFrame(schema=schema)
    lines = JsonLines(path.name, schema)
    frame = lines.frame(read_whole(path))
    if (left_out := lines.unreadable()) is not None:
        unreadable.append(left_out)
    frame = frame.with_columns(t=pl.col("t") - t0).drop_nulls().sort("source", "metric", "t")
    is_counter = pl.col("metric").str.contains(r"_total(\{|$)")
    rate = (pl.col("value").diff() / pl.col("t").diff()).over("source", "metric")
    counters = frame.filter(is_counter).with_columns(
        metric=pl.col("metric").str.replace(r"_total", "_per_s"), value=rate
    ).drop_nulls().filter(pl.col("value") >= 0)  # fmt: skip
    return pl.concat([frame.filter(~is_counter), counters]).sort("t")
