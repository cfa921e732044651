from django.urls import path

from webapp.drums import views

urlpatterns = [
    path("", views.studio_index, name="drums"),
    path("<int:pk>/", views.studio, name="drum-studio"),
]
