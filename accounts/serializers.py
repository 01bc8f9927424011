from __future__ import annotations

from django.contrib.auth.validators import UnicodeUsernameValidator
from rest_framework import serializers

from accounts.models import User


class RegisterInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, validators=[UnicodeUsernameValidator()])
    password = serializers.CharField(write_only=True, max_length=128, trim_whitespace=False, style={"input_type": "password"})
    email = serializers.EmailField(required=False, allow_blank=True, default="")


class UserSummarySerializer(serializers.ModelSerializer):
    """A user as shown inside other objects and in lists."""

    name = serializers.CharField(read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "name", "display_name", "bio"]
        read_only_fields = fields


class UserProfileSerializer(serializers.ModelSerializer):
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


class MeSerializer(UserProfileSerializer):
    """The requester's own profile: also shows the e-mail address."""

    # A CharField, not an EmailField: the address may be empty, which the OpenAPI "email" format does not allow.
    email = serializers.CharField(read_only=True)

    class Meta(UserProfileSerializer.Meta):
        fields = [*UserProfileSerializer.Meta.fields, "email"]
        read_only_fields = fields


class RegisteredUserSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    email = serializers.CharField(read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "name", "email", "date_joined"]
        read_only_fields = fields


class ProfileUpdateInputSerializer(serializers.Serializer):
    bio = serializers.CharField(max_length=280, allow_blank=True, required=False)
    display_name = serializers.CharField(max_length=64, allow_blank=True, required=False)
    email = serializers.EmailField(allow_blank=True, required=False)


class UserSearchInputSerializer(serializers.Serializer):
    search = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
