"""Territoire: decision-support workbook for CTG (Convention Territoriale Globale) officers.

Kept light on purpose: importing the package must not import pandas, Altair or Jupyter.

The library is in layers, each importing only the layers below it (docs/architecture.md, checked
by tests/unit/test_architecture.py). This root belongs to layer « socle »: imports nothing.
"""

__version__ = "0.1.0"
