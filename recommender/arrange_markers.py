"""A fitted edit on the video's timeline: its joins and the track's bars as markers, and the video's strongest moment.

Editors snap cuts to the music's bars; after an edit to length the bars sit elsewhere on the timeline, and the
joins are worth a marker of their own (where to look if a seam is heard).
"""

from __future__ import annotations

import numpy as np

from recommender.markers import Marker


def plan_markers(plan: dict, *, downbeats=(), sections=(), section_labels=()) -> list[Marker]:
    """Markers of a plan (``Plan.to_dict()``): joins, section starts and downbeats at their edit times (seconds).

    At one time a join wins over a section start, which wins over a downbeat.
    """
    out: dict[float, Marker] = {}
    rank = {"join": 0, "section": 1, "downbeat": 2}

    def put(t: float, kind: str, label: str) -> None:
        key = round(t, 3)
        near = [k for k in out if abs(k - key) < 0.05]
        if any(rank[out[k].kind] <= rank[kind] for k in near):
            return
        for k in near:
            del out[k]
        out[key] = Marker(key, kind, label)

    for i, j in enumerate(plan.get("joins", []), start=1):
        put(float(j["out_time"]), "join", f"Join {i}: {j['src_from']:.1f} s to {j['src_to']:.1f} s")
    labels = list(section_labels) or [""] * len(sections)
    bar = 0
    for p in plan.get("pieces", []):
        a, b, at = float(p["src_start"]), float(p["src_end"]), float(p["out_start"])
        for i, (s, lab) in enumerate(zip(sections, labels, strict=False)):
            if a - 1e-6 <= s < b:
                put(at + s - a, "section", f"Section {lab or i + 1}".strip())
        for d in downbeats:
            if a - 1e-6 <= d < b:
                bar += 1
                put(at + d - a, "downbeat", f"Bar {bar}")
    return [out[t] for t in sorted(out)]


def video_peak(activity, hop: float, cuts=(), *, duration: float | None = None, window: float = 1.0) -> float:
    """The video's strongest moment (seconds): the cut with the largest rise of picture activity across it, or
    the activity's largest rise when there is no cut. ``activity`` one value per ``hop`` seconds; ``cuts`` seconds.
    """
    act = np.asarray(activity, dtype=float)
    if act.size < 2:
        return 0.0 if duration is None else duration / 2
    k = max(1, int(round(window / hop)))
    csum = np.r_[0.0, np.cumsum(act)]

    def rise(i: np.ndarray) -> np.ndarray:
        lo, hi = np.clip(i - k, 0, act.size), np.clip(i + k, 0, act.size)
        before = (csum[i] - csum[lo]) / np.maximum(i - lo, 1)
        after = (csum[hi] - csum[i]) / np.maximum(hi - i, 1)
        return after - before

    inner = [c for c in cuts if 0 < c < (duration if duration is not None else act.size * hop)]
    if inner:
        idx = np.clip(np.round(np.asarray(inner) / hop).astype(int), 1, act.size - 1)
        return float(inner[int(np.argmax(rise(idx)))])
    idx = np.arange(1, act.size)
    return float(idx[int(np.argmax(rise(idx)))] * hop)
