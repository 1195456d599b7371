"""Stage 5b: read the raw results of a run and analyse them into a report."""
