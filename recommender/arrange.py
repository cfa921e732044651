"""Edit a track to a length along its own bars: skip or repeat whole bars, phrases and sections, end on its ending.

Editors' "music trim" (Adobe's Remix, Final Cut's trim, stock libraries' versions) shortens or lengthens a
track so it lasts exactly as long as the picture. Here a plan is a sequence of pieces of the source::

    [s0, d_a)  +  bar  +  bar  +  ...  +  [d_last, D)

where every bar runs from one downbeat ``d`` to the next and any two consecutive bars may come from anywhere in
the track, so every join is a downbeat-to-downbeat jump (the beat phase is kept), joined by a short equal-power
crossfade that ends on the downbeat. The search is dynamic programming over whole bars
(:mod:`recommender.arrange_search`: skips, repeats, loops of phrases or sections, any number of joins), scored
by how audible the joins are (:mod:`recommender.arrange_features`: "infinite jukebox" similarity of chroma,
timbre and loudness around the downbeats) and by musical sense (same place in a 4-bar phrase, section start to
section start, a join louder than this track's own 90th percentile of downbeat change avoided hard, a short
pickup straight into a jump avoided, intro kept, ending kept). When no join is quiet enough, the plan with no
join at all wins: the track backtimed (started late so that it ends on its ending).

**How the length is exact while every join stays on a downbeat.** Whole bars cannot add up to any length, so
the two outer ends are free: the last piece ends on the track's real end (``D``) and the first piece starts
``lead = d_i - s0`` seconds before its first join, inside the intro or as a pickup from earlier bars; that
lead absorbs the fraction of a bar, so the total is exact to the sample (the start is faded in briefly when it
is not the track's own start). With an anchor ("music time m at video time v") the start is fixed by the anchor
instead, and the end absorbs the remainder: the real ending is then trimmed by the least the grid allows and
faded out (``Plan.ending_trim``, penalised in the score).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from recommender.arrange_features import DownbeatFeatures, join_costs, strongest_change
from recommender.arrange_search import Tables, play_first, tables, walk

FPS = 25.0


class ArrangeError(ValueError):
    """A target or anchor that no plan can meet, with a reason a person can read."""


@dataclass
class Piece:
    src_start: float  # seconds in the track
    src_end: float
    out_start: float  # seconds in the edit


@dataclass
class Join:
    out_time: float  # seconds in the edit (the downbeat heard there)
    src_from: float  # downbeat where the music leaves, seconds in the track
    src_to: float  # downbeat where it resumes
    cost: float  # audibility in track units (1 = this track's median change at an ordinary downbeat)


@dataclass
class Plan:
    target: float  # seconds
    pieces: list[Piece]
    joins: list[Join]
    anchors: list[tuple[float, float]] = field(default_factory=list)  # (music seconds, edit seconds), as placed
    ending_trim: float = 0.0  # seconds of the real ending left out (0: ends on the track's end)
    cost: float = 0.0

    @property
    def duration(self) -> float:
        return float(sum(p.src_end - p.src_start for p in self.pieces))

    def to_dict(self) -> dict:
        d = asdict(self)
        d["anchors"] = [list(a) for a in self.anchors]
        return _rounded(d)


def _rounded(x):
    if isinstance(x, float):
        return round(x, 4)
    if isinstance(x, dict):
        return {k: _rounded(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_rounded(v) for v in x]
    return x


def default_anchor(features: DownbeatFeatures, section_starts, peak: float) -> tuple[float, float]:
    """(music, video) seconds: the track's strongest section change on the video's strongest moment ``peak``."""
    return strongest_change(features, section_starts), float(peak)


def plan_edit(
    features: DownbeatFeatures,
    target: float,
    *,
    anchors=(),
    section_starts=(),
    costs: np.ndarray | None = None,
    max_factor: float = 10.0,
) -> Plan:
    """The best plan of ``target`` seconds (exact to the sample), honouring ``anchors`` [(music s, edit s)].

    One anchor at most: its music time snaps to the nearest downbeat, which then sounds at the anchor's edit time.
    ``costs`` is :func:`join_costs` of ``features`` when already computed. Raises :class:`ArrangeError` for a
    target out of range or an anchor that cannot be met.
    """
    D, d = float(features.duration), np.asarray(features.downbeats, dtype=float)
    if not np.isfinite(target) or target <= 0:
        raise ArrangeError("the target length must be a positive number of seconds")
    if target > max_factor * D + 1e-6:
        raise ArrangeError(f"the target ({target:.1f} s) is more than {max_factor:g} times the track ({D:.1f} s)")
    anchors = [(float(m), float(v)) for m, v in anchors]
    if len(anchors) > 1:
        raise ArrangeError("one anchor at most")
    for m, v in anchors:
        if not (0 <= m <= D and 0 <= v <= target):
            raise ArrangeError(f"anchor ({m:.2f} s of music at {v:.2f} s) lies outside the track or the target")
    if len(d) < 4:
        return _no_grid_plan(D, target, anchors)
    C = join_costs(features) if costs is None else costs
    # A join louder than this track's own 90th percentile of downbeat change is heard: avoid it hard.
    loud = float(np.percentile(features.natural, 90))
    Cm = C + _phrase_cost(d, section_starts, len(d)) + 2.0 * np.maximum(C - loud, 0.0)
    ctx = _Ctx(d, D, features.bar, target, Cm)
    best = ctx.fit(anchors[0]) if anchors else ctx.fit(None)
    if best is None:
        raise ArrangeError("no edit of this track meets the anchor at that length; move or drop the anchor")
    spans, trim, cost = best
    return _build(spans, trim, cost, d, target, C, anchors)


def _phrase_cost(d: np.ndarray, section_starts, n: int) -> np.ndarray:
    """Musical sense of a jump i → j: same place in a 4-bar phrase, and section start to section start."""
    starts = sorted({int(np.argmin(np.abs(d - s))) for s in section_starts} | {0})
    sec_start = np.array([max(s for s in starts if s <= k) for k in range(n)])
    pos = (np.arange(n) - sec_start) % 4
    cost = np.where(pos[:, None] == pos[None, :], 0.0, 0.6)
    is_start = np.isin(np.arange(n), starts)
    return cost - 0.3 * (is_start[:, None] & is_start[None, :])


class _Ctx:
    """One search: the grid, the target, and the cost-to-go tables."""

    def __init__(self, d, D, bar, T, Cm):
        self.d, self.D, self.bar, self.T, self.Cm = d, D, bar, T, Cm
        self.n = len(d)
        self.tail = D - d[-1]
        self.lengths = np.diff(d)  # bar b = [d[b], d[b + 1])
        self.min_bar = max(float(self.lengths.min()), 0.5 * bar)
        self.mean_bar = float(self.lengths.mean())

    def k_max(self, seconds: float) -> int:
        return max(0, int(np.ceil(seconds / self.min_bar))) + 1

    def intro_cost(self, s0):
        return np.where(s0 > 1e-3, 0.3 + np.minimum(0.2 * s0 / self.bar, 3.0), 0.0)

    def head(self, t: Tables, until: float, limit: int = 64):
        """Best (cost, s0, spans) of a start with a lead-in and bars, reaching ``t``'s terminal at ``until`` s."""
        d, bar = self.d, self.bar
        k = np.arange(t.cost.shape[0])[:, None]
        s0 = d[None, :] + k * self.mean_bar - until  # approximate (mean bars), checked exactly below
        approx = np.where((s0 >= -0.5 * bar) & (s0 <= d[None, :] + 0.5 * bar), t.cost + self.intro_cost(s0), np.inf)
        best = None
        for flat in np.argsort(approx, axis=None)[:limit]:
            kk, a = np.unravel_index(flat, approx.shape)
            if not np.isfinite(approx[kk, a]) or (best and approx[kk, a] > best[0] + 1.0):
                break
            bars, _ = walk(t, int(kk), int(a))
            x = d[a] + float(self.lengths[bars].sum()) - until
            if not (0 <= x <= d[a] + 1e-9):
                continue
            lead_jump = int(t.choice[kk, a]) >= 0 if kk > 0 else a != t.terminal
            cost = float(t.cost[kk, a] + self.intro_cost(x))
            cost += 0.8 if (lead_jump and x > 1e-3 and d[a] - x < 0.9 * bar) else 0.0  # a pickup, then a jump
            if best is None or cost < best[0]:
                spans = [(x, float(d[a]))] + [(float(d[b]), float(d[b + 1])) for b in bars]
                best = (cost, x, spans)
        return best

    def fit(self, anchor):
        d, D, T = self.d, self.D, self.T
        end = tables(self.Cm, self.n - 1, self.k_max(T))
        if anchor is None:
            h = self.head(end, T - self.tail) if self.tail < T else None
            if T <= D and (h is None or float(self.intro_cost(D - T)) <= h[0]):  # start late, no join at all
                return [(D - T, D)], 0.0, float(self.intro_cost(D - T))
            return None if h is None else (h[2] + [(float(d[-1]), D)], 0.0, h[0])
        m, v = anchor
        a = int(np.argmin(np.abs(d - m)))
        tail_part = self._after_anchor(end, a, T - v)
        if tail_part is None:
            return None
        if v < 1e-9:
            head_cost, head_spans = 0.0, []
        else:
            h = self.head(tables(self.Cm, a, self.k_max(v)), v)
            if h is None:
                return None
            head_cost, head_spans = h[0], h[2]
        t_cost, t_spans, trim = tail_part
        return head_spans + t_spans, trim, head_cost + t_cost

    def _after_anchor(self, end: Tables, a: int, seconds: float):
        """Bars from the anchor's downbeat to the end lasting at least ``seconds``; the excess is the ending's trim."""
        d, bar = self.d, self.bar
        best = None
        k0 = max(0, int(np.floor((seconds - self.tail) / bar)))
        for k in range(max(0, k0 - 1), min(k0 + 3, end.cost.shape[0])):
            if not np.isfinite(play_first(end, k, a)):
                continue
            bars, _ = walk(end, k, a, jump_first=False)
            spans = [(float(d[b]), float(d[b + 1])) for b in bars] + [(float(d[-1]), self.D)]
            total = sum(e - s for s, e in spans)
            trim = total - seconds
            if trim < -1e-9 or trim > total - 0.5 * bar:
                continue
            cost = play_first(end, k, a) + (1.0 + trim / bar if trim > 1e-3 else 0.0)
            if best is None or cost < best[0]:
                best = (cost, spans, max(trim, 0.0))
        return best


