from django.contrib.auth import views as auth_views
from django.urls import path

from accounts.forms import LockoutAuthenticationForm
from web import views

urlpatterns = [
    path("", views.FeedView.as_view(), name="home"),
    path("signup/", views.SignupView.as_view(), name="signup"),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=LockoutAuthenticationForm),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("u/<str:username>/", views.ProfileView.as_view(), name="profile"),
    path("p/<int:post_id>/", views.PostView.as_view(), name="post"),
    path("chat/", views.ChatView.as_view(), name="chat"),
    path("chat/<int:conversation_id>/", views.ChatView.as_view(), name="chat-conversation"),
    path("live/", views.LiveListView.as_view(), name="live"),
    path("live/go/", views.LiveGoView.as_view(), name="live-go"),
    path("live/<int:stream_id>/", views.LiveWatchView.as_view(), name="live-watch"),
    path("rooms/", views.RoomsView.as_view(), name="rooms"),
    path("rooms/<str:room_id>/", views.RoomView.as_view(), name="room"),
    path("items/", views.ItemsView.as_view(), name="items"),
    path("stats/", views.StatsView.as_view(), name="stats"),
]
