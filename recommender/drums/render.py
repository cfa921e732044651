"""Render loops to audio (seamlessly looping) and export them to WAV and MIDI."""

from __future__ import annotations

import io

import numpy as np

from recommender.drums.kit import Kit
from recommender.drums.patterns import INSTRUMENTS

# General MIDI percussion notes (channel 10).
GM_NOTES = {
    "kick": 36, "snare": 38, "closed_hat": 42, "open_hat": 46, "clap": 39,
    "low_tom": 45, "high_tom": 50, "rim": 37, "cymbal": 49,
}  # fmt: skip
TICKS_PER_BEAT = 480


def loop_seconds(n_steps: int, tempo: float) -> float:
    """Length of a loop of ``n_steps`` 16th notes at ``tempo`` BPM, in seconds."""
    return n_steps * 60.0 / tempo / 4


def step_times(n_steps: int, tempo: float, swing: float = 0.0) -> np.ndarray:
    """Onset of each step in seconds; ``swing`` in [0, 1) delays every odd 16th by up to half a step."""
    if not 0.0 <= swing < 1.0:
        raise ValueError("swing must be in [0, 1)")
    step = 60.0 / tempo / 4
    times = np.arange(n_steps) * step
    times[1::2] += swing * step / 2
    return times


def render(pattern: np.ndarray, kit: Kit, *, tempo: float = 120.0, swing: float = 0.0) -> np.ndarray:
    """Mono float32 audio of exactly one loop at ``kit.sr``; tails wrap to the start so it loops seamlessly."""
    if not 30.0 <= tempo <= 300.0:
        raise ValueError("tempo must be between 30 and 300 BPM")
    n_inst, n_steps = pattern.shape
    length = int(round(loop_seconds(n_steps, tempo) * kit.sr))
    out = np.zeros(length, dtype=np.float32)
    starts = np.round(step_times(n_steps, tempo, swing) * kit.sr).astype(int)
    for i, name in enumerate(INSTRUMENTS[:n_inst]):
        sample = kit.samples[name]
        for s in np.flatnonzero(pattern[i] > 0):
            idx = (starts[s] + np.arange(sample.size)) % length  # wrap: the tail rings into the next repeat
            np.add.at(out, idx, pattern[i, s] * sample)
    peak = float(np.max(np.abs(out)))
    return out * (0.9 / peak) if peak > 0.9 else out


def to_wav_bytes(audio: np.ndarray, sr: int) -> bytes:
    """16-bit PCM WAV."""
    import soundfile as sf

    buf = io.BytesIO()
    sf.write(buf, np.clip(audio, -1, 1), sr, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def to_midi_bytes(pattern: np.ndarray, *, tempo: float = 120.0, swing: float = 0.0, repeats: int = 1) -> bytes:
    """A type-0 MIDI file on channel 10 (GM drums); velocities map 0..1 → 1..127."""
    import mido

    n_steps = pattern.shape[1]
    step_ticks = TICKS_PER_BEAT // 4
    events: list[tuple[int, int, str, int, int]] = []  # (tick, order, type, note, velocity)
    for r in range(repeats):
        for s in range(n_steps):
            tick = (r * n_steps + s) * step_ticks + (int(round(swing * step_ticks / 2)) if s % 2 else 0)
            for i, name in enumerate(INSTRUMENTS[: pattern.shape[0]]):
                if pattern[i, s] > 0:
                    vel = max(1, min(127, int(round(pattern[i, s] * 127))))
                    events.append((tick, 1, "note_on", GM_NOTES[name], vel))
                    events.append((tick + step_ticks // 2, 0, "note_off", GM_NOTES[name], 0))
    events.sort()
    track = mido.MidiTrack()
    track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(tempo), time=0))
    track.append(mido.MetaMessage("time_signature", numerator=4, denominator=4, time=0))
    now = 0
    for tick, _, kind, note, vel in events:
        track.append(mido.Message(kind, channel=9, note=note, velocity=vel, time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=repeats * n_steps * step_ticks - now))
    midi = mido.MidiFile(type=0, ticks_per_beat=TICKS_PER_BEAT)
    midi.tracks.append(track)
    buf = io.BytesIO()
    midi.save(file=buf)
    return buf.getvalue()


def from_midi_bytes(data: bytes, *, n_steps: int = 16) -> tuple[np.ndarray, float]:
    """Read a drum MIDI file back into a pattern (quantised to 16ths) and its tempo; the inverse of export."""
    import mido

    midi = mido.MidiFile(file=io.BytesIO(data))
    note_to_inst = {note: i for i, note in enumerate(GM_NOTES[name] for name in INSTRUMENTS)}
    step_ticks = midi.ticks_per_beat // 4
    pattern = np.zeros((len(INSTRUMENTS), n_steps), dtype=np.float32)
    tempo = 120.0
    for track in midi.tracks:
        tick = 0
        for msg in track:
            tick += msg.time
            if msg.type == "set_tempo":
                tempo = mido.tempo2bpm(msg.tempo)
            elif msg.type == "note_on" and msg.velocity > 0 and msg.note in note_to_inst:
                step = int(tick // step_ticks)  # swing delays an odd step by less than a step: floor recovers it
                if step < n_steps:
                    pattern[note_to_inst[msg.note], step] = msg.velocity / 127
    return pattern, round(tempo, 3)
