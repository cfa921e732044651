from django.contrib import admin

from webapp.core.models import Job, WorkerHeartbeat


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "owner", "state", "progress", "attempts", "created_at", "finished_at")
    list_filter = ("state", "kind")
    search_fields = ("kind", "owner__username", "error")
    readonly_fields = ("created_at", "started_at", "finished_at", "heartbeat_at")


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ("hostname", "queues", "device", "pid", "last_seen")
