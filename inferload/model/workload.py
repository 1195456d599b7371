"""workload.yaml: the one contract between inference and emission.

Pydantic models, frozen; `Workload.model_json_schema()` is published as
docs/workload.schema.json. Every number says where it came from (`provenance`): measured in
the `logs`, read from the `spec`, or a documented `default`. Files are written with sorted keys
and rounded floats so they diff cleanly in git, and re-read with errors that name the field.
"""

from __future__ import annotations

import enum
import math
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from inferload.errors import ErrorKind, InferloadError, Location
from inferload.yamlfile import SAFE_DUMPER, read_mapping, validate

START, END = "$start", "$end"
WORKLOAD_VERSION: Literal[1] = 1


class Provenance(enum.StrEnum):
    LOGS = "logs"
    SPEC = "spec"
    DEFAULT = "default"
    USER = "user"  # set by hand: `inferload refresh` keeps it


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


Z_90 = 1.2816  # the standard normal's 90th percentile
_SHORTEST_USER_THINK_S = 0.001  # a median of 0 set by hand: a lognormal needs a positive one


def lognormal_through(median_s: float, p90_s: float) -> tuple[float, float]:
    """(mu, sigma) of the lognormal with this median and 90th percentile."""
    mu = math.log(max(median_s, _SHORTEST_USER_THINK_S))
    return mu, max(0.0, (math.log(max(p90_s, _SHORTEST_USER_THINK_S)) - mu) / Z_90)


class ThinkTime(_Frozen):
    """Seconds between one step and the next, as a fitted lognormal plus its quantiles.

    A fit's median and 90th percentile are the sample's own, not the law's, so editing them
    would change nothing the scripts draw: a think time set by hand (`provenance: user`) is
    drawn from the lognormal through its `median_s` and `p90_s` instead, the numbers a
    performance engineer reads and writes in seconds."""

    median_s: float = Field(ge=0)
    p90_s: float = Field(ge=0)
    mu: float = Field(description="lognormal: mean of ln(seconds)")
    sigma: float = Field(ge=0, description="lognormal: standard deviation of ln(seconds)")
    samples: int = Field(ge=0)
    provenance: Provenance

    @model_validator(mode="after")
    def _quantiles_in_order(self) -> ThinkTime:
        if self.provenance is Provenance.USER and self.p90_s < self.median_s:
            raise ValueError(
                f"p90_s ({self.p90_s:g}) is below median_s ({self.median_s:g}): "
                "a think time set by hand is drawn from these two"
            )
        return self

    @property
    def law(self) -> tuple[float, float]:
        """The (mu, sigma) the scripts draw from."""
        if self.provenance is Provenance.USER:
            return lognormal_through(self.median_s, self.p90_s)
        return self.mu, self.sigma

    @property
    def mean_s(self) -> float:
        """The law's mean: what a transition adds to a session's length, on average."""
        mu, sigma = self.law
        return math.exp(mu + sigma**2 / 2)


class Guard(_Frozen):
    """An ordering rule mined from sessions that journeys must never break."""

    kind: Literal["requires", "ends_session"]
    operation: str
    requires: str | None = Field(
        default=None, description="for `requires`: the step that must come first"
    )
    support: int = Field(ge=0, description="sessions the rule was seen to hold in")


class Journey(_Frozen):
    steps: list[str]
    probability: float = Field(ge=0, le=1)


