"""A traffic simulator with known answers: personas walking Markov chains with lognormal think
times, Poisson session arrivals, written as an access log with noise around it.

Think time is what a user takes between an answer and their next request. The log stamps each
request as its server does: nginx when the response is done (with `$request_time`), Apache when
the request came (with `%D`, microseconds)."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from pathlib import Path

from tests.logs.builders import T0, clf_time

START, END = "$start", "$end"

SPEC = """
openapi: 3.0.3
info: {title: Shop, version: "1"}
servers: [{url: /api}]
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
security: [{bearer: []}]
paths:
  /login:
    post: {operationId: login, security: [], responses: {"200": {description: ok}}}
  /logout:
    post: {operationId: logout, responses: {"204": {description: ok}}}
  /products:
    get:
      operationId: listProducts
      parameters: [{name: page, in: query, schema: {type: integer}}]
      responses: {"200": {description: ok}}
  /products/search:
    get:
      operationId: search
      parameters: [{name: q, in: query, schema: {type: string}}]
      responses: {"200": {description: ok}}
  /products/{productId}:
    get:
      operationId: getProduct
      parameters: [{name: productId, in: path, required: true, schema: {type: integer}}]
      responses: {"200": {description: ok}}
  /products/{productId}/reviews:
    get:
      operationId: getReviews
      parameters: [{name: productId, in: path, required: true, schema: {type: integer}}]
      responses: {"200": {description: ok}}
  /cart/items:
    post: {operationId: addToCart, responses: {"201": {description: ok}}}
  /checkout:
    post: {operationId: checkout, responses: {"201": {description: ok}}}
  /orders:
    get: {operationId: getOrders, responses: {"200": {description: ok}}}
  /orders/{orderId}:
    get:
      operationId: getOrder
      parameters: [{name: orderId, in: path, required: true, schema: {type: integer}}]
      responses: {"200": {description: ok}}
  /reports/sales:
    get: {operationId: getReport, responses: {"200": {description: ok}}}
  /reports/sales/export:
    get: {operationId: exportReport, responses: {"200": {description: ok}}}
  /healthz:
    get: {operationId: health, security: [], responses: {"200": {description: ok}}}
