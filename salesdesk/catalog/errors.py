from __future__ import annotations

from enum import StrEnum


class CatalogErrorCode(StrEnum):
    SKU_TAKEN = "sku_taken"  # another product has this SKU
    INVALID_TAX_RATE = "invalid_tax_rate"  # not one of the VAT rates in use (13/9/6/5/3/1/0 %)
    INVALID_PRODUCT = "invalid_product"
    INVALID_LEVEL = "invalid_price_level"
    CATEGORY_TAKEN = "category_taken"
    IMPORT_ROWS = "import_rows_invalid"