class Persona(_Frozen):
    id: str
    name: str
    weight: float = Field(ge=0, le=1)
    sessions: int = Field(ge=0)
    provenance: Provenance
    steps: dict[str, list[str]] = Field(
        description="state -> the operations it runs; more than one means a burst run as a batch"
    )
    transitions: dict[str, dict[str, float]]
    think_times: dict[str, ThinkTime] = Field(
        description='keyed "A->B"; a transition without an entry (too few samples) uses default_think'
    )
    default_think: ThinkTime
    guards: list[Guard] = []
    top_journeys: list[Journey] = []
    session_length_steps: float = Field(ge=0, description="mean steps per session")
    pinned: bool = Field(default=False, description="a refresh keeps this persona as it is")

    @model_validator(mode="after")
    def _chain_is_consistent(self) -> Persona:
        if START not in self.transitions:
            raise ValueError(f"persona {self.id!r}: transitions need a {START!r} state")
        for source, targets in self.transitions.items():
            if source != START and source not in self.steps:
                raise ValueError(f"persona {self.id!r}: transitions from unknown step {source!r}")
            total = sum(targets.values())
            if targets and abs(total - 1.0) > 1e-3:
                raise ValueError(
                    f"persona {self.id!r}: transitions from {source!r} sum to {total:.4f}, not 1"
                )
            for target, probability in targets.items():
                if target != END and target not in self.steps:
                    raise ValueError(
                        f"persona {self.id!r}: transition {source!r} -> unknown step {target!r}"
                    )
                if probability < 0:
                    raise ValueError(
                        f"persona {self.id!r}: negative probability {source!r} -> {target!r}"
                    )
        if not any(p > 0 for target, p in self.transitions[START].items() if target != END):
            raise ValueError(
                f"persona {self.id!r}: its sessions would send nothing "
                f"(the transitions from {START!r} lead to no step)"
            )
        return self


class Operation(_Frozen):
    method: str
    path: str
    requests: int = Field(ge=0)
    share: float = Field(ge=0, le=1)
    priority: Literal["high", "medium", "low"]
    reasons: list[str]
    provenance: Provenance
    p95_ms: float | None = None
    error_rate: float | None = Field(default=None, ge=0, le=1)
    success_statuses: list[str] = []
    query_shares: dict[str, float] | None = Field(
        default=None,
        description="query parameter -> the share of this operation's requests that carried it "
        "(from logs; a parameter not listed was never sent, unless the spec requires it). "
        "null: not measured (from the spec alone), and every parameter with a value is sent",
    )

    @model_validator(mode="after")
    def _shares_are_shares(self) -> Operation:
        for name, share in (self.query_shares or {}).items():
            if not 0 <= share <= 1:
                raise ValueError(f"query_shares.{name}: {share:g} is not a share between 0 and 1")
        return self


class Measured(_Frozen):
    value: float
    provenance: Provenance
    note: str = ""


class Load(_Frozen):
    normal_arrival_rate_per_s: Measured
    peak_arrival_rate_per_s: Measured
    peak_minute_arrival_rate_per_s: Measured
    session_duration_s: Measured
    session_duration_p90_s: Measured
    peak_concurrent_sessions: Measured
    littles_law_concurrency: Measured
    requests_per_s_mean: Measured
    requests_per_s_peak: Measured
    arrivals_per_hour: list[int] = Field(
        default=[], description="sessions started in each hour of the window"
    )


class PoolValue(_Frozen):
    value: str | list[str] = Field(
        description="one value; in a joint pool, the row: one value per parameter, in order"
    )
    weight: float = Field(ge=0, le=1)


class DataPool(_Frozen):
    parameter: str
    location: Literal["path", "query"]
    operations: list[str]
    values: list[PoolValue]
    provenance: Provenance
    parameters: list[str] = Field(
        default=[],
        description="a joint pool (one operation's path parameters, seen together): the "
        "parameters its rows give, in order; empty for a pool of one parameter's values",
    )
    requests: int | None = Field(
        default=None,
        ge=0,
        description="production requests that carried the parameter (from logs; none otherwise)",
    )
    distinct_values: int | None = Field(
        default=None,
        ge=0,
        description="distinct values those requests carried, estimated (HyperLogLog: within "
        "about 2%)",
    )
    coverage: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="share of those requests whose value is in `values`: the rest asked for "
        "values the test never sends, so the target's caches hit more often under test",
    )

    @model_validator(mode="after")
    def _rows_fit(self) -> DataPool:
        width = len(self.parameters)
        for index, entry in enumerate(self.values):
            row = entry.value
            if (isinstance(row, list) and len(row) != width) or (width and isinstance(row, str)):
                raise ValueError(
                    f"values[{index}]: a joint pool's row needs {width} values "
                    f"({', '.join(self.parameters)}); a single pool's value is one string"
                )
        return self


