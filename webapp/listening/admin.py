from django.contrib import admin

from webapp.listening.models import ContextModelVersion, Listen


@admin.register(Listen)
class ListenAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "track", "action", "context", "device", "local_time"]
    list_filter = ["action", "context", "device"]


@admin.register(ContextModelVersion)
class ContextModelVersionAdmin(admin.ModelAdmin):
    list_display = ["version", "trained_at", "listens", "users"]
