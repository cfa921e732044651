from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from webapp.catalog import version_views
from webapp.catalog import views as catalog_views
from webapp.core import health
from webapp.core import views as core_views
from webapp.drums import views as drum_views
from webapp.listening import views as listening_views
from webapp.videos import views as video_views

router = DefaultRouter()
router.register("jobs", core_views.JobViewSet, basename="job")
router.register("tracks", catalog_views.TrackViewSet, basename="track")
router.register("drum-sessions", drum_views.DrumSessionViewSet, basename="drum-session")
router.register("drum-loops", drum_views.DrumLoopViewSet, basename="drum-loop")
router.register("drum-kits", drum_views.DrumKitViewSet, basename="drum-kit")
router.register("videos", video_views.VideoViewSet, basename="video")
router.register("listens", listening_views.ListenViewSet, basename="listen")

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("accounts/", include("webapp.accounts.urls")),
    path("drums/", include("webapp.drums.urls")),
    path("catalog/", include("webapp.catalog.urls")),
    path("videos/", include("webapp.videos.urls")),
    path("now/", include("webapp.listening.urls")),
    path("admin/", admin.site.urls),
    path("api/auth/token/", obtain_auth_token, name="api-token"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/playlists/now/", listening_views.PlaylistNowView.as_view(), name="playlist-now"),
    path("api/search/sections/", catalog_views.SectionSearchView.as_view(), name="search-sections"),
    path("api/tracks/<int:pk>/versions/", version_views.TrackVersionsView.as_view(), name="track-versions"),
    path(
        "api/tracks/<int:pk>/versions/<int:version_id>/file",
        version_views.TrackVersionFileView.as_view(),
        name="track-version-file",
    ),
    path("api/", include(router.urls)),
]

handler400 = "webapp.core.views.bad_request"
handler403 = "webapp.core.views.permission_denied"
handler404 = "webapp.core.views.page_not_found"
handler500 = "webapp.core.views.server_error"
