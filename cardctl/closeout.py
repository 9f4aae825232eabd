"""The yearly close-out as data: volumes, item numbers, reference codes, manifests, the seal.

Seed 000: "每年分年度清理、按类装订成固定卷保存"; seed 002 §(二): different years
are not mixed, items are numbered in order, a catalogue heads each volume and
a remarks sheet ends it (naming the responsible person and date even when
there is nothing to remark); permanent, long-term and short-term volumes;
top-secret documents form their own volume.

`plan_dossier` computes a dossier's volumes and writes nothing; `closing.py`
checks, writes, commits and tags them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from cardctl import filing, ordering
from cardctl.archive import Archive
from cardctl.catalogue import supplied_title
from cardctl.categories import CATEGORIES, category_no
from cardctl.digest import sha256_bytes, sha256_file
from cardctl.model import Record, as_dict, as_list, as_str
from cardctl.rules import DossierView

CLASSIFICATION_RANK = ["internal", "confidential", "secret", "top-secret"]
SHORT_NAMES = {"basic": "基础资料", "transactions": "交易资料", "credit": "信用资料", "trade": "交易现状资料", "service": "售后服务资料"}
RETENTION_NAMES = {"Y": "永久", "D30": "30年", "D10": "10年"}


@dataclass
class Item:
    record: Record
    rule: str  # the filing rule that placed it in this year
    number: int = 0  # 件号
    reference: str = ""  # 档号
    page: int = 0  # 页号: the page it starts on


@dataclass
class Volume:
    customer: str
    customer_name: str
    category: str
    year: int
    retention: str
    top_secret: bool
    items: list[Item] = field(default_factory=list)
    reference: str = ""
    pending: list[Record] = field(default_factory=list)  # requests sealed without a reply (--allow-pending)

    @property
    def folder(self) -> str:
        return f"customers/{self.customer}/{self.category}/{self.year}"

    @property
    def name(self) -> str:
        return f"VOLUME-{self.retention}{'-top-secret' if self.top_secret else ''}"

    @property
    def path(self) -> str:
        return f"{self.folder}/{self.name}.yaml"

    @property
    def rendering(self) -> str:
        return f"{self.folder}/{self.name}.md"

    @property
    def pages(self) -> int:
        return sum(_pages(i.record) for i in self.items)


def _pages(rec: Record) -> int:
    pages = rec.data.get("pages", 1)
    return pages if isinstance(pages, int) and not isinstance(pages, bool) and pages > 0 else 1


def reference(template: str, **fields: Any) -> str:
    return template.format(**fields)


def volume_reference(template: str, **fields: Any) -> str:
    """The volume's code: the item template without its item number part."""
    head = template.split("{item", 1)[0].rstrip("-·/_ ")
    return head.format(**fields)


@dataclass
class DossierPlan:
    volumes: list[Volume]
    late: list[Record]  # dated after the year end, placed by their own date
    pending: list[Record]  # requests still waiting for a reply


def plan_dossier(archive: Archive, view: DossierView, year: int) -> DossierPlan:
    """The volumes of one dossier for `year`: grouped, ordered, numbered, coded, paged."""
    settings = archive.settings
    kinds = archive.schemas.kinds
    closed = settings.closed_years
    out = DossierPlan([], [], [])
    name = (view.card.get("name") if view.card else None) or view.customer
    for category in CATEGORIES:
        records = [r for r in view.records if r.file.category == category and r.file.year == str(year) and r.doc.ok]
        groups: dict[tuple[str, bool], list[Item]] = {}
        waiting: dict[tuple[str, bool], list[Record]] = {}
        for rec in records:
            placed = filing.filing_year(rec, view.by_id, view.replies, closed)
            rule = placed[1] if placed else "date"
            if rec.date and rec.date.year > year and rule in ("date", "reply"):
                out.late.append(rec)
            kind = kinds.get(rec.kind or "")
            retention = filing.retention_of(rec, kind.retention if kind else "D10", settings.retention)
            secret = rec.data.get("classification") == "top-secret"
            groups.setdefault((retention, secret), []).append(Item(rec, rule))
            if rec.data.get("expects_reply") is True and not view.replies.get(rec.id):
                out.pending.append(rec)
                waiting.setdefault((retention, secret), []).append(rec)
        for retention in ("Y", "D30", "D10"):
            next_number = 1
            for secret in (False, True):  # a top-secret volume continues the numbering
                items = groups.get((retention, secret))
                if not items:
                    continue
                vol = Volume(view.customer, name, category, year, retention, secret, pending=waiting.get((retention, secret), []))
                by_record = {i.record.id: i for i in items}
                vol.items = [by_record[r.id] for r in ordering.in_order([i.record for i in items])]
                fields = {"fonds": settings.fonds, "year": year, "retention": retention, "customer": view.customer,
                          "category_no": category_no(category), "category": category}
                vol.reference = volume_reference(settings.reference, **fields) + ("·JM" if secret else "")
                page = 1
                for item in vol.items:
                    item.number = next_number
                    item.reference = reference(settings.reference, item=next_number, **fields)
                    item.page = page
                    page += _pages(item.record)
                    next_number += 1
                out.volumes.append(vol)
    return out


