"""One day of production-like access log for the LMS, written in virtual time (no waiting).

Sessions arrive on a diurnal curve (quiet at night, peak around 13:00 UTC); each walks its
persona's Markov chain (see `personas.py`) with lognormal think times, real ids from the seeded
database and a few percent of errors. Noise the ingest must remove: load-balancer health checks
every 30 s, crawlers, static assets, OPTIONS preflights and some malformed lines. Lines are
written in request-end order, as servers do, so they are a little out of time order.
"""

from __future__ import annotations

import gzip
import json
import math
import random
from collections import Counter
from pathlib import Path

from examples.lms.accesslog import clf_time
from examples.lms.personas import END, PERSONAS, START, Persona

DAY_START = 1_735_689_600.0 + 30 * 86_400  # 2025-01-31T00:00:00Z, a Friday
COURSES = 300
CERTIFICATES = 15_000
_PATHS = {
    "login": ("POST", "/api/auth/login"),
    "logout": ("POST", "/api/auth/logout"),
    "getDashboard": ("GET", "/api/dashboard"),
    "listCourses": ("GET", "/api/courses?page={page}&page_size=20"),
    "getCourse": ("GET", "/api/courses/{course}"),
    "recordProgress": ("POST", "/api/courses/{course}/progress"),
    "submitQuiz": ("POST", "/api/quiz/submit"),
    "getCertificate": ("GET", "/api/certificates/{certificate}"),
    "listEnrollments": ("GET", "/api/enrollments?page={page}"),
    "createEnrollment": ("POST", "/api/enrollments"),
    "listUsers": ("GET", "/api/users?page={page}"),
    "getReportOverview": ("GET", "/api/reports/overview?days=7"),
    "exportReport": ("GET", "/api/reports/export?days=7"),
    "uploadFile": ("POST", "/api/files/upload?name=roster-{page}.csv"),
}
_SERVICE_MS = {"getReportOverview": 45.0, "exportReport": 60.0, "login": 12.0}
_BOTS = (
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
)


def _arrival_rate(t: float) -> float:
    """Relative session arrival rate at second `t` of the day: 0.15 at 01:00, 1.0 at 13:00."""
    hours = t / 3600
    return 0.575 + 0.425 * math.cos(2 * math.pi * (hours - 13) / 24)


def _session_starts(rng: random.Random, sessions: int) -> list[float]:
    """Non-homogeneous Poisson arrivals by thinning, `sessions` of them over the day."""
    starts: list[float] = []
    while len(starts) < sessions:
        t = rng.uniform(0, 86_400)
        if rng.random() < _arrival_rate(t):  # the rate's maximum is 1.0
            starts.append(t)
    return sorted(starts)


def _walk(persona: Persona, rng: random.Random, max_steps: int = 60) -> list[tuple[str, float]]:
    """(operation, think before it) from the persona's chain."""
    steps: list[tuple[str, float]] = []
    state = START
    for _ in range(max_steps):
        choices = persona.transitions[state]
        target = rng.choices(list(choices), list(choices.values()))[0]
        if target == END:
            break
        median = persona.think_median(state, target) if state != START else 0.0
        think = rng.lognormvariate(math.log(median), persona.think_sigma) if median else 0.0
        steps.append((target, think))
        state = target
    return steps


def _url(operation: str, rng: random.Random, course: int) -> tuple[str, str]:
    method, template = _PATHS[operation]
    return method, template.format(
        course=course, certificate=rng.randint(1, CERTIFICATES), page=rng.choice((1, 1, 1, 2, 3))
    )


