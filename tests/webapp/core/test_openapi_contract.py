"""Contract test: schemathesis reads /api/schema/ and drives the API with what it allows, and with what it forbids.

Every operation in the schema becomes one test. Schemathesis sends its coverage cases (boundary values, missing and
wrong-typed values, empty strings, undeclared methods and content types, no or bad credentials) and a few fuzzed
ones, valid and invalid, through the WSGI app as the test user with a token, and runs every check on each response.
A second test chains calls (links inferred from the schema: an id from one response goes into the next request),
which adds the checks that need a history.

The data: one object of each kind with the id ``SEEDED`` (a track, a video with a preview, a drum session with a
loop, a kit, a failed job). Valid ids and references are pointed at them (``aim_at_seeded``); each case runs in a
transaction that is rolled back, so every case starts from the same state and Hypothesis can replay it. The test
settings run no worker: jobs that a case queues just stay queued.

Figures: ``SEGUE_CONTRACT_REPORT=stats.json pytest ... -m slow`` writes the cases run and the failures per check.
"""

from __future__ import annotations

import collections
import contextlib
import io
import json
import os
from pathlib import Path

import numpy as np
import pytest
import schemathesis
import soundfile as sf
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.core.failures import FailureGroup

from webapp.catalog.models import Section, Track, TrackState
from webapp.core.models import Job, JobState
from webapp.drums import services as drum_services
from webapp.drums.models import DrumKit, DrumLoop, DrumSession
from webapp.videos.models import Preview, PreviewState, Video, VideoState
from webapp.wsgi import application

pytestmark = pytest.mark.slow

SEEDED = 7001
TOKEN = "0contract0test0token0not0a0secret000000"  # 40 characters, like DRF's keys
FUZZED_PER_OPERATION = 6  # on top of the coverage cases, which the schema decides (about 1,800 in all)
WORKFLOWS, WORKFLOW_STEPS = 25, 8

# What positive_data_acceptance takes as accepting a valid request, by default.
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20260411,
        "generation": {
            "deterministic": True,  # the same cases on every run
            "database": "none",  # nothing carried over from an earlier run
            "mode": "all",  # valid and invalid data
            "max-examples": FUZZED_PER_OPERATION,
        },
        "auth": {"openapi": {"tokenAuth": {"api_key": f"Token {TOKEN}"}}},
        # Every built-in check runs (the default). Three are idle here:
        # - max_response_time: off unless given a limit; timings on a shared CI machine are no contract;
        # - object_level_authorization: needs several identities (WFC auth config); tests/webapp/*/test_api.py
        #   check that other users' objects are 404;
        # - use_after_free, ensure_resource_availability: only act in the workflow test, which has the history.
        # Where a valid request can still be refused for a reason the schema cannot state, positive_data_acceptance
        # takes that status as well, operation by operation (each `include-*` key is a filter of its own and they
        # add up, so one key names the operations):
        "operations": [
            {
                # A valid multipart body need not be a media file Segue can read: 400 with the reason; 413: too big.
                # (The section search takes a reference file too.)
                "include-name": ["POST /api/tracks/", "POST /api/videos/", "POST /api/search/sections/"],
                "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "400", "413"]}},
            },
            {
                # A Range past the end of the file is a 416 (RFC 9110); the schema cannot know the file's size.
                "include-name-regex": "^GET .*/(audio|file)/$",
                "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "416"]}},
            },
            {
                # In a workflow an earlier step may have deleted the seeded object that a request refers to in its
                # body or query (rather than its path): a reference to a missing object is a 400.
                "include-name": [
                    "GET /api/videos/{id}/markers/",
                    "POST /api/videos/{id}/previews/",
                    "POST /api/listens/",
                ],
                "phases": {
                    "stateful": {"checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "400"]}}}
                },
            },
            {
                # A track version may last 1 s to 4 times its track, and an anchor must lie inside both (the
                # track and the version or video): a valid duration or anchor past those is a 400 with the reason.
                "include-name": ["POST /api/tracks/{id}/versions/", "GET /api/videos/{id}/fit-plan/"],
                "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "400"]}},
            },
            {
                # Wrong credentials are a 400 from DRF's obtain_auth_token; the schema cannot know who exists.
                "include-name": "POST /api/auth/token/",
                "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "400"]}},
            },
        ],
    }
)
schema = schemathesis.openapi.from_wsgi("/api/schema/", application, config=CONFIG)

STATS: collections.Counter = collections.Counter()


def _wav(seconds: float) -> bytes:
    sr = 22050
    t = np.arange(int(seconds * sr)) / sr
    buf = io.BytesIO()
    sf.write(buf, (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), sr, format="WAV")
    return buf.getvalue()


MP4_HEADER = b"\x00\x00\x00\x18ftypmp42"  # served, never decoded
SEEDED_FILES: dict[str, bytes] = {}


