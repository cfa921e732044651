from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.views import defaults
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from webapp.core.jobs import create_job, retry_job
from webapp.core.models import Job
from webapp.core.serializers import JobSerializer, SelfTestSerializer
from webapp.core.tasks import selftest


class UploadParsersMixin:
    """The upload (`create`: POST on the list) takes multipart; every other body is JSON (DEFAULT_PARSER_CLASSES)."""

    def get_parsers(self):
        # DRF builds the parsers before it sets `self.action`; the action map and the method say it already.
        action = getattr(self, "action", None)
        if action is None and getattr(self, "request", None) is not None:
            action = (getattr(self, "action_map", None) or {}).get(self.request.method.lower())
        if action == "create":
            return [MultiPartParser()]
        return super().get_parsers()


class FileContentNegotiation(DefaultContentNegotiation):
    """For actions that answer with a file of their own type (audio, video, CSV): a client may ask for that type
    (`Accept: audio/wav`), which no DRF renderer offers. Rather than a 406, errors then come as JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            return renderers[0], renderers[0].media_type


class JobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Long-running work: state, progress 0–100 and message, result or error. Only your own jobs."""

    serializer_class = JobSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Job.objects.none()
        return Job.objects.owned_by(self.request.user).select_related("target_type")

    def get_throttles(self):
        if self.action in ("selftest", "retry"):
            self.throttle_scope = "jobs"
        return super().get_throttles()

    @extend_schema(
        request=None,
        responses={202: JobSerializer, 409: OpenApiResponse(description="the job has not failed: nothing to retry")},
    )
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str | None = None) -> Response:
        """Queue a failed job again."""
        job = self.get_object()
        if not retry_job(job):
            return Response({"detail": f"only failed jobs can be retried; this one is {job.state}"}, status=409)
        job.refresh_from_db()
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=SelfTestSerializer, responses={202: JobSerializer})
    @action(detail=False, methods=["post"])
    def selftest(self, request: Request) -> Response:
        """Start a self-test job on a worker (checks the queue, the worker and torch end to end)."""
        params = SelfTestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        job = create_job(request.user, selftest, params=params.validated_data)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


@login_required
def home(request):
    jobs = Job.objects.owned_by(request.user)[:10]
    return render(request, "core/home.html", {"jobs": jobs})


# Django's own error pages, for requests that never reach a DRF view (no such URL, a failure in middleware):
# under /api/ they are JSON like every other API error, elsewhere the usual HTML pages.
def _api(request) -> bool:
    return request.path.startswith("/api/")


def bad_request(request, exception=None):
    if _api(request):
        return JsonResponse({"detail": "Bad request."}, status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception=None):
    if _api(request):
        return JsonResponse({"detail": "Permission denied."}, status=403)
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception=None):
    if _api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _api(request):
        return JsonResponse({"detail": "Server error."}, status=500)
    return defaults.server_error(request)
