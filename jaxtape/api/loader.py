"""Imports every module of a package, so op modules register themselves."""
import importlib
import pkgutil


def import_all(package: str) -> None:
    pkg = importlib.import_module(package)
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        importlib.import_module(f"{package}.{info.name}")
