"""WordPress.com's Jetpack hosting-partner API: provisioning, reporting, OAuth2 for users and
the Licensing API.

A thin ctypes binding of ``libjetpack_partner``::

    from jetpack_partner import Client, ApiError

    with Client("12345", "secret") as client:
        reply = client.provision("admin", "https://example.com", "jetpack-complete")
        print(reply["next_url"])

The shared library is found from ``JETPACK_PARTNER_LIB``, the package's own copy, a
development checkout's ``target/release``, then the system library path. Its version is
checked at import (:class:`LibraryLoadError` otherwise, a subclass of ``ImportError``).
"""

from ._version import __version__
from ._lib import LibraryLoadError, lib_path as library_path, library_version
from ._batch import BatchResult
from ._client import Client, Grant, parse_redirect, site_identifier
from ._log import LOG_DEBUG, LOG_ERROR, LOG_INFO, log_to_logging, set_log_callback
from .errors import (
    AccessDenied,
    ApiError,
    Code,
    InternalError,
    InvalidArgument,
    InvalidResponse,
    JetpackError,
    OutcomeUnknown,
    RequestTimeout,
    ResponseTooLarge,
    StateMismatch,
    TlsError,
    TokenError,
    TransportError,
)

__all__ = [
    "__version__",
    "library_path",
    "library_version",
    "Client",
    "BatchResult",
    "site_identifier",
    "Grant",
    "parse_redirect",
    "set_log_callback",
    "log_to_logging",
    "LOG_ERROR",
    "LOG_INFO",
    "LOG_DEBUG",
    "Code",
    "JetpackError",
    "ApiError",
    "TokenError",
    "TransportError",
    "RequestTimeout",
    "TlsError",
    "OutcomeUnknown",
    "InvalidResponse",
    "ResponseTooLarge",
    "AccessDenied",
    "InvalidArgument",
    "StateMismatch",
    "InternalError",
    "LibraryLoadError",
]
