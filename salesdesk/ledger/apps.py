from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "salesdesk.ledger"
    label = "ledger"
    verbose_name = "业务台账"
