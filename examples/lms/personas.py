"""The ground truth of the simulated production traffic: who uses the LMS, and how.

Each persona walks a Markov chain over operation ids (the `operationId`s of the API) from
`$start` to `$end`, waiting a lognormal think time between steps. These numbers are what
inferload's inference should recover from `fixtures/lms/access.log.gz`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

START, END = "$start", "$end"


@dataclass(frozen=True, slots=True)
class Persona:
    name: str
    weight: float
    user_agents: tuple[str, ...]
    transitions: dict[str, dict[str, float]]
    think_median_s: dict[str, float]  # "A->B" -> median; others use `default_think_median_s`
    default_think_median_s: float
    think_sigma: float = 0.8
    user_ids: tuple[int, int] = (51, 5000)  # seeded learners; admins are 1..50
    extra: dict[str, str] = field(default_factory=dict)

    def think_median(self, source: str, target: str) -> float:
        return self.think_median_s.get(f"{source}->{target}", self.default_think_median_s)


BROWSERS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
)

LEARNER = Persona(
    name="learner",
    weight=0.70,
    user_agents=BROWSERS,
    transitions={
        START: {"login": 1.0},
        "login": {"getDashboard": 0.9, "listCourses": 0.1},
        "getDashboard": {"listCourses": 0.6, "getCourse": 0.3, "listEnrollments": 0.1},
        "listCourses": {"getCourse": 0.85, "listCourses": 0.10, END: 0.05},
        "getCourse": {"recordProgress": 0.7, "listCourses": 0.15, "submitQuiz": 0.10, END: 0.05},
        "recordProgress": {
            "recordProgress": 0.6,
            "submitQuiz": 0.15,
            "getCourse": 0.15,
            "logout": 0.05,
            END: 0.05,
        },
        "submitQuiz": {"getCertificate": 0.3, "getDashboard": 0.3, "logout": 0.3, END: 0.1},
        "getCertificate": {"logout": 0.5, END: 0.5},
        "listEnrollments": {"getCourse": 0.7, END: 0.3},
        "logout": {END: 1.0},
    },
    think_median_s={
        "getCourse->recordProgress": 45.0,
        "recordProgress->recordProgress": 90.0,  # reading a lesson
        "recordProgress->submitQuiz": 60.0,
        "login->getDashboard": 1.5,
    },
    default_think_median_s=8.0,
)

ADMIN = Persona(
    name="admin",
    weight=0.20,
    user_agents=BROWSERS[:3],
    user_ids=(1, 50),
    transitions={
        START: {"login": 1.0},
        "login": {"getDashboard": 1.0},
        "getDashboard": {"listEnrollments": 0.4, "listUsers": 0.3, "getReportOverview": 0.3},
        "listEnrollments": {"createEnrollment": 0.7, "listUsers": 0.2, END: 0.1},
        "createEnrollment": {
            "createEnrollment": 0.75,
            "listEnrollments": 0.15,
            "getReportOverview": 0.10,
        },
        "listUsers": {"createEnrollment": 0.5, "listUsers": 0.2, "getReportOverview": 0.3},
        "getReportOverview": {"exportReport": 0.5, "getDashboard": 0.2, "logout": 0.2, END: 0.1},
        "exportReport": {"logout": 0.5, END: 0.5},
        "logout": {END: 1.0},
    },
    think_median_s={
        "createEnrollment->createEnrollment": 0.3,  # bulk enrollment: a burst
        "login->getDashboard": 1.5,
        "getReportOverview->exportReport": 20.0,
    },
    default_think_median_s=6.0,
)

INTEGRATION = Persona(
    name="integration",
    weight=0.10,
    user_agents=("lms-sync/2.3 (+https://hr.example/integrations)",),
    user_ids=(1, 50),
    transitions={
        START: {"login": 1.0},
        "login": {"exportReport": 0.5, "uploadFile": 0.5},
        "exportReport": {"getReportOverview": 0.5, END: 0.5},
        "getReportOverview": {END: 1.0},
        "uploadFile": {"uploadFile": 0.5, END: 0.5},
    },
    think_median_s={},
    default_think_median_s=1.0,
    think_sigma=0.5,
)

PERSONAS = (LEARNER, ADMIN, INTEGRATION)
