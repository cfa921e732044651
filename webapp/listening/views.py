from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from recommender.context.situation import DEVICES
from recommender.context.tags import CONTEXT_TAGS
from webapp.listening import services
from webapp.listening.models import Listen
from webapp.listening.serializers import ListenSerializer, PlaylistSerializer, parse_local_time


def _now_local():
    return timezone.localtime().replace(tzinfo=None)


class ListenViewSet(mixins.CreateModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Your plays, likes and skips. POST one: `track`, `action`, optional `context`, `device`, `time`."""

    serializer_class = ListenSerializer

    def get_queryset(self):
        return Listen.objects.filter(user=self.request.user)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": _now_local()}

    def perform_create(self, serializer) -> None:
        device = serializer.validated_data.get("device") or services.device_from_user_agent(
            self.request.headers.get("User-Agent", "")
        )
        serializer.save(user=self.request.user, device=device)
        services.maybe_retrain(self.request.user)


class PlaylistNowView(APIView):
    """What to play now: the inferred listening contexts and a playlist for them."""

    @extend_schema(
        parameters=[
            OpenApiParameter("device", str, enum=list(DEVICES), description="default: from the User-Agent"),
            OpenApiParameter("time", str, description="your local time, ISO 8601 (default: now)"),
            OpenApiParameter("k", int, description="playlist length, 1–100 (default 20)"),
        ],
        responses=PlaylistSerializer,
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        try:
            device = services.parse_device(params.get("device"), request.headers.get("User-Agent", ""))
        except ValueError as exc:
            raise ValidationError({"device": [str(exc)]})
        try:
            when = parse_local_time(params["time"]) if params.get("time") else _now_local()
        except serializers.ValidationError as exc:
            raise ValidationError({"time": exc.detail})
        try:
            k = int(params.get("k", 20))
        except ValueError:
            raise ValidationError({"k": ["must be an integer"]})
        if not 1 <= k <= 100:
            raise ValidationError({"k": ["must be between 1 and 100"]})
        data = services.playlist_now(request.user, device, when, k=k)
        return Response(PlaylistSerializer(data, context={"request": request}).data, status=status.HTTP_200_OK)


@login_required
def now_page(request):
    return render(request, "listening/now.html", {"devices": DEVICES, "tags": CONTEXT_TAGS})
