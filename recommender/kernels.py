"""Compile the alignment's numba kernels ahead of the first request.

numba compiles a kernel the first time it is called and keeps the machine code on disk (``cache=True``) for
later processes; in a fresh install that first call is a user's first recommendation, which then waits about
20 s. ``warm_up`` makes that call on a tiny video and track built by the same constructors as the app's (so
the same argument types, hence the same compiled signatures), from a one-shot process at start-up
(``manage.py seed_demo --warm``, run by ``runlocal``); a web worker then only loads the cached code.
"""

from __future__ import annotations

import time

import numpy as np


def warm_up() -> float:
    """Run every alignment kernel once (rigid with and without content, the event pass, DTW); seconds taken."""
    from recommender.alignment import Weights, align, music_sequence, video_sequence

    t0 = time.perf_counter()
    rng = np.random.default_rng(0)
    downbeats = np.arange(0.0, 24.0, 2.0)
    track = music_sequence(
        24.0, [(0.0, 12.0), (12.0, 24.0)], rng.standard_normal((2, 8)), downbeats=downbeats, section_starts=[12.0],
        energy=rng.standard_normal(48), beats=np.arange(0.0, 24.0, 0.5), onset_envelope=rng.random(1000),
        onset_hop=512 / 22050,
    )  # fmt: skip
    video = video_sequence(
        8.0, [(0.0, 4.0), (4.0, 8.0)], rng.standard_normal((2, 8)), activity=rng.standard_normal(32),
        activity_times=np.arange(32) * 0.25, accent_times=[1.0, 5.5], accent_strengths=[0.5, 0.8], frame_rate=25.0,
    )  # fmt: skip
    for content in (0.0, 0.5):
        align(video, [track, track], weights=Weights(content=content, sync=0.2, energy=0.3, onset=0.1, metre=0.1,
                                                     accent=0.1))  # fmt: skip
    align(video, [track], method="dtw")
    return time.perf_counter() - t0
