from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiRequest, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from recommender.context.tags import CONTEXT_TAGS
from recommender.media import MediaError
from webapp.catalog import briefs, indexes, search, services
from webapp.catalog.filters import TrackFilter, TrackListFilter
from webapp.catalog.indexes import track_index, visible_neighbours
from webapp.catalog.models import TagLabel, Track
from webapp.catalog.serializers import (
    SearchParams,
    SectionMatchSerializer,
    SectionSearchSerializer,
    SectionSpanSearchSerializer,
    SimilarTrackSerializer,
    TagSerializer,
    TrackDetailSerializer,
    TrackListItemSerializer,
    TrackSerializer,
    TrackUploadSerializer,
)
from webapp.core.http import ranged_file_response
from webapp.core.models import Job
from webapp.core.serializers import JobRefSerializer, validated_query
from webapp.core.uploads import rejection
from webapp.core.views import FileContentNegotiation, UploadParsersMixin

# Files served with HTTP Range support: the whole file (200) or the range asked for (206).
range_header = OpenApiParameter(
    "Range", str, OpenApiParameter.HEADER, description="e.g. `bytes=0-1023`: only that part (206)"
)  # fmt: skip


def file_responses(*media_types: str) -> dict:
    return {
        **{(code, m): OpenApiResponse(OpenApiTypes.BINARY) for code in (200, 206) for m in media_types},
        416: OpenApiResponse(description="the range is outside the file (`Content-Range: bytes */size`)"),
    }


