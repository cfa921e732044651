from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from webapp.core.jobs import create_job, retry_job
from webapp.core.models import Job
from webapp.core.serializers import JobSerializer, SelfTestSerializer


class JobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Long-running work: state, progress 0–100 and message, result or error. Only your own jobs."""

    serializer_class = JobSerializer

    def get_queryset(self):
        return Job.objects.owned_by(self.request.user).select_related("target_type")

    def get_throttles(self):
        if self.action in ("selftest", "retry"):
            self.throttle_scope = "jobs"
        return super().get_throttles()

    @extend_schema(request=None, responses={202: JobSerializer, 409: None})
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
        job = create_job(request.user, "selftest", params=params.validated_data)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


@login_required
def home(request):
    jobs = Job.objects.owned_by(request.user)[:10]
    return render(request, "core/home.html", {"jobs": jobs})
