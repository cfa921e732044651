from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from recommender.context.tags import CONTEXT_TAGS
from recommender.markers import music_markers, to_csv, to_edl
from recommender.media import MediaError
from webapp.catalog.models import Track
from webapp.catalog.views import filter_params, parse_filters
from webapp.core.http import ranged_file_response
from webapp.core.jobs import create_job
from webapp.videos import services
from webapp.videos.models import Preview, PreviewState, Video, VideoState
from webapp.videos.serializers import (
    PreviewRequestSerializer,
    PreviewSerializer,
    RecommendationSerializer,
    VideoSerializer,
    VideoUploadSerializer,
)


def _float_param(params, name: str, lo: float, hi: float, default: float | None = None) -> float | None:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValidationError({name: ["must be a number"]})
    if not lo <= value <= hi:
        raise ValidationError({name: [f"must be between {lo:g} and {hi:g}"]})
    return value


class VideoViewSet(
    mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin,
    mixins.DestroyModelMixin, viewsets.GenericViewSet,
):  # fmt: skip
    """Your videos. Upload with POST (multipart `file`: mp4, mov, webm, mkv); analysis runs as jobs."""

    serializer_class = VideoSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        return Video.objects.filter(owner=self.request.user)

    def get_throttles(self):
        if self.action in ("create", "previews"):
            self.throttle_scope = "uploads" if self.action == "create" else "jobs"
        return super().get_throttles()

    @extend_schema(request={"multipart/form-data": VideoUploadSerializer}, responses={201: VideoSerializer})
    def create(self, request: Request) -> Response:
        body = VideoUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        upload = body.validated_data["file"]
        if upload.size > settings.MAX_VIDEO_BYTES:
            limit = settings.MAX_VIDEO_BYTES // 2**20
            return Response({"file": [f"larger than the limit of {limit} MB"]}, status=413)
        try:
            video = services.add_video(upload, upload.name, owner=request.user)
        except MediaError as exc:
            return Response({"file": [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
        return Response(VideoSerializer(video).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, video: Video) -> None:
        for preview in video.previews.all():
            preview.file.delete(save=False)
        video.file.delete(save=False)
        video.delete()

    @action(detail=True, methods=["post"])
    def reanalyse(self, request: Request, pk: str | None = None) -> Response:
        """Queue the analysis again (e.g. after a failure)."""
        job = services.analyse(self.get_object())
        return Response({"job": job.pk}, status=status.HTTP_202_ACCEPTED)

    @action(detail=True, methods=["get"])
    def file(self, request: Request, pk: str | None = None) -> HttpResponse:
        """The uploaded video, with HTTP Range support."""
        video = self.get_object()
        return ranged_file_response(request, video.file.path, filename=video.original_name or None)

    def _ready(self) -> Video:
        video = self.get_object()
        if video.state != VideoState.READY:
            raise _Conflict(f"video {video.pk} is not analysed yet ({video.state})")
        return video

    @extend_schema(
        parameters=[
            OpenApiParameter("mode", str, enum=list(services.MODES), description="alignment (default) or global"),
            OpenApiParameter("structure", float, description="0–1: weight of structure (sync, energy) vs content"),
            OpenApiParameter("method", str, enum=["rigid", "dtw"], description="alignment method"),
            *filter_params,
        ],
        responses=RecommendationSerializer(many=True),
    )
    @action(detail=True, methods=["get"])
    def recommendations(self, request: Request, pk: str | None = None) -> Response:
        """Soundtracks for the video: by clip vector (global) or by aligning shots with music segments."""
        params = request.query_params
        mode = params.get("mode", "alignment")
        if mode not in services.MODES:
            raise ValidationError({"mode": [f"must be one of {', '.join(services.MODES)}"]})
        method = params.get("method") or None
        if method not in (None, "rigid", "dtw"):
            raise ValidationError({"method": ["must be rigid or dtw"]})
        structure = _float_param(params, "structure", 0.0, 1.0)
        filters = parse_filters(params)
        video = self._ready()
        recs = services.recommend(video, request.user, mode=mode, filters=filters, structure=structure, method=method)
        data = [{
            "track": r.track, "score": r.score, "offset_seconds": round(r.offset, 2),
            "content": None if r.alignment is None else round(r.alignment.content, 4),
            "sync": None if r.alignment is None else round(r.alignment.sync, 4),
            "energy": None if r.alignment is None else round(r.alignment.energy, 4),
            "path": [] if r.alignment is None else [list(p) for p in r.alignment.path],
        } for r in recs]  # fmt: skip
        return Response(RecommendationSerializer(data, many=True, context={"request": request}).data)

    @extend_schema(request=PreviewRequestSerializer, responses={200: PreviewSerializer(many=True),
                                                               202: PreviewSerializer})  # fmt: skip
    @action(detail=True, methods=["get", "post"])
    def previews(self, request: Request, pk: str | None = None) -> Response:
        """GET: this video's previews. POST {track, offset}: render the video with that track (a job)."""
        video = self.get_object()
        if request.method == "GET":
            return Response(PreviewSerializer(video.previews.select_related("track"), many=True).data)
        video = self._ready()
        body = PreviewRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        track = Track.objects.visible_to(request.user).ready().filter(pk=body.validated_data["track"]).first()
        if track is None:
            raise ValidationError({"track": ["no such track in your catalog"]})
        offset = round(body.validated_data["offset"], 2)
        if offset >= (track.duration or 0):
            raise ValidationError({"offset": [f"beyond the track's end ({track.duration:.1f} s)"]})
        try:
            preview, created = Preview.objects.get_or_create(video=video, track=track, offset=offset)
        except IntegrityError:  # a concurrent identical request won
            preview, created = Preview.objects.get(video=video, track=track, offset=offset), False
        if created or preview.state == PreviewState.FAILED:
            Preview.objects.filter(pk=preview.pk).update(state=PreviewState.QUEUED, error="")
            create_job(request.user, "render_preview", target=preview)
            preview.refresh_from_db()
        return Response(PreviewSerializer(preview).data, status=status.HTTP_202_ACCEPTED)

    @action(detail=True, methods=["get"], url_path=r"previews/(?P<preview_id>[0-9]+)/file", url_name="preview-file")
    def preview_file(self, request: Request, pk: str | None = None, preview_id: str | None = None) -> HttpResponse:
        """A rendered preview (MP4), with HTTP Range support."""
        video = self.get_object()
        preview = video.previews.filter(pk=preview_id, state=PreviewState.READY).first()
        if preview is None:
            raise NotFound("no such preview, or it is not rendered yet")
        name = f"{video.title} + {preview.track.title}.mp4"
        return ranged_file_response(request, preview.file.path, filename=name)

    @extend_schema(
        parameters=[
            OpenApiParameter("track", int, required=True), OpenApiParameter("offset", float),
            OpenApiParameter("as", str, enum=["csv", "edl"], description="csv (default) or edl"),
            OpenApiParameter("fps", int, description="timecode frame rate (default: the video's, rounded)"),
        ],
        responses={(200, "text/csv"): str},
    )  # fmt: skip
    @action(detail=True, methods=["get"])
    def markers(self, request: Request, pk: str | None = None) -> HttpResponse:
        """The track's downbeats and section changes on the video's timeline, as CSV or a CMX3600 EDL."""
        video = self._ready()
        params = request.query_params
        try:
            track = Track.objects.visible_to(request.user).ready().get(pk=int(params.get("track", "")))
        except (ValueError, Track.DoesNotExist):
            raise ValidationError({"track": ["give the id of a ready track you can see"]})
        offset = _float_param(params, "offset", 0.0, track.duration or 0.0, default=0.0)
        fmt = params.get("as", "csv")
        if fmt not in ("csv", "edl"):
            raise ValidationError({"as": ["csv or edl"]})
        fps = int(_float_param(params, "fps", 1, 120, default=round(video.fps or 25)))
        sections = list(track.sections.values_list("start", "label"))
        marks = music_markers(
            offset=offset, video_duration=video.duration or 0.0, downbeats=track.downbeats,
            sections=[s for s, _ in sections], section_labels=[lab for _, lab in sections],
        )  # fmt: skip
        stem = f"{video.title}-{track.title}".replace('"', "")
        if fmt == "csv":
            body, ctype = to_csv(marks, fps=fps), "text/csv"
        else:
            body, ctype = to_edl(marks, title=f"{video.title} – {track.title}", fps=fps), "text/plain"
        response = HttpResponse(body, content_type=f"{ctype}; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{stem}.{fmt}"'
        return response


class _Conflict(ValidationError):
    status_code = status.HTTP_409_CONFLICT

    def __init__(self, detail: str) -> None:
        super().__init__({"detail": detail})


@login_required
def videos_page(request):
    return render(request, "videos/index.html", {
        "max_mb": settings.MAX_VIDEO_BYTES // 2**20, "max_minutes": round(settings.MAX_VIDEO_SECONDS / 60, 1),
    })  # fmt: skip


@login_required
def video_page(request, pk: int):
    video = get_object_or_404(Video.objects.filter(owner=request.user), pk=pk)
    return render(
        request, "videos/video.html", {"video": video, "tags": CONTEXT_TAGS, "structure": settings.STRUCTURE_WEIGHT}
    )
