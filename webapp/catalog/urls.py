from django.urls import path

from webapp.catalog import views

urlpatterns = [
    path("", views.catalog_page, name="catalog"),
    path("<int:pk>/", views.track_page, name="track-page"),
]
