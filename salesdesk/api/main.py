"""The JSON API at /api/v1: every app's ``api.py`` router, one auth, one error mapping."""

from __future__ import annotations

from ninja import NinjaAPI

from salesdesk.catalog.api import router as catalog_router
from salesdesk.contracts.api import router as contracts_router
from salesdesk.customers.api import router as customers_router
from salesdesk.customers.service_api import router as service_router
from salesdesk.finance.adjust_api import router as adjust_router
from salesdesk.finance.api import router as finance_router
from salesdesk.finance.ar_api import router as receivables_router
from salesdesk.finance.invoice_api import router as invoice_router
from salesdesk.finance.period_api import router as period_router
from salesdesk.finance.statement_api import router as statement_router
from salesdesk.logistics.api import router as logistics_router
from salesdesk.logistics.return_api import router as returns_router
from salesdesk.office.api import router as office_router
from salesdesk.orders.api import router as orders_router
from salesdesk.org.api import router as org_router
from salesdesk.reports.api import router as reports_router
from salesdesk.reports.detail_api import router as ledger_router
from salesdesk.reports.schedule_api import router as schedule_router
from salesdesk.team.api import router as team_router

from . import errors
from .auth import AUTH
from .renderers import SalesDeskRenderer

api = NinjaAPI(
    title="SalesDesk API",
    version="1",
    description="SalesDesk 销售内勤工作台 HTTP API. See API.md for the contract.",
    auth=AUTH,
    urls_namespace="api",
    renderer=SalesDeskRenderer(),
)
errors.install(api)
api.add_router("", org_router)
api.add_router("", customers_router)
api.add_router("", service_router)
api.add_router("", office_router)
api.add_router("", catalog_router)
api.add_router("", contracts_router)
api.add_router("", orders_router)
api.add_router("", finance_router)
api.add_router("", invoice_router)
api.add_router("", receivables_router)
api.add_router("", statement_router)
api.add_router("", period_router)
api.add_router("", logistics_router)
api.add_router("", returns_router)
api.add_router("", adjust_router)
api.add_router("", ledger_router)
api.add_router("", schedule_router)
api.add_router("", reports_router)
api.add_router("", team_router)
api.add_router("", "salesdesk.commission.api.router")
