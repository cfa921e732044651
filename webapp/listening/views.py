from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from recommender.context.situation import DEVICES
from recommender.context.tags import CONTEXT_TAGS
from webapp.core.serializers import validated_query
from webapp.listening import services
from webapp.listening.models import Listen
from webapp.listening.serializers import ListenSerializer, PlaylistParams, PlaylistSerializer


def _now_local():
    return timezone.localtime().replace(tzinfo=None)


class ListenViewSet(mixins.CreateModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Your plays, likes and skips. POST one: `track`, `action`, optional `context`, `device`, `time`."""

    serializer_class = ListenSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Listen.objects.none()
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

    @extend_schema(parameters=[PlaylistParams], responses=PlaylistSerializer)
    def get(self, request: Request) -> Response:
        p = validated_query(PlaylistParams, request.query_params)
        device = p.get("device") or services.device_from_user_agent(request.headers.get("User-Agent", ""))
        when, k = p.get("time") or _now_local(), p["k"]
        data = services.playlist_now(request.user, device, when, k=k)
        return Response(PlaylistSerializer(data, context={"request": request}).data, status=status.HTTP_200_OK)


@login_required
def now_page(request):
    return render(request, "listening/now.html", {"devices": DEVICES, "tags": CONTEXT_TAGS})
