"""Stage 3: sessions (or the spec alone) -> the workload model, written as workload.yaml."""

from __future__ import annotations

from inferload.model.infer import infer_from_logs
from inferload.model.spec_only import infer_from_spec
from inferload.model.spec_path import write_workload
from inferload.model.workload import Workload, dump_workload, json_schema, load_workload

__all__ = [
    "Workload",
    "dump_workload",
    "infer_from_logs",
    "infer_from_spec",
    "json_schema",
    "load_workload",
    "write_workload",
]
