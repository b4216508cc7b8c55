"""Command modules for manage.py. Each exposes `register(subparsers)`."""

from __future__ import annotations

import importlib
import pkgutil


class CommandError(Exception):
    """An operator-facing failure: printed as is (in Chinese), exit code non-zero."""

    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message)
        self.exit_code = exit_code


def _discover() -> list:
    return [
        importlib.import_module(f"cli.{m.name}")
        for m in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name)
        if not m.name.startswith("_")
    ]


COMMAND_MODULES = _discover()
