from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from drf_spectacular.utils import OpenApiRequest, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from recommender.arrange import ArrangeError
from recommender.arrange_markers import plan_markers
from recommender.context.tags import CONTEXT_TAGS
from recommender.markers import music_markers, to_csv, to_edl
from recommender.media import MediaError
from webapp.catalog.filters import TrackFilter
from webapp.catalog.models import Track, TrackState
from webapp.catalog.versions import plan_for
from webapp.catalog.views import file_responses, range_header
from webapp.core.http import ranged_file_response
from webapp.core.jobs import create_job
from webapp.core.serializers import JobRefSerializer, validated_query
from webapp.core.uploads import rejection
from webapp.core.views import FileContentNegotiation, UploadParsersMixin
from webapp.videos import services
from webapp.videos.models import Preview, PreviewState, Video, VideoState
from webapp.videos.serializers import (
    FitPlanParams,
    FitPlanSerializer,
    MarkerParams,
    PreviewRequestSerializer,
    PreviewSerializer,
    RecommendationParams,
    RecommendationSerializer,
    VideoSerializer,
    VideoUploadSerializer,
)
from webapp.videos.tasks import default_peak, render_preview


class VideoViewSet(
    UploadParsersMixin, mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet,
):  # fmt: skip
    """Your videos. Upload with POST (multipart `file`: mp4, mov, webm, mkv); analysis runs as jobs."""

    serializer_class = VideoSerializer
    filterset_class = None  # the list takes no filters; recommendations take track filters

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Video.objects.none()
        return Video.objects.filter(owner=self.request.user)

    def get_throttles(self):
        if self.action in ("create", "previews"):
            self.throttle_scope = "uploads" if self.action == "create" else "jobs"
        return super().get_throttles()

    @extend_schema(
        request={
            "multipart/form-data": OpenApiRequest(
                VideoUploadSerializer, encoding={"file": {"contentType": "video/*, application/octet-stream"}}
            )
        },
        responses={
            201: VideoSerializer,
            400: OpenApiResponse(description="invalid fields, or a file that is not a video Segue can read"),
            413: OpenApiResponse(description="the file is larger than MAX_VIDEO_BYTES"),
        },
    )
    def create(self, request: Request) -> Response:
        body = VideoUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        upload = body.validated_data["file"]
        try:
            video = services.add_video(upload, upload.name, owner=request.user)
        except MediaError as exc:
            return rejection(exc)
        return Response(VideoSerializer(video).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, video: Video) -> None:
        for preview in video.previews.all():
            preview.file.delete(save=False)
        video.file.delete(save=False)
        video.delete()

    @extend_schema(request=None, responses={202: JobRefSerializer})
    @action(detail=True, methods=["post"])
    def reanalyse(self, request: Request, pk: str | None = None) -> Response:
        """Queue the analysis again (e.g. after a failure)."""
        job = services.analyse(self.get_object())
        return Response({"job": job.pk}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(parameters=[range_header], responses=file_responses("video/*", "application/octet-stream"))
    @action(detail=True, methods=["get"], content_negotiation_class=FileContentNegotiation)
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
        parameters=[RecommendationParams],
        responses={
            200: RecommendationSerializer(many=True),
            409: OpenApiResponse(description="the video is not analysed yet"),
        },
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=TrackFilter)
    def recommendations(self, request: Request, pk: str | None = None) -> Response:
        """Soundtracks for the video: by clip vector (global) or by aligning shots with music segments."""
        p = validated_query(RecommendationParams, request.query_params)
        tracks = TrackFilter.apply(request, Track.objects.visible_to(request.user).ready())
        video = self._ready()
        recs = services.recommend(video, tracks, mode=p["mode"], k=p["k"], structure=p.get("structure"),
                                  method=p.get("method"), prompt=p.get("prompt"), text_weight=p["text_weight"],
                                  user=request.user, fit=p["fit"])  # fmt: skip
        data = [{
            "track": r.track, "score": r.score, "offset_seconds": r.offset,
            "content": None if r.alignment is None else r.alignment.content,
            "sync": None if r.alignment is None else r.alignment.sync,
            "energy": None if r.alignment is None else r.alignment.energy,
            **({} if r.alignment is None else {"onset": r.alignment.onset, "metre": r.alignment.metre,
                                               "accent": r.alignment.accent, "light": r.alignment.light}),
            "path": [] if r.alignment is None else [list(p) for p in r.alignment.path],
            "light_trace": r.light_trace,
            "brief": r.brief,
            **({} if r.fit is None else {"fit": r.fit, "unfitted_score": r.unfitted_score}),
        } for r in recs]  # fmt: skip
        return Response(RecommendationSerializer(data, many=True, context={"request": request}).data)

    @extend_schema(methods=["GET"], responses=PreviewSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        request=PreviewRequestSerializer,
        responses={
            202: PreviewSerializer,
            400: OpenApiResponse(description="invalid fields, no such track, or an offset past its end"),
            409: OpenApiResponse(description="the video or the track is not analysed yet"),
        },
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def previews(self, request: Request, pk: str | None = None) -> Response:
        """GET: this video's previews. POST {track, offset} or {track, fit: "length", anchors}: render the video
        with that track (a job); fitted, the track is re-arranged along its bars to the video's length."""
        video = self.get_object()
        if request.method == "GET":
            return Response(PreviewSerializer(video.previews.select_related("track"), many=True).data)
        video = self._ready()
        body = PreviewRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        track = _ready_track(request.user, body.validated_data["track"])
        fit = body.validated_data["fit"]
        offset = round(body.validated_data["offset"], 2) if fit == "none" else 0.0
        if offset >= (track.duration or 0):
            raise ValidationError({"offset": [f"beyond the track's end ({track.duration:.1f} s)"]})
        anchors = _anchors(body.validated_data["anchors"], fit, track, video)
        key = {"video": video, "track": track, "offset": offset, "fit": fit, "anchors": anchors}
        try:
            preview, created = Preview.objects.get_or_create(**key)
        except IntegrityError:  # a concurrent identical request won
            preview, created = Preview.objects.get(**key), False
        if created or preview.state == PreviewState.FAILED:
            Preview.objects.filter(pk=preview.pk).update(state=PreviewState.QUEUED, error="")
            create_job(request.user, render_preview, target=preview)
            preview.refresh_from_db()
        return Response(PreviewSerializer(preview).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        parameters=[FitPlanParams],
        responses={
            200: FitPlanSerializer,
            400: OpenApiResponse(description="invalid parameters, no such track, or an anchor no edit can meet"),
            409: OpenApiResponse(description="the video or the track is not analysed yet"),
        },
    )
    @action(detail=True, methods=["get"], url_path="fit-plan", pagination_class=None)
    def fit_plan(self, request: Request, pk: str | None = None) -> Response:
        """The track fitted to this video's length, planned but not rendered (about a second): its pieces, joins
        and anchor, for the timeline and for playing it in sync before a render. The anchor puts `music` at `at`;
        either left out is the default's: the track's strongest change, the video's strongest cut."""
        p = validated_query(FitPlanParams, request.query_params)
        video = self._ready()
        track = _ready_track(request.user, p["track"])
        at = p["at"] if "at" in p else default_peak(video)
        anchors = _anchors([[p["music"], at]] if "music" in p else [], "length", track, video)
        if "at" in p and at > (video.duration or 0.0):
            raise ValidationError({"at": [f"past the video's end ({video.duration or 0:.1f} s)"]})
        peak = None if anchors else at
        try:
            plan = plan_for(track, video.duration or 0.0, anchors=anchors, peak=peak)
        except ArrangeError as exc:
            raise ValidationError({"anchors" if anchors else "track": [str(exc)]})
        except MediaError as exc:
            raise ValidationError({"track": [str(exc)]})
        return Response(FitPlanSerializer(plan.to_dict()).data)

    @extend_schema(parameters=[range_header], responses=file_responses("video/mp4"))
    @action(
        detail=True, methods=["get"], url_path=r"previews/(?P<preview_id>[0-9]+)/file", url_name="preview-file",
        content_negotiation_class=FileContentNegotiation,
    )  # fmt: skip
    def preview_file(self, request: Request, pk: str | None = None, preview_id: str | None = None) -> HttpResponse:
        """A rendered preview (MP4), with HTTP Range support."""
        video = self.get_object()
        preview = video.previews.filter(pk=preview_id, state=PreviewState.READY).first()
        if preview is None:
            raise NotFound("no such preview, or it is not rendered yet")
        name = f"{video.title} + {preview.track.title}.mp4"
        return ranged_file_response(request, preview.file.path, filename=name)

    @extend_schema(
        parameters=[MarkerParams],
        responses={
            (200, "text/csv"): OpenApiResponse(str, description="`as=csv`"),
            (200, "text/plain"): OpenApiResponse(str, description="`as=edl`"),
            400: OpenApiResponse(description="invalid parameters, no such track, or an offset past its end"),
            404: OpenApiResponse(description="no such video, or no fitted preview of it with this track"),
            409: OpenApiResponse(description="the video or the track is not analysed yet"),
        },
    )
    @action(detail=True, methods=["get"], pagination_class=None, content_negotiation_class=FileContentNegotiation)
    def markers(self, request: Request, pk: str | None = None) -> HttpResponse:
        """The track's downbeats and section changes on the video's timeline, as CSV or a CMX3600 EDL."""
        p = validated_query(MarkerParams, request.query_params)
        video = self._ready()
        track = _ready_track(request.user, p["track"])
        offset = p["offset"]
        if offset > (track.duration or 0.0):
            raise ValidationError({"offset": [f"beyond the track's end ({track.duration or 0.0:.1f} s)"]})
        fmt = p["as"]
        fps = p.get("fps") or round(video.fps or 25)
        sections = list(track.sections.values_list("start", "label"))
        fitted = None
        if p.get("preview") is not None:
            fitted = video.previews.filter(pk=p["preview"], track=track, plan__isnull=False).first()
            if fitted is None:
                raise NotFound("no fitted preview of this video with this track")
        if fitted is not None:
            marks = plan_markers(
                fitted.plan, downbeats=track.downbeats, sections=[s for s, _ in sections],
                section_labels=[lab for _, lab in sections],
            )  # fmt: skip
        else:
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


def _anchors(anchors: list, fit: str, track: Track, video: Video) -> list[list[float]]:
    """Anchors of a fitted preview, checked against the track and the video (400 with the reason)."""
    if anchors and fit != "length":
        raise ValidationError({"anchors": ['only with "fit": "length"']})
    out = [[round(m, 3), round(v, 3)] for m, v in anchors]
    for m, v in out:
        if m > (track.duration or 0.0) or v > (video.duration or 0.0):
            raise ValidationError({"anchors": [
                f"[{m}, {v}] lies outside the track ({track.duration or 0:.1f} s) or the video "
                f"({video.duration or 0:.1f} s)"
            ]})  # fmt: skip
    return out


def _ready_track(user, pk: int) -> Track:
    """A track the user can see (400 if none) that is analysed (409 if not yet)."""
    track = Track.objects.visible_to(user).filter(pk=pk).first()
    if track is None:
        raise ValidationError({"track": ["no such track in your catalog"]})
    if track.state != TrackState.READY:
        raise _Conflict(f"track {track.pk} is not analysed yet ({track.state})")
    return track


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
