"""The LMS API: FastAPI routes over the SQLite pool. `create_app(settings)` builds it."""

from __future__ import annotations

import csv
import io
import secrets
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from examples.lms.db import (
    SEED_EPOCH,
    Pool,
    PoolExhausted,
    connect,
    hash_password,
    set_report_index,
)
from examples.lms.metrics import Metrics
from examples.lms.settings import Settings

bearer = HTTPBearer(auto_error=False, description="Token from POST /api/auth/login")


class LoginRequest(BaseModel):
    email: str = Field(examples=["user100@lms.example"], min_length=3, max_length=200)
    password: str = Field(examples=["lms-demo-password"], min_length=1, max_length=200)


class SignupRequest(BaseModel):
    email: str = Field(
        examples=["new.learner@lms.example"],
        min_length=3,
        max_length=200,
        pattern=r"^[^@\s]+@[^@\s]+$",
    )
    name: str = Field(examples=["New Learner"], min_length=1, max_length=100)
    password: str = Field(min_length=8, max_length=200, examples=["a-long-password"])


class ResetRequest(BaseModel):
    email: str = Field(examples=["user100@lms.example"], min_length=3, max_length=200)


class CourseCreate(BaseModel):
    title: str = Field(min_length=3, max_length=200, examples=["Fire safety refresher"])
    category: str = Field(examples=["Safety"], min_length=2, max_length=50)
    description: str = Field(default="", max_length=2000)


class ProgressUpdate(BaseModel):
    lesson_id: int = Field(ge=1, examples=[1])
    percent: int = Field(ge=0, le=100, examples=[50])


class QuizSubmission(BaseModel):
    quiz_id: int = Field(ge=1, examples=[1])
    answers: list[int] = Field(min_length=5, max_length=5, examples=[[0, 1, 2, 3, 0]])


class EnrollmentCreate(BaseModel):
    course_id: int = Field(ge=1, examples=[1])
    user_id: int | None = Field(
        default=None, ge=1, description="Admins enroll others; learners enroll themselves"
    )


class User(BaseModel):
    id: int
    email: str
    name: str
    role: str


class LoginResponse(BaseModel):
    token: str
    user: User


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody


@dataclass(frozen=True, slots=True)
class Caller:
    user_id: int
    role: str
    token: str


class Tokens:
    """Bearer tokens, kept in memory (one worker) and in the database (restarts)."""

    def __init__(self) -> None:
        self._tokens: dict[str, tuple[int, str, float]] = {}
        self._lock = threading.Lock()

    def issue(self, user_id: int, role: str, ttl_s: float) -> str:
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = (user_id, role, time.time() + ttl_s)
        return token

    def lookup(self, token: str) -> Caller | None:
        entry = self._tokens.get(token)
        if entry is None or entry[2] < time.time():
            return None
        return Caller(entry[0], entry[1], token)

    def revoke(self, token: str) -> None:
        with self._lock:
            self._tokens.pop(token, None)


def error(status: int, code: str, message: str) -> HTTPException:
    return HTTPException(status_code=status, detail={"code": code, "message": message})


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "Missing or invalid token"},
    403: {"model": ErrorResponse, "description": "Not allowed for this role"},
}


