from django.apps import AppConfig


class DeskConfig(AppConfig):
    name = "salesdesk.desk"
    label = "desk"
    verbose_name = "工作台"
