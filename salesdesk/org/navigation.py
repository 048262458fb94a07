from django.utils.translation import gettext_lazy as _

from salesdesk.core.navigation import MenuItem, register

register(MenuItem("home", _("首页"), "home", "bi-house", order=0))
register(MenuItem("profile", _("个人资料与 API 令牌"), "profile", "bi-person-badge", order=900,
                  description=_("查看个人信息，生成或吊销 API 令牌")))
