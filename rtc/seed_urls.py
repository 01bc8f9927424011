"""Routes of the seeds' contracts (rtc/seed_api.py), mounted at the site root by config/urls.py.

`/rooms` (no slash) is gRTC's JSON list; `/rooms/` stays the web page.
"""

from django.urls import re_path

from rtc import seed_api

grtc_urlpatterns = [
    re_path(r"^rooms$", seed_api.GrtcRoomListView.as_view(), name="grtc-rooms"),
    re_path(r"^rooms/(?P<room_id>[^/]+)/peers/?$", seed_api.GrtcRoomPeersView.as_view(), name="grtc-room-peers"),
]
