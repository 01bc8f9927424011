from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from realtime import views as realtime_views
from realtime.api import ApiRootView, StatsView
from rtc.seed_urls import grtc_urlpatterns, webrtc_urlpatterns

urlpatterns = [
    path("admin/", admin.site.urls),
    path("health/", realtime_views.health, name="health"),
    path("health", realtime_views.health, name="health-seed"),  # gRTC seed's form (no slash)
    path("ready/", realtime_views.ready, name="ready"),
    path("metrics", realtime_views.metrics, name="metrics"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api-auth/", include("rest_framework.urls")),
    path("api/", ApiRootView.as_view(), name="api-root"),
    path("api/stats/", StatsView.as_view(), name="stats"),
    path("api/", include("accounts.urls")),
    path("api/", include("social.urls")),
    path("api/", include("items.urls")),
    path("api/chat/", include("chat.urls")),
    path("api/notifications/", include("notifications.urls")),
    path("api/live/", include("livestream.urls")),
    path("api/rtc/", include("rtc.urls")),
    path("webrtc/", include(webrtc_urlpatterns)),  # seed 004's signaling server REST
    path("", include(grtc_urlpatterns)),  # gRTC seed aliases: /rooms, /rooms/<id>/peers
    path("", include("web.urls")),
]
