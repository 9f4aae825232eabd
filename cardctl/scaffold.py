"""`cardctl init`: a new archive with its settings, layout and helper files."""

from __future__ import annotations

import json
from pathlib import Path

from cardctl import gitrepo
from cardctl.errors import CannotRun, Rejected, UsageError
from cardctl.locate import SETTINGS_FILE
from cardctl.schemas import SchemaSet
from cardctl.settings import DEFAULT_REFERENCE
from cardctl.writes import WritePlan, os_advice, os_reason
from cardctl.yamlio import TEMP_PREFIX, dump_new, read_document

EDITOR_SCHEMAS = ".cardctl-schemas"

SETTINGS_TEMPLATE = """\
# cardctl archive settings. Unknown keys are an error, so a typo never passes.
cardctl: 1
# Archive / fonds name (全宗名称), printed on every volume cover.
name: {name}
# Fonds number (全宗号): the first part of every reference code (档号).
{fonds}
# Default compiler (立卷人) of the yearly close-out.
# custodian: 王芳
# New customers get ids KH0001, KH0002, ...
id_prefix: KH
currency: CNY
# When set, every record author and card owner must be one of these people.
# staff: [张伟, 李娜, 王芳]
# Intent level of a prospect -> the longest gap in days until the next contact.
follow_up_days: {{H: 7, A: 30, B: 90, C: 180}}
# Retained customers: at least 11 care contacts in two years.
care: {{contacts: 11, period_days: 730}}
# Every active or dormant customer is contacted at least this often.
revisit_days: 365
# The customer list is reviewed at least this often (the card's `reviewed`).
review_days: 730
# Bad-customer candidates: no business, or an unpaid invoice, for this many days.
bad_customer: {{inactive_days: 365, arrears_days: 365}}
# Record kind -> Y | D30 | D10, overriding the built-in retention schedule.
retention: {{}}
reference: "{reference}"
# true: write commands commit exactly the files they wrote.
auto_commit: false
# Maintained by `cardctl close`.
closed_years: []
"""

GITATTRIBUTES = """\
# cardctl archive: YAML is text with LF line ends, whatever the platform.
# diff=yaml: hunk headers name the top-level key (cardctl init sets the
# driver in .git/config; in another clone: git config diff.yaml.xfuncname '^[A-Za-z_][A-Za-z0-9_-]*:')
*.yaml text eol=lf diff=yaml
*.json text eol=lf
*.md text eol=lf
*.csv text eol=lf
# Written by `cardctl index`: collapsed in reviews.
catalogue/** linguist-generated=true
# Scans and photos are binary.
*.pdf binary
*.png binary
*.jpg binary
*.jpeg binary
*.tif binary
*.tiff binary
"""

PRE_COMMIT = """\
# pre-commit (https://pre-commit.com): run `pre-commit install` once per clone;
# then every commit is checked by the cardctl installed on this machine.
# To pin a cardctl release instead, see docs/pre-commit.md of cardctl.
repos:
  - repo: local
    hooks:
      - id: cardctl-validate
        name: cardctl validate
        entry: cardctl validate
        language: system
        files: ^(cardctl\\.yaml|customers/|schemas/|seals/)
        require_serial: true
"""

XFUNCNAME = "^[A-Za-z_][A-Za-z0-9_-]*:"

GITIGNORE = f"""\
# cardctl's cache and temporary files
.cardctl/
{TEMP_PREFIX}*
"""


def _scalar(value: str) -> str:
    """`value` as a YAML scalar that reads back as the same text."""
    line = dump_new({"v": value})
    return line[len("v: ") :].rstrip("\n")