def simulate_day(out: Path, truth: Path, sessions: int = 17_000, seed: int = 7) -> dict[str, int]:
    rng = random.Random(seed)
    course_weights = [1 / (rank + 1) ** 0.8 for rank in range(COURSES)]
    lines: list[tuple[float, str]] = []
    counts: Counter[str] = Counter()
    for number, start in enumerate(_session_starts(rng, sessions)):
        persona = rng.choices(PERSONAS, [p.weight for p in PERSONAS])[0]
        counts[f"sessions:{persona.name}"] += 1
        ip = f"10.{20 + number // 64_516 % 200}.{number // 254 % 254}.{1 + number % 254}"
        agent = rng.choice(persona.user_agents)
        course = rng.choices(range(1, COURSES + 1), course_weights)[0]
        at = DAY_START + start
        for operation, think in _walk(persona, rng):
            at += think
            if operation in ("getCourse", "listCourses") and rng.random() < 0.3:
                course = rng.choices(range(1, COURSES + 1), course_weights)[0]
            method, url = _url(operation, rng, course)
            status = (
                201
                if operation in ("createEnrollment", "uploadFile")
                else 204
                if operation == "logout"
                else 200
            )
            roll = rng.random()
            if roll < 0.01:
                status = 500
            elif roll < 0.025 and operation != "login":
                status = 401  # an expired token: the client logs in again later
            elif roll < 0.2 and operation == "getCertificate":
                status = 404
            service_ms = rng.lognormvariate(math.log(_SERVICE_MS.get(operation, 6.0)), 0.5)
            lines.append(_line(at, ip, method, url, status, agent, service_ms))
            counts["requests"] += 1
            if persona.name != "integration" and rng.random() < 0.15:  # the page's assets
                lines.append(
                    _line(
                        at + 0.05,
                        ip,
                        "GET",
                        f"/static/app.{rng.getrandbits(24):06x}.js",
                        200,
                        agent,
                        2.0,
                    )
                )
                counts["noise:static"] += 1
            if method == "POST" and rng.random() < 0.03:  # a CORS preflight before the call
                lines.append(_line(at - 0.02, ip, "OPTIONS", url, 204, agent, 1.0))
                counts["noise:options"] += 1
    for tick in range(0, 86_400, 30):  # the load balancer's health check
        lines.append(
            _line(
                DAY_START + tick,
                "10.0.0.2",
                "GET",
                "/api/health",
                200,
                "ELB-HealthChecker/2.0",
                1.0,
            )
        )
        counts["noise:health"] += 1
    for _ in range(sessions // 10):  # crawlers poking at public-looking URLs
        at = DAY_START + rng.uniform(0, 86_400)
        url = rng.choice(
            ("/", "/robots.txt", f"/api/courses/{rng.randint(1, COURSES)}", "/sitemap.xml")
        )
        lines.append(
            _line(
                at,
                f"66.249.{rng.randint(64, 95)}.{rng.randint(1, 254)}",
                "GET",
                url,
                401,
                rng.choice(_BOTS),
                2.0,
            )
        )
        counts["noise:bots"] += 1
    lines.sort(key=lambda item: item[0])
    malformed = 0
    with gzip.open(out, "wt", encoding="utf-8", compresslevel=9) as handle:
        for index, (_, line) in enumerate(lines):
            if index % 2000 == 1999:  # a truncated write, as after a crash or a rotation race
                handle.write(line[: len(line) // 2] + "\n")
                malformed += 1
            handle.write(line + "\n")
    counts["noise:malformed"] = malformed
    truth.write_text(json.dumps(_ground_truth(sessions, counts), indent=2, sort_keys=True) + "\n")
    return dict(counts)


def _line(
    at: float, ip: str, method: str, url: str, status: int, agent: str, service_ms: float
) -> tuple[float, str]:
    """(when the server writes the line: the request's end, line): the line shows the start."""
    size = 0 if status == 204 else 120 + (len(url) * 37 + status) % 4700
    return at + service_ms / 1000, (
        f'{ip} - - [{clf_time(at)}] "{method} {url} HTTP/1.1" {status} {size} "-" "{agent}" {service_ms / 1000:.3f}'
    )


def _ground_truth(sessions: int, counts: Counter[str]) -> dict[str, object]:
    return {
        "description": "Generated by examples/lms/simulate.py; what inference should recover.",
        "day_start_epoch_s": DAY_START,
        "sessions": sessions,
        "counts": dict(counts),
        "personas": {
            p.name: {
                "weight": p.weight,
                "transitions": p.transitions,
                "think_median_s": {
                    f"{source}->{target}": p.think_median(source, target)
                    for source, targets in p.transitions.items()
                    if source != START
                    for target in targets
                    if target != END
                },
                "think_sigma": p.think_sigma,
            }
            for p in PERSONAS
        },
    }
