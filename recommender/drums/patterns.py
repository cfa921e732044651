"""Drum patterns: a grid of velocities, a structural prior to sample plausible loops, and variation.

A pattern is a float array of shape ``(n_instruments, n_steps)`` with velocities in [0, 1] (0 = no hit);
a batch is ``(n, n_instruments, n_steps)``. Steps are 16th notes; 16 steps make one 4/4 bar.
The prior is vectorised over the batch so that a pool of 1,000 candidates costs milliseconds.
"""

from __future__ import annotations

import numpy as np

INSTRUMENTS: tuple[str, ...] = (
    "kick", "snare", "closed_hat", "open_hat", "clap", "low_tom", "high_tom", "rim", "cymbal",
)  # fmt: skip
KICK, SNARE, CHH, OHH, CLAP, LTOM, HTOM, RIM, CYM = range(len(INSTRUMENTS))
N_INSTRUMENTS = len(INSTRUMENTS)
DEFAULT_STEPS = 16


def _rows(steps: int, *patterns: tuple[int, ...]) -> np.ndarray:
    """One binary row per template, tiled to ``steps`` (templates are written for one bar of 16)."""
    out = np.zeros((len(patterns), steps), dtype=bool)
    for r, hits in enumerate(patterns):
        for bar in range(0, steps, 16):
            out[r, [bar + h for h in hits if bar + h < steps]] = True
    return out


def sample_prior(n: int, rng: np.random.Generator, *, steps: int = DEFAULT_STEPS) -> np.ndarray:
    """Sample ``n`` loops, shape ``(n, N_INSTRUMENTS, steps)``.

    Each instrument draws a template (four-on-the-floor, backbeat, half-time, 8th/16th/off-beat hats, fills, …)
    and then a per-loop density of extra hits, removals and ghost notes, so loops are varied but plausible.
    """
    grid = np.zeros((n, N_INSTRUMENTS, steps), dtype=bool)

    def pick(templates: np.ndarray, probs: list[float]) -> np.ndarray:
        idx = rng.choice(len(templates), size=n, p=np.asarray(probs) / np.sum(probs))
        return templates[idx]

    kick_t = _rows(steps, (0, 4, 8, 12), (0, 8), (0, 10), (0, 7, 10), (0, 3, 8, 11), (0,), (0, 6, 8), (0, 2, 10, 11))
    grid[:, KICK] = pick(kick_t, [3, 3, 2, 1.5, 1.5, 1, 1.5, 1])
    snare_t = _rows(steps, (4, 12), (8,), (4, 12, 15), (4, 10, 12), (), (12,))
    grid[:, SNARE] = pick(snare_t, [5, 1.5, 1, 1, 0.7, 0.8])
    hat_t = _rows(
        steps, tuple(range(0, 16, 2)), tuple(range(16)), (2, 6, 10, 14), (0, 4, 8, 12), (), (0, 2, 3, 6, 8, 10, 11, 14)
    )
    grid[:, CHH] = pick(hat_t, [4, 2, 1.5, 1, 1, 1])
    ohh_t = _rows(steps, (), (2, 6, 10, 14), (14,), (6, 14))
    grid[:, OHH] = pick(ohh_t, [5, 1.5, 1.5, 1])
    clap_t = _rows(steps, (), (4, 12), (12,), (8,))
    grid[:, CLAP] = pick(clap_t, [6, 1.5, 1, 0.5])
    fill_t = _rows(steps, (), (12, 13), (14, 15), (12, 14), (10, 11, 14, 15))
    grid[:, LTOM] = pick(fill_t, [10, 1, 1, 1, 0.6])
    grid[:, HTOM] = pick(_rows(steps, (), (12, 13), (10, 11), (8, 9, 12)), [10, 1, 1, 0.6])
    grid[:, RIM] = pick(_rows(steps, (), (3, 11), (6, 14), (7,)), [7, 1, 1, 1])
    grid[:, CYM] = pick(_rows(steps, (), (0,), (0, 8)), [7, 2, 0.5])

    # Repetition within the bar: often the second half copies the first for kick and hats.
    half = steps // 2
    repeat = rng.random((n, 1, 1)) < 0.35
    copied = np.concatenate([grid[:, :, :half], grid[:, :, :half]], axis=2)[:, :, :steps]
    rows = np.zeros((1, N_INSTRUMENTS, 1), dtype=bool)
    rows[0, [KICK, CHH, OHH]] = True
    grid = np.where(repeat & rows, copied, grid)

    # Per-loop busyness: extra hits (syncopation), removals, and a random tom density for some loops.
    busy = rng.beta(1.2, 6.0, size=(n, 1, 1))
    inst_weight = np.array([0.5, 0.3, 0.6, 0.15, 0.15, 0.06, 0.06, 0.15, 0.05])[None, :, None]
    grid |= rng.random(grid.shape) < busy * inst_weight
    toms = rng.random((n, 1, 1)) < 0.08
    tom_rows = np.zeros((1, N_INSTRUMENTS, 1), dtype=bool)
    tom_rows[0, [LTOM, HTOM]] = True
    grid |= toms & tom_rows & (rng.random(grid.shape) < rng.uniform(0.1, 0.35, size=(n, 1, 1)))
    grid &= rng.random(grid.shape) > rng.uniform(0.0, 0.12, size=(n, 1, 1))

    return _velocities(grid, rng)