def _editor_settings(schemas: SchemaSet) -> dict[str, object]:
    """VS Code / yaml-language-server: which schema completes which file."""
    mapping: dict[str, list[str]] = {
        f"./{EDITOR_SCHEMAS}/settings.schema.json": [SETTINGS_FILE],
        f"./{EDITOR_SCHEMAS}/card.schema.json": ["customers/*/card.yaml"],
    }
    for kind in sorted(schemas.kinds.values(), key=lambda k: k.name):
        mapping[f"./{EDITOR_SCHEMAS}/{kind.name}.schema.json"] = [f"customers/*/{kind.category}/*/*-{kind.name}-*.yaml"]
    return {
        "yaml.schemas": mapping,
        "files.eol": "\n",
        "files.encoding": "utf8",
        "[yaml]": {"editor.insertSpaces": True, "editor.tabSize": 2},
    }


def _json(data: object) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _make_folder(path: Path) -> list[Path]:
    """Make `path` and its missing parents; returns the folders made, outermost first."""
    missing = [p for p in [path, *path.parents] if not p.exists()][::-1]
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        advice = os_advice(exc)
        raise CannotRun(f"cannot create the folder {path}: {os_reason(exc)}; nothing was written" + (f"; {advice}" if advice else "")) from None
    return missing


def init(path: Path, *, name: str | None, fonds: str | None, use_git: bool) -> list[str]:
    """Create the archive at `path`; returns the files written, relative to it."""
    if path.exists() and not path.is_dir():
        raise UsageError(f"{path} exists and is not a folder")
    if (path / SETTINGS_FILE).exists():
        raise UsageError(f"{path} already holds an archive ({SETTINGS_FILE} exists)")
    name = (name or path.resolve().name).strip()
    if not name:
        raise UsageError("--name must not be empty")
    settings = SETTINGS_TEMPLATE.format(
        name=_scalar(name),
        fonds=f"fonds: {_scalar(fonds)}" if fonds else "# fonds: Z109   (needed before the first close-out)",
        reference=DEFAULT_REFERENCE,
    )
    check = read_document(settings.encode("utf-8"), SETTINGS_FILE)
    schemas = SchemaSet()
    if check.ok:
        from cardctl.rules.schema import validate_document

        check.problems += validate_document(check, schemas.validator("settings"))
    if check.problems:
        raise Rejected("the settings would be invalid; nothing was written", check.problems)
    if use_git:
        gitrepo._git()  # fail before writing anything when git is missing
    files: dict[str, bytes] = {
        SETTINGS_FILE: settings.encode("utf-8"),
        "customers/.gitkeep": b"",
        ".gitattributes": GITATTRIBUTES.encode("utf-8"),
        ".gitignore": GITIGNORE.encode("utf-8"),
        ".vscode/settings.json": _json(_editor_settings(schemas)),
    }
    top = gitrepo.repo_root(path) if use_git and path.exists() else None
    if top is None or top.resolve() == path.resolve():
        files[".pre-commit-config.yaml"] = PRE_COMMIT.encode("utf-8")  # only at the top of a repository
    for file_name, schema in schemas.editor_schemas().items():
        files[f"{EDITOR_SCHEMAS}/{file_name}"] = _json(schema)
    made = _make_folder(path)
    plan = WritePlan(path)
    for rel, data in files.items():
        if (path / rel).exists():
            if rel.startswith((".vscode/", ".git", ".pre-commit")):
                continue  # the archive sits in a project that has its own
            plan.replace[rel] = data
        else:
            plan.create[rel] = data
    try:  # all of it or nothing: a half-made archive would be refused by the next init
        plan.apply()
    except CannotRun as exc:
        for folder in reversed(made):
            try:
                folder.rmdir()
            except OSError:
                break
        raise CannotRun(f"cannot create the archive at {path}: {exc}") from None
    written = plan.written
    if use_git and gitrepo.repo_root(path) is None:
        gitrepo.init(path)
        gitrepo.set_config(path, "diff.yaml.xfuncname", XFUNCNAME)
        # An archive has hundreds of thousands of files in as many folders:
        # git's untracked cache makes `git status` (and cardctl's own look
        # at the work tree) skip the folders that did not change.
        gitrepo.set_config(path, "core.untrackedCache", "true")
    return sorted(written)

