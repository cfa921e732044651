"""The search behind :func:`recommender.arrange.plan_edit`: dynamic programming over whole bars.

State: "at downbeat p with k bars still to play". At each downbeat the edit either plays the bar that starts there
or jumps to another downbeat q (paying the join's cost) and plays bar q. ``table(...)[k, p]`` is the cheapest way
to play k more bars from p and then reach a terminal downbeat (the track's last downbeat, whose tail is the real
ending, or an anchor). Each step is a min over the m cheapest jumps of every downbeat: O(K n m).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Tables:
    cost: np.ndarray  # (K + 1, n): cheapest cost of k bars from downbeat p, then the terminal
    choice: np.ndarray  # (K + 1, n): -1 = play bar p; q >= 0 = jump to q first (at k = 0: jump to the terminal)
    terminal: int


def tables(C: np.ndarray, terminal: int, k_max: int, *, join_penalty: float = 0.4, top: int = 32) -> Tables:
    """Cost-to-go over bars. ``C`` ``(n, n)`` join costs (``inf`` on the diagonal), ``terminal`` a downbeat index."""
    n = C.shape[0]
    m = min(top, n - 1)
    nbr = np.argsort(C, axis=1)[:, :m]  # each downbeat's m cheapest jumps
    ncost = np.take_along_axis(C, nbr, axis=1) + join_penalty
    cost = np.full((k_max + 1, n), np.inf)
    choice = np.full((k_max + 1, n), -1, dtype=np.int32)
    cost[0] = C[:, terminal] + join_penalty
    cost[0, terminal] = 0.0
    choice[0] = terminal
    choice[0, terminal] = -1
    for k in range(1, k_max + 1):
        after = np.r_[cost[k - 1, 1:], np.inf]  # playing bar q arrives at q + 1 (the last downbeat has no bar)
        jump = ncost + after[nbr]
        best = np.argmin(jump, axis=1)
        jump_cost = jump[np.arange(n), best]
        take = jump_cost < after
        cost[k] = np.where(take, jump_cost, after)
        choice[k] = np.where(take, nbr[np.arange(n), best], -1)
    return Tables(cost, choice, terminal)


def walk(t: Tables, k: int, p: int, *, jump_first: bool = True) -> tuple[list[int], list[tuple[int, int]]]:
    """The bars played (downbeat indices, in order) and the joins (from, to) of the path from ``(k, p)``.

    ``jump_first=False``: bar p is played before anything else (the path starts on an anchor).
    """
    bars: list[int] = []
    joins: list[tuple[int, int]] = []
    pos = p
    for kk in range(k, 0, -1):
        c = int(t.choice[kk, pos]) if (jump_first or kk < k) else -1
        if c >= 0:
            joins.append((pos, c))
            pos = c
        bars.append(pos)
        pos += 1
    if pos != t.terminal:
        joins.append((pos, t.terminal))
    return bars, joins


def play_first(t: Tables, k: int, p: int) -> float:
    """Cost of playing bar ``p`` first, then ``k - 1`` bars by the table (``k = 0``: p must be the terminal)."""
    if k == 0:
        return 0.0 if p == t.terminal else np.inf
    if p + 1 >= t.cost.shape[1] or k - 1 >= t.cost.shape[0]:
        return np.inf
    return float(t.cost[k - 1, p + 1])
