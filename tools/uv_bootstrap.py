"""Write tools/uv-bootstrap.txt: uv's version and file hashes as uv.lock records them.

The Makefile installs uv from that file (`pip install --require-hashes`) before uv installs everything else from
uv.lock, so the installer is pinned and verified like every other dependency. `make lock` runs this after `uv lock`;
tests/test_setup.py checks that the file is in step with the lock.

    python tools/uv_bootstrap.py            # rewrite the file
    python tools/uv_bootstrap.py --check    # exit 1 if it is out of step
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "uv.lock"
OUT = ROOT / "tools" / "uv-bootstrap.txt"

HEADER = (
    "# Written by tools/uv_bootstrap.py from uv.lock (`make lock`); do not edit. The Makefile installs uv from this\n"
    "# file with `pip install --require-hashes` and uv then installs everything else from uv.lock.\n"
)


def locked_uv(lock_text: str) -> tuple[str, list[str]]:
    """Return uv's locked version and the sha256 hashes of every file the lock records for it, sorted."""
    lock = tomllib.loads(lock_text)
    for package in lock.get("package", []):
        if package.get("name") == "uv":
            files = [*package.get("wheels", []), *([package["sdist"]] if "sdist" in package else [])]
            hashes = sorted(str(f["hash"]) for f in files)
            if not hashes:
                raise SystemExit("uv.lock records no file hashes for uv")
            return str(package["version"]), hashes
    raise SystemExit("uv.lock has no uv package: add uv to the dev dependency group in pyproject.toml")


def render(version: str, hashes: list[str]) -> str:
    """The requirements file pip reads: one pinned requirement, every hash on its own continuation line."""
    lines = [f"uv=={version}"] + [f"    --hash={h}" for h in hashes]
    return HEADER + " \\\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    """Write the file, or with --check compare it with the lock."""
    expected = render(*locked_uv(LOCK.read_text()))
    if "--check" in argv:
        if not OUT.exists() or OUT.read_text() != expected:
            print(f"{OUT.relative_to(ROOT)} is out of step with uv.lock: run `make lock`", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(expected)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
