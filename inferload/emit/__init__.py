"""Stage 4b: the designed test -> ready-to-run scripts (k6 today; Artillery and the plan next)."""
