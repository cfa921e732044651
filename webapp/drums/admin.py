from django.contrib import admin

from webapp.drums.models import DrumKit, DrumLoop, DrumSession


@admin.register(DrumKit)
class DrumKitAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "owner", "created_at")


@admin.register(DrumSession)
class DrumSessionAdmin(admin.ModelAdmin):
    list_display = ("id", "owner", "name", "tempo", "swing", "kit", "updated_at")


@admin.register(DrumLoop)
class DrumLoopAdmin(admin.ModelAdmin):
    list_display = ("id", "session", "index", "rating", "favourite", "p_like", "source", "choose_ms")
    list_filter = ("rating", "favourite", "source")
