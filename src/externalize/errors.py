"""Exceptions with messages a researcher can act on: one hierarchy under `ExternalizeError`.

The CLI prints any `ExternalizeError` as one line and exits non-zero (`--debug` shows the traceback); any
other exception is a bug in the package and keeps its traceback. Code that guards a fit catches only
`ExternalizeError` and the numerical failures it names, never `KeyError` or `TypeError`.
"""

from __future__ import annotations


class ExternalizeError(Exception):
    """Base class for every error this package raises on purpose."""


class DataNotFoundError(ExternalizeError, FileNotFoundError):
    """A registered raw file, or a folder the user named, is not where it was looked for."""


class ChecksumError(ExternalizeError, ValueError):
    """A raw file's sha256 differs from the one in the source registry."""


class SourceFormatError(ExternalizeError, ValueError):
    """A raw file is not in the format its adapter expects (columns, codes, truncation, encoding)."""


class ConfigError(ExternalizeError, ValueError):
    """The study config or the source registry is invalid."""


class TaxonomyError(ExternalizeError, ValueError):
    """The actor taxonomy or the coalition list (data/taxonomy/) is invalid."""


class LedgerError(ExternalizeError):
    """The row ledger does not balance: rows were lost or counted twice between reading and classifying."""


class ModelSpecError(ExternalizeError, ValueError):
    """A model request that cannot be fitted as asked: unknown model id, bad option, singular design, too few
    pre-periods."""


class FitError(ExternalizeError, ValueError):
    """A fit that ran into a non-estimable model (separation, a series all zero on one side of an
    intervention) or failed numerically; the message says why and what to use instead."""


class PipelineError(ExternalizeError):
    """The pipeline cannot run: another run holds the project's lock, or a step's outputs are unusable."""
