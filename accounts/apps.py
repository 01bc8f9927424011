from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.signals import user_logged_out, user_login_failed
        from django.db.models.signals import post_delete, post_save

        from accounts import receivers

        user_model = get_user_model()
        post_save.connect(receivers.on_user_saved, sender=user_model, dispatch_uid="accounts.revoke_on_save")
        post_delete.connect(receivers.on_user_deleted, sender=user_model, dispatch_uid="accounts.revoke_on_delete")
        user_logged_out.connect(receivers.on_logged_out, dispatch_uid="accounts.close_session_sockets")
        user_login_failed.connect(receivers.on_login_failed, dispatch_uid="accounts.count_login_failure")
