"""python -m examples.lms {seed,serve,wait,export-spec,simulate} ...

python -m examples.lms seed --db /tmp/lms.sqlite3
python -m examples.lms serve --db /tmp/lms.sqlite3 --port 8800 --access-log /tmp/lms-access.log
python -m examples.lms wait --port 8800
python -m examples.lms export-spec --out fixtures/lms/openapi.yaml
python -m examples.lms simulate --out fixtures/lms/access.log.gz --truth fixtures/lms/ground-truth.json
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
from pathlib import Path

import yaml

from examples.lms.db import SeedCounts


def _loopback(host: str) -> str:
    try:
        if ipaddress.ip_address(host).is_loopback:
            return host
    except ValueError:
        if host == "localhost":
            return host
    raise argparse.ArgumentTypeError(
        f"{host} is not a loopback address: this sample serves 127.0.0.1 only"
    )


def _enrollments(text: str) -> int:
    """Each learner enrolls in a course at most once, so the pairs bound the count."""
    defaults = SeedCounts()
    most = (defaults.users - defaults.admins) * defaults.courses
    count = int(text)
    if not 1 <= count <= most:
        raise argparse.ArgumentTypeError(f"{count} is not between 1 and {most:,}")
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m examples.lms", description=__doc__.splitlines()[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)

    seed = commands.add_parser("seed", help="create and fill the database (seconds)")
    seed.add_argument("--db", type=Path, default=Path("lms.sqlite3"))
    seed.add_argument(
        "--enrollments", type=_enrollments, default=SeedCounts().enrollments,
        help=f"enrollments, six progress rows each: the reports' table ({SeedCounts().enrollments:,})",
    )  # fmt: skip

    serve = commands.add_parser("serve", help="serve the API with uvicorn (one worker)")
    serve.add_argument("--db", type=Path, default=Path("lms.sqlite3"))
    serve.add_argument("--host", type=_loopback, default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8800)
    serve.add_argument(
        "--pool-size", type=int, default=None, help="database connections (LMS_POOL_SIZE, 4)"
    )
    serve.add_argument("--report-index", action="store_true", help="add the index the reports need")
    serve.add_argument(
        "--access-log", type=Path, default=None, help="write an nginx-style access log here"
    )
    serve.add_argument("--seed", action="store_true", help="(re)seed the database first")

    wait = commands.add_parser("wait", help="wait until the service on --port is healthy")
    wait.add_argument("--port", type=int, default=8800)
    wait.add_argument("--timeout", type=float, default=30.0, help="seconds (30)")

    export = commands.add_parser("export-spec", help="write the OpenAPI document as YAML")
    export.add_argument("--out", type=Path, required=True)

    simulate = commands.add_parser("simulate", help="write a production-like day of access log")
    simulate.add_argument("--out", type=Path, required=True)
    simulate.add_argument("--truth", type=Path, required=True)
    simulate.add_argument("--sessions", type=int, default=17_000)
    simulate.add_argument("--seed", type=int, default=7)

    args = parser.parse_args(argv)
    if args.command == "seed":
        from examples.lms.db import seed as seed_database

        counts = seed_database(args.db, SeedCounts(enrollments=args.enrollments))
        print(f"seeded {args.db}: {counts}")
    elif args.command == "serve":
        return _serve(args)
    elif args.command == "wait":
        from examples.lms.health import wait_healthy

        if not wait_healthy(args.port, args.timeout):
            print(f"the sample service on 127.0.0.1:{args.port} is not healthy", file=sys.stderr)
            return 1
    elif args.command == "export-spec":
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(render_spec())
        print(f"wrote {args.out}")
    elif args.command == "simulate":
        from examples.lms.simulate import simulate_day

        summary = simulate_day(args.out, args.truth, sessions=args.sessions, seed=args.seed)
        print(summary)
    return 0


def render_spec() -> str:
    """The OpenAPI document of the app, as committed in fixtures/lms/openapi.yaml."""
    import tempfile

    from examples.lms.app import create_app
    from examples.lms.db import seed
    from examples.lms.settings import Settings

    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "spec.sqlite3"
        from examples.lms.db import SeedCounts

        seed(database, SeedCounts(users=2, admins=1, courses=1, enrollments=1, certificates=0))
        app = create_app(Settings(database=database, access_log=None, pool_size=1))
        document = app.openapi()
        app.state.pool.close()
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


def _serve(args: argparse.Namespace) -> int:
    import os

    import uvicorn

    from examples.lms.accesslog import AccessLog
    from examples.lms.app import create_app
    from examples.lms.db import seed
    from examples.lms.settings import Settings

    if args.seed or not args.db.exists():
        seed(args.db)
    base = Settings.from_env()
    settings = Settings(
        database=args.db,
        access_log=args.access_log or base.access_log,
        pool_size=args.pool_size or base.pool_size,
        report_index=args.report_index or base.report_index,
        pool_timeout_s=base.pool_timeout_s,
    )
    app = create_app(settings)
    served = AccessLog(app, settings.access_log) if settings.access_log else app
    print(
        f"LMS API on http://{args.host}:{args.port} (pool {settings.pool_size}, "
        f"report index {'on' if settings.report_index else 'off'}, pid {os.getpid()})",
        flush=True,
    )
    uvicorn.run(
        served, host=args.host, port=args.port, workers=1, log_level="warning", access_log=False
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