@dataclass(frozen=True)
class PlannedVolume:
    """A volume as the close needs it after planning: small enough to come back from a worker."""

    path: str
    rendering: str
    reference: str
    retention: str
    top_secret: bool
    pages: int
    items: tuple[tuple[int, str, str, str, int], ...]  # (number, reference, record id, rule, page)
    files: dict[str, bytes]  # the volume file and its printable copy (empty in a dry run)
    digest: str  # over the manifest


@dataclass
class DossierOutcome:
    volumes: list[PlannedVolume]
    late: list[str]  # "path: dated YYYY-MM-DD"
    pending: list[str]  # paths of requests waiting for a reply


def plan_and_render(archive: Archive, view: DossierView, year: int, people: tuple[str, str, date] | None) -> DossierOutcome:
    """Plan one dossier's volumes and, given the people and the day, render their files."""
    planned = plan_dossier(archive, view, year)
    volumes = []
    for vol in planned.volumes:
        files = volume_files(archive, vol, *people) if people is not None else {}
        digest = manifest_digest(manifest(archive.root, vol)) if people is None else _digest_of(files[vol.path])
        items = tuple((i.number, i.reference, i.record.id, i.rule, i.page) for i in vol.items)
        volumes.append(PlannedVolume(vol.path, vol.rendering, vol.reference, vol.retention, vol.top_secret, vol.pages, items, files, digest))
    return DossierOutcome(volumes, [f"{r.path}: dated {r.date}" for r in planned.late], [r.path for r in planned.pending])


def _digest_of(volume_file: bytes) -> str:
    found = re.search(r"^digest: ([0-9a-f]{64})", volume_file.decode("utf-8"), re.MULTILINE)
    return found.group(1) if found else ""


# --- the files -------------------------------------------------------------------


def manifest(root: Path, vol: Volume) -> dict[str, str]:
    """sha256 of every record file and attachment, keyed by path relative to the year folder."""
    out: dict[str, str] = {}
    for item in vol.items:
        rec = item.record
        out[f"{rec.file.stem}.yaml"] = sha256_file(root / rec.path)
        for entry in as_list(rec.data.get("attachments")):
            rel = as_str(as_dict(entry).get("path"))
            if rel:
                out[rel] = sha256_file(root / vol.folder / rel)
    return out


def manifest_digest(entries: dict[str, str]) -> str:
    """One digest over a manifest: sha256 of its `sha256sum`-style lines, sorted by path."""
    return sha256_bytes("".join(f"{digest}  {path}\n" for path, digest in sorted(entries.items())).encode("utf-8"))


def _statement(vol: Volume) -> str:
    counts = f"共{len(vol.items)}件{vol.pages}页"
    if not vol.pending:
        return f"本卷材料齐全，{counts}。"
    waiting = "；".join(f"请示《{as_str(r.data.get('title')) or r.id}》（{r.id}）至立卷时尚无批复" for r in vol.pending)
    return f"本卷{counts}。{waiting}。"


def volume_document(archive: Archive, vol: Volume, compiler: str, checker: str, today: date) -> dict[str, Any]:
    """The volume file: cover, catalogue, remarks sheet and manifest (SPEC §7)."""
    kinds = archive.schemas.kinds
    dates = [i.record.date for i in vol.items if i.record.date]
    highest = max((CLASSIFICATION_RANK.index(c) for i in vol.items if (c := i.record.data.get("classification", "internal")) in CLASSIFICATION_RANK), default=0)
    entries = manifest(archive.root, vol)
    catalogue = []
    for seq, item in enumerate(vol.items, start=1):
        rec = item.record
        kind = kinds.get(rec.kind or "")
        catalogue.append({
            "seq": seq,
            "reference": item.reference,
            "doc_no": as_str(rec.data.get("doc_no")) or "",
            "author": as_str(rec.data.get("author")) or "",
            "title": supplied_title(rec.data, kind.label if kind else (rec.kind or "")),
            "date": rec.date.strftime("%Y%m%d") if rec.date else "",
            "classification": rec.data.get("classification", "internal"),
            "page": item.page,
            "notes": as_str(rec.data.get("notes")) or "",
            "record": rec.id,
            "rule": item.rule,
        })
    secret = "（绝密）" if vol.top_secret else ""
    return {
        "cover": {
            "fonds_name": archive.settings.name,
            "category": CATEGORIES[vol.category][1],
            "title": f"{vol.customer_name} {vol.year}年 {SHORT_NAMES[vol.category]}{secret}",
            "start": min(dates).isoformat() if dates else "",
            "end": max(dates).isoformat() if dates else "",
            "retention": vol.retention,
            "classification": CLASSIFICATION_RANK[highest],
            "items": len(vol.items),
            "pages": vol.pages,
            "reference": vol.reference,
        },
        "catalogue": catalogue,
        "remarks": {"statement": _statement(vol), "compiler": compiler, "checker": checker, "compiled_on": today.isoformat()},
        "manifest": entries,
        "digest": manifest_digest(entries),
    }


