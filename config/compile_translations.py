"""Compile locale/*/LC_MESSAGES/*.po into .mo files with polib (no GNU gettext needed).

Run: python -m config.compile_translations  (make run / make test do it for you).
A catalogue is compiled only when its .po is newer than its .mo, so a second run is instant.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


def compile_all(locale_dir: Path = LOCALE_DIR) -> int:
    """Compile every stale catalogue under ``locale_dir``; return how many were compiled."""
    compiled = 0
    for po_path in sorted(locale_dir.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        catalogue = polib.pofile(str(po_path))
        catalogue.save_as_mofile(str(mo_path))
        compiled += 1
    return compiled


if __name__ == "__main__":
    count = compile_all()
    if count:
        print(f"Compiled {count} translation catalogue(s).")
    sys.exit(0)
