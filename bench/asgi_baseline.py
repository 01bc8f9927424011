"""ASGI app for the benchmark: the project's routes plus `/ws/baseline/<room>/`, on one server."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
if os.environ.get("BENCH_PROFILE"):  # bench/chat_fanout.py --profile DIR
    from bench import sampler

    sampler.start(os.environ["BENCH_PROFILE"])
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from bench.baseline import websocket_urlpatterns as baseline_ws  # noqa: E402
from config.routing import websocket_urlpatterns  # noqa: E402
from realtime.auth import websocket_stack  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # Same middleware stack as the real app (origin check, session, JWT-or-session auth).
        "websocket": websocket_stack(URLRouter([*baseline_ws, *websocket_urlpatterns])),
    }
)
