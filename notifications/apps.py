from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"

    def ready(self) -> None:
        # Connect the signal receivers (decoupled from the apps that send them).
        from notifications import receivers  # noqa: F401
