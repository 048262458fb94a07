"""Demo products: lubricant categories and ~40 products with level prices (``demo``), or 5,000
(``large``, fewer when ``ctx.lines`` shrinks it), written through bulk paths that still record history."""

from __future__ import annotations

from decimal import Decimal

from simple_history.utils import bulk_create_with_history

from salesdesk.core.demo import DemoContext
from salesdesk.core.lib.pinyin import search_key

from .models import Category, LevelPrice, Product

CATEGORIES = [("OIL", "润滑油"), ("HYD", "液压油"), ("GEAR", "齿轮油"), ("ENG", "发动机油"), ("GRS", "润滑脂"),
              ("COOL", "防冻液/冷却液"), ("SVC", "技术服务")]

# category, name, specification, unit, list price incl. tax
PRODUCTS = [
    ("HYD", "抗磨液压油", "L-HM46 200L", "桶", "2380.00"), ("HYD", "抗磨液压油", "L-HM68 200L", "桶", "2460.00"),
    ("HYD", "抗磨液压油", "L-HM46 18L", "桶", "268.00"), ("HYD", "低温液压油", "L-HV32 200L", "桶", "2680.00"),
    ("HYD", "低温液压油", "L-HV46 18L", "桶", "298.00"), ("HYD", "无灰液压油", "HM46 170kg", "桶", "2890.00"),
    ("GEAR", "重负荷工业齿轮油", "L-CKD 220 200L", "桶", "2980.00"),
    ("GEAR", "重负荷工业齿轮油", "L-CKD 320 200L", "桶", "3050.00"),
    ("GEAR", "中负荷工业齿轮油", "L-CKC 150 18L", "桶", "318.00"),
    ("GEAR", "车辆齿轮油", "GL-5 85W-90 18L", "桶", "386.50"), ("GEAR", "车辆齿轮油", "GL-5 80W-90 4L", "瓶", "99.90"),
    ("ENG", "柴油机油", "CI-4 15W-40 18L", "桶", "428.00"), ("ENG", "柴油机油", "CK-4 10W-40 18L", "桶", "568.00"),
    ("ENG", "柴油机油", "CI-4 15W-40 4L", "瓶", "109.00"), ("ENG", "汽油机油", "SP 5W-30 4L", "瓶", "168.00"),
    ("ENG", "汽油机油", "SN 10W-40 4L", "瓶", "118.00"), ("ENG", "天然气发动机油", "CNG 15W-40 18L", "桶", "498.00"),
    ("OIL", "导轨油", "68# 18L", "桶", "356.00"), ("OIL", "汽轮机油", "L-TSA 46 200L", "桶", "2760.00"),
    ("OIL", "空压机油", "L-DAB 46 18L", "桶", "468.00"), ("OIL", "冷冻机油", "L-DRA 46 18L", "桶", "498.00"),
    ("OIL", "导热油", "L-QC 320 200L", "桶", "3180.00"), ("OIL", "变压器油", "25# 200L", "桶", "2260.00"),
    ("OIL", "主轴油", "N10 18L", "桶", "286.00"), ("OIL", "链条油", "高温链条油 4L", "瓶", "216.00"),
    ("OIL", "切削液", "乳化型 18L", "桶", "326.00"),
    ("GRS", "锂基润滑脂", "2# 15kg", "桶", "418.00"), ("GRS", "锂基润滑脂", "3# 0.8kg", "罐", "32.00"),
    ("GRS", "极压锂基脂", "EP2 15kg", "桶", "468.00"), ("GRS", "复合锂基脂", "高温 2# 15kg", "桶", "598.00"),
    ("GRS", "复合磺酸钙基脂", "2# 17kg", "桶", "868.00"), ("GRS", "二硫化钼锂基脂", "2# 15kg", "桶", "528.00"),
    ("COOL", "发动机冷却液", "-35℃ 4kg", "瓶", "56.00"), ("COOL", "发动机冷却液", "-45℃ 10kg", "桶", "148.00"),
    ("COOL", "长效防冻液", "-25℃ 200kg", "桶", "1980.00"), ("COOL", "车用尿素", "AdBlue 10L", "桶", "46.00"),
    ("SVC", "油品检测服务", "常规八项", "次", "600.00"), ("SVC", "设备润滑巡检", "月度", "次", "1500.00"),
    ("SVC", "换油技术服务", "现场", "次", "800.00"), ("SVC", "润滑管理培训", "半天", "场", "3000.00"),
]
TAX = {"SVC": Decimal("0.06")}  # services at 6 %, goods at 13 %


def seed(ctx: DemoContext) -> None:
    if not ctx.business:
        return
    clerk = ctx.shared["users"]["clerk"]
    categories = {code: Category.objects.create(code=code, name=name) for code, name in CATEGORIES}
    rows = list(PRODUCTS)
    if ctx.scale == "large":
        grades = ["32", "46", "68", "100", "150", "220", "320", "460"]
        packs = [("18L", "桶", Decimal("0.12")), ("200L", "桶", Decimal("1")), ("4L", "瓶", Decimal("0.03")),
                 ("1000L", "吨箱", Decimal("4.6"))]
        n = 0
        while len(rows) < ctx.scaled(5_000, minimum=len(PRODUCTS)):
            cat, name, _spec, _unit, price = PRODUCTS[n % len(PRODUCTS)]
            grade, (pack, unit, factor) = grades[n // len(PRODUCTS) % len(grades)], packs[n % len(packs)]
            rows.append((cat, name, f"{grade} {pack} 型{n}", unit,
                         str((Decimal(price) * factor * Decimal("1.05")).quantize(Decimal("0.01")) + 1)))
            n += 1
    products = []
    for i, (cat, name, spec, unit, price) in enumerate(rows, start=1):
        list_price = Decimal(price)
        cost = (list_price * Decimal(ctx.rng.randrange(62, 80)) / 100).quantize(Decimal("0.01"))
        sku = f"{cat}-{i:04d}"
        products.append(Product(
            sku=sku, name=name, specification=spec, unit=unit, category=categories[cat], price=list_price,
            tax_rate=TAX.get(cat, Decimal("0.13")), cost=cost,
            floor_price=(list_price * Decimal("0.88")).quantize(Decimal("0.01")), active=ctx.rng.random() > 0.03,
            search_text=f"{sku.lower()} {search_key(name)} {spec.lower()}"[:400],
        ))
    bulk_create_with_history(products, Product, batch_size=1000, default_user=clerk, default_change_reason="演示数据")
    products = list(Product.objects.order_by("id"))
    LevelPrice.objects.bulk_create([
        LevelPrice(product=p, price_level=level, price=(p.price * factor).quantize(Decimal("0.01")))
        for p in products[:2000]
        for level, factor in (("dealer", Decimal("0.92")), ("key_account", Decimal("0.95")))
    ], batch_size=2000)
    ctx.shared["products"] = products
