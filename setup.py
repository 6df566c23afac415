"""Ship the built Data Package inside the wheel, so that `chechnya_purges.load()` works
wherever the library is installed, at exactly its version, and take the package's version
from that Data Package (written by `chechnya-purges build`). Everything else is in
pyproject.toml."""

import json
import shutil
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).parent
sys.path.insert(0, str(ROOT / "src"))
from chechnya_purges.compat import python_version  # noqa: E402  (standard library only)

VERSION = python_version(json.loads((ROOT / "datapackage.json").read_bytes())["version"])
PACKAGED = [
    "datapackage.json",
    "CITATION.cff",
    "LICENSE-DATA",
    "build",
    "schema",
    "docs",
    "croissant.json",
]


class BuildWithPackage(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "chechnya_purges" / "_package"
        for name in PACKAGED:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, target / name, dirs_exist_ok=True)
            elif source.is_file():
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target / name)


# setuptools' own scratch folder defaults to build/, which is the dataset's output folder.
setup(
    version=VERSION,
    cmdclass={"build_py": BuildWithPackage},
    options={"build": {"build_base": ".setuptools"}},
)
