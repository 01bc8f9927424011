from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "realtime"
    verbose_name = "Real-time core"

    def ready(self) -> None:
        from django_tasks.signals import task_finished

        from realtime import metrics

        task_finished.connect(metrics.task_finished, dispatch_uid="realtime.metrics.task_finished")
