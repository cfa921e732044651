import secrets

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from recommender.drums.patterns import from_dict
from recommender.drums.render import to_midi_bytes, to_wav_bytes
from webapp.drums import services
from webapp.drums.models import DrumKit, DrumLoop, DrumSession
from webapp.drums.serializers import (
    DrumKitSerializer,
    DrumLoopSerializer,
    DrumSessionSerializer,
    FavouriteSerializer,
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
        return DrumSession.objects.filter(owner=self.request.user)

    def perform_create(self, serializer) -> None:
        serializer.save(owner=self.request.user, seed=secrets.randbelow(2**31))

    @extend_schema(responses=DrumLoopSerializer)
    @action(detail=True, methods=["get"])
    def next(self, request: Request, pk: str | None = None) -> Response:
        """The loop to play now: the pending proposal, or a new one chosen from your ratings."""
        return Response(DrumLoopSerializer(services.next_loop(self.get_object())).data)

    @extend_schema(request=RatingSerializer, responses={201: RatingResultSerializer})
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
        loops = self.get_object().loops.filter(favourite=True).order_by("-index")
        return Response(DrumLoopSerializer(loops, many=True).data)

    @action(detail=True, methods=["get"], url_path="like-rate")
    def like_rate(self, request: Request, pk: str | None = None) -> Response:
        """Rolling like-rate (last 10 like/dislike ratings) after each rating."""
        return Response(services.like_rate_curve(self.get_object()))


tempo_param = OpenApiParameter("tempo", float, description="BPM (60–200); default: the session's")
swing_param = OpenApiParameter("swing", float, description="0–0.75; default: the session's")


class DrumLoopViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Single loops: details, favourite flag, audio (WAV) and MIDI downloads."""

    serializer_class = DrumLoopSerializer

    def get_queryset(self):
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
        try:
            tempo = float(request.query_params["tempo"]) if "tempo" in request.query_params else None
            swing = float(request.query_params["swing"]) if "swing" in request.query_params else None
        except ValueError:
            raise ValidationError({"detail": "tempo and swing must be numbers"})
        if tempo is not None and not 60 <= tempo <= 200:
            raise ValidationError({"tempo": ["must be between 60 and 200 BPM"]})
        if swing is not None and not 0 <= swing <= 0.75:
            raise ValidationError({"swing": ["must be between 0 and 0.75"]})
        return tempo, swing

    @extend_schema(parameters=[tempo_param, swing_param], responses={(200, "audio/wav"): bytes})
    @action(detail=True, methods=["get"], url_path="audio", url_name="audio")
    def audio(self, request: Request, pk: str | None = None) -> HttpResponse:
        loop = self.get_object()
        tempo, swing = self._tempo_swing(request)
        audio = services.loop_audio(loop, tempo=tempo, swing=swing)
        response = HttpResponse(to_wav_bytes(audio, services.AUDIO_SR), content_type="audio/wav")
        response["Content-Disposition"] = f'inline; filename="segue-loop-{loop.session_id}-{loop.index}.wav"'
        response["Cache-Control"] = "private, max-age=3600"
        return response

    @extend_schema(parameters=[tempo_param, swing_param], responses={(200, "audio/midi"): bytes})
    @action(detail=True, methods=["get"], url_path="midi", url_name="midi")
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
