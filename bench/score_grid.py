"""The beat grid a score writes down, and the audio it sounds as: tracker modules and MIDI files (bench only).

Modules (.mod/.xm/.s3m/.it) are rendered by libopenmpt (through ctypes) in 16-sample steps while the player's
(order, row) is read, so every row's start time is known to 0.7 ms whatever the speed and tempo effects do. MIDI
is rendered by fluidsynth with the TimGM6mb General MIDI soundfont, and its tempo map and time signatures give the
beats and bars. See bench/analysis_annotated.py for how the beat and bar are chosen. Needs the Debian packages
libopenmpt0, fluidsynth and timgm6mb-soundfont; nothing here is a run-time dependency of Segue.
"""

from __future__ import annotations

import ctypes
import subprocess
import tempfile
from pathlib import Path

import numpy as np

SR = 22050
SOUNDFONT = Path("/usr/share/sounds/sf2/TimGM6mb.sf2")
MAX_SECONDS = 90.0


def _openmpt():
    lib = ctypes.CDLL("libopenmpt.so.0")
    lib.openmpt_module_create_from_memory2.restype = ctypes.c_void_p
    lib.openmpt_module_create_from_memory2.argtypes = [ctypes.c_char_p, ctypes.c_size_t] + [ctypes.c_void_p] * 7
    for name in ("get_current_order", "get_current_row", "get_current_pattern"):
        getattr(lib, f"openmpt_module_{name}").restype = ctypes.c_int32
        getattr(lib, f"openmpt_module_{name}").argtypes = [ctypes.c_void_p]
    lib.openmpt_module_get_current_estimated_bpm.restype = ctypes.c_double
    lib.openmpt_module_get_current_estimated_bpm.argtypes = [ctypes.c_void_p]
    lib.openmpt_module_read_float_mono.restype = ctypes.c_size_t
    lib.openmpt_module_read_float_mono.argtypes = [ctypes.c_void_p, ctypes.c_int32, ctypes.c_size_t, ctypes.c_void_p]
    lib.openmpt_module_set_repeat_count.argtypes = [ctypes.c_void_p, ctypes.c_int32]
    lib.openmpt_module_destroy.argtypes = [ctypes.c_void_p]
    return lib


def render_module(path: Path, seconds: float = MAX_SECONDS, step: int = 16) -> tuple[np.ndarray, dict]:
    """Mono audio at SR and the score's grid: row start times (s), pattern row numbers, estimated BPM."""
    lib = _openmpt()
    data = path.read_bytes()
    mod = lib.openmpt_module_create_from_memory2(data, len(data), *([None] * 7))
    if not mod:
        raise ValueError(f"libopenmpt cannot read {path}")
    lib.openmpt_module_set_repeat_count(mod, 0)
    total = int(seconds * SR)
    out = np.zeros(total + step, dtype=np.float32)
    starts, rows, bpms, last, n = [], [], [], None, 0
    try:
        while n < total:
            got = lib.openmpt_module_read_float_mono(mod, SR, step, out[n:].ctypes.data)
            if got == 0:
                break
            pos = (lib.openmpt_module_get_current_order(mod), lib.openmpt_module_get_current_row(mod))
            if pos != last:  # this chunk's row began inside it: time it at the chunk's start (< 0.7 ms early)
                starts.append(n / SR)
                rows.append(pos[1])
                bpms.append(lib.openmpt_module_get_current_estimated_bpm(mod))
                last = pos
            n += got
    finally:
        lib.openmpt_module_destroy(mod)
    return out[:n], {"row_starts": np.array(starts), "rows": np.array(rows), "bpm": np.array(bpms)}


def module_grid(grid: dict) -> dict:
    starts, rows = grid["row_starts"], grid["rows"]
    row_s = float(np.median(np.diff(starts)))
    rows_per_beat = max(1, int(round(60.0 / (float(np.median(grid["bpm"])) * row_s))))
    while 60.0 / (rows_per_beat * row_s) > 200.0:
        rows_per_beat *= 2
    beats = starts[rows % rows_per_beat == 0]
    downbeats = starts[rows % (4 * rows_per_beat) == 0]
    return {"beats": beats, "downbeats": downbeats, "rows_per_beat": rows_per_beat, "beats_per_bar": 4}


