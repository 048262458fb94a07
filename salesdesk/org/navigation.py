from django.utils.translation import gettext_lazy as _

from salesdesk.core.navigation import MenuItem, register

from .roles import Role

PEOPLE_ROLES = frozenset({Role.ADMIN, Role.CLERK, Role.SALES_MANAGER, Role.GENERAL_MANAGER, Role.HR})

register(MenuItem("home", _("首页"), "home", "bi-house", order=0))
register(MenuItem("users", _("用户"), "user_list", "bi-people", roles=PEOPLE_ROLES, order=800,
                  description=_("员工、角色与联系方式")))
register(MenuItem("teams", _("销售团队"), "team_list", "bi-diagram-3", roles=PEOPLE_ROLES, order=810,
                  description=_("团队、经理与成员")))
register(MenuItem("profile", _("个人资料与 API 令牌"), "profile", "bi-person-badge", order=900,
                  description=_("查看个人信息，生成或吊销 API 令牌")))
