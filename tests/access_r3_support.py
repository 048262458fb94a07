"""R3 Access (issue 12): the world the R3 checks run in, and helpers to read files and count rows.

The world: the personas, and for each of sales1 (``own``), sales3 (``team``: sales1's team mate in the
manager's team A) and sales2 (``other``: team B) a customer with a name found nowhere else
(``R3…客户有限公司``), a primary contact, an active contract, a submitted order under it with money
confirmed and a shipment dispatched, a pending payment, a gate exception asked for, an issued statement,
a correspondence item and a file attached to each object that takes attachments. A commission run
of a past month has one line per salesperson. Everything goes through the services, so the ledger
facts (and so the reports) are what the system computes.

What a viewer must never see: the names and numbers of the objects of the salespeople outside their
reach — for sales1 those of sales2 and sales3, for the manager of team A those of sales2
(:func:`forbidden_strings`), computed from who owns the customer, not from any visibility filter."""

from __future__ import annotations

import io
import re
import subprocess
import zipfile
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from salesdesk.core.testing.snapshot import snapshot as table_snapshot

VARIANTS = {"own": "sales1", "team": "sales3", "other": "sales2"}
TAGS = {"own": "本人甲", "team": "同组丙", "other": "他组乙"}
# viewer → the variants whose objects they must not see (API.md "What each may see")
HIDDEN = {"sales1": ("team", "other"), "manager": ("other",), "sales2": ("own", "team")}
COMMISSION_PERIOD = "2025-04"  # a month of its own: the access matrix's commission files draft others
DAY = date(2026, 11, 20)
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082"
)


def customer_name(variant: str) -> str:
    return f"R3{TAGS[variant]}客户有限公司"


@dataclass
class Chain:
    """One salesperson's objects."""

    customer: Any
    contact: Any
    contract: Any
    order: Any
    payment: Any  # confirmed, on the order
    pending: Any  # recorded, not confirmed
    shipment: Any  # dispatched
    exception: Any  # a pending gate exception on the order
    statement: Any
    correspondence: Any
    circular: Any
    attachments: dict[str, Any] = field(default_factory=dict)  # owner model label → Attachment


@dataclass
class R3World:
    personas: dict
    chains: dict[str, Chain]
    product: Any
    run: Any  # a drafted commission run of COMMISSION_PERIOD

    def user(self, username: str):
        return self.personas[username]

    def chain(self, variant: str) -> Chain:
        return self.chains[variant]


def _attach(clerk, owner) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from salesdesk.core import attachments

    return attachments.attach(actor=clerk, owner=owner,
                              uploaded_file=SimpleUploadedFile("r3-凭证.png", PNG, content_type="image/png"))


def _chain(people: dict, variant: str, product) -> Chain:
    from salesdesk.contracts import services as contracts
    from salesdesk.customers.tests.factories import ContactFactory, CustomerFactory
    from salesdesk.finance import services as finance
    from salesdesk.finance.statements import issue_statement
    from salesdesk.logistics import services as logistics
    from salesdesk.office import services as office
    from salesdesk.orders import services as orders

    clerk, owner = people["clerk"], people[VARIANTS[variant]]
    tag = TAGS[variant]
    customer = CustomerFactory(name=customer_name(variant), salesperson=owner)
    contact = ContactFactory(customer=customer, name=f"R3联系人{tag}", is_primary=True,
                             email=f"r3-{variant}@buyer.example")
    dates = {"signed_on": date(2026, 1, 5), "starts_on": date(2026, 1, 5), "ends_on": date(2026, 12, 31)}
    contract = contracts.create_contract(
        actor=clerk, customer=customer, salesperson=owner, data=dates,
        lines=[contracts.LineInput(product, Decimal(100), Decimal("100.00"))])
    contract = contracts.activate_contract(actor=clerk, contract=contract)
    order = orders.create_order(actor=clerk, data=orders.OrderInput(
        customer=customer, order_date=DAY, contract=contract,
        lines=[orders.LineInput(product, Decimal(10), Decimal("100.00"))]))
    order = orders.submit_order(actor=clerk, order=order)
    payment = finance.record_payment(actor=clerk, data=finance.PaymentInput(
        customer=customer, amount=Decimal("1000.00"), received_on=DAY, method="bank_transfer", order=order,
        payer_name=f"R3付款人{tag}"))
    payment = finance.confirm_payment(actor=people["finance"], payment=payment)
    pending = finance.record_payment(actor=clerk, data=finance.PaymentInput(
        customer=customer, amount=Decimal("500.00"), received_on=DAY, method="bank_transfer", order=order))
    shipment = logistics.create_shipment(actor=clerk, order=order, carrier="SF",
                                         lines=[logistics.LineRequest(product.pk, Decimal(2))])
    shipment = logistics.dispatch(actor=clerk, shipment=shipment, waybill_no=f"SFR3{variant.upper()}01")
    exception = finance.request_exception(actor=clerk, order=order, amount=Decimal("100.00"), reason="R3",
                                          expires_on=date(2099, 12, 31))
    statement = issue_statement(actor=people["finance"], customer=customer, start=date(2026, 11, 1),
                                end=date(2026, 11, 26))
    item = office.register_correspondence(actor=clerk, direction="in", channel="letter", customer=customer,
                                          subject=f"R3来函{tag}")
    circular = office.send_circular(actor=clerk, kind="letter", subject=f"R3业务函{tag}", body="正文",
                                    customers=[customer]).circular
    chain = Chain(customer, contact, contract, order, payment, pending, shipment, exception, statement, item, circular)
    for obj in (customer, contract, order, payment, shipment, statement, item):
        chain.attachments[obj._meta.label_lower] = _attach(clerk, obj)
    return chain


