"""Territoire: decision-support workbook for CTG (Convention Territoriale Globale) officers.

Kept light on purpose: importing the package must not import pandas, Altair or Jupyter.
"""

__version__ = "0.1.0"
