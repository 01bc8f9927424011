"""Forms of the web UI (only sign-up; everything else talks to the REST API)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm

from accounts.models import User
from accounts.services import user_register
from realtime.errors import InvalidInput

# The service names password problems "password"; the form shows them under the confirmation.
SERVICE_FIELD_TO_FORM_FIELD = {"username": "username", "email": "email", "password": "password2"}


class SignupForm(UserCreationForm):
    """UserCreationForm bound to the project's user model, with an email address.

    The form checks what only a form has (the password typed twice); the account
    itself is created by `accounts.services.user_register`, the API's path, so
    reserved names and every other rule are the same for both.
    """

    email = forms.EmailField(required=True, help_text="We never show it to other users.")

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")

    def register(self) -> User | None:
        """Create the user from a valid form; on a refusal, attach it to the form and return None."""
        try:
            return user_register(
                username=self.cleaned_data["username"],
                password=self.cleaned_data["password1"],
                email=self.cleaned_data["email"],
            )
        except InvalidInput as exc:
            self.add_error(SERVICE_FIELD_TO_FORM_FIELD.get(exc.field or ""), exc.message)
            return None

    def save(self, commit: bool = True) -> User:
        # ModelForm.save() would create the user without the service's rules (reserved names, ...).
        raise TypeError("SignupForm has no save(): call register(), which goes through accounts.services.user_register")
