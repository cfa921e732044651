"""API of track versions: ``/api/tracks/{id}/versions/`` (ask for one, list yours) and its WAV download."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from webapp.catalog.models import Track, TrackState
from webapp.catalog.versions import VERSION_KIND, max_version_seconds, render_track_version, version_path
from webapp.catalog.views import file_responses, range_header
from webapp.core.http import ranged_file_response
from webapp.core.jobs import create_job
from webapp.core.models import Job, JobState
from webapp.core.serializers import StrictInputMixin
from webapp.core.views import FileContentNegotiation


class VersionRequestSerializer(StrictInputMixin, serializers.Serializer):
    duration = serializers.FloatField(min_value=1.0, help_text="seconds: 1 s to 4 times the track")
    anchors = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(min_value=0.0), min_length=2, max_length=2),
        required=False, default=list, max_length=1,
        help_text="at most one [music seconds, version seconds]: that downbeat of the track sounds at that second",
    )  # fmt: skip


class VersionSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="the version's job (progress: /api/jobs/{id}/)")
    track = serializers.IntegerField()
    duration = serializers.FloatField()
    anchors = serializers.ListField(child=serializers.ListField(child=serializers.FloatField()))
    state = serializers.CharField()
    progress = serializers.IntegerField()
    error = serializers.CharField()
    plan = serializers.JSONField(allow_null=True, help_text="pieces, joins and anchors of the edit (when ready)")
    file_url = serializers.CharField(allow_null=True)


def _version(job: Job, request: Request) -> dict:
    done = job.state == JobState.DONE and version_path(job.pk).exists()
    track = job.params.get("track")
    return {
        "id": job.pk, "track": track, "duration": job.params.get("duration"), "anchors": job.params.get("anchors", []),
        "state": job.state, "progress": job.progress, "error": job.error,
        "plan": (job.result or {}).get("plan") if done else None,
        "file_url": reverse("track-version-file", args=[track, job.pk], request=request) if done else None,
    }  # fmt: skip


def _track(request: Request, pk: int) -> Track:
    track = Track.objects.visible_to(request.user).filter(pk=pk).first()
    if track is None:
        raise NotFound("no such track in your catalog")
    return track


def _mine(request: Request, track: Track):
    return Job.objects.filter(owner=request.user, kind=VERSION_KIND, params__track=track.pk)


class TrackVersionsView(APIView):
    """Versions of a track at another length: re-arranged along its bars, ending on its ending (a job)."""

    def get_throttles(self):
        if self.request.method == "POST":  # a render is a job: the jobs rate; reading the list is not
            self.throttle_scope = "jobs"
        return super().get_throttles()

    @extend_schema(responses=VersionSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        """Your versions of this track, newest first."""
        track = _track(request, pk)
        return Response(VersionSerializer([_version(j, request) for j in _mine(request, track)], many=True).data)

    @extend_schema(
        request=VersionRequestSerializer,
        responses={
            202: VersionSerializer,
            400: OpenApiResponse(description="a duration out of range, or an anchor outside the track or version"),
            404: OpenApiResponse(description="no such track in your catalog"),
            409: OpenApiResponse(description="the track is not analysed yet"),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        """Render this track at ``duration`` seconds (WAV): the same request again answers the same version."""
        track = _track(request, pk)
        if track.state != TrackState.READY or not track.duration:
            return Response({"detail": f"track {track.pk} is not analysed yet ({track.state})"}, status=409)
        body = VersionRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        duration = round(body.validated_data["duration"], 3)
        longest = max_version_seconds(track)
        if duration > longest:
            raise ValidationError({"duration": [f"at most {longest:.1f} s for this track (4 times its length)"]})
        anchors = [[round(m, 3), round(v, 3)] for m, v in body.validated_data["anchors"]]
        for m, v in anchors:
            if m > track.duration or v > duration:
                raise ValidationError({"anchors": [
                    f"[{m}, {v}] lies outside the track ({track.duration:.1f} s) or the version ({duration:.1f} s)"
                ]})  # fmt: skip
        params = {"track": track.pk, "duration": duration, "anchors": anchors}
        with transaction.atomic():
            same = _mine(request, track).filter(params=params).exclude(state=JobState.FAILED).first()
            job = same or create_job(request.user, render_track_version, params=params)
        return Response(VersionSerializer(_version(job, request)).data, status=status.HTTP_202_ACCEPTED)


class TrackVersionFileView(APIView):
    content_negotiation_class = FileContentNegotiation

    @extend_schema(parameters=[range_header], responses=file_responses("audio/wav", "audio/x-wav"))
    def get(self, request: Request, pk: int, version_id: int) -> HttpResponse:
        """A rendered version (WAV), with HTTP Range support."""
        track = _track(request, pk)
        job = _mine(request, track).filter(pk=version_id, state=JobState.DONE).first()
        if job is None or not version_path(job.pk).exists():
            raise NotFound("no such version, or it is not rendered yet")
        seconds = job.params.get("duration", 0)
        name = f"{track.title} ({seconds:g} s).wav".replace('"', "")
        return ranged_file_response(request, version_path(job.pk), filename=name)