def seed_objects(user, tmp_path: Path) -> None:
    """One object of each kind with the id SEEDED, owned by ``user``: ready, with its files."""
    track = Track(pk=SEEDED, owner=user, title="seeded", artist="contract", state=TrackState.READY, content_hash="c",
                  duration=30.0, tempo=120.0, key="C", mode="major", downbeats=[0.0, 2.0, 4.0, 6.0])  # fmt: skip
    track.file.save("seeded.wav", ContentFile(_wav(2.0)), save=False)
    track.save()
    Section.objects.create(track=track, index=0, start=0.0, end=30.0, label="A")
    video = Video(pk=SEEDED, owner=user, title="seeded", state=VideoState.READY, duration=4.0, fps=25.0,
                  width=160, height=90, shots=[[0.0, 2.0], [2.0, 4.0]])  # fmt: skip
    video.file.save("seeded.mp4", ContentFile(MP4_HEADER), save=False)
    video.save()
    preview = Preview(pk=SEEDED, video=video, track=track, offset=0.0, state=PreviewState.READY)
    preview.file.save("seeded-preview.mp4", ContentFile(MP4_HEADER), save=False)
    preview.save()
    (tmp_path / "kit").mkdir()
    (tmp_path / "kit" / "snare.wav").write_bytes(_wav(0.2))
    kit = drum_services.import_kit(tmp_path / "kit", name="seeded kit")
    DrumKit.objects.filter(pk=kit.pk).update(id=SEEDED)
    session = DrumSession.objects.create(pk=SEEDED, owner=user, seed=1)
    loop = drum_services.next_loop(session)
    DrumLoop.objects.filter(pk=loop.pk).update(id=SEEDED)
    Job.objects.create(pk=SEEDED, owner=user, kind="selftest", state=JobState.FAILED, error="seeded failure")
    SEEDED_FILES.clear()
    for obj in (track, video, preview):
        SEEDED_FILES[obj.file.path] = Path(obj.file.path).read_bytes()


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def aim_at_seeded(case) -> None:
    """Valid ids name the seeded objects; valid offsets fall within the seeded track (30 s).

    An id of the right type is valid to the schema, which cannot say which objects exist; the server answers 404
    (in the path) or 400 (a reference in the body or query) for the others. Invalid values are left as they are.
    """
    for name in ("id", "preview_id"):
        if _is_int((case.path_parameters or {}).get(name)):
            case.path_parameters[name] = SEEDED
    for container in (case.query, case.body):
        if not isinstance(container, dict):
            continue
        for name in ("track", "loop", "kit"):
            if _is_int(container.get(name)):
                container[name] = SEEDED
        offset = container.get("offset")
        if isinstance(offset, int | float) and not isinstance(offset, bool) and offset >= 0:
            container["offset"] = offset % 29


@contextlib.contextmanager
def isolated():
    """Requests on the seeded state: database changes are rolled back and throttle counters start from zero, so a
    case's answer does not depend on the cases before it (Hypothesis replays cases when it shrinks a failure)."""
    cache.clear()
    try:
        with transaction.atomic():
            yield
            transaction.set_rollback(True)
    finally:
        for path, data in SEEDED_FILES.items():  # a DELETE removes the file; the rollback does not bring it back
            if not os.path.exists(path):
                Path(path).write_bytes(data)


def validate(case, response, validate_response) -> None:
    """Run the checks, counting cases and failures per check (for the report)."""
    STATS["cases"] += 1
    try:
        validate_response()
    except FailureGroup as group:
        for failure in group.exceptions:
            for check in failure.checks or (type(failure).__name__,):
                STATS[f"failed: {check}"] += 1
        raise


@pytest.fixture
def seeded(db, user, tmp_path):
    """The seeded objects and the token. Requests go through the WSGI app in this thread, on the test's database."""
    # As Django's test client does: keep the connection, and with it the test's transaction, open across requests.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    Token.objects.create(user=user, key=TOKEN)
    seed_objects(user, tmp_path)
    yield
    cache.clear()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
# The fixture is set up once per operation, not per case: `isolated` gives each case the seeded state.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_api_conforms_to_its_schema(case, seeded):
    aim_at_seeded(case)
    with isolated():
        response = case.call()
    STATS[f"cases: {case.meta.phase.name.value}" if case.meta else "cases: explicit"] += 1
    validate(case, response, lambda: case.validate_response(response))


def test_api_workflows_conform_to_their_schema(seeded):
    """Chains of calls, each feeding the ids of one response into the next request: a deleted object must be gone,
    a created one must be there, besides every check of the single calls."""

    class Workflow(schema.as_state_machine()):
        def setup(self):
            self._isolated = isolated()
            self._isolated.__enter__()

        def teardown(self):
            self._isolated.__exit__(None, None, None)

        def before_call(self, case):
            aim_at_seeded(case)

        def validate_response(self, response, case, **kwargs):
            STATS["cases: stateful"] += 1
            validate(case, response, lambda: super(Workflow, self).validate_response(response, case, **kwargs))

    Workflow.run(
        settings=settings(
            max_examples=WORKFLOWS,
            stateful_step_count=WORKFLOW_STEPS,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
    )


def teardown_module():
    if os.environ.get("SEGUE_CONTRACT_REPORT"):
        Path(os.environ["SEGUE_CONTRACT_REPORT"]).write_text(json.dumps(dict(sorted(STATS.items())), indent=1))