def midi_grid(path: Path) -> dict:
    """Beats and downbeats (s) of a MIDI file from its tempo map and time signatures, and its note span."""
    import mido

    mid = mido.MidiFile(str(path))
    tpq = mid.ticks_per_beat
    tempos, signatures, notes, end = [(0, 500_000)], [(0, 4, 4)], [], 0
    for track in mid.tracks:
        tick = 0
        for msg in track:
            tick += msg.time
            if msg.type == "set_tempo":
                tempos.append((tick, msg.tempo))
            elif msg.type == "time_signature":
                signatures.append((tick, msg.numerator, msg.denominator))
            elif msg.type == "note_on" and msg.velocity > 0 and getattr(msg, "channel", 0) != 9:
                notes.append(tick)
        end = max(end, tick)
    tempos.sort(key=lambda t: t[0])  # a later event at the same tick wins (stable sort)
    signatures.sort(key=lambda s: s[0])

    def seconds(ticks: np.ndarray) -> np.ndarray:
        marks = np.array([t for t, _ in tempos], dtype=float)
        per_tick = np.array([u for _, u in tempos], dtype=float) / 1e6 / tpq
        at_mark = np.r_[0.0, np.cumsum(np.diff(marks) * per_tick[:-1])]
        i = np.searchsorted(marks, ticks, side="right") - 1
        return at_mark[i] + (ticks - marks[i]) * per_tick[i]

    beat_ticks, bar_ticks = [], []
    bounds = [s[0] for s in signatures[1:]] + [end]
    for (start, num, den), stop in zip(signatures, bounds, strict=True):
        compound = den == 8 and num % 3 == 0 and num > 3
        beat = tpq * 4 / den * (3 if compound else 1)
        per_bar = num // 3 if compound else num
        k = np.arange(start, stop, beat)
        beat_ticks.append(k)
        bar_ticks.append(k[:: max(1, per_bar)])
    beats = seconds(np.concatenate(beat_ticks))
    downbeats = seconds(np.concatenate(bar_ticks))
    span = seconds(np.array([min(notes), max(notes)], dtype=float)) if notes else np.array([0.0, beats[-1]])
    meters = sorted({f"{n}/{d}" for _, n, d in signatures[1:]} or {"4/4"})
    return {"beats": beats, "downbeats": downbeats, "span": span, "meters": meters}


def render_midi(path: Path) -> np.ndarray:
    import soundfile as sf

    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "out.wav"
        subprocess.run(["fluidsynth", "-ni", "-q", "-g", "0.6", "-r", str(SR), "-F", str(wav), str(SOUNDFONT),
                        str(path)], check=True, capture_output=True)  # fmt: skip
        y, sr = sf.read(str(wav), dtype="float32", always_2d=True)
    assert sr == SR, sr
    return y.mean(axis=1)


def render(path: Path) -> tuple[np.ndarray, dict]:
    """Audio (mono, SR) and the score's beats/downbeats (s) inside the music, first ``MAX_SECONDS``."""
    if path.suffix.lower() == ".mid":
        y, grid = render_midi(path), midi_grid(path)
        lo, hi = grid.pop("span")
    else:
        y, rows = render_module(path)
        grid = module_grid(rows)
        loud = np.flatnonzero(np.abs(y) > 1e-3)
        lo, hi = (loud[0] / SR, loud[-1] / SR) if loud.size else (0.0, 0.0)
    y = y[: int(MAX_SECONDS * SR)]
    hi = min(hi, len(y) / SR)
    for key in ("beats", "downbeats"):
        t = grid[key]
        grid[key] = t[(t >= lo - 0.07) & (t <= hi)]
    return y, grid
