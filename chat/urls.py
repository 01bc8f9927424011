from rest_framework.routers import SimpleRouter

from chat import api

app_name = "chat"

router = SimpleRouter()
router.register("conversations", api.ConversationViewSet, basename="conversation")

urlpatterns = router.urls
