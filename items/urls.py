from rest_framework.routers import DefaultRouter

from items.api import ItemViewSet

router = DefaultRouter()
# Every URL with or without its trailing slash: the gRTC seed writes `/api/items/bulk`, `/api/items/<id>`,
# and without a route Django's APPEND_SLASH cannot redirect a POST/PUT/DELETE (a 500 under DEBUG).
router.trailing_slash = "/?"
router.include_root_view = False
router.register("items", ItemViewSet, basename="item")

urlpatterns = router.urls
