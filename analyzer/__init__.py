"""perfscan: static performance analysis for Python backends and React frontends."""

__version__ = "0.1.0"
