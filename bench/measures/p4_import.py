"""P4 — the Excel import of customers (客户导入) at scale: our importer's full path
(``customers.importing.import_customers(dry_run=False)``, as the import page's confirm step runs it:
zip check, openpyxl read-only parse, header mapping, every row checked like ``create_customer``
— USCC check digit, phones, names, owner, 撞单 against the database and within the file — then
customers, contacts and their history rows written with ``bulk_create``) against raw openpyxl
read-only + ``bulk_create`` of the same customers and contacts (no checks, no history).

The workbook is generated once per run: realistic Chinese company names (city + word + trade +
股份有限公司, none already filed), USCCs with valid check digits, mobile numbers, regions, owners by
username, one contact each. 100k customers in the full run, 1k in quick mode; the importer takes at
most ``MAX_ROWS`` (20k) rows per file, so the full run imports five files one after another, as a
clerk would. Every run writes into a transaction that is rolled back: the bench data stays as it was.

Goal: our throughput ≥ ⅓ of the raw one, i.e. ratio = ours_ms / ref_ms ≤ 3.0."""

from __future__ import annotations

import io
import random

from django.db import transaction

from bench.common import Result, median_ms, ratio_result

FULL_CUSTOMERS = 100_000
QUICK_CUSTOMERS = 1_000  # quick: a small file, but a median of 5 imports each side
RUNS = 3  # a full run imports 100k customers per run: minutes each on the 2-core bench machine
QUICK_RUNS = 5  # never fewer than 5 where a median is reported
GOAL = 3.0

HEADERS = ["客户名称", "简称", "统一社会信用代码", "行业", "区域", "地址", "客户等级", "负责业务员", "联系人", "联系电话", "职务"]
REGIONS = {"华东": ["330100", "320500", "310115", "370200"], "华北": ["110105", "120101", "130100"],
           "华南": ["440300", "440100", "350200"], "华中": ["420100", "430100", "410100"], "西南": ["510100", "500103"],
           "西北": ["610100", "620100"], "东北": ["210100", "220100", "230100"]}
CITIES = {"330100": "杭州", "320500": "苏州", "310115": "上海", "370200": "青岛", "110105": "北京", "120101": "天津",
          "130100": "石家庄", "440300": "深圳", "440100": "广州", "350200": "厦门", "420100": "武汉", "430100": "长沙",
          "410100": "郑州", "510100": "成都", "500103": "重庆", "610100": "西安", "620100": "兰州", "210100": "沈阳",
          "220100": "长春", "230100": "哈尔滨"}
WORDS = list("宏达鑫盛华远恒通瑞丰新兴金泰博远永信天成中联正大腾飞汇丰锦程嘉禾东方明辉凯旋振华伟业同创")
TRADES = ["机械", "化工", "物流", "建材", "电力", "汽车配件", "农业", "冶金", "环保", "能源", "食品", "纺织", "电子", "矿业",
          "润滑油", "液压", "轴承", "五金", "包装", "医疗器械"]
INDUSTRIES = ["制造业", "建筑工程", "商贸流通", "医疗卫生", "交通物流", "能源化工", "食品饮料"]
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红玉兰文斌海燕鹏飞")
TITLES = ["采购经理", "采购", "设备科长", "总经理", "财务", "仓库主管", "技术员"]
MOBILE = ["138", "139", "135", "136", "137", "150", "151", "158", "186", "187", "188", "133", "153", "180", "189"]
ORG_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _uscc(rng: random.Random, region: str, used: set[str]) -> str:
    from salesdesk.core.lib.uscc import compute_check_char

    while True:
        first17 = "91" + region + "".join(rng.choice(ORG_ALPHABET) for _ in range(9))
        code = first17 + compute_check_char(first17)
        if code not in used:
            used.add(code)
            return code


