"""Forms of the team pages: the month's target grid (two amounts per line), the Excel upload and
the company's 业绩 measure. They parse and label; the rules live in ``team.services``."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from salesdesk.core.errors import InvalidInput
from salesdesk.core.forms import StyledFormMixin
from salesdesk.org.models import CompanyProfile

from . import services
from .queries import GridRow

AMOUNT = {"max_digits": 15, "decimal_places": 2, "min_value": Decimal(0), "required": False}


class TargetGridForm(StyledFormMixin, forms.Form):
    """One sales and one collection field per grid line, named ``<key>-sales`` / ``<key>-collection``."""

    def __init__(self, *args, rows: list[GridRow], **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows
        for row in rows:
            attrs = {"class": "form-control-sm text-end", "inputmode": "decimal", "step": "0.01"}
            self.fields[f"{row.key}-sales"] = forms.DecimalField(
                label=_("销售目标(含税)"), initial=row.sales_target, widget=forms.NumberInput(attrs=attrs), **AMOUNT)
            self.fields[f"{row.key}-collection"] = forms.DecimalField(
                label=_("回款目标"), initial=row.collection_target, widget=forms.NumberInput(attrs=attrs), **AMOUNT)

    def lines(self):
        """(row, sales field, collection field) for the template."""
        return [(row, self[f"{row.key}-sales"], self[f"{row.key}-collection"]) for row in self.rows]

    def entries(self) -> list[services.TargetEntry]:
        data = self.cleaned_data
        return [
            services.TargetEntry(row.scope, data.get(f"{row.key}-sales") or Decimal(0),
                                 data.get(f"{row.key}-collection") or Decimal(0),
                                 salesperson_id=row.salesperson_id, team_id=row.team_id)
            for row in self.rows
        ]


class ImportForm(StyledFormMixin, forms.Form):
    month = forms.CharField(label=_("月份"), max_length=7, widget=forms.TextInput(attrs={"type": "month"}))
    file = forms.FileField(label=_("Excel 文件"), help_text=_("先下载模板，填好目标后上传；同一月份重复导入会更新，不会重复。"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}))

    def clean_month(self):
        try:
            return services.parse_month(self.cleaned_data["month"])
        except InvalidInput:
            raise forms.ValidationError(_("月份格式应为 YYYY-MM。")) from None


class MeasureForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = CompanyProfile
        fields = ["performance_measure"]
        widgets = {"performance_measure": forms.RadioSelect}
