from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from webapp.catalog.serializers import BriefFitSerializer, SearchParams, TrackSerializer
from webapp.core.models import Job, JobState
from webapp.core.serializers import RoundedFloatField, StrictInputMixin
from webapp.videos.models import Preview, Video, VideoState
from webapp.videos.services import MODES
from webapp.videos.tasks import analyze_video, embed_video

# Share of the whole analysis that each stage takes, for one progress figure across the two jobs.
STAGES = {analyze_video.kind: (0, 85), embed_video.kind: (85, 100)}


class VideoProgressSerializer(serializers.Serializer):
    percent = serializers.IntegerField(min_value=0, max_value=100)
    message = serializers.CharField()


class VideoSerializer(StrictInputMixin, serializers.ModelSerializer):
    progress = serializers.SerializerMethodField()
    video_url = serializers.SerializerMethodField()
    job = serializers.SerializerMethodField()

    class Meta:
        model = Video
        fields = [
            "id", "title", "state", "error", "progress", "job", "duration", "width", "height", "fps", "codec",
            "shots", "shot_colours", "activity", "activity_hop", "tags", "video_url", "original_name", "size_bytes",
            "created_at", "analysed_at",
        ]  # fmt: skip
        read_only_fields = [f for f in fields if f != "title"]

    def _job(self, video: Video) -> Job | None:
        """The video's latest job, looked up once per video (both fields below need it)."""
        cache = self.context.setdefault("_video_jobs", {})
        if video.pk not in cache:
            cache[video.pk] = Job.objects.latest_for(video)
        return cache[video.pk]

    def get_job(self, video: Video) -> int | None:
        job = self._job(video)
        return job.pk if job else None

    @extend_schema_field(VideoProgressSerializer)
    def get_progress(self, video: Video) -> dict:
        """Percent across both analysis jobs, with the running job's message."""
        if video.state == VideoState.READY:
            return {"percent": 100, "message": "ready"}
        job = self._job(video)
        if job is None:
            return {"percent": 0, "message": video.state}
        lo, hi = STAGES.get(job.kind, (0, 100))
        percent = hi if job.state == JobState.DONE else lo + (hi - lo) * job.progress / 100
        return {"percent": int(percent), "message": job.error if job.state == JobState.FAILED else job.message}

    def get_video_url(self, video: Video) -> str:
        return reverse("video-file", args=[video.pk])


class VideoUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="a video: mp4, mov, webm or mkv")


class PieceSerializer(serializers.Serializer):
    src_start = serializers.FloatField(help_text="seconds in the track")
    src_end = serializers.FloatField()
    out_start = serializers.FloatField(help_text="seconds in the video")


class JoinSerializer(serializers.Serializer):
    out_time = serializers.FloatField(help_text="seconds in the video")
    src_from = serializers.FloatField(help_text="the downbeat the music leaves, seconds in the track")
    src_to = serializers.FloatField(help_text="the downbeat it resumes on")
    cost = serializers.FloatField(help_text="audibility, in units of the track's median change at a downbeat")


class FitPlanSerializer(serializers.Serializer):
    target = serializers.FloatField(help_text="seconds: the video's length")
    pieces = PieceSerializer(many=True)
    joins = JoinSerializer(many=True)
    anchors = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField()), help_text="[music s, video s] as placed"
    )
    ending_trim = serializers.FloatField(help_text="seconds of the track's ending left out (0: ends on its ending)")
    cost = serializers.FloatField()


class LightTraceSerializer(serializers.Serializer):
    hop = serializers.FloatField(help_text="seconds between points, from the video's start")
    picture = serializers.ListField(
        child=serializers.FloatField(), help_text="the video's light (clipped as the term sees it), z-scored"
    )
    music = serializers.ListField(
        child=serializers.FloatField(),
        help_text="the track's high-passed level over the same moments from the offset, z-scored",
    )


class RecommendationSerializer(serializers.Serializer):
    track = TrackSerializer()
    score = RoundedFloatField(decimals=4)
    offset_seconds = RoundedFloatField(decimals=3, help_text="where in the track the video starts (to the frame)")
    content = RoundedFloatField(
        decimals=4, allow_null=True, help_text="mean cosine of shots and segments along the path"
    )
    sync = RoundedFloatField(
        decimals=4, allow_null=True, help_text="share of cuts on downbeats / section changes, above chance"
    )
    energy = RoundedFloatField(decimals=4, allow_null=True, help_text="correlation of picture activity and loudness")
    onset = RoundedFloatField(
        decimals=3, required=False, help_text="cuts on the music's onsets at 25 ms: z-score against other offsets"
    )
    metre = RoundedFloatField(
        decimals=3, required=False, help_text="cuts on beats, downbeats and section starts at 25 ms: z-score"
    )
    accent = RoundedFloatField(
        decimals=3, required=False, help_text="flashes and motion accents on the music's onsets: z-score"
    )
    light = RoundedFloatField(
        decimals=3, required=False, allow_null=True,
        help_text="correlation of the picture's light with the music's level, frame by frame (25 ms), -1..1; null "
        "when not measured (its weight is 0, or the video or this track was analysed before the light was kept)",
    )  # fmt: skip
    path = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField()),
        help_text="[video seconds, track seconds] at each shot start and at the end",
    )
    light_trace = LightTraceSerializer(
        required=False, allow_null=True,
        help_text="results with a path: the two curves the light term correlated, in 0.1-s steps over the video (at "
        "most 600 points: coarser for videos over a minute), to draw; null when it was not measured (no light curve "
        "or level kept, or its weight 0) or without a path",
    )  # fmt: skip
    brief = BriefFitSerializer(required=False, allow_null=True, help_text="with a prompt: how the track fits it")
    fit = FitPlanSerializer(
        required=False, allow_null=True,
        help_text="fit=length: the track edited to the video's length (pieces, joins, anchor), as scored; the "
        "offset is then where the edit starts in the track and the path is in track seconds",
    )  # fmt: skip
    unfitted_score = RoundedFloatField(
        decimals=4, required=False, allow_null=True, help_text="fit=length: the track's score as it is"
    )


