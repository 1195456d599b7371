"""`python -m inferload` is the `inferload` command."""

from inferload.cli import main

main()
