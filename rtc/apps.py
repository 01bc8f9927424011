from django.apps import AppConfig


class RtcConfig(AppConfig):
    name = "rtc"
    verbose_name = "P2P rooms and ICE configuration"

    def ready(self) -> None:
        # Registers the presence-expiry handler for "room:*" scopes (crashed processes).
        from rtc import handlers  # noqa: F401
