from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from recommender.context.tags import CONTEXT_TAGS
from recommender.media import MediaError
from webapp.catalog import services
from webapp.catalog.indexes import track_index
from webapp.catalog.models import TagLabel, Track
from webapp.catalog.serializers import (
    SimilarTrackSerializer,
    TagSerializer,
    TrackDetailSerializer,
    TrackSerializer,
    TrackUploadSerializer,
)
from webapp.catalog.tagging import maybe_retrain
from webapp.core.http import ranged_file_response
from webapp.core.models import Job


def parse_filters(params) -> dict:
    """tags (comma-separated), tempo_min, tempo_max, min_duration → validated values; 400 on bad input."""
    out: dict = {}
    tags = [t for t in params.get("tags", "").split(",") if t]
    unknown = sorted(set(tags) - set(CONTEXT_TAGS))
    if unknown:
        raise ValidationError({"tags": [f"unknown tags {unknown}; known: {', '.join(CONTEXT_TAGS)}"]})
    out["tags"] = tags
    for name in ("tempo_min", "tempo_max", "min_duration"):
        if params.get(name):
            try:
                out[name] = float(params[name])
            except ValueError:
                raise ValidationError({name: ["must be a number"]})
    try:
        out["k"] = int(params.get("k", 10))
    except ValueError:
        raise ValidationError({"k": ["must be an integer"]})
    if not 1 <= out["k"] <= 100:
        raise ValidationError({"k": ["must be between 1 and 100"]})
    return out


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


filter_params = [
    OpenApiParameter("k", int, description="how many (1–100, default 10)"),
    OpenApiParameter("tags", str, description="comma-separated context tags, all required (P ≥ 0.5)"),
    OpenApiParameter("tempo_min", float), OpenApiParameter("tempo_max", float),
    OpenApiParameter("min_duration", float, description="seconds"),
]  # fmt: skip


class TrackViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):  # fmt: skip
    """The shared catalog plus your own tracks. Upload with POST (multipart `file`)."""

    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        qs = Track.objects.visible_to(self.request.user).prefetch_related("tags", "sections")
        params = self.request.query_params
        if params.get("mine") in ("1", "true"):
            qs = qs.filter(owner=self.request.user)
        if params.get("q"):
            qs = qs.filter(Q(title__icontains=params["q"]) | Q(artist__icontains=params["q"]))
        if params.get("state"):
            qs = qs.filter(state=params["state"])
        if self.action == "list":
            qs = apply_filters(qs, parse_filters(params))
        return qs.distinct()

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

    @extend_schema(request={"multipart/form-data": TrackUploadSerializer}, responses={201: TrackSerializer})
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

    @extend_schema(parameters=filter_params, responses=SimilarTrackSerializer(many=True))
    @action(detail=True, methods=["get"])
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

    @extend_schema(request=TagSerializer, responses=TrackSerializer,
                   parameters=[OpenApiParameter("tag", str, description="DELETE: the tag to remove")])  # fmt: skip
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

    @action(detail=True, methods=["post"])
    def reanalyse(self, request: Request, pk: str | None = None) -> Response:
        """Queue the analysis again (e.g. after a failure)."""
        track = self._owned()
        job = services.analyse(track)
        return Response({"job": job.pk}, status=status.HTTP_202_ACCEPTED)

    @action(detail=True, methods=["get"])
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
