"""Stage 4b: the designed test -> ready-to-run k6 and Artillery scripts, their data files and
the test plan."""
