"""Page views of the web UI.

They only render templates: every page loads its data from the REST API with the
session cookie (plus the `X-CSRFToken` header for writes) and listens on the
WebSockets, so the browser and API clients go through the same code paths.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.mixins import LoginRequiredMixin, UserPassesTestMixin
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.views.generic import FormView, TemplateView

from rtc.models import ROOM_ID_PATTERN, ROOM_ID_RULE
from web.forms import SignupForm

ROOM_ID_RE = re.compile(f"^{ROOM_ID_PATTERN}$")


class SignupView(FormView):
    template_name = "registration/signup.html"
    form_class = SignupForm
    success_url = reverse_lazy("home")

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated:
            return redirect("home")
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form: SignupForm) -> HttpResponse:
        user = form.register()
        if user is None:
            return self.form_invalid(form)
        # A new user lands in the app, not on the login page.
        login(self.request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
        return super().form_valid(form)


class Page(LoginRequiredMixin, TemplateView):
    """A login-required page; `page` names the ES module the template loads."""

    page: str = ""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["page"] = self.page
        return context


def page(template: str, module: str = "") -> Callable[..., HttpResponseBase]:
    """A login-required page rendering `web/<template>.html` that loads the ES module `module` (default: the same)."""
    return Page.as_view(template_name=f"web/{template}.html", page=module or template)


class RoomView(Page):
    """One room's page, for any well-formed id.

    Whether the room exists and this user may enter is not decided here: the page
    renders the same for an unknown room and for someone else's private room, and
    the socket answers both with close 4404, so the page reveals nothing either.
    """

    template_name = "web/room.html"
    page = "rooms"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Same rule as the signaling server, so a bad id is a 404 page, not a socket error.
        if not ROOM_ID_RE.match(kwargs["room_id"]):
            raise Http404(ROOM_ID_RULE)
        response = super().get(request, *args, **kwargs)
        if "invite" in request.GET:
            # The address carries an invite token until the page's script redeems it and
            # drops it from the address bar: keep it out of Referer headers and caches.
            response["Referrer-Policy"] = "no-referrer"
            response["Cache-Control"] = "private, no-store"
        return response


class StatsView(UserPassesTestMixin, Page):
    """Staff only: cluster figures, live over the personal socket (`stats_subscribe`)."""

    template_name = "web/stats.html"
    page = "stats"

    def test_func(self) -> bool:
        return self.request.user.is_staff
