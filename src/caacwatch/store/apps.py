"""The Django application that holds caacwatch's models and migrations."""

from django.apps import AppConfig


class StoreConfig(AppConfig):
    name = "caacwatch.store"
    label = "caacwatch"
    verbose_name = "caacwatch store"
    default_auto_field = "django.db.models.BigAutoField"
