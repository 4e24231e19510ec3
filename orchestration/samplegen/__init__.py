"""Deterministic, seeded generator of the Kunming sample under ``raw/``."""

from .write import generate

__all__ = ["generate"]
