"""Write a synthetic archive in the real format, for the benchmark.

N customers, about 30 records each over ten years, of every kind in
realistic proportions and sizes (visits the most), a few attachments. The
files are written from templates (not through cardctl: the generator must
write 300 000 files in a minute or two) and the result validates clean —
`bench/run.py` checks that before it measures anything.

    python bench/generate.py OUT --customers 10000 --records 300000
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
from pathlib import Path

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
STAFF = ["张伟", "李娜", "王芳", "刘洋", "陈静", "杨帆", "赵磊", "黄敏"]
REGIONS = ["华东", "华北", "华南", "华中", "西南", "西北", "东北"]
PRODUCTS = ["闸阀 DN100", "球阀 DN50", "蝶阀 DN200", "截止阀 DN32", "止回阀 DN80", "安全阀 DN25", "减压阀 DN40"]
YEARS = list(range(2016, 2026))
# kind -> (category, weight)
KINDS = {
    "visit": ("basic", 50), "report": ("basic", 2), "licence": ("basic", 1), "tax-registration": ("basic", 1),
    "contract": ("transactions", 4), "order": ("transactions", 12),
    "credit-approval": ("credit", 2), "arrears": ("credit", 12), "repayment-agreement": ("credit", 1),
    "extension": ("credit", 1), "repayment-plan": ("credit", 1), "guarantee": ("credit", 1),
    "shipment": ("trade", 6), "trade-report": ("trade", 1), "export-docs": ("trade", 1),
    "return": ("service", 1), "discount": ("service", 1), "complaint": ("service", 1), "service-call": ("service", 2),
    "survey": ("service", 1), "responsibility": ("service", 1), "approval": ("service", 1),
}
SUMMARIES = ["客户计划下季度增加阀门采购，希望交货期缩短到两周。", "回访使用情况，客户反映密封性能稳定。", "电话沟通对账事宜，约定月底前付款。",
             "介绍新型号产品，客户有意试订一批。", "了解竞争对手报价，对方低价促销。", "处理上批货物包装破损问题，已安排补发。"]


def uscc(rng: random.Random) -> str:
    body = "91" + "".join(rng.choice("0123456789") for _ in range(6)) + "".join(rng.choice(ALPHABET) for _ in range(9))
    total = sum(ALPHABET.index(ch) * pow(3, i, 31) for i, ch in enumerate(body))
    return body + ALPHABET[(31 - total % 31) % 31]


def card(cid: str, n: int, rng: random.Random) -> str:
    status = rng.choices(["active", "prospect", "dormant", "lost"], [70, 15, 10, 5])[0]
    lines = [
        f"id: {cid}", f"name: 测试客户{n:05d}贸易有限公司", "type: company", f"status: {status}", "since: 2015-03-01",
        f"owner: {rng.choice(STAFF)}", f"grade: {rng.choice('ABCD')}",
    ]
    if status == "prospect":
        lines.append(f"intent: {rng.choice('HABC')}")
    lines += [
        f"region: {rng.choice(REGIONS)}", f"route: R{rng.randint(1, 40):02d}",
        f"credit: {{grade: {rng.choice('ABC')}, limit: {rng.randint(1, 90) * 10000}.00, currency: CNY, terms: 月结30天}}",
        "registration:", f"  uscc: {uscc(rng)}", f"  legal_rep: {rng.choice(['周敏', '孙强', '吴刚', '郑丽'])}",
        f"phone: \"+86 21 {5000 + n // 10000:04d} {n % 10000:04d}\"", f"address: 上海市浦东新区测试路{n}号",
        "contacts:", f"  - name: 联系人{n}", "    role: 采购经理", f"    phone: \"+86 138 {n // 10000:04d} {n % 10000:04d}\"", "    decision_maker: true",
        "reviewed: 2025-01-15",
    ]
    return "\n".join(lines) + "\n"


def body(kind: str, rng: random.Random, ids: dict[str, list[str]]) -> list[str]:
    money = f"{rng.randint(1, 99999)}.{rng.randint(0, 99):02d}"
    if kind == "visit":
        return ["channel: " + rng.choice(["visit", "phone", "wechat"]), "contacts: [李强]", "purpose: 例行拜访",
                f"summary: {rng.choice(SUMMARIES)}", "feedback: 交货期偏长；包装需加固", "actions: 已协调生产部确认排产",
                "market: 竞争对手推出低价型号，价格低8%", "reaction: 积极"]
    if kind == "report":
        return ["topic: market", f"summary: {rng.choice(SUMMARIES)}", "source: rep"]
    if kind in ("licence", "tax-registration"):
        return [f"number: \"{rng.randint(10**8, 10**9)}\""] + (["expires: 2030-12-31"] if kind == "licence" else [])
    if kind == "contract":
        return [f"contract_no: HT-{rng.randint(1000, 9999)}", f"amount: {money}", f"product: {rng.choice(PRODUCTS)}"]
    if kind == "order":
        qty, price = rng.randint(1, 200), rng.randint(100, 2000)
        return [f"order_no: DD-{rng.randint(1000, 9999)}", "lines:", f"  - {{product: {rng.choice(PRODUCTS)}, qty: {qty}, unit_price: {price}.00, amount: {qty * price}.00}}",
                f"amount: {qty * price}.00"]
    if kind == "credit-approval":
        return [f"limit: {rng.randint(1, 90) * 10000}.00", f"grade: {rng.choice('ABC')}", "approved_by: 赵经理"]
    if kind == "arrears":
        return [f"entry: {rng.choice(['invoice', 'payment'])}", f"amount: {money}", "due: 2025-12-31"]
    if kind == "repayment-agreement":
        return [f"amount: {money}"]
    if kind == "extension":
        return ["original_due: 2025-01-31", "new_due: 2025-03-31", "approved_by: 赵经理"]
    if kind == "repayment-plan":
        return ["instalments:", f"  - {{due: 2025-06-30, amount: {money}}}"]
    if kind == "guarantee":
        return ["summary: 法定代表人个人连带责任担保"]
    if kind == "shipment":
        return ["direction: out", "lines:", f"  - {{product: {rng.choice(PRODUCTS)}, qty: {rng.randint(1, 200)}}}"]
    if kind == "trade-report":
        return ["summary: 季度交易情况良好"]
    if kind == "export-docs":
        return ["documents: [装箱单, 报关单]"] + ([f"shipment: {ids['shipment'][-1]}"] if ids.get("shipment") else [])
    if kind in ("return", "discount"):
        return ["reason: 包装破损", f"amount: {money}"]
    if kind in ("complaint", "service-call"):
        return [f"summary: {rng.choice(SUMMARIES)}"]
    if kind == "survey":
        return ["survey_type: after-sale", "items:", "  - {item: 价格, rating: 比较满意}", "  - {item: 售后服务, rating: 满意}"]
    if kind == "responsibility":
        return ["cause: 运输途中包装破损", "responsible: 物流公司"]
    if kind == "approval":
        return ["decision: approved", "approved_by: 赵经理"] + ([f"of: {ids['return'][-1]}"] if ids.get("return") else [])
    raise ValueError(kind)


def generate(out: Path, customers: int, records: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    (out / ".gitignore").write_text(".cardctl/\n", encoding="utf-8")
    (out / "cardctl.yaml").write_text(f"cardctl: 1\nname: 基准测试客户档案\nfonds: Z999\ncustodian: 王芳\nstaff: [{', '.join(STAFF)}]\n", encoding="utf-8")
    names = list(KINDS)
    weights = [KINDS[k][1] for k in names]
    per = records // customers
    extra = records - per * customers
    attachment = b"%PDF-1.4\n% cardctl benchmark scan\n%%EOF\n"
    digest = hashlib.sha256(attachment).hexdigest()
    for n in range(1, customers + 1):
        cid = f"KH{n:05d}"
        root = out / "customers" / cid
        root.mkdir(parents=True, exist_ok=True)
        (root / "card.yaml").write_text(card(cid, n, rng), encoding="utf-8")
        ids: dict[str, list[str]] = {}
        count = per + (1 if n <= extra else 0)
        for i in range(count):
            kind = rng.choices(names, weights)[0]
            if kind == "export-docs" and not ids.get("shipment"):
                kind = "shipment"
            if kind == "approval" and not ids.get("return"):
                kind = "return"
            year = YEARS[i * len(YEARS) // count]
            day = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            rid = f"{day}-{kind}-{i:03d}{rng.getrandbits(12):03x}"  # unique in the dossier
            ids.setdefault(kind, []).append(rid)
            category = KINDS[kind][0]
            folder = root / category / str(year)
            folder.mkdir(parents=True, exist_ok=True)
            lines = [f"id: {rid}", f"kind: {kind}", f"date: {day}"]
            if kind != "visit":
                lines.append(f"title: {kind} {rid[-6:]}")
            lines.append(f"author: {rng.choice(STAFF)}")
            lines += body(kind, rng, ids)
            if rng.random() < 0.002:
                (folder / "files").mkdir(exist_ok=True)
                (folder / "files" / f"{rid}.pdf").write_bytes(attachment)
                lines += ["attachments:", f"  - path: files/{rid}.pdf", f"    sha256: {digest}"]
            (folder / f"{rid}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--records", type=int, default=300_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    generate(args.out, args.customers, args.records, args.seed)
    print(f"wrote {args.customers} customers, {args.records} records to {args.out}", flush=True)
    os._exit(0)


if __name__ == "__main__":
    main()
