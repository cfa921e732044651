"""bench/load.py's figures: one request's ``Sample``, percentiles, one ``Row`` per endpoint, the Markdown table."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass


@dataclass(frozen=True)
class Sample:
    endpoint: str  # method and route, ids replaced: "POST /api/drum-sessions/{id}/ratings/"
    status: int  # 0: no answer (connection error or timeout)
    seconds: float


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0–100) with linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return float("nan")
    v = sorted(values)
    pos = (len(v) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


@dataclass
class Row:
    endpoint: str
    n: int
    per_second: float
    p50_ms: float
    p95_ms: float
    ok: int
    client_errors: int
    server_errors: int
    no_answer: int


def summarise(samples: list[Sample], wall_seconds: float) -> list[Row]:
    """One row per endpoint (sorted by name) and a total row: rates are over the run's wall time."""
    groups: dict[str, list[Sample]] = defaultdict(list)
    for s in samples:
        groups[s.endpoint].append(s)

    def row(name: str, group: list[Sample]) -> Row:
        times = [s.seconds * 1000 for s in group if s.status]
        return Row(
            endpoint=name, n=len(group), per_second=len(group) / wall_seconds if wall_seconds > 0 else float("nan"),
            p50_ms=percentile(times, 50), p95_ms=percentile(times, 95),
            ok=sum(200 <= s.status < 300 for s in group), client_errors=sum(400 <= s.status < 500 for s in group),
            server_errors=sum(s.status >= 500 for s in group), no_answer=sum(s.status == 0 for s in group),
        )  # fmt: skip

    return [row(name, groups[name]) for name in sorted(groups)] + [row("all", samples)]


def table(rows: list[Row], profile: str) -> str:
    lines = [
        "| profile | endpoint | requests | req/s | p50 ms | p95 ms | 2xx | 4xx | 5xx | no answer |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        name = f"**{r.endpoint}**" if r.endpoint == "all" else f"`{r.endpoint}`"
        lines.append(f"| {profile} | {name} | {r.n} | {r.per_second:.2f} | {r.p50_ms:.0f} | {r.p95_ms:.0f} | {r.ok} "
                     f"| {r.client_errors} | {r.server_errors} | {r.no_answer} |")  # fmt: skip
    return "\n".join(lines)
