from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "groundup.web"
    label = "web"
    verbose_name = "GroundUp clinic web app"
    default_auto_field = "django.db.models.BigAutoField"
