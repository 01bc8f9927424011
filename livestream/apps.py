from django.apps import AppConfig


class LivestreamConfig(AppConfig):
    name = "livestream"

    def ready(self) -> None:
        # Registers the presence-expiry handlers (viewers and streamers of a crashed process).
        from livestream import presence  # noqa: F401
