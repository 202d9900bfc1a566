"""Version of the Python package; it must match the shared library's ``jp_version()``."""

__version__ = "0.1.0"
