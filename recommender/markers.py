"""Music markers on a video's timeline, for editors: CSV, and a CMX3600 EDL with markers.

An editor snaps cuts to the chosen track's downbeats and section changes. The EDL follows the layout
that DaVinci Resolve writes and reads for timeline markers: one zero-length event per marker whose
comment line carries ``|C:colour |M:name |D:duration``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass


@dataclass
class Marker:
    time: float  # seconds on the video's timeline
    kind: str  # "downbeat" or "section"
    label: str


def music_markers(
    *, offset: float, video_duration: float, downbeats=(), sections=(), section_labels=()
) -> list[Marker]:
    """Markers for the track's events inside ``[offset, offset + video_duration)``, moved onto the video."""
    out: dict[float, Marker] = {}
    labels = list(section_labels) or [""] * len(sections)
    for i, (start, label) in enumerate(zip(sections, labels, strict=False)):
        t = float(start) - offset
        if 0 <= t < video_duration:
            out[round(t, 3)] = Marker(round(t, 3), "section", f"Section {label or i + 1}".strip())
    bar = 0
    for d in downbeats:
        t = float(d) - offset
        if 0 <= t < video_duration:
            bar += 1
            key = round(t, 3)
            if not any(abs(key - s) < 0.05 for s in out if out[s].kind == "section"):
                out[key] = Marker(key, "downbeat", f"Bar {bar}")
    return [out[t] for t in sorted(out)]


def timecode(seconds: float, fps: int, *, start_hours: int = 0) -> str:
    """Non-drop-frame SMPTE timecode ``HH:MM:SS:FF`` at an integer ``fps``."""
    frames = int(round(seconds * fps)) + start_hours * 3600 * fps
    ff = frames % fps
    s = frames // fps
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}:{ff:02d}"


def to_csv(markers: list[Marker], *, fps: int = 25, start_hours: int = 0) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["seconds", "timecode", "type", "name"])
    for m in markers:
        writer.writerow([f"{m.time:.3f}", timecode(m.time, fps, start_hours=start_hours), m.kind, m.label])
    return buf.getvalue()


COLOURS = {"section": "ResolveColorRed", "downbeat": "ResolveColorBlue"}


def to_edl(markers: list[Marker], *, title: str, fps: int = 25, start_hours: int = 1) -> str:
    """A CMX3600 EDL whose events are the markers (record timecodes from ``start_hours``:00:00:00)."""
    safe_title = "".join(c if c.isprintable() and c not in "\r\n" else " " for c in title)[:70]
    lines = [f"TITLE: {safe_title}", "FCM: NON-DROP FRAME", ""]
    for i, m in enumerate(markers, start=1):
        a = timecode(m.time, fps, start_hours=start_hours)
        b = timecode(m.time + 1 / fps, fps, start_hours=start_hours)
        lines.append(f"{i:03d}  001      V     C        {a} {b} {a} {b}  ")
        lines.append(f" |C:{COLOURS.get(m.kind, 'ResolveColorBlue')} |M:{m.label} |D:1")
        lines.append("")
    return "\n".join(lines)
