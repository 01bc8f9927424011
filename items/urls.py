from rest_framework.routers import DefaultRouter

from items.api import ItemViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("items", ItemViewSet, basename="item")

urlpatterns = router.urls
