"""Edit a track to a length along its own bars: skip or repeat whole bars, phrases and sections, end on its ending.

Editors' "music trim" (Adobe's Remix, Final Cut's trim, stock libraries' versions) shortens or lengthens a
track so it lasts exactly as long as the picture. Here a plan is a sequence of pieces of the source::

    [s0, d_i)  +  [d_j, d_u) × r  +  [d_w, D - trim)

with every inner boundary on a downbeat ``d``, so every join is a downbeat-to-downbeat jump (the beat phase is
kept), joined by a short equal-power crossfade that ends on the downbeat. The search covers one jump (i → w:
skip or repeat), a loop of a phrase or section r times, and two different jumps, scored by how audible the
joins are (:mod:`recommender.arrange_features`) and by musical sense (phrase position, section starts, pieces
not too short, intro kept, ending kept).

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
    top: int = 48,
) -> Plan:
    """The best plan of ``target`` seconds (exact), honouring ``anchors`` [(music s, edit s), ...].

    The first anchor is met exactly (its music time snaps to the nearest downbeat); further ones are met as
    closely as the bar grid allows (their error is penalised). ``costs`` is :func:`join_costs` of ``features``
    when already computed. Raises :class:`ArrangeError` for a target out of range or anchors that cannot be met.
    """
    D, d = float(features.duration), np.asarray(features.downbeats, dtype=float)
    if not np.isfinite(target) or target <= 0:
        raise ArrangeError("the target length must be a positive number of seconds")
    if target > max_factor * D + 1e-6:
        raise ArrangeError(f"the target ({target:.1f} s) is more than {max_factor:g} times the track ({D:.1f} s)")
    anchors = [(float(m), float(v)) for m, v in anchors]
    for m, v in anchors:
        if not (0 <= m <= D and 0 <= v <= target):
            raise ArrangeError(f"anchor ({m:.2f} s of music at {v:.2f} s) lies outside the track or the target")
    if len(d) < 4:
        return _no_grid_plan(D, target, anchors)
    C = join_costs(features) if costs is None else costs
    bar = features.bar
    n = len(d)
    phrase = _phrase_cost(d, section_starts, n)
    Cm = C + phrase
    rows = _candidates(Cm, d, bar, top)
    anchor_idx = [int(np.argmin(np.abs(d - m))) for m, _ in anchors]
    best = _evaluate(rows, Cm, d, D, bar, target, anchor_idx, [v for _, v in anchors])
    if best is None:
        raise ArrangeError("no edit of this track meets the anchors at that length; move or drop an anchor")
    return _build(best, d, D, target, Cm, anchor_idx, anchors)


def _phrase_cost(d: np.ndarray, section_starts, n: int) -> np.ndarray:
    """Musical sense of a jump i → j: same place in a 4-bar phrase, and section start to section start."""
    starts = sorted({int(np.argmin(np.abs(d - s))) for s in section_starts} | {0})
    sec_start = np.array([max(s for s in starts if s <= k) for k in range(n)])
    pos = (np.arange(n) - sec_start) % 4
    cost = np.where(pos[:, None] == pos[None, :], 0.0, 0.6)
    is_start = np.isin(np.arange(n), starts)
    return cost - 0.3 * (is_start[:, None] & is_start[None, :])


def _candidates(C: np.ndarray, d: np.ndarray, bar: float, top: int) -> dict[str, np.ndarray]:
    """Candidate (i, j, u, w) rows: one jump (every pair), loops of good phrases, two good jumps."""
    n = len(d)
    ii, ww = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    rows = [np.stack([ii.ravel(), ii.ravel(), ii.ravel(), ww.ravel()], 1)]  # r = 0: [s0, d_i) + [d_w, D)
    # Loops [d_j, d_u) jumping back u → j, at least 2 bars long.
    jj, uu = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    ok = (d[uu] - d[jj]) >= 1.9 * bar
    order = np.argsort(np.where(ok, C[uu, jj], np.inf), axis=None)[:top]
    lj, lu = np.unravel_index(order, C.shape)
    keep = np.isfinite(np.where(ok, C[uu, jj], np.inf).ravel()[order])
    lj, lu = lj[keep], lu[keep]
    a = np.arange(n)
    for j, u in zip(lj, lu, strict=True):  # enter at u (natural), leave anywhere; or enter anywhere, leave at u
        rows.append(np.stack([np.full(n, u), np.full(n, j), np.full(n, u), a], 1))
        rows.append(np.stack([a, np.full(n, j), np.full(n, u), np.full(n, u)], 1))
    # Two different jumps i → j and u → w, from the best single jumps.
    best = np.argsort(C, axis=None)[: 2 * top]
    bi, bj = np.unravel_index(best, C.shape)
    p, q = np.meshgrid(np.arange(len(best)), np.arange(len(best)), indexing="ij")
    two = np.stack([bi[p.ravel()], bj[p.ravel()], bi[q.ravel()], bj[q.ravel()]], 1)
    rows.append(two[d[two[:, 2]] - d[two[:, 1]] >= bar * 0.9])
    out = np.unique(np.concatenate(rows), axis=0)
    return {"i": out[:, 0], "j": out[:, 1], "u": out[:, 2], "w": out[:, 3]}


def _jcost(C: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cost and count of a join a → b (none when a == b)."""
    same = a == b
    return np.where(same, 0.0, C[a, np.where(same, (b + 1) % C.shape[0], b)]), (~same).astype(int)