def _velocities(grid: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Accents on the beats, softer off-beats, and quiet ghost notes on the snare between the beats."""
    steps = grid.shape[-1]
    on_beat = (np.arange(steps) % 4 == 0)[None, None, :]
    vel = np.where(on_beat, rng.uniform(0.75, 1.0, grid.shape), rng.uniform(0.45, 0.85, grid.shape))
    ghost = np.zeros_like(grid)
    ghost[:, SNARE] = (np.arange(steps) % 4 != 0)[None, :]  # snare between the beats
    vel = np.where(ghost, rng.uniform(0.2, 0.45, grid.shape), vel)
    return np.where(grid, vel, 0.0).astype(np.float32)


def mutate(patterns: np.ndarray, rng: np.random.Generator, *, rate: float | np.ndarray = 0.05) -> np.ndarray:
    """Small edits of each loop: toggle cells (``rate`` per cell), jitter velocities, sometimes shift a row.

    ``patterns`` is ``(n, I, S)``; ``rate`` a scalar or one rate per loop.
    """
    patterns = np.asarray(patterns, dtype=np.float32)
    n = patterns.shape[0]
    rate = np.broadcast_to(np.asarray(rate, dtype=np.float32).reshape(-1, 1, 1), (n, 1, 1))
    hits = patterns > 0
    toggle = rng.random(patterns.shape) < rate
    new_vel = rng.uniform(0.35, 1.0, patterns.shape).astype(np.float32)
    out = np.where(toggle & ~hits, new_vel, patterns)
    out = np.where(toggle & hits, 0.0, out)
    jitter = rng.normal(0.0, 0.08, patterns.shape).astype(np.float32)
    out = np.where(out > 0, np.clip(out + jitter, 0.15, 1.0), 0.0)
    # Shift one instrument row by one step in a fraction of loops (a common producer's edit).
    shift = rng.random(n) < rate[:, 0, 0] * 2
    if shift.any():
        idx = np.flatnonzero(shift)
        inst = rng.integers(0, patterns.shape[1], size=idx.size)
        direction = rng.choice([-1, 1], size=idx.size)
        for k, i, d in zip(idx, inst, direction, strict=True):
            out[k, i] = np.roll(out[k, i], d)
    return out.astype(np.float32)


def crossover(a: np.ndarray, b: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Children taking each instrument row from one parent or the other; ``a``, ``b``: ``(n, I, S)``."""
    take_a = rng.random((a.shape[0], a.shape[1], 1)) < 0.5
    return np.where(take_a, a, b).astype(np.float32)


def hit_grid(patterns: np.ndarray, threshold: float = 0.0) -> np.ndarray:
    """Boolean hits, same shape."""
    return np.asarray(patterns) > threshold


def hamming(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Differing hit cells between every loop of ``a`` ``(n, I, S)`` and of ``b`` ``(m, I, S)``: ``(n, m)``."""
    fa = hit_grid(a).reshape(len(a), -1).astype(np.float32)
    fb = hit_grid(b).reshape(len(b), -1).astype(np.float32)
    return fa.sum(1)[:, None] + fb.sum(1)[None, :] - 2 * fa @ fb.T


def to_dict(pattern: np.ndarray) -> dict[str, list[float]]:
    """JSON-friendly ``{instrument: [velocity per step]}``."""
    return {name: [round(float(v), 3) for v in row] for name, row in zip(INSTRUMENTS, pattern, strict=True)}


def from_dict(data: dict[str, list[float]], *, steps: int | None = None) -> np.ndarray:
    """Inverse of :func:`to_dict`; unknown instruments are an error, missing ones are silent rows."""
    unknown = set(data) - set(INSTRUMENTS)
    if unknown:
        raise ValueError(f"unknown instruments: {sorted(unknown)}")
    steps = steps or max((len(v) for v in data.values()), default=DEFAULT_STEPS)
    out = np.zeros((N_INSTRUMENTS, steps), dtype=np.float32)
    for i, name in enumerate(INSTRUMENTS):
        row = data.get(name)
        if row is not None:
            if len(row) != steps:
                raise ValueError(f"{name}: expected {steps} steps, got {len(row)}")
            out[i] = np.clip(np.asarray(row, dtype=np.float32), 0.0, 1.0)
    return out
