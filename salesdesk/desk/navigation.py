"""Menu entries of the desk: the working-day calendar (core's pages; core registers no menu)."""

from django.utils.translation import gettext_lazy as _

from salesdesk.core.calendar import VIEW_ROLES
from salesdesk.core.navigation import MenuItem, register

register(MenuItem("calendar", _("工作日历"), "calendar_list", "bi-calendar3", roles=VIEW_ROLES, order=95,
                  description=_("法定节假日与调休补班，决定哪些天发送日报和通知")))
