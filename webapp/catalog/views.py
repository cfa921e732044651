from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiRequest, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from recommender.context.tags import CONTEXT_TAGS
from recommender.media import MediaError
from webapp.catalog import services
from webapp.catalog.indexes import track_index
from webapp.catalog.models import TagLabel, Track
from webapp.catalog.serializers import (
    SearchParams,
    SimilarTrackSerializer,
    TagSerializer,
    TrackDetailSerializer,
    TrackListParams,
    TrackSerializer,
    TrackUploadSerializer,
)
from webapp.catalog.tagging import maybe_retrain
from webapp.core.http import ranged_file_response
from webapp.core.models import Job
from webapp.core.serializers import JobRefSerializer, validated_query
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


def parse_filters(params) -> dict:
    """tags (comma-separated), tempo_min, tempo_max, min_duration, k (1–100) → validated values; 400 on bad input."""
    return {"tags": [], **validated_query(SearchParams, params)}


def apply_filters(qs, f: dict, *, tag_threshold: float = 0.5):
    for tag in f.get("tags", []):
        qs = qs.filter(tags__tag=tag, tags__probability__gte=tag_threshold)
    if "tempo_min" in f:
        qs = qs.filter(tempo__gte=f["tempo_min"])
    if "tempo_max" in f:
        qs = qs.filter(tempo__lte=f["tempo_max"])
    if "min_duration" in f:
        qs = qs.filter(duration__gte=f["min_duration"])
    return qs


# `tags` as the query string carries it: one comma-separated value (the serializer field is a plain string).
tags_param = OpenApiParameter(
    "tags", str, many=True, enum=CONTEXT_TAGS, explode=False, style="form",
    description="comma-separated context tags, all required (P ≥ 0.5)",
)  # fmt: skip
filter_params = [SearchParams, tags_param]


@extend_schema_view(list=extend_schema(parameters=[TrackListParams, tags_param]))
class TrackViewSet(
    UploadParsersMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin,
    mixins.DestroyModelMixin, viewsets.GenericViewSet,
):  # fmt: skip
    """The shared catalog plus your own tracks. Upload with POST (multipart `file`)."""

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Track.objects.none()
        qs = Track.objects.visible_to(self.request.user).prefetch_related("tags", "sections")
        if self.action != "list":
            return qs
        f = validated_query(TrackListParams, self.request.query_params)
        if f["mine"]:
            qs = qs.filter(owner=self.request.user)
        if f.get("q"):
            qs = qs.filter(Q(title__icontains=f["q"]) | Q(artist__icontains=f["q"]))
        if f.get("state"):
            qs = qs.filter(state=f["state"])
        return apply_filters(qs, f).distinct()

    def get_serializer_class(self):
        return TrackDetailSerializer if self.action == "retrieve" else TrackSerializer

    def get_serializer_context(self):
        context = super().get_serializer_context()
        labels: dict[int, dict[str, bool]] = {}
        for track_id, tag, positive in TagLabel.objects.filter(user=self.request.user).values_list(
            "track_id", "tag", "positive"
        ):
            labels.setdefault(track_id, {})[tag] = positive
        context["labels"] = labels
        jobs = Job.objects.filter(owner=self.request.user, target_type__model="track").values_list("target_id", "pk")
        context["jobs"] = dict(sorted(jobs, key=lambda row: row[1]))  # track id -> its latest job of this user
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
        if upload.size > settings.MAX_TRACK_BYTES:
            return Response({"file": [f"larger than the limit of {settings.MAX_TRACK_BYTES // 2**20} MB"]}, status=413)
        try:
            track = services.add_track(upload, upload.name, owner=request.user)
        except services.Duplicate as exc:
            return Response({"detail": str(exc), "track": exc.track.pk}, status=status.HTTP_409_CONFLICT)
        except MediaError as exc:
            return Response({"file": [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
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
        track_id = track.pk
        track.file.delete(save=False)
        track.delete()
        services.unindex_track(track_id, section_ids)

    @extend_schema(
        parameters=filter_params,
        responses={
            200: SimilarTrackSerializer(many=True),
            409: OpenApiResponse(description="the track is not analysed yet"),
        },
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def similar(self, request: Request, pk: str | None = None) -> Response:
        """Nearest tracks in the audio-similarity space (triplet-trained), among tracks you can see."""
        track = self.get_object()
        f = parse_filters(request.query_params)
        vec = track.vector
        if vec is None:
            return Response({"detail": f"track {track.pk} is not analysed yet ({track.state})"}, status=409)
        index = track_index()
        candidates = apply_filters(Track.objects.visible_to(request.user).ready().exclude(pk=track.pk), f)
        want = f["k"]
        fetch = min(len(index), max(50, want * 10))
        results: list[tuple[float, Track]] = []
        while True:
            hits = index.search(vec[None], fetch)[0]
            allowed = candidates.in_bulk([h.id for h in hits])
            results = [(h.score, allowed[h.id]) for h in hits if h.id in allowed][:want]
            if len(results) >= want or fetch >= len(index):
                break
            fetch = min(len(index), fetch * 4)  # filters removed too many: look further
        data = [{"score": round(s, 4), "track": t} for s, t in results]
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
        maybe_retrain(request.user)
        track.refresh_from_db()
        return Response(TrackSerializer(track, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses={202: JobRefSerializer})
    @action(detail=True, methods=["post"])
    def reanalyse(self, request: Request, pk: str | None = None) -> Response:
        """Queue the analysis again (e.g. after a failure)."""
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


@login_required
def catalog_page(request):
    return render(request, "catalog/index.html", {"tags": CONTEXT_TAGS})


@login_required
def track_page(request, pk: int):
    track = get_object_or_404(Track.objects.visible_to(request.user), pk=pk)
    return render(request, "catalog/track.html", {"track": track})
