"""Copy the front-end assets installed by npm into app/static/vendor (git-ignored)."""

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = ROOT / "node_modules"
VENDOR = ROOT / "app" / "static" / "vendor"

# (source under node_modules, destination under app/static/vendor)
ASSETS = [
    ("htmx.org/dist/htmx.min.js", "htmx/htmx.min.js"),
    ("dkfds/dist/css/dkfds.min.css", "dkfds/css/dkfds.min.css"),
    ("dkfds/dist/fonts", "dkfds/fonts"),
    ("dkfds/dist/img", "dkfds/img"),
]


def main() -> int:
    """Copy every asset; fail loudly when npm has not installed one."""
    missing = [src for src, _ in ASSETS if not (MODULES / src).exists()]
    if missing:
        print("Missing front-end packages (run npm ci first):", ", ".join(missing), file=sys.stderr)
        return 1
    for src, dest in ASSETS:
        target = VENDOR / dest
        target.parent.mkdir(parents=True, exist_ok=True)
        if (MODULES / src).is_dir():
            shutil.copytree(MODULES / src, target, dirs_exist_ok=True)
        else:
            shutil.copy2(MODULES / src, target)
    print(f"Front-end assets copied to {VENDOR.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
