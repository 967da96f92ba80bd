"""Fill English translations into the catalogue: `python scripts/translate.py file.json`.

The JSON maps Danish msgids to English. Used when new texts are added; `make translations-update`
first brings the catalogue in line with the code.
"""

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

CATALOGUE = Path(__file__).resolve().parent.parent / "app/translations/en/LC_MESSAGES/messages.po"


def main() -> int:
    """Apply the translations; list msgids that are still empty."""
    english = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    with CATALOGUE.open("rb") as fh:
        catalogue = read_po(fh)
    for message in catalogue:
        if message.id in english:
            message.string = english[message.id]
            message.flags.discard("fuzzy")
    with CATALOGUE.open("wb") as fh:
        write_po(fh, catalogue, width=100, sort_output=True, omit_header=False)
    missing = [m.id for m in catalogue if m.id and not m.string]
    for msgid in missing:
        print("missing:", msgid)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
