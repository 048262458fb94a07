"""Infrastructure hooks: remember login sessions; end sessions and tokens of deactivated users
whichever way the deactivation happened (service, admin, shell); keep the search key fresh."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from .models import User, UserSession


@receiver(user_logged_in, dispatch_uid="org.remember_session")
def remember_session(sender, request, user, **kwargs) -> None:
    if request is not None and getattr(request, "session", None) is not None:
        if request.session.session_key is None:
            request.session.save()
        UserSession.objects.get_or_create(session_key=request.session.session_key, defaults={"user": user})


@receiver(pre_save, sender=User, dispatch_uid="org.user_search_text")
def user_search_text(sender, instance: User, **kwargs) -> None:
    from salesdesk.core.lib.pinyin import search_key

    instance.search_text = f"{search_key(instance.name)} {instance.username.lower()}"[:300]


@receiver(post_save, sender=User, dispatch_uid="org.end_access_of_inactive")
def end_access_of_inactive(sender, instance: User, **kwargs) -> None:
    if not instance.is_active:
        from .services import end_all_access

        end_all_access(instance)
