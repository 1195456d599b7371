"""Who is not a user: crawlers, load-balancer health checks, monitoring probes and load-test
tools, by agent.

Crawlers come from CrawlerDetect's maintained pattern list, compiled once into a Polars (Rust)
regex and run over the *distinct* agents of a chunk. CrawlerDetect also flags generic HTTP
libraries (okhttp, axios, python-requests, ...); for an API those are mobile apps, SDKs and
partner integrations, i.e. real users, so they are kept.

Load-test tools are named by their default agents (k6, Artillery, JMeter, Gatling, Locust,
ApacheBench, hey, siege...): a log that covers a load test, or the target's own log after an
`inferload run`, would otherwise teach the model the test's mix as if users had made it, and
`refresh` would report the test's own traffic as drift. Tools whose default agent is a generic
library's (Go-http-client, python-requests) cannot be told from real clients that way.
"""

from __future__ import annotations

import re
from functools import cache

import polars as pl
from crawlerdetect.providers.crawlers import data as crawler_patterns
from crawlerdetect.providers.exclusions import data as exclusion_patterns

HEALTH_CHECK_AGENTS = (
    r"(?i)(ELB-HealthChecker|kube-probe|GoogleHC|Consul Health Check|Envoy/HC|HAProxy|"
    r"Amazon-Route53-Health-Check|Azure Traffic Manager|Varnish health|nginx-health|health-?check)"
)
MONITORING_AGENTS = (
    r"(?i)(Pingdom|UptimeRobot|StatusCake|Site24x7|Datadog Agent|DatadogSynthetics|"
    r"NewRelicPinger|Blackbox Exporter|Prometheus/|Uptime-Kuma|check_http|nagios|zabbix|"
    r"monitoring-plugins|Better Uptime|Checkly|Catchpoint|Dynatrace Synthetic|updown\.io)"
)
LOAD_TEST_AGENTS = (
    r"(?i)(^(Grafana )?k6/|^Artillery\b|^ApacheBench/|\bJMeter\b|\bGatling\b|\bLocust\b|"
    r"\bSiege/|^hey/|\bTsung\b|\bNeoLoad\b|\bBlazeMeter\b|\bLoadImpact\b|\bloader\.io\b|"
    r"\bautocannon\b|\bbombardier\b|^wrk\b|\bGoReplay\b|\bTaurus\b)"
)
API_CLIENT_AGENTS = (
    r"(?i)^(okhttp|axios|python-requests|python-httpx|aiohttp|go-http-client|java/|"
    r"apache-httpclient|dart/|dalvik|alamofire|cfnetwork|node-fetch|undici|got |"
    r"postmanruntime|insomnia|[\w.]+-(python|ruby|node|java|go|php|dotnet)/)"
)
_NEGATIVE_LOOKAHEAD = re.compile(r"^(?P<head>[^()]*)\(\?!(?P<tail>[^()]*)\)$")


@cache
def _crawler_regexes() -> tuple[str, str]:
    """(exclusions, crawlers) in Rust syntax: `X(?!Y)` becomes crawler `X` + exclusion `XY`."""
    crawlers: list[str] = []
    exclusions = list(exclusion_patterns)
    for pattern in crawler_patterns:
        lookahead = _NEGATIVE_LOOKAHEAD.match(pattern)
        if lookahead:
            crawlers.append(lookahead["head"])
            exclusions.append(lookahead["head"] + lookahead["tail"])
        else:
            crawlers.append(pattern)
    return "(?i)(" + "|".join(exclusions) + ")", "(?i)(" + "|".join(crawlers) + ")"


_KNOWN_AGENTS: dict[str, str | None] = {}  # agent -> kind: a pure function of the agent text
_KNOWN_LIMIT = 50_000  # junk agents of ever new text: start the memo afresh past this
_UNSEEN = "unseen"  # a memo miss (a kind is a label or None)


def flagged_agents(agents: pl.Series) -> pl.DataFrame:
    """The distinct user agents that are no user's -> (user_agent, agent_kind): a health
    check, a monitoring probe, a bot or crawler. Usually a handful per chunk.

    Memoised across calls: a log has few distinct agents, and every call would otherwise
    compile CrawlerDetect's ~1,500-pattern regex again (milliseconds per chunk)."""
    distinct = agents.unique().drop_nulls().to_list()
    # the answer is built from this call's own lookups: another input's thread may clear the
    # shared memo meanwhile, and a cleared entry must not read as "no kind" (a user)
    kinds = {agent: _KNOWN_AGENTS.get(agent, _UNSEEN) for agent in distinct}
    fresh = [agent for agent, kind in kinds.items() if kind is _UNSEEN]
    if fresh:
        if len(_KNOWN_AGENTS) > _KNOWN_LIMIT:
            _KNOWN_AGENTS.clear()
        classified = dict(zip(fresh, _classify(pl.Series(fresh, dtype=pl.String)), strict=True))
        _KNOWN_AGENTS.update(classified)
        kinds.update(classified)
    flagged = {agent: kind for agent, kind in kinds.items() if kind is not None}
    return pl.DataFrame(
        {"user_agent": list(flagged), "agent_kind": list(flagged.values())},
        schema={"user_agent": pl.String, "agent_kind": pl.String},
    )


def _classify(agents: pl.Series) -> list[str | None]:
    exclusions, crawlers = _crawler_regexes()
    agent = pl.col("user_agent")
    is_crawler = agent.str.replace_all(exclusions, "").str.contains(crawlers)
    kind = (
        pl.when(agent.str.contains(LOAD_TEST_AGENTS))
        .then(pl.lit("load-test tool"))
        .when(agent.str.contains(HEALTH_CHECK_AGENTS))
        .then(pl.lit("health check"))
        .when(agent.str.contains(MONITORING_AGENTS))
        .then(pl.lit("monitoring probe"))
        .when(is_crawler & ~agent.str.contains(API_CLIENT_AGENTS))
        .then(pl.lit("bot or crawler"))
        .otherwise(None)
    )
    return agents.to_frame("user_agent").select(kind).to_series().to_list()
