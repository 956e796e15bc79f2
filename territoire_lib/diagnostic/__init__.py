"""The territorial diagnostic of one territory (commune, EPCI, département or perimeter).

:func:`diagnose` gathers, for one territory and one year (the latest by default):

* the **context**: population, children, zonings, and a French summary sentence;
* every catalogue indicator against the département and France, **theme by theme**
  (:func:`territoire_lib.indicators.indicator_table`);
* **strengths** (« atouts ») and **points of vigilance** as French sentences, and the limits of
  the data (secrecy, estimates, files not loaded);
* an **inclusion diagnostic** per commune (low-income families, poverty, RSA, single parents,
  children with disabilities, QPV, FRR, childcare coverage) with a **needs index** that ranks
  the communes (method below, shown to users as :attr:`Diagnostic.methode_indice`);
* the **SPPE duties** of each commune by population band (« service public de la petite
  enfance », art. L. 214-1-3 CASF), read from the dated bands of the indicator catalogue
  (``parametres: sppe``), never hard-coded here.

Needs index (0 to 100, higher = greater needs)
-----------------------------------------------
For each component, every commune of the département gets a **percentile rank** among the
communes of the département that have a value: ``100 × (r − 1) / (n − 1)`` where ``r`` is its
average rank (ties share their mean rank) from the lowest to the highest *need* and ``n`` the
number of communes ranked (50 when ``n`` is 1). For the coverage rate the order is reversed
(fewer places per 100 children = greater need). The zonings score 100 (the commune has a QPV, or
is classed FRR: socle, FRR+ or partly) or 0. The index is the weighted mean of the available
scores; the weight of a missing component (secrecy, file not loaded) is shared out over the
others; the index is not computed when less than half of the weight is available.

============================  =========================================  ======
component                     indicator                                  weight
============================  =========================================  ======
couverture (reversed)         taux_couverture_global                     0.25
bas_revenus                   part_qf_moins_800                          0.15
monoparentales                part_familles_monoparentales               0.15
pauvrete                      taux_pauvrete                              0.10
rsa                           part_rsa                                   0.10
aeeh                          part_aeeh                                  0.10
qpv                           zoning: at least one QPV                   0.075
frr                           zoning: FRR (socle, FRR+, partly classed)  0.075
============================  =========================================  ======

Low family quotient (QF < 800 €) stands for "young children in low-income households": the
communal CAFDATA files do not cross the age of the children with the family quotient. Ranks
rather than z-scores: a handful of communes with a QPV or a very small denominator would
otherwise dominate a z-score. The weights are a method choice, to be discussed by the steering
committee; they live in :data:`NEEDS_COMPONENTS` and the French text is built from it.

Everything is vectorised over communes (pivots and group ranks); the only loops run over the
~35 catalogue indicators or the 8 components.

Layer « diagnostic » (may import socle, graphiques, sources, données and indicateurs; never
règles, scénarios, plan, évaluation, sorties, lot or applications). This package is a
facade: it re-exports the public names of its submodules, bottom to top:

- :mod:`.common`: the shared words (« secret », « n.d. », levels, FRR classes) and helpers;
- :mod:`.needs`: the needs index (:func:`needs_index`, :data:`NEEDS_COMPONENTS`);
- :mod:`.sppe`: the SPPE bands and duties (:func:`sppe_duties`);
- :mod:`.display`: the indicator table for people (:func:`indicator_display`,
  :func:`definitions_frame`);
- :mod:`.inclusion`: values per commune and the inclusion diagnostic (:func:`commune_values`);
- :mod:`.texts`: strengths, limits, context and summary (:func:`strengths`);
- :mod:`.figures`: the charts of a :class:`Diagnostic` (mixin);
- :mod:`.model`: the :class:`Diagnostic` object and its tables;
- :mod:`.build`: :func:`diagnose`, the entry point.
"""

from .build import diagnose
from .common import (
    FRR_CLASSES,
    FRR_LABELS,
    LEVEL_NAMES,
    MISSING_TEXT,
    SECRET_TEXT,
    VERIFY_TEXT,
    label_with_unit,
)
from .display import DISPLAY_COLUMNS, definitions_frame, indicator_display
from .inclusion import INCLUSION_EXTRA, commune_values
from .model import Diagnostic
from .needs import MIN_WEIGHT, NEEDS_COMPONENTS, NeedComponent, needs_index, needs_method_text
from .sppe import sppe_band, sppe_duties
from .texts import strengths

__all__ = [
    "FRR_CLASSES",
    "FRR_LABELS",
    "MIN_WEIGHT",
    "SECRET_TEXT",
    "MISSING_TEXT",
    "VERIFY_TEXT",
    "LEVEL_NAMES",
    "NeedComponent",
    "NEEDS_COMPONENTS",
    "INCLUSION_EXTRA",
    "needs_index",
    "needs_method_text",
    "sppe_band",
    "sppe_duties",
    "label_with_unit",
    "commune_values",
    "indicator_display",
    "DISPLAY_COLUMNS",
    "definitions_frame",
    "Diagnostic",
    "strengths",
    "diagnose",
]
