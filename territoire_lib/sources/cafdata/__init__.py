"""CAFDATA loaders (Cnaf open data, data.caf.fr): see data-formats.md §1 and §2.

Three readers:

* :func:`read_cafdata_communal` reads the Opendatasoft CSV exports of the communal household
  counts ``s_ben_com_f``, ``ndur_s_qf_400_com_f`` (family quotient bands) and
  ``rsa_s_type_com_f`` (RSA by type) and returns observations rounded to 5;
* :func:`read_early_childhood` reads the ONAPE family ``txcouv_pe_*`` / ``nbpla_pe_*`` at
  every level, returns commune observations of childcare places (published for communes over
  10,000 inhabitants, estimated from the EPCI for the others) and the published references;
* :func:`read_tauxcouv_legacy` reads the legacy all-commune ``TAUXCOUV2020/2021.csv`` files
  (references only).

References frames have the columns ``niveau | code | annee | variable | valeur`` where
``niveau`` is one of ``commune``, ``epci``, ``departement``, ``region``, ``france`` (code
``FR``). They hold published figures (rates, place counts) that are never summed.

This facade only re-exports. The package, layer « sources » (it imports the socle and
:mod:`territoire_lib.sources.reading`):

* :mod:`.common` — source labels, column and key checks, label keys, references frame;
* :mod:`.communal` — :func:`read_cafdata_communal`;
* :mod:`.early_childhood` — :func:`read_early_childhood`, :func:`rate_variable`;
* :mod:`.legacy` — :func:`read_tauxcouv_legacy`.
"""

from __future__ import annotations

from .common import (
    FRANCE_CODE,
    LABEL_HEADERS,
    MAX_REPORTED,
    REFERENCE_COLUMNS,
    SOURCE,
    SOURCE_LEGACY,
    SOURCE_PE,
)
from .communal import (
    DATASETS,
    DROP_NOT_LOCALISED,
    DROP_PLACEHOLDER,
    NOT_MULTIPLE_OF_5,
    QF_LABELS_SHOWN,
    QF_VARIABLES,
    S_BEN_VARIABLES,
    read_cafdata_communal,
)
from .early_childhood import (
    AM,
    DROP_PE_PLACEHOLDER,
    FALLBACK_NOTE,
    GAD,
    IND,
    PE_LEVELS,
    PLACE_STEMS,
    PLACE_VARS,
    RATE_STEMS,
    rate_variable,
    read_early_childhood,
)
from .legacy import LEGACY_COLUMNS, read_tauxcouv_legacy

__all__ = [
    "AM",
    "DATASETS",
    "DROP_NOT_LOCALISED",
    "DROP_PE_PLACEHOLDER",
    "DROP_PLACEHOLDER",
    "FALLBACK_NOTE",
    "FRANCE_CODE",
    "GAD",
    "IND",
    "LABEL_HEADERS",
    "LEGACY_COLUMNS",
    "MAX_REPORTED",
    "NOT_MULTIPLE_OF_5",
    "PE_LEVELS",
    "PLACE_STEMS",
    "PLACE_VARS",
    "QF_LABELS_SHOWN",
    "QF_VARIABLES",
    "RATE_STEMS",
    "REFERENCE_COLUMNS",
    "SOURCE",
    "SOURCE_LEGACY",
    "SOURCE_PE",
    "S_BEN_VARIABLES",
    "rate_variable",
    "read_cafdata_communal",
    "read_early_childhood",
    "read_tauxcouv_legacy",
]
