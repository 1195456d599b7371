"""Stage 5a: run generated scripts with the real engines (k6, Artillery)."""
