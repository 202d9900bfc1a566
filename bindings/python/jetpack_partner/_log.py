"""The library's diagnostic lines, delivered to a Python function or to :mod:`logging`."""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable, Optional

from ._client import _last_error
from ._lib import jp_log_fn, lib
from .errors import Code, InvalidArgument

__all__ = ["LOG_ERROR", "LOG_INFO", "LOG_DEBUG", "set_log_callback", "log_to_logging"]

#: Level of a line: a failed operation (``JP_LOG_ERROR``).
LOG_ERROR = 1
#: Level of a line: an operation's outcome (``JP_LOG_INFO``).
LOG_INFO = 2
#: Level of a line: an HTTP attempt, a pause, a token request (``JP_LOG_DEBUG``).
LOG_DEBUG = 3

_LOGGING_LEVELS = {LOG_ERROR: logging.ERROR, LOG_INFO: logging.INFO, LOG_DEBUG: logging.DEBUG}

_lock = threading.Lock()
# Set on a thread while it runs the callback.
_delivering = threading.local()
# The C function pointer in force: kept alive here while the library may call it.
_installed: Optional[Any] = None


def set_log_callback(callback: Optional[Callable[[int, str], None]]) -> None:
    """Send the library's diagnostic lines to ``callback(level, line)``, for every client of
    the process; ``None`` removes it (lines then go to stderr only when the environment
    variable ``JETPACK_PARTNER_LOG`` asks for them).

    ``level`` is :data:`LOG_ERROR`, :data:`LOG_INFO` or :data:`LOG_DEBUG`; every line is
    delivered and the callback filters. Lines never contain the partner secret, tokens,
    passwords or option values. The callback runs on the thread making the call, on several
    threads at once when several threads make calls; it must return quickly and must not call
    the library (calling this function from it raises :class:`InvalidArgument`). An exception
    it raises is ignored.
    """
    global _installed
    if getattr(_delivering, "active", False):
        # The library refuses this too; checking first keeps _lock free of a wait on itself.
        raise InvalidArgument(
            "invalid_argument",
            "callback: set_log_callback must not be called from inside the log callback",
            None,
            result=Code.INVALID_ARGUMENT,
        )
    if callback is None:
        function = jp_log_fn()  # NULL
    else:
        if not callable(callback):
            raise TypeError(f"callback must be callable, not {type(callback).__name__}")

        def deliver(level: int, line: Optional[bytes], _user_data: Any) -> None:
            _delivering.active = True
            try:
                callback(level, line.decode("utf-8", "replace") if line else "")
            except Exception:  # noqa: BLE001 - must not cross into the library
                pass
            finally:
                _delivering.active = False

        function = jp_log_fn(deliver)
    with _lock:
        code = lib.jp_set_log_callback(function, None)
        if code != Code.OK:
            raise _last_error(code, "set_log_callback")
        # The previous function is no longer called once jp_set_log_callback returned.
        _installed = function


def log_to_logging(logger: Optional[logging.Logger] = None) -> None:
    """Send the library's diagnostic lines to ``logger`` (default: the ``jetpack_partner``
    logger) at the matching :mod:`logging` level (ERROR, INFO, DEBUG)."""
    target = logger if logger is not None else logging.getLogger("jetpack_partner")

    def emit(level: int, line: str) -> None:
        py_level = _LOGGING_LEVELS.get(level, logging.DEBUG)
        if target.isEnabledFor(py_level):
            target.log(py_level, "%s", line)

    set_log_callback(emit)
