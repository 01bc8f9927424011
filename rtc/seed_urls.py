"""Routes of the seeds' contracts (rtc/seed_api.py), mounted at the site root by config/urls.py.

`/rooms` (no slash) is gRTC's JSON list; `/rooms/` stays the web page.
"""

from django.urls import re_path

from rtc import seed_api

grtc_urlpatterns = [
    re_path(r"^rooms$", seed_api.GrtcRoomListView.as_view(), name="grtc-rooms"),
    re_path(r"^rooms/(?P<room_id>[^/]+)/peers/?$", seed_api.GrtcRoomPeersView.as_view(), name="grtc-room-peers"),
]

webrtc_urlpatterns = [
    re_path(r"^config/?$", seed_api.Seed004ConfigView.as_view(), name="webrtc-config"),
    re_path(
        r"^rooms/(?P<room_id>[^/]+)/participants/?$",
        seed_api.Seed004RoomViewSet.as_view({"get": "participants"}),
        name="webrtc-participants",
    ),
    re_path(r"^health/?$", seed_api.Seed004HealthView.as_view(), name="webrtc-health"),
    re_path(r"^stats/?$", seed_api.Seed004StatsView.as_view(), name="webrtc-stats"),
    re_path(r"^webrtc-metrics/?$", seed_api.Seed004MetricsView.as_view(), name="webrtc-metrics"),
]