def _evaluate(rows, C, d, D, bar, T, anchor_idx, anchor_at):
    i, j, u, w = rows["i"], rows["j"], rows["u"], rows["w"]
    mid = j != u  # a middle piece exists
    L = np.where(mid, d[u] - d[j], 0.0)
    base = d[i] + (D - d[w])
    # Middle repeats r: enough that the lead s0 >= 0 (no anchor), or the anchor's own constraints.
    r_free = np.where(mid, np.maximum(1, np.ceil((T - base) / np.where(mid, L, 1.0) - 1e-9)), 0)
    options = [r_free]
    if anchor_idx:
        a, v = anchor_idx[0], anchor_at[0]
        x_fixed = np.where(a < i, d[a], d[i] + d[a] - d[j])
        r_trim = np.ceil((T + (x_fixed - v) - base) / np.where(mid, L, 1.0) - 1e-9)
        r_last = np.ceil((v - d[i] - d[a] + d[w]) / np.where(mid, L, 1.0) - 1e-9)
        options += [np.where(mid, np.maximum(1, r), 0) for r in (r_trim, r_last)]
    best = None
    for r in options:
        r = np.minimum(r, 10_000).astype(int)
        whole = base + r * L
        if anchor_idx:
            s0, trim, ok = _place_anchor(anchor_idx[0], anchor_at[0], i, j, u, w, r, d, whole, T, mid)
        else:
            s0, trim = whole - T, np.zeros_like(whole)
            ok = s0 >= -1e-9
        ok &= (s0 <= d[i] + 1e-9) & (D - trim - d[w] >= 0.5 * bar) & (trim >= -1e-9)
        ok &= ~((~mid) & (w < i) & (d[i] - d[w] < 0.9 * bar))  # a backward jump repeats at least a bar
        cost = _score(C, d, D, bar, i, j, u, w, r, mid, s0, trim)
        for k in range(1, len(anchor_idx)):
            x = _anchor_x(anchor_idx[k], i, j, u, w, r, d, mid)
            cost = cost + np.where(np.isnan(x), 50.0, np.abs(x - s0 - anchor_at[k]) * FPS)
        cost = np.where(ok, cost, np.inf)
        k = int(np.argmin(cost))
        if np.isfinite(cost[k]) and (best is None or cost[k] < best["cost"]):
            best = {"i": i[k], "j": j[k], "u": u[k], "w": w[k], "r": int(r[k]), "s0": max(0.0, float(s0[k])),
                    "trim": max(0.0, float(trim[k])), "cost": float(cost[k])}  # fmt: skip
    return best


def _anchor_x(a, i, j, u, w, r, d, mid):
    """Edit time of downbeat ``a`` when the plan starts at s0 = 0 (first occurrence), NaN when it is not played."""
    L = np.where(mid, d[u] - d[j], 0.0)
    x = np.where(a < i, d[a], np.nan)
    x = np.where(np.isnan(x) & mid & (j <= a) & (a < u), d[i] + d[a] - d[j], x)
    return np.where(np.isnan(x) & (a >= w), d[i] + r * L + d[a] - d[w], x)


def _place_anchor(a, v, i, j, u, w, r, d, whole, T, mid):
    x = _anchor_x(a, i, j, u, w, r, d, mid)
    s0 = x - v
    trim = whole - s0 - T
    ok = ~np.isnan(x) & (s0 >= -1e-9) & np.where(a < i, s0 <= d[a] + 1e-9, True)
    ok &= np.where(a >= w, d[a] < d[-1] + 1e-9, True) & (whole - trim - s0 > 0)
    return np.nan_to_num(s0, nan=-1.0), np.nan_to_num(trim, nan=-1.0), ok


def _score(C, d, D, bar, i, j, u, w, r, mid, s0, trim):
    c_in, n_in = _jcost(C, i, np.where(mid, j, w))
    c_rep, n_rep = _jcost(C, u, j)
    c_out, n_out = _jcost(C, u, w)
    joins = c_in + np.where(mid, np.maximum(r - 1, 0) * c_rep + c_out, 0.0)
    count = n_in + np.where(mid, np.maximum(r - 1, 0) * n_rep + n_out, 0)
    cost = joins + 0.3 * count + 0.1 * np.maximum(r - 1, 0)
    cost += np.where(s0 > 1e-3, 0.2 + np.minimum(0.25 * s0 / bar, 4.0), 0.0)  # the intro kept
    cost += np.where(trim > 1e-3, 1.0 + trim / bar, 0.0)  # the real ending kept
    first = d[i] - s0
    cost += np.where((count > 0) & (first < 0.9 * bar) & (s0 > 1e-3), 0.8, 0.0)  # a pickup, then a jump at once
    cost += np.where(mid & (d[u] - d[j] < 1.9 * bar), 0.5, 0.0)
    return cost


def _build(best, d, D, T, C, anchor_idx, anchors) -> Plan:
    i, j, u, w, r, s0, trim = best["i"], best["j"], best["u"], best["w"], best["r"], best["s0"], best["trim"]
    spans = [(s0, d[i])] + [(d[j], d[u])] * (r if j != u else 0) + [(d[w], D - trim)]
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
    for (_m, v), a in zip(anchors, anchor_idx, strict=True):
        hit = next((p.out_start + d[a] - p.src_start for p in pieces if p.src_start - 1e-6 <= d[a] < p.src_end), v)
        placed.append((float(d[a]), float(hit)))
    return Plan(T, pieces, joins, placed, ending_trim=trim, cost=best["cost"])


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
    out = np.tile(y, reps)[:total].copy()
    k = min(int(fade * sr), total // 2)
    if k:
        out[total - k :] *= np.linspace(1.0, 0.0, k, dtype=np.float32)
    return out
