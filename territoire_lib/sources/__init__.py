"""Loaders of the real published files, one module per publisher.

Layer « sources »: imports nothing from the library.
"""
