"""Clearinghouse: a biodiversity clearing-house platform."""

__version__ = "0.1.0"
