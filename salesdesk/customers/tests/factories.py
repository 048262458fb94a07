"""Factories for the customer domain (tests and benchmarks)."""

from __future__ import annotations

import factory

from salesdesk.core.lib.names import normalize_company_name
from salesdesk.core.lib.pinyin import search_key
from salesdesk.customers.models import Contact, Customer, Ticket


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    code = factory.Sequence(lambda n: f"KH-T{n:06d}")
    name = factory.Sequence(lambda n: f"测试客户{n}有限公司")
    name_key = factory.LazyAttribute(lambda o: normalize_company_name(o.name))
    search_text = factory.LazyAttribute(lambda o: search_key(o.name))
    region = "华北"
    industry = "制造业"


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"联系人{n}")
    mobile = factory.Sequence(lambda n: f"+86138{n:08d}")


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ticket

    number = factory.Sequence(lambda n: f"TK-T{n:06d}")
    customer = factory.SubFactory(CustomerFactory)
    category = "complaint"
    subject = "到货破损"
