"""Login forms that say when a login is locked out (accounts.lockout), instead of "wrong password"."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm

from accounts.lockout import lockout_for


class LockoutFormMixin:
    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")  # type: ignore[attr-defined]
        lockout = lockout_for(self.request, username)  # type: ignore[attr-defined]
        if lockout is not None:
            raise forms.ValidationError(lockout.message, code="locked_out")
        return super().clean()  # type: ignore[misc]


class LockoutAuthenticationForm(LockoutFormMixin, AuthenticationForm):
    pass


class LockoutAdminAuthenticationForm(LockoutFormMixin, AdminAuthenticationForm):
    pass
