"""Who last changed a record and when, as messages name them: the user's name and the local
time (Asia/Shanghai), the same as the history pages show."""

from django.utils import timezone

SOMEONE = "其他用户"


def user_label(user) -> str:
    return (user.get_full_name() or user.username) if user else SOMEONE


def local_time(moment) -> str:
    """2024-03-01 23:45 for a save at 15:45 UTC."""
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}" if moment else ""


def last_change(obj) -> tuple[str, str]:
    """(who, when) of the newest history record of obj; SOMEONE and "" when there is none."""
    record = obj.history.order_by("-history_date").select_related("history_user").first()
    if record is None:
        return SOMEONE, "（时间未记录）"
    return user_label(record.history_user), local_time(record.history_date)
