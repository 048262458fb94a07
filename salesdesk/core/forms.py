"""Form conventions: Bootstrap classes on every widget and domain errors shown on the form."""

from __future__ import annotations

from django import forms

from .errors import DomainError, InvalidInput


class StyledFormMixin:
    """Adds Bootstrap classes so templates render fields with ``{{ field }}`` alone."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple | forms.RadioSelect):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


def add_domain_error(form: forms.BaseForm, exc: DomainError) -> None:
    """Show a service's refusal on the form: on the named field if the form has it, else on top."""
    if isinstance(exc, InvalidInput):
        for field, messages in exc.errors.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
