from django.contrib import admin

from social.models import Comment, Like, Mention, Post


class CommentInline(admin.TabularInline):
    model = Comment
    extra = 0
    fields = ("author", "parent", "text", "created_at")
    readonly_fields = ("created_at",)
    raw_id_fields = ("author", "parent")


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ("id", "author", "short_text", "created_at", "updated_at")
    search_fields = ("text", "author__username")
    list_filter = ("created_at",)
    list_select_related = ("author",)
    raw_id_fields = ("author",)
    date_hierarchy = "created_at"
    inlines = [CommentInline]

    @admin.display(description="text")
    def short_text(self, obj: Post) -> str:
        return obj.text[:80]


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ("id", "post", "author", "parent", "short_text", "created_at")
    search_fields = ("text", "author__username")
    list_filter = ("created_at",)
    list_select_related = ("author", "post", "parent")
    raw_id_fields = ("post", "author", "parent")

    @admin.display(description="text")
    def short_text(self, obj: Comment) -> str:
        return obj.text[:80]


@admin.register(Like)
class LikeAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "post", "created_at")
    search_fields = ("user__username",)
    list_filter = ("created_at",)
    list_select_related = ("user", "post")
    raw_id_fields = ("user", "post")


@admin.register(Mention)
class MentionAdmin(admin.ModelAdmin):
    list_display = ("id", "mentioned", "author", "post", "comment", "created_at")
    search_fields = ("mentioned__username", "author__username")
    list_filter = ("created_at",)
    list_select_related = ("mentioned", "author", "post", "comment")
    raw_id_fields = ("mentioned", "author", "post", "comment")
