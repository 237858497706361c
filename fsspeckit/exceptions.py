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
    │   ├── StalePlanError           the source changed since planning
    │   └── UnsafePathError          a path in a plan leaves its root
    ├── PredicateError               (also ValueError) bad partition predicate
    ├── FilterError                  (also ValueError) bad filter rule, file, size or age
    ├── OptionError                  (also ValueError) an argument's value cannot be used
    ├── OptionTypeError              (also TypeError) an argument of the wrong type
    ├── ParquetFooterError           (also ValueError) not a readable Parquet footer
    ├── PeekError                    (also ValueError) a file a quick look cannot show
    ├── MoveRefused                  (also OSError) a move that must not be tried again
    ├── UploadStoppedError           (also ValueError) a streamed upload read after it stopped
    ├── EndpointTimeoutError         (also OSError) a store sent nothing for too long
    ├── ProfileError                 (also ValueError) a saved remote or option is invalid
    ├── TomlWriteError               (also ValueError) a value TOML cannot hold
    ├── SourceChangedError           (also OSError) the source changed during its copy
    ├── VerificationError            (also OSError) copied bytes did not match the source
    ├── SyncError                    (also RuntimeError) files failed; carries the result
    └── SyncCancelled                the run was cancelled
"""

from __future__ import annotations

__all__ = [
    "BackendError",
    "BackendNotInstalledError",
    "DeleteLimitError",
    "DestinationError",
    "EmptySourceError",
    "EndpointTimeoutError",
    "FilterError",
    "FsspeckitError",
    "MoveRefused",
    "OptionError",
    "OptionTypeError",
    "ParquetFooterError",
    "PeekError",
    "PlanError",
    "PredicateError",
    "ProfileError",
    "SourceChangedError",
    "SourceError",
    "SourceNotFoundError",
    "StalePlanError",
    "SyncCancelled",
    "SyncError",
    "TomlWriteError",
    "UnknownProtocolError",
    "UnsafePathError",
    "UploadStoppedError",
    "VerificationError",
    "describe_error",
]


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


class OptionError(FsspeckitError, ValueError):
    """An argument or option has a value that cannot be used; the message names it and what is allowed."""


class OptionTypeError(FsspeckitError, TypeError):
    """An argument or option has the wrong type; the message names the type expected."""


class ParquetFooterError(FsspeckitError, ValueError):
    """A file is not a Parquet file, or its footer is damaged."""


class MoveRefused(FsspeckitError, OSError):
    """A move that must not be tried again (the target is taken, the old file changed)."""


class PeekError(FsspeckitError, ValueError):
    """A file that cannot be shown in a quick look, with one sentence saying why."""


class UploadStoppedError(FsspeckitError, ValueError):
    """A streamed upload was read after it was stopped (its file closed)."""


class ProfileError(FsspeckitError, ValueError):
    """A saved remote is unknown, malformed, or cannot be used as configured."""


class TomlWriteError(FsspeckitError, ValueError):
    """A value has no TOML form here."""


class UnsafePathError(PlanError):
    """A relative path would leave its root or does not name one file."""


class EndpointTimeoutError(FsspeckitError, OSError):
    """An endpoint did not answer within the timeout, several times in a row (not retried again).

    An ``OSError`` rather than a ``TimeoutError``: s3fs retries any
    ``TimeoutError`` (and fsspec strips its message).
    """


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


# --- one sentence per error ----------------------------------------------------

_CREDENTIALS_REJECTED = ("invalidaccesskeyid", "signaturedoesnotmatch", "invalidtoken", "expiredtoken",
                         "invalid_grant", "401", "unauthorized", "authentication")
_NO_CREDENTIALS = ("nocredentialserror", "unable to locate credentials", "no credentials",
                   "defaultcredentialserror", "could not automatically determine credentials",
                   "partial credentials")
_NO_BUCKET = ("nosuchbucket", "bucket does not exist", "the specified bucket")
_DENIED = ("accessdenied", "access denied", "forbidden", "403")
_UNREACHABLE = ("endpointconnectionerror", "could not connect", "connection refused", "connecterror",
                "cannot connect", "name or service not known", "nodename nor servname",
                "temporary failure in name resolution", "connect timeout", "timed out",
                "clientconnectorerror", "connectionerror", "failed to establish", "connect call failed")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else ""


def _sentence(text: str) -> str:
    return text if text.endswith((".", "?", "!", ")")) else text + "."


def describe_error(exc: BaseException, where: str | None = None, *, bucket: str = "",
                   endpoint: str = "") -> str:
    """One sentence for ``exc`` a person can act on, never a traceback.

    Without ``where`` it names the error (a deliberate fsspeckit error keeps its
    own sentence). With ``where`` (the URL or the location being listed) the
    errors of the storage clients become what to check: the credentials, the
    bucket, the permissions, the endpoint. Every front end and the per-file
    outcomes of a run use this function.
    """
    if where is not None:
        return _location_problem(exc, where, bucket, endpoint) or f"listing {where} failed: {describe_error(exc)}"
    text = _first_line(exc)
    if isinstance(exc, FsspeckitError) and text:
        return text
    if "Could not connect" in text or "Connect call failed" in text:
        return f"the endpoint cannot be reached ({text.split(':', 1)[-1].strip()})."
    if isinstance(exc, OSError) and exc.errno == 28:  # ENOSPC
        return f"No space left on the destination device ({exc.filename or text})."
    if isinstance(exc, PermissionError):
        return f"Permission denied: {text or 'no permission'}. Check the credentials and their permissions."
    if isinstance(exc, FileNotFoundError):
        return f"Not found: {exc.filename or text}."
    if isinstance(exc, IsADirectoryError):
        return f"{exc.filename or text} is a folder; give a file."
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.filename}: {exc.strerror}." if exc.filename else f"{exc.strerror}."
    name = type(exc).__name__
    if "Credential" in name:
        return (f"No usable credentials ({name}): set them in the environment or pass them as storage "
                "options (--src-option/--dst-option).")
    if isinstance(exc, (ValueError, OSError, ImportError)) and text:
        return _sentence(text)
    return f"{name}: {text}" if text else name


def _location_problem(exc: BaseException, where: str, bucket: str, endpoint: str) -> str | None:
    chain: list[BaseException] = []
    e: BaseException | None = exc
    while e is not None and len(chain) < 6:
        chain.append(e)
        e = e.__cause__ or e.__context__
    low = " ".join(f"{type(x).__name__} {x}" for x in chain).lower()
    at = f" at {endpoint}" if endpoint else ""
    if any(w in low for w in _CREDENTIALS_REJECTED):
        return f"the credentials were rejected{at} (bad or expired key/secret/token); check them."
    if any(w in low for w in _NO_CREDENTIALS):
        return "no complete credentials were found; set them (env:VAR options, AWS_PROFILE, a token file) or use anon=true."
    if any(w in low for w in _NO_BUCKET):
        return f"the bucket '{bucket}' does not exist{at}."
    if isinstance(exc, PermissionError) or any(w in low for w in _DENIED):
        return f"access was denied to {where}; the credentials lack permission to list it."
    if any(w in low for w in _UNREACHABLE):
        return f"the endpoint{at or ' for ' + where} could not be reached (is the URL right, the service up, the network open?)."
    if isinstance(exc, FileNotFoundError):
        return f"the bucket '{bucket}' or the path {where} does not exist." if bucket else f"{where} does not exist."
    return None