def make_rows(count: int, owners: list[str], *, seed: int = 4) -> list[list[str]]:
    """``count`` customer rows with one contact each; names and USCCs not yet in the database."""
    from salesdesk.core.lib.names import normalize_company_name
    from salesdesk.customers.models import Customer

    rng = random.Random(seed)
    taken_keys = set(Customer._base_manager.values_list("name_key", flat=True))
    taken_usccs = set(Customer._base_manager.exclude(uscc=None).values_list("uscc", flat=True))
    rows: list[list[str]] = []
    region_codes = [(region, code) for region, codes in REGIONS.items() for code in codes]
    while len(rows) < count:
        region, code = rng.choice(region_codes)
        city = CITIES[code]
        word = rng.choice(WORDS) + rng.choice(WORDS) + rng.choice(WORDS)
        trade = rng.choice(TRADES)
        name = f"{city}{word}{trade}股份有限公司"
        key = normalize_company_name(name)
        if key in taken_keys:
            continue
        taken_keys.add(key)
        contact = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        phone = f"{rng.choice(MOBILE)}{rng.randrange(10**8):08d}"
        rows.append([name, word + trade, _uscc(rng, code, taken_usccs), rng.choice(INDUSTRIES), region,
                     f"{city}市{word}路{rng.randrange(1, 999)}号", rng.choice("ABCCDD"), rng.choice(owners), contact,
                     phone, rng.choice(TITLES)])
    return rows


def workbook(rows: list[list[str]]) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    sheet = book.add_worksheet("客户")
    sheet.write_row(0, 0, HEADERS)
    for r, row in enumerate(rows, start=1):
        sheet.write_row(r, 0, row)
    book.close()
    return buffer.getvalue()


def ours(actor, files: list[bytes], expected: int) -> int:
    from salesdesk.customers import importing

    written = 0
    with transaction.atomic():
        for i, data in enumerate(files):
            result = importing.import_customers(actor=actor, source=data, filename=f"客户{i + 1}.xlsx", dry_run=False)
            if not result.written:
                raise AssertionError(f"import refused: {result.errors[:3]}")
            written += result.customers
        transaction.set_rollback(True)
    assert written == expected, (written, expected)
    return written


def reference(actor, files: list[bytes], expected: int) -> int:
    """openpyxl read-only over the same files, ``bulk_create`` of the same customers and contacts."""
    import openpyxl

    from salesdesk.customers.models import Contact, Customer
    from salesdesk.org.models import User

    owners = dict(User.objects.values_list("username", "id"))
    written = 0
    with transaction.atomic():
        n = 0
        for data in files:
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            customers, contacts = [], []
            for values in book.worksheets[0].iter_rows(min_row=2, values_only=True):
                name, short, uscc, industry, region, address, level, owner, contact, phone, title = values[:11]
                n += 1
                customers.append(Customer(code=f"ZZ{n:08d}", name=name, name_key=name, short_name=short, uscc=uscc,
                                          industry=industry, region=region, address=address, level=level,
                                          salesperson_id=owners[owner], created_by=actor))
                contacts.append((contact, phone, title))
            book.close()
            Customer.objects.bulk_create(customers, batch_size=500)
            Contact.objects.bulk_create([Contact(customer_id=c.pk, name=name, mobile=f"+86{phone}", title=title,
                                                 is_primary=True) for c, (name, phone, title) in zip(customers, contacts,
                                                                                                      strict=True)],
                                        batch_size=500)
            written += len(customers)
        transaction.set_rollback(True)
    assert written == expected, (written, expected)
    return written


def measures(target, *, quick: bool = False) -> list[Result]:
    from salesdesk.customers.importing import MAX_ROWS
    from salesdesk.org.models import User

    count = QUICK_CUSTOMERS if quick else FULL_CUSTOMERS
    clerk = User.objects.filter(groups__name="clerk", is_active=True).order_by("id").first()
    owners = list(User.objects.filter(groups__name="salesperson", is_active=True).values_list("username", flat=True))
    rows = make_rows(count, owners)
    files = [workbook(rows[i:i + MAX_ROWS]) for i in range(0, len(rows), MAX_ROWS)]
    runs = QUICK_RUNS if quick else RUNS
    ours_ms, written = median_ms(lambda: ours(clerk, files, count), runs=runs, warmup=0)
    ref_ms, _ = median_ms(lambda: reference(clerk, files, count), runs=runs, warmup=0)
    result = ratio_result(f"P4 import {count // 1000}k customers", ours_ms, ref_ms, GOAL, rows=written,
                          backend=target.backend,
                          note=f"{written / ours_ms * 1000:,.0f} customers/s vs raw {written / ref_ms * 1000:,.0f}/s; "
                               f"{len(files)} file(s) of ≤ {MAX_ROWS:,} rows; median of {runs}")
    return [result]
