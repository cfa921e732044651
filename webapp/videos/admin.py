from django.contrib import admin

from webapp.videos.models import Preview, Video


@admin.register(Video)
class VideoAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "owner", "state", "duration", "created_at"]
    list_filter = ["state"]
    search_fields = ["title", "owner__username"]
    readonly_fields = ["shots", "tags", "error"]


@admin.register(Preview)
class PreviewAdmin(admin.ModelAdmin):
    list_display = ["id", "video", "track", "offset", "state", "created_at"]
    list_filter = ["state"]
