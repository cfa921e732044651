from django.apps import AppConfig


class DrumsConfig(AppConfig):
    name = "webapp.drums"
    label = "drums"
    verbose_name = "Drum studio"