def _build(spans, trim, cost, d, T, C, anchors) -> Plan:
    spans = [list(s) for s in spans]
    cut = trim
    while cut > 1e-9 and spans:  # the trimmed ending: take the excess off the end
        take = min(cut, spans[-1][1] - spans[-1][0])
        spans[-1][1] -= take
        cut -= take
        if spans[-1][1] - spans[-1][0] <= 1e-9:
            spans.pop()
    merged: list[list[float]] = []
    for a, b in spans:  # a piece that continues where the last one ended is one piece (no join)
        if merged and abs(merged[-1][1] - a) < 1e-9:
            merged[-1][1] = b
        elif b - a > 1e-9:
            merged.append([a, b])
    pieces, joins, t = [], [], 0.0
    for k, (a, b) in enumerate(merged):
        if k:
            ka, kb = int(np.argmin(np.abs(d - merged[k - 1][1]))), int(np.argmin(np.abs(d - a)))
            joins.append(Join(round(t, 6), float(merged[k - 1][1]), float(a), round(float(C[ka, kb]), 3)))
        pieces.append(Piece(float(a), float(b), round(t, 6)))
        t += b - a
    placed = []
    for m, v in anchors:
        a = float(d[int(np.argmin(np.abs(d - m)))])
        hit = next((p.out_start + a - p.src_start for p in pieces if p.src_start - 1e-6 <= a < p.src_end), v)
        placed.append((a, float(hit)))
    return Plan(T, pieces, joins, placed, ending_trim=float(trim), cost=float(cost))


