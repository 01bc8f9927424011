from rest_framework.routers import SimpleRouter

from notifications import api

router = SimpleRouter()
router.register("", api.NotificationViewSet, basename="notification")

urlpatterns = router.urls
