from django.urls import path

from webapp.listening import views

urlpatterns = [path("", views.now_page, name="now")]