def _no_grid_plan(D: float, T: float, anchors) -> Plan:
    """No bar grid (ambient, speech): the end of the track, trimmed from the start; no repeats, no anchors."""
    if T > D + 1e-6 or anchors:
        raise ArrangeError("this track has no bar grid to edit along (too few downbeats)")
    return Plan(T, [Piece(D - T, D, 0.0)], [], [], 0.0, 0.0)


def render(
    y: np.ndarray, sr: int, plan: Plan, *, crossfade: float = 0.03, fade_in: float = 0.25, fade_out: float = 1.0
) -> np.ndarray:
    """The edit as audio: ``round(plan.target * sr)`` samples of mono float32 ``y`` ``(n,)`` at ``sr`` Hz.

    Each join is an equal-power crossfade of ``crossfade`` seconds that ends on the downbeat (the new bar's
    attack is intact). A start inside the track fades in over ``fade_in`` s, a trimmed ending fades out.
    """
    y = np.asarray(y, dtype=np.float32)
    total = int(round(plan.target * sr))
    out = np.zeros(total, dtype=np.float32)
    bounds = [int(round(p.out_start * sr)) for p in plan.pieces] + [total]
    xf = max(1, int(round(crossfade * sr)))
    ramp = np.linspace(0.0, np.pi / 2, xf, dtype=np.float32)
    fade_out_gain, fade_in_gain = np.cos(ramp), np.sin(ramp)
    for k, p in enumerate(plan.pieces):
        o0, o1 = bounds[k], bounds[k + 1]
        src = int(round(p.src_start * sr))
        seg = y[src : src + (o1 - o0)]
        out[o0 : o0 + len(seg)] = seg
        if k and o0 >= xf and src >= xf:
            f = min(xf, o0 - bounds[k - 1], o1 - o0)
            out[o0 - f : o0] = out[o0 - f : o0] * fade_out_gain[-f:] + y[src - f : src] * fade_in_gain[-f:]
    if plan.pieces and plan.pieces[0].src_start > 1e-3:
        k = min(int(fade_in * sr), max(1, (bounds[1] - bounds[0]) // 2))
        out[:k] *= np.linspace(0.0, 1.0, k, dtype=np.float32)
    if plan.ending_trim > 1e-3:
        k = min(int(fade_out * sr), max(1, (bounds[-1] - bounds[-2]) // 2))
        out[total - k :] *= np.linspace(1.0, 0.0, k, dtype=np.float32)
    return out


def naive_edit(y: np.ndarray, sr: int, target: float, *, offset: float = 0.0, fade: float = 0.5) -> np.ndarray:
    """The baseline: the track from ``offset`` cut at ``target`` seconds with a fade (looped whole when shorter)."""
    y = np.asarray(y, dtype=np.float32)[int(round(offset * sr)) :]
    total = int(round(target * sr))
    reps = int(np.ceil(total / max(1, len(y))))
    out = y[:total].copy() if reps <= 1 else np.tile(y, reps)[:total]
    k = min(int(fade * sr), total // 2)
    if k:
        out[total - k :] *= np.linspace(1.0, 0.0, k, dtype=np.float32)
    return out
