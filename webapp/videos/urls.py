from django.urls import path

from webapp.videos import views

urlpatterns = [
    path("", views.videos_page, name="videos"),
    path("<int:pk>/", views.video_page, name="video-page"),
]