class Correlation(_Frozen):
    """Where a path parameter's value comes from: a field of an earlier response."""

    producer: str
    pointer: str | None = Field(
        default=None, description="JSON pointer into the producer's response body"
    )
    via: Literal["link", "collection", "create", "field"] = Field(
        description="link: an OpenAPI link; collection/create: the list or the create of the "
        "item's collection; field: a read whose response carries a field of the parameter's name"
    )
    provenance: Provenance


class Auth(_Frozen):
    login_operation: str | None = None
    schemes: list[str] = []


class LogSource(_Frozen):
    path: str
    sha256: str
    lines: int


class Source(_Frozen):
    # null when there was no spec: the operations are URL templates inferred from the logs
    spec_path: str | None = None
    spec_sha256: str = ""
    logs: list[LogSource] = []
    window_start: str | None = None
    window_end: str | None = None
    requests: int = 0
    sessions: int = 0
    session_timeout_s: float = 1800.0
    burst_window_s: float = 1.0
    tool: str = "inferload"


class Api(_Frozen):
    title: str
    version: str
    base_path: str = ""


class Workload(_Frozen):
    version: Literal[1] = WORKLOAD_VERSION
    api: Api
    source: Source
    auth: Auth
    operations: dict[str, Operation]
    personas: list[Persona]
    load: Load
    data_pools: dict[str, DataPool] = {}
    correlations: dict[str, dict[str, Correlation]] = Field(
        default={}, description="consumer operation -> path parameter -> producer"
    )
    left_out: dict[str, str] = Field(
        default={},
        description="operation id -> why no journey runs it (models inferred from the spec "
        "alone; from logs, the journeys run what production called)",
    )

    @model_validator(mode="after")
    def _references_exist(self) -> Workload:
        if not self.personas:
            raise ValueError("no personas: the scripts would send nothing")
        weights = sum(p.weight for p in self.personas)
        if abs(weights - 1.0) > 1e-3:
            raise ValueError(f"persona weights sum to {weights:.4f}, not 1")
        ids = [p.id for p in self.personas]
        if len(set(ids)) != len(ids):
            raise ValueError("persona ids must be unique")
        for persona in self.personas:
            for state, operations in persona.steps.items():
                for operation in operations:
                    if operation not in self.operations:
                        raise ValueError(
                            f"persona {persona.id!r}: step {state!r} runs unknown operation {operation!r}"
                        )
        return self


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def dump_workload(workload: Workload) -> str:
    """Deterministic YAML: sorted keys, rounded floats, plain strings."""
    data = _rounded(workload.model_dump(mode="json"))
    header = (
        "# workload.yaml: the inferred workload model (reference: docs/workload.md).\n"
        "# Edit freely; `inferload validate` checks an edited file.\n"
    )
    return header + yaml.dump(
        data, Dumper=SAFE_DUMPER, sort_keys=True, allow_unicode=True, width=100
    )


def load_workload(path: str | Path) -> Workload:
    """Read and validate workload.yaml; errors name the file and the field."""
    path = Path(path)
    data = read_mapping(path, "a workload")
    if data.get("version") != WORKLOAD_VERSION:
        raise InferloadError(
            ErrorKind.INVALID,
            f"unsupported workload version {data.get('version')!r}",
            location=Location(str(path), field="version"),
            hint=f"this inferload reads version {WORKLOAD_VERSION}",
        )
    return validate(Workload, data, path)


def json_schema() -> dict[str, Any]:
    schema = Workload.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "inferload workload.yaml"
    return schema
