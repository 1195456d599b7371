"""SQLite schema, a seed with realistic volumes, and a small blocking connection pool."""

from __future__ import annotations

import hashlib
import queue
import random
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

DEMO_PASSWORD = "lms-demo-password"  # every seeded account's password (a local sample only)
SEED_EPOCH = 1_735_689_600.0  # 2025-01-01T00:00:00Z: seeded timestamps are relative to it
REPORT_INDEX = "idx_progress_updated"

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('learner', 'admin')), salt TEXT NOT NULL,
    password_hash TEXT NOT NULL, created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS courses (
    id INTEGER PRIMARY KEY, title TEXT NOT NULL, category TEXT NOT NULL, description TEXT NOT NULL,
    published INTEGER NOT NULL DEFAULT 1, created_by INTEGER, created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS lessons (
    id INTEGER PRIMARY KEY, course_id INTEGER NOT NULL REFERENCES courses(id),
    position INTEGER NOT NULL, title TEXT NOT NULL, minutes INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS idx_lessons_course ON lessons(course_id);
CREATE TABLE IF NOT EXISTS quizzes (
    id INTEGER PRIMARY KEY, course_id INTEGER NOT NULL REFERENCES courses(id),
    title TEXT NOT NULL, answers TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS idx_quizzes_course ON quizzes(course_id);
CREATE TABLE IF NOT EXISTS enrollments (
    id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id),
    course_id INTEGER NOT NULL REFERENCES courses(id), status TEXT NOT NULL,
    created_at REAL NOT NULL, UNIQUE (user_id, course_id));
CREATE TABLE IF NOT EXISTS progress (
    id INTEGER PRIMARY KEY, enrollment_id INTEGER NOT NULL REFERENCES enrollments(id),
    course_id INTEGER NOT NULL, lesson_id INTEGER NOT NULL, percent INTEGER NOT NULL,
    updated_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS idx_progress_enrollment ON progress(enrollment_id);
CREATE TABLE IF NOT EXISTS quiz_attempts (
    id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, quiz_id INTEGER NOT NULL,
    score REAL NOT NULL, created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS certificates (
    id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, course_id INTEGER NOT NULL,
    issued_at REAL NOT NULL, UNIQUE (user_id, course_id));
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY, user_id INTEGER NOT NULL, expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, name TEXT NOT NULL, size INTEGER NOT NULL,
    created_at REAL NOT NULL);
"""

CATEGORIES = ("Compliance", "Leadership", "Engineering", "Sales", "Safety", "Data", "Design")


@dataclass(frozen=True, slots=True)
class SeedCounts:
    users: int = 5000
    admins: int = 50
    courses: int = 300
    lessons_per_course: int = 8
    enrollments: int = 50_000
    progress_per_enrollment: int = 6
    certificates: int = 15_000


def hash_password(password: str, salt: str) -> str:
    return hashlib.sha256(f"{salt}:{password}".encode()).hexdigest()


def connect(database: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(
        database, check_same_thread=False, timeout=30, isolation_level=None
    )
    connection.row_factory = sqlite3.Row
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    # No transient automatic indexes: a missing index must cost what it costs in production.
    connection.execute("PRAGMA automatic_index=OFF")
    return connection


def seed(database: Path, counts: SeedCounts = SeedCounts(), rng_seed: int = 42) -> SeedCounts:
    """Create and fill the database from scratch, deterministically (ids are predictable)."""
    if database.exists():
        database.unlink()
    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    rng = random.Random(rng_seed)
    connection = connect(database)
    connection.executescript(SCHEMA)
    day = 86_400.0
    connection.execute("BEGIN")
    users = []
    for user_id in range(1, counts.users + 1):
        salt = f"{rng.getrandbits(64):016x}"
        role = "admin" if user_id <= counts.admins else "learner"
        users.append(
            (user_id, f"user{user_id}@lms.example", f"User {user_id}", role, salt,
             hash_password(DEMO_PASSWORD, salt), SEED_EPOCH - rng.uniform(30, 700) * day)
        )  # fmt: skip
    connection.executemany("INSERT INTO users VALUES (?,?,?,?,?,?,?)", users)
    connection.executemany(
        "INSERT INTO courses VALUES (?,?,?,?,?,?,?)",
        [
            (c, f"Course {c}: {rng.choice(CATEGORIES)} essentials", rng.choice(CATEGORIES),
             "A practical course.", 1 if c % 10 else 0, 1 + c % counts.admins,
             SEED_EPOCH - rng.uniform(60, 900) * day)
            for c in range(1, counts.courses + 1)
        ],
    )  # fmt: skip
    lessons = [
        ((c - 1) * counts.lessons_per_course + p, c, p, f"Lesson {p}", rng.randint(5, 40))
        for c in range(1, counts.courses + 1)
        for p in range(1, counts.lessons_per_course + 1)
    ]
    connection.executemany("INSERT INTO lessons VALUES (?,?,?,?,?)", lessons)
    connection.executemany(
        "INSERT INTO quizzes VALUES (?,?,?,?)",
        [(c, c, f"Quiz for course {c}", ",".join(str(rng.randint(0, 3)) for _ in range(5)))
         for c in range(1, counts.courses + 1)],
    )  # fmt: skip
    pairs: set[tuple[int, int]] = set()
    popular = [1 / (rank + 1) ** 0.8 for rank in range(counts.courses)]
    learner_ids = range(counts.admins + 1, counts.users + 1)
    while len(pairs) < counts.enrollments:
        pairs.add((rng.choice(learner_ids), rng.choices(range(1, counts.courses + 1), popular)[0]))
    enrollments = []
    progress = []
    for enrollment_id, (user_id, course_id) in enumerate(sorted(pairs), start=1):
        created = SEED_EPOCH - rng.uniform(0, 365) * day
        status = rng.choices(("active", "completed", "dropped"), (0.6, 0.3, 0.1))[0]
        enrollments.append((enrollment_id, user_id, course_id, status, created))
        for step in range(counts.progress_per_enrollment):
            lesson = (course_id - 1) * counts.lessons_per_course + 1 + step
            progress.append(
                (len(progress) + 1, enrollment_id, course_id, lesson, rng.randint(10, 100),
                 created + rng.uniform(0, min(60 * day, SEED_EPOCH - created)))
            )  # fmt: skip
    connection.executemany("INSERT INTO enrollments VALUES (?,?,?,?,?)", enrollments)
    connection.executemany("INSERT INTO progress VALUES (?,?,?,?,?,?)", progress)
    completed = [e for e in enrollments if e[3] == "completed"][: counts.certificates]
    connection.executemany(
        "INSERT INTO certificates VALUES (?,?,?,?)",
        [(i, e[1], e[2], e[4] + 30 * day) for i, e in enumerate(completed, start=1)],
    )
    connection.execute("COMMIT")
    connection.execute("ANALYZE")
    connection.close()
    return counts


def set_report_index(connection: sqlite3.Connection, enabled: bool) -> None:
    """The knob a report recommends: a covering index on progress(updated_at, course_id, lesson_id, percent)
    turns the reports' full scan into a short range scan."""
    if enabled:
        connection.execute(
            f"CREATE INDEX IF NOT EXISTS {REPORT_INDEX} ON progress(updated_at, course_id, lesson_id, percent)"
        )
    else:
        connection.execute(f"DROP INDEX IF EXISTS {REPORT_INDEX}")


class PoolExhausted(Exception):
    """No connection became free within the pool timeout."""


class Pool:
    """A fixed set of connections; callers block until one is free (as real pools do)."""

    def __init__(self, database: Path, size: int, timeout_s: float) -> None:
        self.size = size
        self.timeout_s = timeout_s
        self._free: queue.Queue[sqlite3.Connection] = queue.Queue()
        for _ in range(size):
            self._free.put(connect(database))
        self._lock = threading.Lock()
        self.in_use = 0
        self.waiting = 0
        self.wait_seconds_total = 0.0
        self.acquired_total = 0
        self.timeouts_total = 0

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        began = time.perf_counter()
        with self._lock:
            self.waiting += 1
        try:
            connection = self._free.get(timeout=self.timeout_s)
        except queue.Empty:
            with self._lock:
                self.waiting -= 1
                self.timeouts_total += 1
            raise PoolExhausted from None
        with self._lock:
            self.waiting -= 1
            self.in_use += 1
            self.acquired_total += 1
            self.wait_seconds_total += time.perf_counter() - began
        try:
            yield connection
        finally:
            with self._lock:
                self.in_use -= 1
            self._free.put(connection)

    def close(self) -> None:
        while not self._free.empty():
            self._free.get_nowait().close()
