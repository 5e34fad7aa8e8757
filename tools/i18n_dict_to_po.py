"""One-off: turn the hand-written Chinese dictionaries (server/web/i18n.py and
i18n_events.py, as they were before Flask-Babel) into server/translations/zh/.../messages.po.

Kept in the tree so a branch that still adds strings to the old dictionaries can be
converted again after a merge: ``python tools/i18n_dict_to_po.py OLD_I18N_DIR``.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "server/translations/zh/LC_MESSAGES/messages.po"

# The dictionaries could not tell a person's name from a zone's: these need a context.
CONTEXTUAL: dict[tuple[str, str], str] = {
    ("device", "Name"): "名称",
    ("person", "Name"): "姓名",
}


def _dicts(path: Path) -> dict[str, str]:
    """Every module-level ``NAME: dict[str, str] = {...}`` literal in a file, merged."""
    found: dict[str, str] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.value, ast.Dict):
            found.update(ast.literal_eval(node.value))
    return found


def main(source_dir: Path) -> None:
    pairs: dict[str, str] = {}
    for name in ("i18n.py", "i18n_events.py"):
        if (source_dir / name).exists():
            pairs.update(_dicts(source_dir / name))
    if PO.exists():  # keep what is already in the catalogue; the dictionaries add to it
        with PO.open("rb") as f:
            catalog = read_po(f, locale="zh")
    else:
        catalog = Catalog(locale="zh", project="Admit", fuzzy=False)
    for msgid, msgstr in pairs.items():
        if msgid not in catalog:
            catalog.add(msgid, msgstr)
    for (ctx, msgid), msgstr in CONTEXTUAL.items():
        if catalog.get(msgid, context=ctx) is None:
            catalog.add(msgid, msgstr, context=ctx)
    PO.parent.mkdir(parents=True, exist_ok=True)
    with PO.open("wb") as f:
        write_po(f, catalog, width=100, sort_output=False)
    print(f"{PO.relative_to(ROOT)}: {len(catalog)} messages")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "server/web")
