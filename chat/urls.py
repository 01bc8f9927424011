from django.urls import path

from chat import api

app_name = "chat"

urlpatterns = [
    path("conversations/", api.ConversationListView.as_view(), name="conversation-list"),
    path("conversations/<int:pk>/", api.ConversationDetailView.as_view(), name="conversation-detail"),
    path("conversations/<int:pk>/messages/", api.MessageListView.as_view(), name="message-list"),
    path("conversations/<int:pk>/read/", api.ReadView.as_view(), name="conversation-read"),
]