"""

PATHS = {
    "login": ("POST", "/api/login"),
    "logout": ("POST", "/api/logout"),
    "listProducts": ("GET", "/api/products?page={page}"),
    "search": ("GET", "/api/products/search?q={word}"),
    "getProduct": ("GET", "/api/products/{product}"),
    "getReviews": ("GET", "/api/products/{product}/reviews"),
    "addToCart": ("POST", "/api/cart/items"),
    "checkout": ("POST", "/api/checkout"),
    "getOrders": ("GET", "/api/orders"),
    "getOrder": ("GET", "/api/orders/{order}"),
    "getReport": ("GET", "/api/reports/sales"),
    "exportReport": ("GET", "/api/reports/sales/export"),
}


@dataclass(frozen=True)
class TruePersona:
    name: str
    weight: float
    chain: dict[str, dict[str, float]]
    think_median_s: dict[str, float]  # "A->B"
    sigma: float = 0.5


SHOPPER = TruePersona(
    "shopper",
    0.55,
    {
        START: {"login": 1.0},
        "login": {"search": 0.6, "listProducts": 0.4},
        "search": {"getProduct": 0.8, END: 0.2},
        "listProducts": {"getProduct": 0.9, END: 0.1},
        "getProduct": {"addToCart": 0.3, "listProducts": 0.3, "search": 0.2, END: 0.2},
        "addToCart": {"checkout": 0.7, "listProducts": 0.3},
        "checkout": {"logout": 0.6, END: 0.4},
        "logout": {END: 1.0},
    },
    {"login->search": 6.0, "login->listProducts": 6.0, "search->getProduct": 12.0, "listProducts->getProduct": 10.0,
     "getProduct->addToCart": 30.0, "getProduct->listProducts": 20.0, "getProduct->search": 15.0,
     "addToCart->checkout": 25.0, "addToCart->listProducts": 8.0, "checkout->logout": 7.0},
)  # fmt: skip
TRACKER = TruePersona(
    "tracker",
    0.30,
    {
        START: {"login": 1.0},
        "login": {"getOrders": 1.0},
        "getOrders": {"getOrder": 0.9, END: 0.1},
        "getOrder": {"getOrders": 0.4, END: 0.6},
    },
    {"login->getOrders": 6.0, "getOrders->getOrder": 9.0, "getOrder->getOrders": 40.0},
)
REPORTER = TruePersona(
    "reporter",
    0.15,
    {
        START: {"login": 1.0},
        "login": {"getReport": 1.0},
        "getReport": {"exportReport": 0.5, "getReport": 0.3, END: 0.2},
        "exportReport": {END: 1.0},
    },
    {"login->getReport": 8.0, "getReport->exportReport": 60.0, "getReport->getReport": 20.0},
)
PERSONAS = (SHOPPER, TRACKER, REPORTER)
AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0"


def simulate(path: Path, sessions: int, seed: int = 1, personas: tuple[TruePersona, ...] = PERSONAS,
             arrivals_per_s: float = 1.0, response_s: dict[str, float] | None = None,
             server: str = "nginx") -> dict[str, int]:  # fmt: skip
    """`response_s`: an operation's response time (lognormal median; 12 ms for the others)."""
    responses = response_s or {}
    rng = random.Random(seed)
    lines: list[tuple[float, str]] = []
    counts = {"requests": 0, "noise": 0}
    at = T0
    for number in range(sessions):
        at += rng.expovariate(arrivals_per_s)
        persona = rng.choices(personas, [p.weight for p in personas])[0]
        ip = f"10.{number // 64_516 % 250}.{number // 254 % 254}.{1 + number % 254}"
        state, clock = START, at
        while True:
            choices = persona.chain[state]
            target = rng.choices(list(choices), list(choices.values()))[0]
            if target == END:
                break
            if state != START:
                median = persona.think_median_s.get(f"{state}->{target}", 5.0)
                clock += rng.lognormvariate(math.log(median), persona.sigma)
            method, template = PATHS[target]
            url = template.format(page=rng.randint(1, 3), word=rng.choice(("shoes", "bags", "hats")),
                                  product=rng.randint(1, 500), order=rng.randint(1, 9000))  # fmt: skip
            took = (
                rng.lognormvariate(math.log(responses[target]), 0.3)
                if target in responses
                else 0.012
            )
            lines.append(_stamped(server, clock, took, ip, method, url, 200))
            counts["requests"] += 1
            if rng.random() < 0.1:
                lines.append(_stamped(server, clock, 0.002, ip, "GET", "/static/app.css", 200))
                counts["noise"] += 1
            clock += took  # the user thinks once the answer is there
            state = target
    end = at
    for tick in range(int((end - T0) // 30)):
        lines.append(
            (
                T0 + tick * 30,
                _line(T0 + tick * 30, "10.255.0.1", "GET", "/api/healthz", 200, "kube-probe/1.29"),
            )
        )
        counts["noise"] += 1
    for _ in range(sessions // 20):
        when = rng.uniform(T0, end)
        lines.append((when, _line(when, "66.249.66.1", "GET", f"/api/products/{rng.randint(1, 500)}", 401,
                                  "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")))  # fmt: skip
        counts["noise"] += 1
    lines.sort(key=lambda item: item[0])  # in the order the server writes them
    with path.open("w") as handle:
        for index, (_, line) in enumerate(lines):
            handle.write(line + "\n")
            if index % 5000 == 4999:
                handle.write("this line is broken \x00 garbage\n")
    return counts


def _line(at: float, ip: str, method: str, url: str, status: int, agent: str = AGENT) -> str:
    return f'{ip} - - [{clf_time(at)}] "{method} {url} HTTP/1.1" {status} 321 "-" "{agent}" 0.012'


def _stamped(server: str, start: float, took: float, ip: str, method: str, url: str,
             status: int) -> tuple[float, str]:  # fmt: skip
    """(when the server writes the line, the line) for a request from `start` taking `took` s."""
    line = f'{ip} - - [{{}}] "{method} {url} HTTP/1.1" {status} 321 "-" "{AGENT}" '
    if server == "nginx":  # the time the response was done, `$request_time`
        return start + took, line.format(clf_time(start + took)) + f"{took:.3f}"
    assert server == "apache", server  # the time the request came, `%D`
    return start + took, line.format(clf_time(start)) + str(round(took * 1e6))
