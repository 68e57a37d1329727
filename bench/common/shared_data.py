"""Where the benchmarks find the project's extra real data.

The bundled corpus is data/sample/. When the project's shared data folder sits beside the
repository (shared/data with the uspto/epo/st96 .tar.xz archives, as on the developers' and CI
machines), its archives are unpacked once into build-bench/shared/ and used as well. Nothing here
downloads anything; without the archives the benchmarks use data/sample/ alone.
"""
import os
import subprocess
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def unpacked_shared_data() -> Path:
    """Returns the folder holding the unpacked archives (it may not exist)."""
    target = Path(os.environ.get("IPDX_SHARED_UNPACKED", REPO_ROOT / "build-bench" / "shared"))
    archives_dir = REPO_ROOT.parent / "shared" / "data"
    if target.is_dir() and any(target.iterdir()):
        return target
    archives = sorted(archives_dir.glob("*.tar.xz")) if archives_dir.is_dir() else []
    if not archives:
        return target
    target.mkdir(parents=True, exist_ok=True)
    for archive in archives:
        if archive.name.startswith(("uspto", "epo", "st96")):
            subprocess.run(["tar", "xJf", str(archive), "-C", str(target)], check=True)
    return target