SECTION_COMMENTS = {
    "cover:": "# 案卷封面",
    "catalogue:": "# 卷内文件目录",
    "remarks:": "# 卷内备考表",
    "manifest:": "# sha256 of every record file and attachment",
    "digest:": "# sha256 over the manifest",
}


def with_comments(text: str) -> str:
    """Name the form each top-level section is, in the handbook's words."""
    lines = []
    for line in text.splitlines():
        head = line.split(" ", 1)[0]
        lines.append(f"{line}  {SECTION_COMMENTS[head]}" if head in SECTION_COMMENTS and not line.startswith(" ") else line)
    return "\n".join(lines) + "\n"


def _md(value: Any) -> str:
    return " ".join(str(value).replace("|", "\\|").split())


def render_markdown(doc: dict[str, Any]) -> str:
    """A printable volume for binding paper copies: cover, catalogue, remarks sheet."""
    cover, remarks = doc["cover"], doc["remarks"]
    retention = RETENTION_NAMES.get(cover["retention"], cover["retention"])
    lines = [
        f"# {cover['title']}", "", "## 案卷封面", "",
        f"- 全宗名称：{cover['fonds_name']}", f"- 类目名称：{cover['category']}", f"- 案卷题名：{cover['title']}",
        f"- 起止日期：{cover['start']} 至 {cover['end']}", f"- 保管期限：{retention}", f"- 密级：{cover['classification']}",
        f"- 件数：{cover['items']}　页数：{cover['pages']}", f"- 档号：{cover['reference']}", "",
        "## 卷内文件目录", "", "| 序号 | 档号 | 文号 | 责任者 | 题名 | 日期 | 密级 | 页号 | 备注 |", "|---|---|---|---|---|---|---|---|---|",
    ]
    for e in doc["catalogue"]:
        cells = (e["seq"], e["reference"], e["doc_no"], e["author"], e["title"], e["date"], e["classification"], e["page"], e["notes"])
        lines.append("| " + " | ".join(_md(c) for c in cells) + " |")
    lines += ["", "## 卷内备考表", "", f"本卷情况说明：{remarks['statement']}", "", f"立卷人：{remarks['compiler']}",
              f"检查人：{remarks['checker']}", f"立卷时间：{remarks['compiled_on']}", ""]
    return "\n".join(lines)


def volume_files(archive: Archive, vol: Volume, compiler: str, checker: str, today: date) -> dict[str, bytes]:
    from cardctl.yamlio import dump_generated

    doc = volume_document(archive, vol, compiler, checker, today)
    return {vol.path: with_comments(dump_generated(doc)).encode("utf-8"), vol.rendering: render_markdown(doc).encode("utf-8")}


def seal_digest(volumes: list[dict[str, Any]]) -> str:
    """One digest over all volumes of the year: their manifest digests and file digests, by path."""
    lines = sorted(f"{v['digest']} {v['file_sha256']} {v['rendering_sha256']}  {v['path']}\n" for v in volumes)
    return sha256_bytes("".join(lines).encode("utf-8"))


def seal_document(archive: Archive, year: int, volumes: list[PlannedVolume], compiler: str, checker: str, today: date) -> dict[str, Any]:
    entries = []
    for vol in sorted(volumes, key=lambda v: v.path):
        entries.append({
            "path": vol.path,
            "reference": vol.reference,
            "items": len(vol.items),
            "pages": vol.pages,
            "digest": vol.digest,
            "file_sha256": sha256_bytes(vol.files[vol.path]),
            "rendering_sha256": sha256_bytes(vol.files[vol.rendering]),
        })
    return {
        "year": year,
        "fonds": archive.settings.fonds,
        "fonds_name": archive.settings.name,
        "closed_on": today.isoformat(),
        "compiler": compiler,
        "checker": checker,
        "volumes": entries,
        "items": sum(e["items"] for e in entries),
        "digest": seal_digest(entries),
    }
