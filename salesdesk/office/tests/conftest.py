from __future__ import annotations

import pytest

from salesdesk.customers.tests.factories import ContactFactory, CustomerFactory


@pytest.fixture
def customer_of(personas):
    """``customer_of("sales1", email="a@b.cn")``: a customer of that salesperson with a primary
    contact (with that e-mail, or none when ``email=""``)."""

    def make(username: str, *, email: str | None = "buyer@example.cn", **fields):
        customer = CustomerFactory(salesperson=personas[username], **fields)
        if email is not None:
            ContactFactory(customer=customer, email=email, is_primary=True)
        return customer

    return make
