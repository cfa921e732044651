from django.contrib import admin

from webapp.catalog.models import Section, TagLabel, Track, TrackTag


class SectionInline(admin.TabularInline):
    model = Section
    extra = 0
    fields = ("index", "start", "end", "label")
    readonly_fields = fields


@admin.register(Track)
class TrackAdmin(admin.ModelAdmin):
    list_display = ("id", "title", "artist", "owner", "shared", "public", "state", "tempo", "key", "mode", "duration")
    list_filter = ("state", "shared", "public", "mode", "analysis_version")
    readonly_fields = ("analysis_version", "analysed_at")
    search_fields = ("title", "artist")
    inlines = [SectionInline]
    exclude = ("beats", "downbeats", "energy", "waveform")


admin.site.register(TrackTag)
admin.site.register(TagLabel)
