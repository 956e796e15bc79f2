"""Loaders of the real published files, one module per publisher."""