class PreviewSerializer(serializers.ModelSerializer):
    file_url = serializers.SerializerMethodField()
    job = serializers.SerializerMethodField()
    track_title = serializers.CharField(source="track.title", read_only=True)

    class Meta:
        model = Preview
        fields = ["id", "track", "track_title", "offset", "fit", "anchors", "plan", "state", "error", "file_url", "job",
                  "created_at"]  # fmt: skip
        read_only_fields = fields

    def get_file_url(self, preview: Preview) -> str | None:
        if preview.state != "ready":
            return None
        return reverse("video-preview-file", args=[preview.video_id, preview.pk])

    def get_job(self, preview: Preview) -> int | None:
        job = Job.objects.latest_for(preview)
        return job.pk if job else None


class PreviewRequestSerializer(StrictInputMixin, serializers.Serializer):
    track = serializers.IntegerField()
    offset = serializers.FloatField(min_value=0.0, default=0.0, help_text="seconds into the track (fit=none)")
    fit = serializers.ChoiceField(
        choices=["none", "length"], default="none",
        help_text="length: re-arrange the track along its bars to last exactly as long as the video",
    )  # fmt: skip
    anchors = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(min_value=0.0), min_length=2, max_length=2),
        required=False, default=list, max_length=1,
        help_text="fit=length: at most one [music seconds, video seconds]; none = the track's strongest change on "
        "the video's strongest cut",
    )  # fmt: skip


# --- query parameters: one serializer validates them (400 on bad input) and documents them in the schema ---------


class RecommendationParams(SearchParams):
    mode = serializers.ChoiceField(
        choices=MODES, default="alignment", help_text="alignment (structure) or global (content)"
    )
    structure = serializers.FloatField(
        required=False, min_value=0, max_value=1, help_text="weight of structure (sync, energy) vs content"
    )
    method = serializers.ChoiceField(choices=["rigid", "dtw"], required=False, help_text="alignment method")
    prompt = serializers.CharField(
        required=False, max_length=500, help_text='a brief in words that steers the ranking ("upbeat, no vocals")'
    )
    text_weight = serializers.FloatField(
        required=False,
        default=0.5,
        min_value=0,
        max_value=1,
        help_text="with a prompt: 0 the video only, 1 the brief only",
    )
    fit = serializers.ChoiceField(
        choices=["none", "length"], default="none",
        help_text="length (alignment mode): the best candidates each edited to the video's length along their bars "
        "and ranked by how the edit aligns with the video; each result carries its plan",
    )  # fmt: skip

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        if attrs.get("fit") == "length" and attrs.get("mode") != "alignment":
            raise serializers.ValidationError({"fit": ["fit=length ranks by alignment: use mode=alignment"]})
        return attrs


class FitPlanParams(serializers.Serializer):
    track = serializers.IntegerField(help_text="a ready track you can see")
    music = serializers.FloatField(
        required=False, min_value=0.0,
        help_text="anchor: this moment of the track (seconds; default: its strongest section change)",
    )  # fmt: skip
    at = serializers.FloatField(
        required=False, min_value=0.0,
        help_text="anchor: sounds at this second of the video (default: the video's strongest cut)",
    )  # fmt: skip


class MarkerParams(serializers.Serializer):
    track = serializers.IntegerField(help_text="a ready track you can see")
    preview = serializers.IntegerField(
        required=False, help_text="a rendered fitted preview of this video and track: its joins and its bars"
    )
    offset = serializers.FloatField(
        required=False, default=0.0, min_value=0, help_text="seconds into the track where the video starts"
    )
    # `as` is a Python keyword: the field is named as_ and reads the `as` parameter.
    as_ = serializers.ChoiceField(choices=["csv", "edl"], default="csv", help_text="CSV or a CMX3600 EDL")
    fps = serializers.IntegerField(
        required=False, min_value=1, max_value=120, help_text="timecode frame rate (default: the video's, rounded)"
    )

    def get_fields(self):
        fields = super().get_fields()
        fields["as"] = fields.pop("as_")
        return fields
