"""Footprint (issue 17): what a process imports decides what it holds. The supervisor, the settings and (once the
video and drum modules import torch lazily) the URLconf load none of the numeric stack; every cache has a bound;
the process counts come from the machine."""

from __future__ import annotations

import functools
import importlib
import json
import os
import pkgutil
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import ROOT
from webapp.core import sizing

HEAVY = ("torch", "numba", "scipy", "scipy.signal", "faiss", "librosa", "sklearn", "cv2", "av")


def imported_after(code: str) -> dict:
    """Run ``code`` in a fresh interpreter with the project's settings; which HEAVY modules it imported, and its RSS."""
    probe = (
        "import json, sys\n"
        "import django\n"
        "django.setup()\n"
        f"{code}\n"
        "rss = int(open('/proc/self/status').read().split('VmRSS:')[1].split()[0]) // 1024\n"
        f"print(json.dumps({{'heavy': [m for m in {HEAVY!r} if m in sys.modules], 'rss_mb': rss}}))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "webapp.settings"}
    res = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    return json.loads(res.stdout.strip().splitlines()[-1])


def test_settings_import_no_numeric_stack():
    assert imported_after("from django.conf import settings; settings.WEB_WORKERS")["heavy"] == []


def test_the_supervisor_command_imports_no_numeric_stack():
    """What `manage.py runlocal` does before it starts anything (its system checks included), without starting."""
    got = imported_after(
        "from webapp.core.management.commands import runlocal\n"
        "cmd = runlocal.Command()\n"
        "cmd.handle = lambda *args, **options: None\n"
        "cmd.run_from_argv(['manage.py', 'runlocal', '--no-seed'])"
    )
    assert got["heavy"] == []
    assert got["rss_mb"] < 80


def test_the_gunicorn_settings_import_no_numeric_stack():
    assert imported_after("import webapp.core.gunicorn")["heavy"] == []


def test_the_urlconf_imports_no_numeric_stack():
    """The web process pays for torch, numba and scipy.signal only when a request needs them."""
    assert imported_after("import webapp.urls")["heavy"] == []


def test_catalog_tasks_and_indexes_import_no_torch():
    """The web process imports the catalog's tasks (to enqueue them): torch comes only with running one."""
    assert "torch" not in imported_after("import webapp.catalog.tasks, webapp.catalog.indexes")["heavy"]


def test_the_drum_kit_and_its_rendering_need_no_scipy_signal():
    """The studio's built-in kit is filtered with numpy: a web process that renders and rates loops holds no
    scipy.signal (~60 MB)."""
    got = imported_after(
        "import numpy as np\n"
        "from recommender.drums import bands, kit, render\n"
        "loop = np.zeros((9, 16), dtype=np.float32); loop[0, ::4] = 1; loop[2, ::2] = 1\n"
        "audio = render.render(loop, kit.synth_kit(44100), tempo=120)\n"
        "assert np.abs(audio).max() > 0.1\n"
        "bands.band_atoms(kit.synth_kit(16000))"
    )
    assert "scipy.signal" not in got["heavy"]


@pytest.mark.parametrize("sr", [16000, 44100, 48000])
def test_the_kit_filter_is_scipys_butterworth(sr):
    """Same filter as ``scipy.signal.butter(4, ...)`` + ``sosfilt`` (what kit.py ran before): every band, high-
    and low-pass within 1e-9 of the peak on noise, and the built-in kit's voices equal in float32."""
    from scipy import signal

    from recommender.drums import kit

    def scipy_band(x, sr, lo, hi):
        nyq = sr / 2
        if lo and hi:
            sos = signal.butter(4, [lo / nyq, min(hi / nyq, 0.99)], btype="band", output="sos")
        elif lo:
            sos = signal.butter(4, min(lo / nyq, 0.99), btype="high", output="sos")
        else:
            sos = signal.butter(4, min(hi / nyq, 0.99), btype="low", output="sos")
        return signal.sosfilt(sos, x)

    x = np.random.default_rng(sr).standard_normal(sr // 2)
    for lo, hi in [(900, 3500), (1500, 6000), (1200, 30000), (4000, None), (6000, None), (None, 150), (None, 5000)]:
        want = scipy_band(x, sr, lo, hi)
        assert np.abs(kit._band(x, sr, lo, hi) - want).max() < 1e-9 * np.abs(want).max(), (lo, hi)
    ours = kit.synth_kit.__wrapped__(sr)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(kit, "_band", scipy_band)
        theirs = kit.synth_kit.__wrapped__(sr)
    for name, want in theirs.samples.items():
        assert np.abs(ours.samples[name] - want).max() < 1e-6, name


def test_index_dimension_is_the_encoders():
    from recommender.models.audio_encoder import EncoderConfig
    from webapp.catalog import indexes

    assert EncoderConfig().dim == indexes.DIM


def _lru_caches():
    """Every functools cache at module level in webapp/ and recommender/ (modules that import cleanly)."""
    import recommender
    import webapp

    for package in (webapp, recommender):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if ".migrations" in info.name or info.name.endswith(("settings_test", "__main__")):
                continue
            try:
                module = importlib.import_module(info.name)
            except Exception:  # noqa: BLE001 - a module that needs something absent here is not ours to judge
                continue
            for name, obj in vars(module).items():
                if isinstance(obj, functools._lru_cache_wrapper) and getattr(obj, "__module__", "") == info.name:
                    yield f"{info.name}.{name}", obj


@pytest.mark.slow
def test_every_module_level_cache_has_a_bound():
    caches = dict(_lru_caches())
    assert "recommender.models.registry.audio_encoder" in caches  # the walk found the caches it should
    unbounded = [name for name, fn in caches.items() if fn.cache_parameters()["maxsize"] is None]
    assert unbounded == []


def test_the_model_cache_keeps_its_bound_when_filled_past_it(tmp_path):
    from recommender.models import registry

    registry.crossmodal.cache_clear()
    limit = registry.crossmodal.cache_parameters()["maxsize"]
    try:
        for i in range(limit + 5):
            assert registry.crossmodal(str(tmp_path / f"missing-{i}.pt")) is None
        info = registry.crossmodal.cache_info()
        assert info.currsize == limit
        assert info.misses == limit + 5
    finally:
        registry.crossmodal.cache_clear()


@pytest.mark.parametrize(
    ("cpus", "gib", "web", "worker"),
    [(1, 1, 1, 1), (2, 2, 2, 1), (2, 4, 2, 2), (4, 4, 4, 2), (16, 64, 4, 4), (8, 0.5, 1, 1)],
)
def test_process_counts_follow_cores_and_memory(cpus, gib, web, worker):
    memory = int(gib * sizing.GIB)
    assert sizing.web_workers(cpus, memory) == web
    assert sizing.worker_concurrency(cpus, memory) == worker


def test_sizing_reads_this_machine():
    assert 1 <= sizing.cpu_count() <= (os.cpu_count() or 1)
    assert sizing.memory_bytes() > 64 * 1024**2
    out = subprocess.run([sys.executable, "-m", "webapp.core.sizing", "web"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout  # fmt: skip
    assert int(out) == sizing.web_workers()


@pytest.mark.parametrize("split", [False, True])
def test_runlocal_starts_one_worker_or_a_torch_free_cpu_worker_beside_a_gpu_one(monkeypatch, settings, split):
    from webapp.core.management.commands import runlocal

    started = []
    monkeypatch.setattr(runlocal, "port_in_use", lambda host, port: False)
    monkeypatch.setattr(runlocal, "ensure_demo_user", lambda: ("demo", "pw"))
    monkeypatch.setattr(runlocal.subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(a, 0))
    monkeypatch.setattr(runlocal.subprocess, "Popen", lambda argv, env: started.append((argv, env)) or argv)
    monkeypatch.setattr(runlocal.Command, "_supervise", lambda self, procs, seeding: None)
    monkeypatch.delenv("WORKER_PRELOAD", raising=False)
    settings.WORKER_SPLIT, settings.GPU_WORKER_CONCURRENCY, settings.GPU_WORKER_IDLE_CHILDREN = split, 3, 1
    runlocal.Command().handle(host="127.0.0.1", port=1, concurrency=3, web_workers=2, no_seed=True)
    workers = [(argv, env) for argv, env in started if "celery" in argv]
    queues = {argv[argv.index("-Q") + 1]: (argv, env) for argv, env in workers}
    if not split:
        assert list(queues) == ["cpu,gpu"] and "--concurrency=3" in queues["cpu,gpu"][0]
        return
    assert sorted(queues) == ["cpu", "gpu"]
    cpu_argv, cpu_env = queues["cpu"]
    gpu_argv, gpu_env = queues["gpu"]
    assert "--concurrency=3" in cpu_argv and "--autoscale=3,1" in gpu_argv  # 1 torch child when idle, 3 busy
    assert "torch" in gpu_env["WORKER_PRELOAD"] and "recommender.analysis" not in gpu_env["WORKER_PRELOAD"]
    assert len({argv[argv.index("-n") + 1] for argv, _ in workers}) == 2  # two node names


def test_the_split_is_the_default_and_a_cpu_only_worker_preloads_no_torch():
    from django.conf import settings

    from workers.memory import preload_modules

    assert settings.WORKER_SPLIT and "torch" not in settings.WEB_PRELOAD
    assert "torch" not in preload_modules(["cpu"]) and "recommender.analysis" in preload_modules(["cpu"])
    assert "torch" in preload_modules(["cpu", "gpu"]) and "torch" in preload_modules(["gpu"])


def test_a_worker_without_the_gpu_queue_reports_its_device_without_importing_torch():
    got = imported_after("from workers.heartbeat import worker_device\nassert worker_device(['cpu']) == 'cpu'")
    assert "torch" not in got["heavy"]


def test_the_cpu_worker_preload_holds_no_torch():
    got = imported_after("from django.conf import settings\nfor m in settings.CPU_WORKER_PRELOAD: __import__(m)")
    assert "torch" not in got["heavy"]
    assert "numba" in got["heavy"]  # what the analysis needs is there


# --- the fixed mix's code paths (bench/footprint_mix.py), each in a fresh process ---------------------------------

MIX = r"""
import json, os, sys
import django
django.setup()
from django.conf import settings
from django.core.management import call_command
settings.ALLOWED_HOSTS = ["*"]
call_command("migrate", verbosity=0, interactive=False)
import numpy as np
from rest_framework.test import APIClient
from recommender.context.situation import N_FEATURES, SituationModel, SituationNet
from recommender.context.tags import CONTEXT_TAGS
from tests.factories import UserFactory
from tests.media import write_shot_video
from tests.webapp.catalog.factories import TrackFactory
from tests.webapp.catalog.test_api import song_upload
from tests.webapp.videos.factories import VideoFactory
from webapp.core import jobs
from webapp.listening.training import model_paths

mode, queued, ran, status = sys.argv[1], [], [], {}
jobs.send = lambda job_id, task: queued.append((job_id, task))
user = UserFactory(username="mix")
api = APIClient()
api.force_authenticate(user)
tracks = [TrackFactory() for _ in range(12)]
video = VideoFactory(owner=user)
g = np.random.default_rng(0)  # a trained situation network, as retrain_contexts leaves it
shapes = ((8, N_FEATURES), (8,), (len(CONTEXT_TAGS), 8), (len(CONTEXT_TAGS),))
SituationModel(net=SituationNet(*(g.standard_normal(s).astype(np.float32) for s in shapes))).save(model_paths()[0])

def call(method, path, **kw):
    r = getattr(api, method)(path, format="multipart" if "file" in kw.get("data", {}) else "json", **kw)
    status[f"{method.upper()} {path}"] = r.status_code
    return r.json()

call("post", "/api/tracks/", data={"file": song_upload(99, seconds=12.0)})
clip = write_shot_video(settings.MEDIA_ROOT / "mix.mp4", seconds=4.0, fps=12.0)
with open(clip, "rb") as f:
    call("post", "/api/videos/", data={"file": f})
if mode == "web":
    for kind in ("alignment", "global"):
        call("get", f"/api/videos/{video.pk}/recommendations/?mode={kind}&k=5")
    session = call("post", "/api/drum-sessions/", data={"name": "mix", "tempo": 120})["id"]
    loop = call("get", f"/api/drum-sessions/{session}/next/")["id"]
    for rating in ("like", "dislike", "like"):
        body = call("post", f"/api/drum-sessions/{session}/ratings/", data={"loop": loop, "rating": rating})
        loop = body["next"]["id"]
    call("post", "/api/listens/", data={"track": tracks[0].pk, "action": "play", "device": "car", "context": "party"})
    call("get", "/api/playlists/now/?device=mobile&k=5")
    call("get", "/api/tracks/?q=Track")
    call("get", f"/api/tracks/{tracks[0].pk}/similar/?k=3")
    call("get", "/api/jobs/")
else:  # a cpu-queue worker child: what the uploads queued for it, as the worker runs it
    for name in settings.CPU_WORKER_PRELOAD:
        __import__(name)
    while queued:
        job_id, task = queued.pop(0)
        if task.queue == "cpu":
            task.apply(args=[job_id], throw=True)
            ran.append(task.name.rsplit(".", 1)[-1])
heavy = [m for m in ("torch", "numba", "scipy.signal", "faiss", "cv2", "av") if m in sys.modules]
print(json.dumps({"status": status, "ran": ran, "heavy": heavy}))
"""


def run_mix_probe(mode: str, tmp_path) -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "webapp.settings", "SEGUE_VAR_DIR": str(tmp_path),
           "PYTHONPATH": str(ROOT)}  # fmt: skip
    res = subprocess.run([sys.executable, "-c", MIX, mode], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=300)  # fmt: skip
    assert res.returncode == 0, res.stderr[-3000:]
    return json.loads(res.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_the_web_side_of_the_fixed_mix_imports_no_torch(tmp_path):
    """Every request kind of bench/footprint_mix.py, answered, in one fresh process: uploads, recommendations in
    both modes, a drum session rated, a listen, a playlist from the trained situation network, search, similar,
    jobs. None imports torch (~180 MB resident in a web worker)."""
    got = run_mix_probe("web", tmp_path)
    assert len(got["status"]) == 12 and all(200 <= code < 300 for code in got["status"].values()), got["status"]
    assert "torch" not in got["heavy"]
    assert "numba" in got["heavy"]  # the probe did reach the alignment


@pytest.mark.slow
def test_a_cpu_queue_child_analyses_uploads_without_torch(tmp_path):
    """The analyses of an uploaded track and video, as a cpu-queue worker child runs them: no torch (the STFT
    and the log-mel are numpy; the embedding and retraining are on the gpu queue)."""
    got = run_mix_probe("worker", tmp_path)
    assert {"analyze_track", "analyze_video"} <= set(got["ran"]), got
    assert "torch" not in got["heavy"] and {"numba", "cv2"} <= set(got["heavy"])


def test_the_numpy_stft_is_torchs_and_librosas():
    """recommender.spectral's STFT (numpy since issue 17's third pass) gives the values torch.stft gave, and
    librosa's: within 1e-6 of the peak, for lengths around the frame and hop sizes."""
    import librosa
    import torch

    from recommender.spectral import power_spectrogram

    rng = np.random.default_rng(7)
    for n in (1, 511, 2048, 5000, 22050 * 4 + 17):
        y = (0.3 * rng.standard_normal(n)).astype(np.float32)
        ours = power_spectrogram(y)
        spec = torch.stft(torch.from_numpy(y), 2048, 512, window=torch.hann_window(2048), center=True,
                          pad_mode="constant", return_complex=True).abs().square().numpy()  # fmt: skip
        theirs = np.abs(librosa.stft(y, n_fft=2048, hop_length=512, pad_mode="constant")) ** 2
        assert ours.shape == spec.shape == theirs.shape == (1025, 1 + n // 512)
        assert np.abs(ours - spec).max() <= 1e-6 * spec.max() and np.abs(ours - theirs).max() <= 1e-6 * theirs.max()


def test_the_situation_network_answers_in_numpy_as_in_torch(tmp_path):
    """The trained network's numpy forward pass gives torch's probabilities (1e-6), and a file saved by torch
    (before the weights were saved as .npz) still loads."""
    from datetime import datetime, timedelta

    import torch

    from recommender.context import situation

    start = datetime(2026, 11, 2, 7)
    events = [(1 + i % 3, situation.Situation(situation.DEVICES[i % 5], start + timedelta(hours=5 * i)), i % 7)
              for i in range(60)]  # fmt: skip
    torch.manual_seed(0)
    net = situation._train_net(events, epochs=40, hidden=16)
    model = situation.SituationModel(net=situation.SituationNet.from_torch(net), version=3)
    x = np.stack([situation.situation_features(s) for _, s, _ in events])
    with torch.no_grad():
        want = torch.softmax(net(torch.from_numpy(x)), -1).numpy()
    assert np.abs(model.net.probabilities(x) - want).max() < 1e-6
    assert np.abs(model.shared(events[5][1]) - want[5]).max() < 1e-6
    torch.save({"hidden": 16, "net": net.state_dict(), "version": 3}, tmp_path / "old.pt")
    torch.save({"hidden": 16, "net": net.state_dict(), "version": 3}, tmp_path / "legacy.pt",
               _use_new_zipfile_serialization=False)  # fmt: skip
    model.save(tmp_path / "new.pt")
    for name in ("old.pt", "legacy.pt", "new.pt"):
        again = situation.SituationModel.load(tmp_path / name)
        assert again.version == 3 and np.abs(again.net.probabilities(x) - want).max() < 1e-6
