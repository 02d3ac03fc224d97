"""Imports every module of a package and its subpackages, so op modules register themselves."""
import importlib
import pkgutil


def import_all(package: str) -> None:
    pkg = importlib.import_module(package)
    for info in sorted(pkgutil.walk_packages(pkg.__path__, prefix=f"{package}."), key=lambda i: i.name):
        importlib.import_module(info.name)
