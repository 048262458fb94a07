"""Registries that let higher apps contribute to lower apps' pages and API objects without
upward imports (DESIGN.md, Layout): detail-page panels (tabs) and API figure providers.

A provider is called once per page or list with all the objects, so it can fetch its figures in
one query (no N+1)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import models


def model_key(model: type[models.Model] | models.Model | str) -> str:
    if isinstance(model, str):
        return model.lower()
    return model._meta.label_lower


@dataclass(frozen=True)
class Panel:
    """A tab on a detail page: ``template`` is rendered with ``context(request, obj)``."""

    key: str
    label: str
    template: str
    context: Callable[[Any, models.Model], dict]
    order: int = 100
    visible: Callable[[Any, models.Model], bool] = lambda user, obj: True


_panels: dict[str, dict[str, Panel]] = defaultdict(dict)


def register_panel(model, panel: Panel) -> Panel:
    _panels[model_key(model)][panel.key] = panel
    return panel


def panels_for(model, user, obj) -> list[Panel]:
    return sorted(
        (p for p in _panels[model_key(model)].values() if p.visible(user, obj)), key=lambda p: (p.order, p.key)
    )


FigureProvider = Callable[[list[models.Model], Any], dict[int, dict[str, Any]]]
_figures: dict[str, dict[str, FigureProvider]] = defaultdict(dict)


def register_figures(model, name: str, provider: FigureProvider) -> FigureProvider:
    """``provider(objects, user) -> {object_id: {field: value}}`` adds fields to API objects."""
    _figures[model_key(model)][name] = provider
    return provider


def figures_for(model, objects: Iterable[models.Model], user) -> dict[int, dict[str, Any]]:
    objs = list(objects)
    merged: dict[int, dict[str, Any]] = {o.pk: {} for o in objs}
    if not objs:
        return merged
    for provider in _figures[model_key(model)].values():
        for pk, values in provider(objs, user).items():
            merged.setdefault(pk, {}).update(values)
    return merged


# Named hooks: a lower app announces an event, a higher app reacts (e.g. finance confirms money on
# an order and logistics re-derives the order's fulfilment status), still without upward imports.
_hooks: dict[str, list[Callable[..., None]]] = defaultdict(list)


def register_hook(name: str, fn: Callable[..., None]) -> Callable[..., None]:
    if fn not in _hooks[name]:
        _hooks[name].append(fn)
    return fn


def run_hooks(name: str, **kwargs: Any) -> None:
    for fn in _hooks[name]:
        fn(**kwargs)