def caller(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Caller:
    if credentials is None:
        raise error(401, "unauthenticated", "a bearer token is required")
    found = request.app.state.tokens.lookup(credentials.credentials)
    if found is None:
        raise error(401, "invalid_token", "the token is unknown or expired")
    return found  # type: ignore[no-any-return]


def admin(who: Annotated[Caller, Depends(caller)]) -> Caller:
    if who.role != "admin":
        raise error(403, "forbidden", "administrators only")
    return who


CallerDep = Annotated[Caller, Depends(caller)]
AdminDep = Annotated[Caller, Depends(admin)]


def create_app(settings: Settings) -> FastAPI:
    pool = Pool(settings.database, settings.pool_size, settings.pool_timeout_s)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        pool.close()
        print("LMS API stopped: connections closed", flush=True)

    app = FastAPI(
        lifespan=lifespan,
        title="LMS API",
        version="1.0.0",
        description="Learning management: courses, lessons, quizzes, enrollments and reports.",
        servers=[{"url": "/", "description": "This server"}],
    )
    with pool.connection() as connection:
        set_report_index(connection, settings.report_index)
    tokens = Tokens()
    metrics = Metrics(pool)
    app.state.pool = pool
    app.state.metrics = metrics
    app.state.tokens = tokens

    @app.exception_handler(HTTPException)
    async def http_error(_request: Request, exc: HTTPException) -> JSONResponse:
        detail = (
            exc.detail
            if isinstance(exc.detail, dict)
            else {"code": "error", "message": str(exc.detail)}
        )
        return JSONResponse({"error": detail}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return JSONResponse(
            {
                "error": {
                    "code": "invalid_request",
                    "message": f"{where}: {first.get('msg', 'invalid')}",
                }
            },
            status_code=422,
        )

    @app.exception_handler(PoolExhausted)
    async def busy(_request: Request, _exc: PoolExhausted) -> JSONResponse:
        return JSONResponse(
            {"error": {"code": "busy", "message": "no database connection became free in time"}},
            status_code=503,
        )

    @app.post("/api/auth/login", operation_id="login", response_model=LoginResponse, tags=["auth"],
              responses={401: {"model": ErrorResponse}})  # fmt: skip
    def login(body: LoginRequest) -> dict[str, Any]:
        with pool.connection() as db:
            row = db.execute("SELECT * FROM users WHERE email = ?", (body.email,)).fetchone()
        if row is None or hash_password(body.password, row["salt"]) != row["password_hash"]:
            raise error(401, "bad_credentials", "email or password is wrong")
        token = tokens.issue(row["id"], row["role"], settings.token_ttl_s)
        return {"token": token, "user": _user(row)}

    @app.post(
        "/api/auth/logout", operation_id="logout", status_code=204, tags=["auth"], responses=ERRORS
    )
    def logout(who: CallerDep) -> Response:
        tokens.revoke(who.token)
        return Response(status_code=204)

    @app.post("/api/auth/signup", operation_id="signup", status_code=201, response_model=User, tags=["auth"],
              responses={409: {"model": ErrorResponse}})  # fmt: skip
    def signup(body: SignupRequest) -> dict[str, Any]:
        salt = secrets.token_hex(8)
        with pool.connection() as db:
            try:
                cursor = db.execute(
                    "INSERT INTO users (email, name, role, salt, password_hash, created_at) VALUES (?,?,?,?,?,?)",
                    (
                        body.email,
                        body.name,
                        "learner",
                        salt,
                        hash_password(body.password, salt),
                        time.time(),
                    ),
                )
            except Exception as exc:  # sqlite3.IntegrityError: the email is taken
                raise error(409, "email_taken", "an account with this email exists") from exc
        return {"id": cursor.lastrowid, "email": body.email, "name": body.name, "role": "learner"}

    @app.post(
        "/api/auth/reset-password", operation_id="resetPassword", status_code=202, tags=["auth"]
    )
    def reset_password(body: ResetRequest) -> dict[str, str]:
        with pool.connection() as db:
            db.execute("SELECT id FROM users WHERE email = ?", (body.email,)).fetchone()
        return {"status": "if the account exists, a reset link was sent"}

    @app.get("/api/dashboard", operation_id="getDashboard", tags=["learning"], responses=ERRORS)
    def dashboard(who: CallerDep) -> dict[str, Any]:
        with pool.connection() as db:
            if who.role == "admin":
                totals = db.execute(
                    "SELECT (SELECT COUNT(*) FROM users) AS users, (SELECT COUNT(*) FROM courses) AS courses,"
                    " (SELECT COUNT(*) FROM enrollments) AS enrollments"
                ).fetchone()
                return {"role": "admin", "totals": dict(totals)}
            rows = db.execute(
                "SELECT e.course_id, c.title, e.status, MAX(p.percent) AS progress FROM enrollments e"
                " JOIN courses c ON c.id = e.course_id LEFT JOIN progress p ON p.enrollment_id = e.id"
                " WHERE e.user_id = ? GROUP BY e.id ORDER BY e.created_at DESC LIMIT 5",
                (who.user_id,),
            ).fetchall()
        return {"role": "learner", "in_progress": [dict(r) for r in rows]}

    @app.get("/api/courses", operation_id="listCourses", tags=["learning"], responses=ERRORS)
    def list_courses(
        who: CallerDep,
        page: Annotated[int, Query(ge=1, le=1000)] = 1,
        page_size: Annotated[int, Query(ge=1, le=100)] = 20,
        category: Annotated[str | None, Query(max_length=50)] = None,
        all: Annotated[bool, Query(description="Include unpublished courses (admins)")] = False,
    ) -> dict[str, Any]:
        if all and who.role != "admin":
            raise error(403, "forbidden", "only administrators list unpublished courses")
        clauses, args = ([] if all else ["published = 1"]), []
        if category:
            clauses.append("category = ?")
            args.append(category)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with pool.connection() as db:
            rows = db.execute(
                f"SELECT id, title, category, published FROM courses {where} ORDER BY id LIMIT ? OFFSET ?",
                (*args, page_size, (page - 1) * page_size),
            ).fetchall()
        return {"page": page, "page_size": page_size, "items": [dict(r) for r in rows]}

    @app.get("/api/courses/{course_id}", operation_id="getCourse", tags=["learning"],
             responses={**ERRORS, 404: {"model": ErrorResponse}})  # fmt: skip
    def get_course(course_id: int, who: CallerDep) -> dict[str, Any]:
        with pool.connection() as db:
            course = db.execute("SELECT * FROM courses WHERE id = ?", (course_id,)).fetchone()
            if course is None:
                raise error(404, "not_found", f"no course {course_id}")
            lessons = db.execute(
                "SELECT id, position, title, minutes FROM lessons WHERE course_id = ? ORDER BY position",
                (course_id,),
            ).fetchall()
            quiz = db.execute("SELECT id FROM quizzes WHERE course_id = ?", (course_id,)).fetchone()
        return {
            **dict(course),
            "lessons": [dict(r) for r in lessons],
            "quiz_id": quiz["id"] if quiz else None,
        }

    @app.post(
        "/api/courses",
        operation_id="createCourse",
        status_code=201,
        tags=["admin"],
        responses=ERRORS,
    )
    def create_course(body: CourseCreate, who: AdminDep) -> dict[str, Any]:
        with pool.connection() as db:
            cursor = db.execute(
                "INSERT INTO courses (title, category, description, published, created_by, created_at) VALUES (?,?,?,0,?,?)",
                (body.title, body.category, body.description, who.user_id, time.time()),
            )
        return {"id": cursor.lastrowid, **body.model_dump(), "published": 0}

    @app.post("/api/courses/{course_id}/progress", operation_id="recordProgress", tags=["learning"],
              responses={**ERRORS, 404: {"model": ErrorResponse}})  # fmt: skip
    def record_progress(course_id: int, body: ProgressUpdate, who: CallerDep) -> dict[str, Any]:
        with pool.connection() as db:
            enrollment = db.execute(
                "SELECT id FROM enrollments WHERE user_id = ? AND course_id = ?",
                (who.user_id, course_id),
            ).fetchone()
            if enrollment is None:
                enrollment_id = db.execute(
                    "INSERT INTO enrollments (user_id, course_id, status, created_at) VALUES (?,?,?,?)",
                    (who.user_id, course_id, "active", time.time()),
                ).lastrowid
            else:
                enrollment_id = enrollment["id"]
            db.execute(
                "INSERT INTO progress (enrollment_id, course_id, lesson_id, percent, updated_at) VALUES (?,?,?,?,?)",
                (enrollment_id, course_id, body.lesson_id, body.percent, time.time()),
            )
        return {"course_id": course_id, "lesson_id": body.lesson_id, "percent": body.percent}

    @app.post("/api/quiz/submit", operation_id="submitQuiz", tags=["learning"],
              responses={**ERRORS, 404: {"model": ErrorResponse}})  # fmt: skip
    def submit_quiz(body: QuizSubmission, who: CallerDep) -> dict[str, Any]:
        with pool.connection() as db:
            quiz = db.execute("SELECT * FROM quizzes WHERE id = ?", (body.quiz_id,)).fetchone()
            if quiz is None:
                raise error(404, "not_found", f"no quiz {body.quiz_id}")
            correct = [int(a) for a in quiz["answers"].split(",")]
            score = sum(a == b for a, b in zip(body.answers, correct, strict=True)) / len(correct)
            db.execute(
                "INSERT INTO quiz_attempts (user_id, quiz_id, score, created_at) VALUES (?,?,?,?)",
                (who.user_id, body.quiz_id, score, time.time()),
            )
            certificate_id = None
            if score >= 0.8:
                db.execute(
                    "INSERT OR IGNORE INTO certificates (user_id, course_id, issued_at) VALUES (?,?,?)",
                    (who.user_id, quiz["course_id"], time.time()),
                )
                row = db.execute(
                    "SELECT id FROM certificates WHERE user_id = ? AND course_id = ?",
                    (who.user_id, quiz["course_id"]),
                ).fetchone()
                certificate_id = row["id"]
        return {"score": score, "passed": score >= 0.8, "certificate_id": certificate_id}

    @app.get(
        "/api/enrollments",
        operation_id="listEnrollments",
        tags=["learning", "admin"],
        responses=ERRORS,
    )
    def list_enrollments(
        who: CallerDep,
        page: Annotated[int, Query(ge=1, le=1000)] = 1,
        page_size: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> dict[str, Any]:
        with pool.connection() as db:
            if who.role == "admin":
                rows = db.execute(
                    "SELECT id, user_id, course_id, status, created_at FROM enrollments ORDER BY id DESC LIMIT ? OFFSET ?",
                    (page_size, (page - 1) * page_size),
                ).fetchall()
            else:
                rows = db.execute(
                    "SELECT id, user_id, course_id, status, created_at FROM enrollments WHERE user_id = ?"
                    " ORDER BY id DESC LIMIT ? OFFSET ?",
                    (who.user_id, page_size, (page - 1) * page_size),
                ).fetchall()
        return {"page": page, "items": [dict(r) for r in rows]}

    @app.post("/api/enrollments", operation_id="createEnrollment", status_code=201, tags=["learning", "admin"],
              responses={**ERRORS, 404: {"model": ErrorResponse}})  # fmt: skip
    def create_enrollment(body: EnrollmentCreate, who: CallerDep) -> dict[str, Any]:
        user_id = body.user_id or who.user_id
        if user_id != who.user_id and who.role != "admin":
            raise error(403, "forbidden", "learners enroll only themselves")
        with pool.connection() as db:
            if (
                db.execute("SELECT 1 FROM courses WHERE id = ?", (body.course_id,)).fetchone()
                is None
            ):
                raise error(404, "not_found", f"no course {body.course_id}")
            existing = db.execute(
                "SELECT id, status FROM enrollments WHERE user_id = ? AND course_id = ?",
                (user_id, body.course_id),
            ).fetchone()
            if existing is not None:
                return {
                    "id": existing["id"],
                    "user_id": user_id,
                    "course_id": body.course_id,
                    "status": existing["status"],
                }
            cursor = db.execute(
                "INSERT INTO enrollments (user_id, course_id, status, created_at) VALUES (?,?,?,?)",
                (user_id, body.course_id, "active", time.time()),
            )
        return {
            "id": cursor.lastrowid,
            "user_id": user_id,
            "course_id": body.course_id,
            "status": "active",
        }

    @app.get("/api/users", operation_id="listUsers", tags=["admin"], responses=ERRORS)
    def list_users(
        who: AdminDep,
        page: Annotated[int, Query(ge=1, le=1000)] = 1,
        page_size: Annotated[int, Query(ge=1, le=100)] = 20,
        q: Annotated[
            str | None, Query(max_length=100, description="Name or email contains")
        ] = None,
    ) -> dict[str, Any]:
        with pool.connection() as db:
            if q:
                rows = db.execute(
                    "SELECT id, email, name, role FROM users WHERE name LIKE ? OR email LIKE ? ORDER BY id LIMIT ? OFFSET ?",
                    (f"%{q}%", f"%{q}%", page_size, (page - 1) * page_size),
                ).fetchall()
            else:
                rows = db.execute(
                    "SELECT id, email, name, role FROM users ORDER BY id LIMIT ? OFFSET ?",
                    (page_size, (page - 1) * page_size),
                ).fetchall()
        return {"page": page, "items": [dict(r) for r in rows]}

    @app.get(
        "/api/reports/overview",
        operation_id="getReportOverview",
        tags=["reports"],
        responses=ERRORS,
    )
    def report_overview(
        who: AdminDep, days: Annotated[int, Query(ge=1, le=365)] = 7
    ) -> dict[str, Any]:
        since = _now_in_data() - days * 86_400
        with pool.connection() as db:
            rows = db.execute(
                "SELECT p.course_id AS course_id, COUNT(*) AS updates, AVG(p.percent) AS avg_progress,"
                " SUM(p.percent = 100) AS finished_lessons FROM progress p WHERE p.updated_at >= ?"
                " GROUP BY p.course_id ORDER BY updates DESC LIMIT 20",
                (since,),
            ).fetchall()
        return {"days": days, "courses": [dict(r) for r in rows]}

    @app.get("/api/reports/export", operation_id="exportReport", tags=["reports"],
             responses={**ERRORS, 200: {"content": {"text/csv": {}}, "description": "CSV"}})  # fmt: skip
    def report_export(
        who: AdminDep, days: Annotated[int, Query(ge=1, le=365)] = 7
    ) -> PlainTextResponse:
        since = _now_in_data() - days * 86_400
        with pool.connection() as db:
            rows = db.execute(
                "SELECT p.course_id, p.lesson_id, COUNT(*) AS updates, MAX(p.percent) AS best"
                " FROM progress p WHERE p.updated_at >= ? GROUP BY p.course_id, p.lesson_id"
                " ORDER BY p.course_id, p.lesson_id",
                (since,),
            ).fetchall()
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["course_id", "lesson_id", "updates", "best_percent"])
        writer.writerows(tuple(r) for r in rows)
        return PlainTextResponse(out.getvalue(), media_type="text/csv")

    @app.post("/api/files/upload", operation_id="uploadFile", status_code=201, tags=["learning"],
              openapi_extra={"requestBody": {"required": True, "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}},
              responses=ERRORS)  # fmt: skip
    async def upload_file(
        request: Request,
        who: CallerDep,
        name: Annotated[str, Query(min_length=1, max_length=200)] = "upload.bin",
    ) -> dict[str, Any]:
        body = await request.body()
        if len(body) > 5_000_000:
            raise error(413, "too_large", "files are limited to 5 MB")
        with pool.connection() as db:
            cursor = db.execute(
                "INSERT INTO files (user_id, name, size, created_at) VALUES (?,?,?,?)",
                (who.user_id, name, len(body), time.time()),
            )
        return {"id": cursor.lastrowid, "name": name, "size": len(body)}

    @app.get("/api/certificates/{certificate_id}", operation_id="getCertificate", tags=["learning"],
             responses={**ERRORS, 404: {"model": ErrorResponse}})  # fmt: skip
    def get_certificate(certificate_id: int, who: CallerDep) -> dict[str, Any]:
        with pool.connection() as db:
            row = db.execute(
                "SELECT * FROM certificates WHERE id = ?", (certificate_id,)
            ).fetchone()
        if row is None or (row["user_id"] != who.user_id and who.role != "admin"):
            raise error(404, "not_found", f"no certificate {certificate_id}")
        return dict(row)

    @app.get("/api/health", operation_id="health", tags=["ops"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/metrics", include_in_schema=False)
    def prometheus() -> PlainTextResponse:
        return PlainTextResponse(metrics.render(), media_type="text/plain; version=0.0.4")

    return app


def _user(row: Any) -> dict[str, Any]:
    return {"id": row["id"], "email": row["email"], "name": row["name"], "role": row["role"]}


def _now_in_data() -> float:
    """Reports look back from the seeded data's 'now' so their cost does not drift with the clock."""
    return SEED_EPOCH


__all__ = ["connect", "create_app"]
