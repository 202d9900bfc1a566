"""Exceptions raised by :class:`jetpack_partner.Client`.

Hierarchy::

    JetpackError                     every failure; .code, .message, .http_status
    +-- ApiError                     the server answered with an error (invalid_plan, invalid_blog, ...)
    |   +-- TokenError               the partner token was refused (code "token_error", e.g. invalid_client)
    |   +-- AccessDenied             the user refused the authorization (code "access_denied")
    +-- TransportError               no usable answer: retry later, or check the site's status
    |   +-- RequestTimeout           "timeout"
    |   +-- TlsError                 "tls_error"
    |   +-- OutcomeUnknown           "outcome_unknown": the request may have been processed
    |   +-- InvalidResponse          "invalid_response": the reply was not the expected JSON
    |       +-- ResponseTooLarge     "response_too_large"
    +-- InvalidArgument (ValueError) bad input, refused before anything was sent
    |   +-- StateMismatch            an OAuth redirect's ``state`` is not the expected one ("state_mismatch")
    +-- InternalError                a defect in the library ("internal")
"""

from __future__ import annotations

import enum
from typing import Any, Dict, Optional, Type


class Code(enum.IntEnum):
    """The C ABI's ``jp_code`` result numbers (they never change)."""

    OK = 0
    INVALID_ARGUMENT = 1
    API_ERROR = 2
    TRANSPORT_ERROR = 3
    TIMEOUT = 4
    TLS_ERROR = 5
    INVALID_RESPONSE = 6
    RESPONSE_TOO_LARGE = 7
    OUTCOME_UNKNOWN = 8
    TOKEN_ERROR = 9
    INTERNAL = 10


class JetpackError(Exception):
    """A failed operation.

    Attributes:
        code: the stable error code string: the server's own (``invalid_plan``, ...) or the
            client's (``invalid_argument``, ``transport_error``, ``timeout``, ``tls_error``,
            ``invalid_response``, ``response_too_large``, ``outcome_unknown``, ``token_error``,
            ``internal``).
        message: a human-readable explanation (never contains the partner secret or a token).
        http_status: the HTTP status of the server's reply, or ``None`` when none was read.
        result: the C ABI's numeric result (:class:`Code`, or a plain int for a code this
            package does not know).
        attempts: how many HTTP attempts were made (0 when nothing was sent).
        body: the server's error reply decoded from JSON (``{"error": ..., "message": ...}``),
            or ``None`` when there was none.
    """

    def __init__(
        self,
        code: str,
        message: str,
        http_status: Optional[int] = None,
        *,
        result: int = Code.INTERNAL,
        attempts: int = 0,
        body: Optional[Dict[str, Any]] = None,
    ) -> None:
        super().__init__(code, message, http_status)
        self.code = code
        self.message = message
        self.http_status = http_status
        try:
            self.result: int = Code(result)
        except ValueError:
            self.result = result
        self.attempts = attempts
        self.body = body

    def __str__(self) -> str:
        text = f"{self.code}: {self.message}"
        if self.http_status:
            text += f" (HTTP {self.http_status})"
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, message={self.message!r}, "
            f"http_status={self.http_status!r})"
        )


class ApiError(JetpackError):
    """The server refused the request; ``code`` is its error code, ``http_status`` its status."""


class TokenError(ApiError):
    """The server refused the partner credentials; the message carries its OAuth error."""


class TransportError(JetpackError):
    """No usable reply was obtained (network failure, timeout, TLS, unreadable reply).

    For ``provision`` and ``cancel``, the request may or may not have been processed when
    ``code`` is ``outcome_unknown`` (and possibly ``invalid_response``): check with ``status``.
    """


class RequestTimeout(TransportError):
    """The operation did not finish within the configured timeout (``code == "timeout"``)."""


class TlsError(TransportError):
    """The TLS connection failed: certificate, CA bundle or handshake (``code == "tls_error"``)."""


class OutcomeUnknown(TransportError):
    """The request was sent but its outcome is unknown (``code == "outcome_unknown"``)."""


class InvalidResponse(TransportError):
    """The server's reply could not be used: not JSON, truncated, unexpected (``invalid_response``)."""


class ResponseTooLarge(InvalidResponse):
    """The reply exceeded the configured size limit (``code == "response_too_large"``)."""


class InvalidArgument(JetpackError, ValueError):
    """An argument was refused before anything was sent; the message names it."""


class InternalError(JetpackError):
    """A defect in the library (``code == "internal"``)."""


class AccessDenied(ApiError):
    """The user refused the authorization on WordPress.com (``code == "access_denied"``).

    Raised by :func:`jetpack_partner.parse_redirect` when the redirect carries
    ``error=access_denied`` (in the query, or in the fragment of the implicit flow). Another
    ``error=`` of a redirect raises a plain :class:`ApiError` with that code.
    """


class StateMismatch(InvalidArgument):
    """An OAuth redirect's ``state`` is missing or differs from the expected one
    (``code == "state_mismatch"``): the redirect may be forged; do not use its code or token.
    """


_BY_RESULT: Dict[int, Type[JetpackError]] = {
    Code.INVALID_ARGUMENT: InvalidArgument,
    Code.API_ERROR: ApiError,
    Code.TRANSPORT_ERROR: TransportError,
    Code.TIMEOUT: RequestTimeout,
    Code.TLS_ERROR: TlsError,
    Code.INVALID_RESPONSE: InvalidResponse,
    Code.RESPONSE_TOO_LARGE: ResponseTooLarge,
    Code.OUTCOME_UNKNOWN: OutcomeUnknown,
    Code.TOKEN_ERROR: TokenError,
    Code.INTERNAL: InternalError,
}


# Error codes with a class of their own, refining the class of their result number.
_BY_CODE: Dict[str, Type[JetpackError]] = {
    "access_denied": AccessDenied,
    "state_mismatch": StateMismatch,
}


def error_class(result: int, code: Optional[str] = None) -> Type[JetpackError]:
    """The exception class for a C ABI result number and error code string.

    The result number picks the class (the base class for unknown numbers); a ``code`` with a
    class of its own (``access_denied``, ``state_mismatch``) refines it when that class derives
    from the result's class.
    """
    base = _BY_RESULT.get(result, JetpackError)
    if code is not None:
        special = _BY_CODE.get(code)
        if special is not None and issubclass(special, base):
            return special
    return base
