"""Exceptions with messages a researcher can act on."""

from __future__ import annotations


class ExternalizeError(Exception):
    """Base class for every error this package raises on purpose."""


class DataNotFoundError(ExternalizeError, FileNotFoundError):
    """A registered raw file is not in any of the places searched."""


class ChecksumError(ExternalizeError, ValueError):
    """A raw file's sha256 differs from the one in the source registry."""


class SourceFormatError(ExternalizeError, ValueError):
    """A raw file is not in the format its adapter expects (columns, codes, truncation)."""


class ConfigError(ExternalizeError, ValueError):
    """The study config or the source registry is invalid."""


class ModelSpecError(ExternalizeError, ValueError):
    """A model request that cannot be fitted as asked: unknown model id, bad option, singular design."""


class FitError(ExternalizeError, ValueError):
    """A fit that ran into a non-estimable model (separation, a series all zero on one side of an
    intervention) or failed numerically; the message says why and what to use instead."""
