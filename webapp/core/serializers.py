from rest_framework import serializers

from webapp.core.models import Job


class JobSerializer(serializers.ModelSerializer):
    target = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "state",
            "progress",
            "message",
            "params",
            "result",
            "error",
            "attempts",
            "target",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_target(self, job: Job) -> dict | None:
        if job.target_type_id is None:
            return None
        return {"type": job.target_type.model, "id": job.target_id}


class SelfTestSerializer(serializers.Serializer):
    steps = serializers.IntegerField(min_value=1, max_value=200, default=10)
    step_seconds = serializers.FloatField(min_value=0.0, max_value=5.0, default=0.1)
