from __future__ import annotations

from typing import Any

from django.contrib.auth.validators import UnicodeUsernameValidator
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.utils import get_md5_hash_password

from accounts.models import User


class RegisterInput(serializers.Serializer):
    username = serializers.CharField(max_length=150, validators=[UnicodeUsernameValidator()])
    password = serializers.CharField(
        write_only=True, max_length=128, trim_whitespace=False, style={"input_type": "password"}
    )
    email = serializers.EmailField(required=False, allow_blank=True, default="")


class UserSummaryOutput(serializers.ModelSerializer):
    """A user as shown inside other objects and in lists."""

    name = serializers.CharField(read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "name", "display_name", "bio"]
        read_only_fields = fields


class UserProfileOutput(serializers.ModelSerializer):
    """A profile as seen by the requester (counters come from `selectors.user_profiles`)."""

    name = serializers.CharField(read_only=True)
    followers_count = serializers.IntegerField(read_only=True)
    following_count = serializers.IntegerField(read_only=True)
    posts_count = serializers.IntegerField(read_only=True)
    is_following = serializers.BooleanField(read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "name",
            "display_name",
            "bio",
            "date_joined",
            "followers_count",
            "following_count",
            "posts_count",
            "is_following",
        ]
        read_only_fields = fields


class MeOutput(UserProfileOutput):
    """The requester's own profile: also shows the e-mail address."""

    # A CharField, not an EmailField: the address may be empty, which the OpenAPI "email" format does not allow.
    email = serializers.CharField(read_only=True)

    class Meta(UserProfileOutput.Meta):
        fields = [*UserProfileOutput.Meta.fields, "email"]
        read_only_fields = fields


class RegisteredUserOutput(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    email = serializers.CharField(read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "name", "email", "date_joined"]
        read_only_fields = fields


class ProfileUpdateInput(serializers.Serializer):
    bio = serializers.CharField(max_length=280, allow_blank=True, required=False)
    display_name = serializers.CharField(max_length=64, allow_blank=True, required=False)
    email = serializers.EmailField(allow_blank=True, required=False)


class UserSearchInput(serializers.Serializer):
    search = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")


class TokenRefreshInput(TokenRefreshSerializer):
    """simplejwt's refresh (rotating, blacklisting the used token), answering 401 for a deleted or
    inactive user and for a token issued before the password changed (simplejwt gives a 500 and 200)."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        refresh = self.token_class(attrs["refresh"])
        user_id = refresh.payload.get(api_settings.USER_ID_CLAIM)
        user = User.objects.filter(pk=user_id).first() if user_id is not None else None
        if user is None or not user.is_active:
            raise AuthenticationFailed("No active account found for the given token.", "no_active_account")
        if api_settings.CHECK_REVOKE_TOKEN and refresh.payload.get(
            api_settings.REVOKE_TOKEN_CLAIM
        ) != get_md5_hash_password(user.password):
            raise AuthenticationFailed("The user's password has been changed.", "password_changed")
        return super().validate(attrs)


class LogoutInput(serializers.Serializer):
    refresh = serializers.CharField(max_length=4096)
