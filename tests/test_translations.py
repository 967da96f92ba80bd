"""The English catalogue is complete: every Danish text of the UI has an English translation."""

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "app" / "translations" / "en" / "LC_MESSAGES" / "messages.po"


def test_every_message_in_the_code_has_an_english_translation(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract",
                    "-F", str(ROOT / "babel.cfg"), "-k", "_l", "-k", "lazy_gettext",
                    "-o", str(pot), str(ROOT / "app")], check=True, cwd=ROOT)
    with pot.open("rb") as fh:
        extracted = {m.id for m in read_po(fh) if m.id}
    with CATALOGUE.open("rb") as fh:
        catalogue = {m.id: m for m in read_po(fh) if m.id}
    assert len(extracted) > 500  # the extraction really found the UI's texts
    missing = sorted(str(i) for i in extracted if i not in catalogue or not catalogue[i].string)
    fuzzy = sorted(str(m.id) for m in catalogue.values() if m.fuzzy)
    assert not missing, f"{len(missing)} texts lack an English translation, e.g. {missing[:5]}"
    assert not fuzzy, f"fuzzy translations: {fuzzy[:5]}"
