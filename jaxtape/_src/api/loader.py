"""Imports every module of a package and its subpackages, so op modules register themselves."""
import importlib
import pkgutil


def import_all(package: str) -> None:
    pkg = importlib.import_module(package)
    found = pkgutil.walk_packages(pkg.__path__, prefix=f"{package}.")
    for name in sorted(info.name for info in found):
        importlib.import_module(name)
