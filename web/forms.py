"""Forms of the web UI (only sign-up; everything else talks to the REST API)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm


class SignupForm(UserCreationForm):
    """UserCreationForm bound to the project's user model, with an email address."""

    email = forms.EmailField(required=True, help_text="We never show it to other users.")

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")