def build_world(people: dict) -> R3World:
    from salesdesk.catalog.tests.factories import ProductFactory
    from salesdesk.commission.tests.run_factories import draft, month_with_money

    product = ProductFactory(sku="R3-HM46", name="R3液压油", price=Decimal("100.00"))
    chains = {variant: _chain(people, variant, product) for variant in VARIANTS}
    month_with_money(people, COMMISSION_PERIOD)
    run = draft(people, COMMISSION_PERIOD)
    return R3World(personas=people, chains=chains, product=product, run=run)


# --- what a viewer must not see ----------------------------------------------------------------


def forbidden_strings(world: R3World, viewer: str) -> dict[str, str]:
    """text → what it is, for every customer owned by someone outside ``viewer``'s reach (names, codes)
    and the numbers of those customers' documents. Owners, not visibility filters, decide."""
    from salesdesk.contracts.models import Contract
    from salesdesk.customers.models import Customer
    from salesdesk.orders.models import Order

    owners = [world.user(VARIANTS[v]).pk for v in HIDDEN[viewer]]
    out: dict[str, str] = {}
    for c in Customer.objects.filter(salesperson_id__in=owners):
        out[c.name] = f"customer {c.code}"
        out[c.code] = f"customer code of {c.name}"
    for number in Order.objects.filter(customer__salesperson_id__in=owners).values_list("number", flat=True):
        out[number] = "order number"
    for number in Contract.objects.filter(customer__salesperson_id__in=owners).values_list("number", flat=True):
        out[number] = "contract number"
    for variant in HIDDEN[viewer]:
        chain = world.chain(variant)
        out[chain.contact.name] = "contact"
        out[f"R3付款人{TAGS[variant]}"] = "payer"
        out[chain.shipment.number] = "shipment number"
    return out


def own_strings(world: R3World, viewer: str) -> set[str]:
    """Names the viewer may see (a positive control: the file is not just empty)."""
    visible = {"sales1": ("own",), "manager": ("own", "team"), "sales2": ("other",)}[viewer]
    return {customer_name(v) for v in visible}


def leaks(text: str, forbidden: dict[str, str]) -> list[str]:
    return [f"{s!r} ({what})" for s, what in forbidden.items() if s and s in text]


# --- reading files -------------------------------------------------------------------------------


def xlsx_text(content: bytes) -> str:
    """Every string of an .xlsx: the shared strings, inline strings and sheet names (raw XML, so a
    hidden sheet or column is read too)."""
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        parts = [z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml")]
    return re.sub(r"<[^>]+>", " ", " ".join(parts))


def pdf_text(content: bytes) -> str:
    result = subprocess.run(["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True,
                            timeout=60)
    return result.stdout.decode("utf-8", "replace")


def body_text(response) -> str:
    """The readable text of an answer: PDF through pdftotext, xlsx through its XML, else the body."""
    content = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    kind = response.get("Content-Type", "")
    if content.startswith(b"%PDF"):
        return pdf_text(content)
    if content.startswith(b"PK") or "spreadsheet" in kind:
        return xlsx_text(content)
    return content.decode("utf-8", "replace")


def page_text(response) -> str:
    """The text a person reads on a page or picker: tags and their attributes dropped, so the search
    box echoing the typed term (``value="…"``, ``hx-get="…?q=…"``) is not mistaken for a result."""
    text = response.content.decode("utf-8", "replace")
    if "json" in response.get("Content-Type", ""):
        return text
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S)
    return re.sub(r"<[^>]*>", " ", text)


# --- nothing written ------------------------------------------------------------------------------


# tables a refused request may touch: the token's last use, the session, job bookkeeping
VOLATILE = ("org_apitoken",)


def snapshot() -> dict[str, object]:
    """Every SalesDesk table's row count and latest ``updated_at`` in one query (as R2 does)."""
    return table_snapshot(exclude=VOLATILE)


def changed(before: dict, after: dict) -> dict:
    return {k: (before[k], after[k]) for k in before if before[k] != after[k]}
