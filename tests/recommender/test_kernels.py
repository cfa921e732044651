"""The start-up warm-up compiles the kernels a real recommendation then uses, with no new signature."""

import numpy as np

from recommender import alignment, fine_sync
from recommender.alignment import Weights, align, music_sequence, video_sequence
from recommender.kernels import warm_up

KERNELS = (alignment._rigid_kernel, alignment._dtw_kernel, fine_sync.fine_kernel, fine_sync._event_logs)


def test_warm_up_compiles_what_a_recommendation_calls():
    warm_up()
    before = {k: len(k.signatures) for k in KERNELS}
    assert all(n >= 1 for n in before.values()), before
    rng = np.random.default_rng(1)
    beats = np.arange(0.3, 60.0, 0.48)
    track = music_sequence(
        60.0,
        [(0.0, 30.0), (30.0, 60.0)],
        rng.standard_normal((2, 16)).astype(np.float32),
        downbeats=beats[::4],
        section_starts=[30.0],
        energy=rng.standard_normal(120).tolist(),
        beats=beats,
        onset_envelope=rng.random(2584).astype(np.float32),
        onset_hop=512 / 22050,
    )
    video = video_sequence(
        12.0,
        [(0.0, 5.0), (5.0, 12.0)],
        rng.standard_normal((2, 16)).astype(np.float32),
        activity=rng.standard_normal(48).astype(np.float32),
        activity_times=np.arange(48) * 0.25,
        accent_times=np.array([2.0]),
        accent_strengths=np.array([0.7]),
        frame_rate=29.97,
    )
    align(video, [track], weights=Weights(content=0.0, sync=0.2, energy=0.5, onset=0.05, metre=0.05, accent=0.2))
    align(video, [track], method="dtw")
    assert {k: len(k.signatures) for k in KERNELS} == before  # nothing compiled anew
