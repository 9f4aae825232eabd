"""The five archive categories of a dossier (seed 000, §二 客户档案的分类整理)."""

from __future__ import annotations

# folder name -> (number, 类目名称), in handbook order.
CATEGORIES: dict[str, tuple[int, str]] = {
    "basic": (1, "客户的基础资料"),
    "transactions": (2, "客户与本公司的交易资料"),
    "credit": (3, "客户的信用资料"),
    "trade": (4, "与客户交易现状的资料"),
    "service": (5, "对客户售后服务的资料"),
}


def category_no(name: str) -> int:
    return CATEGORIES[name][0]
