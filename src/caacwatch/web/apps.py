"""The workbench's Django application (label ``caacwatch_web``)."""

from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "caacwatch.web"
    label = "caacwatch_web"
    verbose_name = "caacwatch workbench"
    default_auto_field = "django.db.models.BigAutoField"
