import secrets

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from recommender.drums.patterns import from_dict
from recommender.drums.render import to_midi_bytes, to_wav_bytes
from webapp.core.serializers import validated_query
from webapp.core.views import FileContentNegotiation
from webapp.drums import services
from webapp.drums.models import DrumKit, DrumLoop, DrumSession
from webapp.drums.serializers import (
    DrumKitSerializer,
    DrumLoopSerializer,
    DrumSessionSerializer,
    FavouriteSerializer,
    LikeRatePointSerializer,
    LoopRenderParams,
    RatingResultSerializer,
    RatingSerializer,
)


class DrumSessionViewSet(
    mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin,
    mixins.DestroyModelMixin, viewsets.GenericViewSet,
):  # fmt: skip
    """A listener's drum-studio sessions: the learner proposes loops, the listener rates them."""

    serializer_class = DrumSessionSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return DrumSession.objects.none()
        return DrumSession.objects.filter(owner=self.request.user)

    def perform_create(self, serializer) -> None:
        serializer.save(owner=self.request.user, seed=secrets.randbelow(2**31))

    @extend_schema(responses=DrumLoopSerializer)
    @action(detail=True, methods=["get"])
    def next(self, request: Request, pk: str | None = None) -> Response:
        """The loop to play now: the pending proposal, or a new one chosen from your ratings."""
        return Response(DrumLoopSerializer(services.next_loop(self.get_object())).data)

    @extend_schema(
        request=RatingSerializer,
        responses={
            201: RatingResultSerializer,
            400: OpenApiResponse(description="invalid fields, or `loop` is not this session's pending proposal"),
        },
    )
    @action(detail=True, methods=["post"])
    def ratings(self, request: Request, pk: str | None = None) -> Response:
        """Rate a loop of this session (like, dislike or skip); the answer carries the next loop."""
        session = self.get_object()
        body = RatingSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            rated, nxt = services.rate(session, body.validated_data["loop"], body.validated_data["rating"])
        except services.NotProposed as exc:
            raise ValidationError({"loop": [str(exc)]})
        data = {"rated": DrumLoopSerializer(rated).data, "next": DrumLoopSerializer(nxt).data}
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=DrumLoopSerializer(many=True))
    @action(detail=True, methods=["get"])
    def loops(self, request: Request, pk: str | None = None) -> Response:
        """Every loop proposed in this session, newest first."""
        loops = self.get_object().loops.order_by("-index")
        page = self.paginate_queryset(loops)
        return self.get_paginated_response(DrumLoopSerializer(page, many=True).data)

    @extend_schema(responses=DrumLoopSerializer(many=True))
    @action(detail=True, methods=["get"])
    def favourites(self, request: Request, pk: str | None = None) -> Response:
        """The loops you marked as favourites in this session, newest first (paginated like `loops`)."""
        loops = self.get_object().loops.filter(favourite=True).order_by("-index")
        page = self.paginate_queryset(loops)
        return self.get_paginated_response(DrumLoopSerializer(page, many=True).data)

    @extend_schema(responses=LikeRatePointSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="like-rate", pagination_class=None)
    def like_rate(self, request: Request, pk: str | None = None) -> Response:
        """Rolling like-rate (last 10 like/dislike ratings) after each rating, beside the learner's predictions.

        The predicted P(like) of the loop to play next is the `p_like` of `next/`."""
        return Response(services.like_rate_curve(self.get_object()))


class DrumLoopViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Single loops: details, favourite flag, audio (WAV) and MIDI downloads."""

    serializer_class = DrumLoopSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return DrumLoop.objects.none()
        return DrumLoop.objects.filter(session__owner=self.request.user).select_related("session__kit")

    @extend_schema(request=FavouriteSerializer, responses=DrumLoopSerializer)
    @action(detail=True, methods=["post"])
    def favourite(self, request: Request, pk: str | None = None) -> Response:
        loop = self.get_object()
        body = FavouriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        loop.favourite = body.validated_data["favourite"]
        loop.save(update_fields=["favourite"])
        return Response(DrumLoopSerializer(loop).data)

    def _tempo_swing(self, request: Request) -> tuple[float | None, float | None]:
        params = validated_query(LoopRenderParams, request.query_params)
        return params.get("tempo"), params.get("swing")

    @extend_schema(parameters=[LoopRenderParams], responses={(200, "audio/wav"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], content_negotiation_class=FileContentNegotiation)
    def audio(self, request: Request, pk: str | None = None) -> HttpResponse:
        loop = self.get_object()
        tempo, swing = self._tempo_swing(request)
        audio = services.loop_audio(loop, tempo=tempo, swing=swing)
        response = HttpResponse(to_wav_bytes(audio, services.AUDIO_SR), content_type="audio/wav")
        response["Content-Disposition"] = f'inline; filename="segue-loop-{loop.session_id}-{loop.index}.wav"'
        response["Cache-Control"] = "private, max-age=3600"
        return response

    @extend_schema(parameters=[LoopRenderParams], responses={(200, "audio/midi"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], content_negotiation_class=FileContentNegotiation)
    def midi(self, request: Request, pk: str | None = None) -> HttpResponse:
        loop = self.get_object()
        tempo, swing = self._tempo_swing(request)
        data = to_midi_bytes(
            from_dict(loop.pattern),
            tempo=tempo or loop.session.tempo,
            swing=loop.session.swing if swing is None else swing,
        )
        response = HttpResponse(data, content_type="audio/midi")
        response["Content-Disposition"] = f'attachment; filename="segue-loop-{loop.session_id}-{loop.index}.mid"'
        return response


class DrumKitViewSet(viewsets.ReadOnlyModelViewSet):
    """Kits you can use: the shared ones and your own (import with `manage.py import_drum_kit DIR`)."""

    serializer_class = DrumKitSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return DrumKit.objects.none()
        return DrumKit.objects.visible_to(self.request.user)


@login_required
def studio_index(request):
    sessions = DrumSession.objects.filter(owner=request.user)
    kits = DrumKit.objects.visible_to(request.user)
    return render(request, "drums/index.html", {"sessions": sessions, "kits": kits})


@login_required
def studio(request, pk: int):
    session = get_object_or_404(DrumSession, pk=pk, owner=request.user)
    return render(request, "drums/studio.html", {"session": session})
