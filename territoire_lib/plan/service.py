"""The API of CTG action plans: create, read, save, follow up — over a shared database.

Every function takes an open session (from :func:`territoire_lib.plan.db.session_scope`) and
the name of the person acting (``user``: it goes to the audit trail). Typical use::

    from territoire_lib.plan import db, service

    engine = db.open_database()                       # $TERRITOIRE_DB or data/ctg/…sqlite
    with db.session_scope(engine=engine, user="marie") as s:
        ctg = service.get_ctg(s, "CTG-VALMONT")
        fiche = service.get_fiche(s, ctg, "1.2")
        spec = service.fiche_spec(fiche)                 # FicheSpec, with spec.version
    # … later, maybe in another session:
    with db.session_scope(engine=engine, user="marie") as s:
        service.save_fiche(s, fiche.id, {"pilot": "Caf"}, expected_version=spec.version,
                           user="marie")              # ConflictError if somebody saved first

Transactions: functions that *add* things (``create_ctg``, ``add_axis``, ``add_fiche``,
``add_indicator``, ``record_value``, ``answer_evaluation``, ``record_copil_decision``,
``fill_catalogue_indicators``, ``import_document``) only flush: the caller's
``session_scope`` commits. :func:`save_fiche` and :func:`change_status` are the « Enregistrer »
button of a fiche: they commit themselves, so that a lost race is detected and the losing
version kept (a :class:`~.models.FicheConflict` committed on its own), then raise
:class:`ConflictError` — after rolling back whatever else the session held.

Optimistic locking: ``Fiche.version`` is read with the fiche and checked when it is saved
(``expected_version``), and again by the database itself (``UPDATE … WHERE version = …``),
so two people saving the same fiche at once never silently overwrite each other.

Read-only tables for notebooks, dashboards and the ``territoire suivi`` command:
:func:`plan_status` (one row per fiche), :func:`indicator_status` (one row per indicator),
:func:`indicator_values` (one row per realised value), :func:`audit_trail`.

Layout: this module is the facade of the API; the code lives in one module per job, which
import each other directly (never through this facade):

* :mod:`.errors` — :class:`PlanError` (and ``DatabaseError``);
* :mod:`.reading` — ``list_ctgs``, ``get_ctg`` / ``get_axis`` / ``get_fiche`` /
  ``get_indicator``, ``fiche_spec``, ``ctg_spec``, ``fiche_conflicts``, ``plan_document``;
* :mod:`.conflicts` — :class:`ConflictInfo`, :class:`ConflictError` and :func:`commit`
  (below :mod:`.db`, whose ``session_scope`` commits through it);
* :mod:`.editing` — ``create_ctg``, ``add_axis``, ``add_fiche``, ``save_fiche``,
  ``change_status``, ``add_indicator``, ``record_value``, ``answer_evaluation``,
  ``record_copil_decision``;
* :mod:`.computed` — ``fill_catalogue_indicators`` and its building blocks;
* :mod:`.document_import` — ``import_document`` and :class:`ImportSummary`;
* :mod:`.tables` — ``plan_status``, ``indicator_status``, ``indicator_values``,
  ``audit_trail`` and their column lists.

Layer: base partagée (``plan``). Re-exports only; the modules above import the socle,
``indicators`` and ``geo``, never evaluation, exports, batch, dashboard or cli.
"""

from __future__ import annotations

from .computed import catalogue_values, computed_source, ctg_communes, fill_catalogue_indicators
from .conflicts import ConflictError, ConflictInfo, commit
from .document_import import ImportSummary, import_document
from .editing import (
    add_axis,
    add_fiche,
    add_indicator,
    answer_evaluation,
    change_status,
    create_ctg,
    record_copil_decision,
    record_value,
    save_fiche,
)
from .errors import PlanError
from .reading import (
    ctg_spec,
    fiche_conflicts,
    fiche_spec,
    get_axis,
    get_ctg,
    get_fiche,
    get_indicator,
    list_ctgs,
    plan_document,
)
from .tables import (
    AUDIT_COLUMNS,
    INDICATOR_STATUS_COLUMNS,
    INDICATOR_VALUES_COLUMNS,
    PLAN_STATUS_COLUMNS,
    audit_trail,
    indicator_status,
    indicator_values,
    plan_status,
)

__all__ = [
    "AUDIT_COLUMNS",
    "INDICATOR_STATUS_COLUMNS",
    "INDICATOR_VALUES_COLUMNS",
    "PLAN_STATUS_COLUMNS",
    "ConflictError",
    "ConflictInfo",
    "ImportSummary",
    "PlanError",
    "add_axis",
    "add_fiche",
    "add_indicator",
    "answer_evaluation",
    "audit_trail",
    "catalogue_values",
    "change_status",
    "commit",
    "computed_source",
    "create_ctg",
    "ctg_communes",
    "ctg_spec",
    "fiche_conflicts",
    "fiche_spec",
    "fill_catalogue_indicators",
    "get_axis",
    "get_ctg",
    "get_fiche",
    "get_indicator",
    "import_document",
    "indicator_status",
    "indicator_values",
    "list_ctgs",
    "plan_document",
    "plan_status",
    "record_copil_decision",
    "record_value",
    "save_fiche",
]
