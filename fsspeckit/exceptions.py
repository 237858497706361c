"""Exceptions raised by fsspeckit.

Every error the library raises on purpose derives from ``FsspeckitError``, so a
caller can catch one type; each carries one sentence a person can act on::

    FsspeckitError
    ├── BackendError                 (also ImportError / ValueError)
    │   ├── UnknownProtocolError     no fsspec implementation has that name
    │   └── BackendNotInstalledError the implementation needs a package
    ├── SourceError                  (also FileNotFoundError)
    │   ├── SourceNotFoundError      the source root does not exist
    │   └── EmptySourceError         the source root lists no files
    ├── DestinationError             the destination cannot be used
    ├── DeleteLimitError             deletions would exceed ``max_delete``
    ├── PlanError                    a plan file is invalid or stale
    │   └── StalePlanError           the source changed since planning
    ├── PredicateError               (also ValueError) bad partition predicate
    ├── FilterError                  (also ValueError) bad filter rule, file, size or age
    ├── SourceChangedError           (also OSError) the source changed during its copy
    ├── VerificationError            (also OSError) copied bytes did not match the source
    ├── SyncError                    (also RuntimeError) files failed; carries the result
    └── SyncCancelled                the run was cancelled
"""

from __future__ import annotations


class FsspeckitError(Exception):
    """Base class for every error fsspeckit raises on purpose."""


class BackendError(FsspeckitError, ValueError):
    """A filesystem could not be created."""


class UnknownProtocolError(BackendError):
    """No fsspec implementation is registered under the given protocol."""


class BackendNotInstalledError(BackendError, ImportError):
    """The protocol is known but its package is not installed."""


class SourceError(FsspeckitError, FileNotFoundError):
    """The source of a sync cannot be used."""


class SourceNotFoundError(SourceError):
    """The source root does not exist."""


class EmptySourceError(SourceError):
    """The source root exists but holds no files."""


class DestinationError(FsspeckitError, OSError):
    """The destination of a sync cannot be used."""


class DeleteLimitError(FsspeckitError):
    """Applying the plan would delete more than ``max_delete`` allows."""


class PlanError(FsspeckitError, ValueError):
    """A saved plan cannot be read or applied."""


class StalePlanError(PlanError):
    """The source or destination changed since the plan was made."""


class PredicateError(FsspeckitError, ValueError):
    """A partition predicate cannot be parsed; the message names the position."""


class FilterError(FsspeckitError, ValueError):
    """A filter rule, filter file, size or age cannot be read; the message names the line."""


class SyncCancelled(FsspeckitError):
    """The run was cancelled through its cancel event."""


class SourceChangedError(FsspeckitError, OSError):
    """The source file changed between listing and copying."""


class VerificationError(FsspeckitError, OSError):
    """A copied file did not match its source after the copy."""
class SyncError(FsspeckitError, RuntimeError):
    """Some files could not be synced; every other file was.

    Raised by ``sync_dir``/``sync_files`` after all the work that could be done
    was done (deletions are skipped when a copy failed). ``result`` is the full
    ``SyncResult``: what was copied, what failed and why.
    """

    def __init__(self, message: str, result=None):
        super().__init__(message)
        self.result = result
