from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from salesdesk.core.forms import StyledFormMixin

from .models import User
from .roles import Role


class UserForm(StyledFormMixin, forms.ModelForm):
    roles = forms.MultipleChoiceField(
        label=_("角色"), choices=Role.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = User
        fields = ["name", "email", "phone", "title", "grade", "department", "team", "manager", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].required = True
        if self.instance.pk:
            self.fields["roles"].initial = sorted(self.instance.role_codes)
            self.fields["manager"].queryset = User.objects.exclude(pk=self.instance.pk).filter(is_active=True)
