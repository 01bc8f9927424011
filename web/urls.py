from django.contrib.auth import views as auth_views
from django.urls import path

from accounts.forms import LockoutAuthenticationForm
from web import views

urlpatterns = [
    path("", views.page("feed"), name="home"),
    path("signup/", views.SignupView.as_view(), name="signup"),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=LockoutAuthenticationForm),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("u/<str:username>/", views.page("profile"), name="profile"),
    # one post with its thread open: where a notification about a post or a comment leads
    path("p/<int:post_id>/", views.page("post", "feed"), name="post"),
    path("chat/", views.page("chat"), name="chat"),
    path("chat/<int:conversation_id>/", views.page("chat"), name="chat-conversation"),
    path("live/", views.page("live_list", "live"), name="live"),
    path("live/go/", views.page("live_go", "live"), name="live-go"),
    path("live/<int:stream_id>/", views.page("live_watch", "live"), name="live-watch"),
    path("rooms/", views.page("rooms"), name="rooms"),
    path("rooms/<str:room_id>/", views.RoomView.as_view(), name="room"),
    path("items/", views.page("items"), name="items"),
    path("stats/", views.StatsView.as_view(), name="stats"),
]
