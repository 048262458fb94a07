from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "salesdesk.ledger"
    label = "ledger"
    verbose_name = "业务台账"

    def ready(self) -> None:
        from . import rollups, services

        if rollups.apply not in services.after_record_hooks:
            services.after_record_hooks.append(rollups.apply)
