"""Miru (見る): screened image answers for team chat."""

__version__ = "0.1.0"
