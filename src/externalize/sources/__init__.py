"""Source adapters: one module per raw release family. `adapter_for(name)` imports the module by name."""

from __future__ import annotations

import importlib
from types import ModuleType

from externalize.errors import ConfigError
from externalize.sources.base import AdapterOutput

__all__ = ["AdapterOutput", "adapter_for"]


def adapter_for(name: str) -> ModuleType:
    """The adapter module `externalize.sources.<name>` (the registry's `adapter` field)."""
    try:
        module = importlib.import_module(f"externalize.sources.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"externalize.sources.{name}":
            raise ConfigError(f"no adapter module externalize.sources.{name} (named in data/sources.toml)") from exc
        raise
    if not hasattr(module, "read"):
        raise ConfigError(f"externalize.sources.{name} has no read(spec, files) function")
    return module
