"""The menu registry: each app registers its entries; a user sees those their roles allow.

Add-ons register here too, so the core never imports them."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class MenuItem:
    key: str
    label: str  # a lazy translation
    url_name: str
    icon: str = "bi-circle"
    roles: frozenset[str] = field(default_factory=frozenset)  # empty = every signed-in user
    order: int = 100
    description: str = ""

    @property
    def url(self) -> str:
        try:
            return reverse(self.url_name)
        except NoReverseMatch:
            return "#"


_items: dict[str, MenuItem] = {}


def register(item: MenuItem) -> MenuItem:
    _items[item.key] = item
    return item


def menu_for(user) -> list[MenuItem]:
    roles = set(getattr(user, "role_codes", ()))
    return sorted(
        (i for i in _items.values() if not i.roles or roles & i.roles),
        key=lambda i: (i.order, i.key),
    )
