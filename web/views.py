"""Page views of the web UI.

They only render templates: every page loads its data from the REST API with the
session cookie (plus the `X-CSRFToken` header for writes) and listens on the
WebSockets, so the browser and API clients go through the same code paths.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth import login
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.views.generic import FormView, TemplateView

from web.forms import SignupForm

ROOM_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class SignupView(FormView):
    template_name = "registration/signup.html"
    form_class = SignupForm
    success_url = reverse_lazy("home")

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            return redirect("home")
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form: SignupForm) -> HttpResponse:
        user = form.register()
        if user is None:
            return self.form_invalid(form)
        # A new user lands in the app, not on the login page.
        login(self.request, user, backend="django.contrib.auth.backends.ModelBackend")
        return super().form_valid(form)


class Page(LoginRequiredMixin, TemplateView):
    """A login-required page; `page` names the ES module the template loads."""

    page: str = ""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["page"] = self.page
        return context


class FeedView(Page):
    template_name = "web/feed.html"
    page = "feed"


class ProfileView(Page):
    template_name = "web/profile.html"
    page = "profile"


class ChatView(Page):
    template_name = "web/chat.html"
    page = "chat"


class LiveListView(Page):
    template_name = "web/live_list.html"
    page = "live"


class LiveGoView(Page):
    template_name = "web/live_go.html"
    page = "live"


class LiveWatchView(Page):
    template_name = "web/live_watch.html"
    page = "live"


class RoomsView(Page):
    template_name = "web/rooms.html"
    page = "rooms"


class RoomView(Page):
    template_name = "web/room.html"
    page = "rooms"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Same rule as the signaling server, so a bad id is a 404 page, not a socket error.
        if not ROOM_ID_RE.match(kwargs["room_id"]):
            raise Http404("Room ids use letters, digits, _ and -, at most 64.")
        return super().get(request, *args, **kwargs)


class ItemsView(Page):
    template_name = "web/items.html"
    page = "items"