class TrackViewSet(
    UploadParsersMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin,
    mixins.DestroyModelMixin, viewsets.GenericViewSet,
):  # fmt: skip
    """The shared catalog plus your own tracks. Upload with POST (multipart `file`)."""

    filterset_class = TrackListFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Track.objects.none()
        return Track.objects.visible_to(self.request.user).prefetch_related("tags", "sections")

    def get_serializer_class(self):
        if self.action == "list":
            return TrackListItemSerializer
        return TrackDetailSerializer if self.action == "retrieve" else TrackSerializer

    def list(self, request: Request, *args, **kwargs) -> Response:
        """Your tracks and the shared catalog; with `prompt`, the analysed ones ranked by how they fit the brief."""
        queryset = self.filter_queryset(self.get_queryset())
        prompt = request.query_params.get("prompt", "").strip()
        if not prompt:
            return super().list(request, *args, **kwargs)
        try:
            ranked = briefs.rank_tracks(queryset, request.user, prompt)
        except ValueError as exc:
            return Response({"prompt": [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
        page = self.paginate_queryset(ranked.ids)
        rows = queryset.in_bulk(page)
        context = {**self.get_serializer_context(), "brief": ranked}
        data = TrackListItemSerializer([rows[pk] for pk in page if pk in rows], many=True, context=context).data
        return self.get_paginated_response(data)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        labels: dict[int, dict[str, bool]] = {}
        for track_id, tag, positive in TagLabel.objects.filter(user=self.request.user).values_list(
            "track_id", "tag", "positive"
        ):
            labels.setdefault(track_id, {})[tag] = positive
        context["labels"] = labels
        jobs = Job.objects.owned_by(self.request.user).only("pk", "target_id").latest_by_target(Track)
        context["jobs"] = {track_id: job.pk for track_id, job in jobs.items()}  # the latest job of this user
        return context

    def get_throttles(self):
        if self.action == "create":
            self.throttle_scope = "uploads"
        return super().get_throttles()

    def _owned(self) -> Track:
        track = self.get_object()
        if track.owner_id != self.request.user.pk and not self.request.user.is_staff:
            raise PermissionDenied("only the track's owner can change it")
        return track

    @extend_schema(
        request={
            "multipart/form-data": OpenApiRequest(
                TrackUploadSerializer, encoding={"file": {"contentType": "audio/*, video/*, application/octet-stream"}}
            )
        },
        responses={
            201: TrackSerializer,
            400: OpenApiResponse(description="invalid fields, or a file that is not audio Segue can read"),
            409: OpenApiResponse(description="this file is already in the catalog: `track` is its id"),
            413: OpenApiResponse(description="the file is larger than MAX_TRACK_BYTES"),
        },
    )
    def create(self, request: Request) -> Response:
        body = TrackUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        upload = body.validated_data["file"]
        try:
            track = services.add_track(upload, upload.name, owner=request.user)
        except services.Duplicate as exc:
            return Response({"detail": str(exc), "track": exc.track.pk}, status=status.HTTP_409_CONFLICT)
        except MediaError as exc:
            return rejection(exc)
        if body.validated_data["public"]:
            Track.objects.filter(pk=track.pk).update(public=True)
            track.refresh_from_db()
        return Response(TrackSerializer(track, context=self.get_serializer_context()).data, status=201)

    def update(self, request: Request, *args, **kwargs) -> Response:
        self._owned()
        return super().update(request, *args, **kwargs)

    def perform_destroy(self, track: Track) -> None:
        track = self._owned()
        section_ids = list(track.sections.values_list("pk", flat=True))
        track_id, blocks = track.pk, track.passage_blocks
        track.file.delete(save=False)
        track.delete()
        indexes.unindex_track(track_id, section_ids, 0 if blocks is None else len(blocks))

    @extend_schema(
        parameters=[SearchParams],
        responses={
            200: SimilarTrackSerializer(many=True),
            409: OpenApiResponse(description="the track is not analysed yet"),
        },
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=TrackFilter)
    def similar(self, request: Request, pk: str | None = None) -> Response:
        """Nearest tracks in the audio-similarity space (triplet-trained), among tracks you can see."""
        track = self.get_object()
        k = validated_query(SearchParams, request.query_params)["k"]
        candidates = TrackFilter.apply(request, Track.objects.visible_to(request.user).ready().exclude(pk=track.pk))
        vec = track.vector
        if vec is None:
            return Response({"detail": f"track {track.pk} is not analysed yet ({track.state})"}, status=409)
        data = [{"score": s, "track": t} for t, s in visible_neighbours(track_index(), vec, candidates, k)]
        return Response(SimilarTrackSerializer(data, many=True, context=self.get_serializer_context()).data)

    @extend_schema(methods=["POST"], request=TagSerializer, responses=TrackSerializer)
    @extend_schema(
        methods=["DELETE"], request=None, responses={200: TrackSerializer},
        parameters=[OpenApiParameter("tag", str, enum=CONTEXT_TAGS, required=True, description="the tag to remove")],
    )  # fmt: skip
    @action(detail=True, methods=["post", "delete"])
    def tags(self, request: Request, pk: str | None = None) -> Response:
        """POST {"tag"}: you say the track fits this context; DELETE ?tag=: it does not. Trains the tagger."""
        track = self.get_object()
        tag = request.query_params.get("tag") if request.method == "DELETE" else None
        body = TagSerializer(data={"tag": tag} if tag else request.data)
        body.is_valid(raise_exception=True)
        TagLabel.objects.update_or_create(user=request.user, track=track, tag=body.validated_data["tag"],
                                          defaults={"positive": request.method == "POST"})  # fmt: skip
        services.maybe_retrain(request.user)
        track.refresh_from_db()
        return Response(TrackSerializer(track, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses={202: JobRefSerializer})
    @action(detail=True, methods=["post"])
    def reanalyse(self, request: Request, pk: str | None = None) -> Response:
        """Analyse the track again: a ready track in place (it stays listed and searchable with its old analysis
        until the new one is stored; if that fails, the job says why and the track keeps the old one), any other
        (e.g. failed) through the pipeline."""
        track = self._owned()
        job = services.analyse(track)
        return Response({"job": job.pk}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        parameters=[range_header], responses=file_responses("audio/*", "video/*", "application/octet-stream")
    )
    @action(detail=True, methods=["get"], content_negotiation_class=FileContentNegotiation)
    def audio(self, request: Request, pk: str | None = None) -> HttpResponse:
        """The uploaded file, with HTTP Range support so players can seek."""
        track = self.get_object()
        return ranged_file_response(request, track.file.path, filename=track.original_name or None)


class SectionSearchView(APIView):
    """Where in the catalog does this sound? POST a reference (an audio file, or a span of a catalog track): the
    most similar passages of the tracks you can see, best first, each with the section it starts in."""

    parser_classes = [MultiPartParser, JSONParser]
    throttle_scope = "uploads"

    @extend_schema(
        request={"multipart/form-data": SectionSearchSerializer, "application/json": SectionSpanSearchSerializer},
        responses={
            200: SectionMatchSerializer(many=True),
            400: OpenApiResponse(description="bad fields, or a reference file that is corrupt, silent or too short"),
            404: OpenApiResponse(description="no such track among those you can see"),
            409: OpenApiResponse(description="the track is not analysed yet, or its audio cannot be read"),
            413: OpenApiResponse(description="the file is larger than MAX_TRACK_BYTES"),
        },
    )
    def post(self, request: Request) -> Response:
        if request.content_type.startswith("multipart/"):
            body = SectionSearchSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            try:
                y = search.upload_audio(body.validated_data["file"])
            except MediaError as exc:
                return rejection(exc)
            exclude = None
        else:
            body = SectionSpanSearchSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            data = body.validated_data
            track = get_object_or_404(Track.objects.visible_to(request.user), pk=data["track"])
            try:
                y = search.track_audio(track, data["start"], data["seconds"])
            except MediaError as exc:
                return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
            exclude = track.pk
        matches = search.search_sections(y, request.user, k=body.validated_data["k"], exclude=exclude)
        out = [{"track": m.track, "start": m.start, "end": m.end, "score": m.score, "section": m.section}
               for m in matches]  # fmt: skip
        return Response(SectionMatchSerializer(out, many=True, context={"request": request}).data)


@login_required
def catalog_page(request):
    return render(request, "catalog/index.html", {"tags": CONTEXT_TAGS})


@login_required
def track_page(request, pk: int):
    track = get_object_or_404(Track.objects.visible_to(request.user), pk=pk)
    return render(request, "catalog/track.html", {"track": track})
