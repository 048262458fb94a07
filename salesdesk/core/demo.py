"""Demo data: each app may have a ``demo.py`` with ``seed(ctx: DemoContext)``; ``seed_demo``
calls them in INSTALLED_APPS order (lower apps first), so later apps build on earlier data."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any, TextIO

from django.apps import apps as django_apps
from faker import Faker

SCALES = ("users", "demo", "large")


@dataclass
class DemoContext:
    scale: str
    password: str
    seed: int
    out: TextIO
    rng: random.Random = field(init=False)
    fake: Faker = field(init=False)
    shared: dict[str, Any] = field(default_factory=dict)  # what one app's seeder leaves for the next

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)  # noqa: S311 (demo data, not security)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(self.seed)

    @property
    def business(self) -> bool:
        """Whether to add business data (every scale but ``users``)."""
        return self.scale != "users"


def seeders() -> list[tuple[str, Any]]:
    found = []
    for config in django_apps.get_app_configs():
        try:
            module = import_module(f"{config.name}.demo")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.demo":
                raise
            continue
        if hasattr(module, "seed"):
            found.append((config.label, module.seed))
    return found
