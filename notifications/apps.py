from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"

    def ready(self) -> None:
        # Connect the signal receivers (decoupled from the apps that send them).
        from notifications import receivers  # noqa: F401
        from notifications.delivery import NotificationDelivery
        from realtime.personal import register_hook

        # Notifications' policy (counter, backlog, batching, mark_read) on the core's personal socket.
        register_hook(NotificationDelivery)
