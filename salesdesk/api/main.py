"""The JSON API at /api/v1: every app's ``api.py`` router, one auth, one error mapping."""

from __future__ import annotations

from ninja import NinjaAPI

from salesdesk.catalog.api import router as catalog_router
from salesdesk.contracts.api import router as contracts_router
from salesdesk.customers.api import router as customers_router
from salesdesk.customers.service_api import router as service_router
from salesdesk.finance.api import router as finance_router
from salesdesk.logistics.api import router as logistics_router
from salesdesk.office.api import router as office_router
from salesdesk.orders.api import router as orders_router
from salesdesk.org.api import router as org_router

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
api.add_router("", logistics_router)
