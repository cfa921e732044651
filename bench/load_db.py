"""bench/load.py's view of the stack's side: ``manage.py`` in its environment, the load users made there, and
what the database holds afterwards compared with what the client was told was stored."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from bench.load_client import Accepted

ROOT = Path(__file__).resolve().parent.parent


def manage(env: dict, *args: str, timeout: float = 600) -> str:
    res = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=timeout)  # fmt: skip
    if res.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)[:80]} failed:\n{res.stderr[-3000:]}")
    return res.stdout


def shell_json(env: dict, code: str, data: object = None) -> object:
    """Run ``code`` in ``manage.py shell`` with ``data`` (JSON) in ``DATA``; it prints one JSON line last."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(data, fh)
    try:
        prelude = f"import json\nDATA = json.load(open({fh.name!r}))\n"
        out = manage(env, "shell", "-c", prelude + code)
    finally:
        os.unlink(fh.name)
    return json.loads(out.strip().splitlines()[-1])


CREATE_USERS = """
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
U = get_user_model()
hashed = make_password(DATA["password"])
for name in DATA["names"]:
    U.objects.update_or_create(username=name, defaults={"password": hashed, "is_active": True})
print(json.dumps(len(DATA["names"])))
"""

CHECK_STORED = """
from webapp.drums.models import DrumLoop
from webapp.listening.models import Listen
from webapp.catalog.models import Track
from webapp.videos.models import Video
ratings = {str(k): v for k, v in DrumLoop.objects.filter(pk__in=[int(i) for i in DATA["ratings"]])
           .values_list("pk", "rating")}
listens = {str(k): [t, a] for k, t, a in Listen.objects.filter(pk__in=[int(i) for i in DATA["listens"]])
           .values_list("pk", "track_id", "action")}
tracks = dict(Track.objects.filter(pk__in=DATA["tracks"]).values_list("pk", "state"))
videos = dict(Video.objects.filter(pk__in=DATA["videos"]).values_list("pk", "state"))
mine = {"session__owner__username__startswith": "load-"}
totals = {"ratings": DrumLoop.objects.filter(rating__in=["like", "dislike"], **mine).count(),
          "listens": Listen.objects.filter(user__username__startswith="load-").count(),
          "tracks": Track.objects.filter(owner__username__startswith="load-").count()}
print(json.dumps({"totals": totals, "ratings": ratings, "listens": listens,
                  "tracks": {str(k): v for k, v in tracks.items()}, "videos": {str(k): v for k, v in videos.items()}}))
"""


def verify(env: dict, acc: Accepted) -> dict:
    """Compare what the client was told was stored with what the database holds."""
    got = shell_json(env, CHECK_STORED, {"ratings": list(acc.ratings), "listens": list(acc.listens),
                                         "tracks": acc.tracks, "videos": acc.videos})  # fmt: skip
    ratings_ok = sum(got["ratings"].get(str(k)) == v for k, v in acc.ratings.items())
    listens_ok = sum(got["listens"].get(str(k)) == list(v) for k, v in acc.listens.items())
    return {
        "ratings": (len(acc.ratings), ratings_ok),
        "listens": (len(acc.listens), listens_ok),
        "tracks": (len(acc.tracks), len(got["tracks"])),
        "videos": (len(acc.videos), len(got["videos"])),
        "totals": got["totals"],  # every row of the load users: more than accepted = stored, answer lost
        "track_states": dict(sorted(_count(got["tracks"].values()).items())),
        "video_states": dict(sorted(_count(got["videos"].values()).items())),
    }


def _count(values) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for v in values:
        out[v] += 1
    return out
