from django.urls import path

from notifications import api

urlpatterns = [
    path("", api.NotificationListView.as_view(), name="notification-list"),
    path("unread-count/", api.UnreadCountView.as_view(), name="notification-unread-count"),
    path("read-all/", api.MarkAllReadView.as_view(), name="notification-read-all"),
    path("<int:notification_id>/read/", api.MarkReadView.as_view(), name="notification-read"),
]
