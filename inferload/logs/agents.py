"""Who is not a user: crawlers, load-balancer health checks and monitoring probes, by agent.

Crawlers come from CrawlerDetect's maintained pattern list, compiled once into a Polars (Rust)
regex and run over the *distinct* agents of a chunk. CrawlerDetect also flags generic HTTP
libraries (okhttp, axios, python-requests, ...); for an API those are mobile apps, SDKs and
partner integrations, i.e. real users, so they are kept.
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


def classify_agents(agents: pl.Series) -> pl.DataFrame:
    """Distinct user agents -> (user_agent, agent_kind) with kind health/monitoring/bot/user."""
    exclusions, crawlers = _crawler_regexes()
    frame = pl.DataFrame({"user_agent": agents.unique().drop_nulls()})
    agent = pl.col("user_agent")
    is_crawler = agent.str.replace_all(exclusions, "").str.contains(crawlers)
    kind = (
        pl.when(agent.str.contains(HEALTH_CHECK_AGENTS))
        .then(pl.lit("health check"))
        .when(agent.str.contains(MONITORING_AGENTS))
        .then(pl.lit("monitoring probe"))
        .when(is_crawler & ~agent.str.contains(API_CLIENT_AGENTS))
        .then(pl.lit("bot or crawler"))
        .otherwise(None)
    )
    return frame.with_columns(kind.alias("agent_kind"))
