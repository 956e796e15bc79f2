"""The CTG action plan (« plan d'actions ») in a shared database, with Excel in and out.

Modules (import them directly; this package imports nothing heavy by itself):

* :mod:`~territoire_lib.plan.models` — the tables (SQLAlchemy 2.0): CTG, partners, axes,
  fiches actions (with ``version`` for optimistic locking), status history, budgets,
  communes, follow-up indicators and realised values, evaluation answers, comité de pilotage
  decisions, refused saves (:class:`~.models.FicheConflict`) and the audit trail;
* :mod:`~territoire_lib.plan.db` — engine (``TERRITOIRE_DB``: PostgreSQL URL, else the SQLite
  file ``data/ctg/territoire.sqlite``), ``session_scope()``, Alembic migrations
  (``upgrade()``, ``open_database()``), the audit hook;
* :mod:`~territoire_lib.plan.document` — :class:`~.document.PlanDocument` and its parts: a
  whole plan as plain immutable values (what a workbook holds), the vocabulary (statuses,
  evaluation questions, themes);
* :mod:`~territoire_lib.plan.service` — the API: create and read plans, ``save_fiche`` /
  ``change_status`` (``ConflictError`` when somebody saved first; both versions kept),
  ``record_value``, ``fill_catalogue_indicators``, ``import_document``, ``plan_document`` and
  the follow-up tables ``plan_status``, ``indicator_status``, ``indicator_values``,
  ``audit_trail``. A facade over one module per job: :mod:`~.errors`, :mod:`~.reading`,
  :mod:`~.conflicts` (optimistic locking and the commit, below ``db``), :mod:`~.editing`,
  :mod:`~.computed`, :mod:`~.document_import`, :mod:`~.tables`;
* :mod:`~territoire_lib.plan.excel` — the documented workbook template, ``import_plan`` and
  ``export_plan`` (French errors naming sheet, line and column; lossless round trip). A facade
  over :mod:`~.workbook_template`, :mod:`~.workbook_cells`, :mod:`~.workbook_import` and
  :mod:`~.workbook_export`;
* :mod:`~territoire_lib.plan.demo_ctg` — the demo CTG of the demo EPCI 296000011;
* :mod:`~territoire_lib.plan.backup` — a consistent copy of the database (SQLite backup API,
  or pg_dump): ``territoire plan sauvegarder``.

Inside the package each module imports only modules listed before it: ``models``,
``document``, ``errors``, ``reading``, ``conflicts``, ``db``, ``editing``, ``computed``,
``document_import``, ``tables``, ``service`` (facade), ``workbook_template``,
``workbook_cells``, ``workbook_import``, ``workbook_export``, ``excel`` (facade), ``demo_ctg``,
``backup``.
Submodules import each other directly, never through the facades.

Layer: base partagée (``plan``). May import the socle, sources, données and indicateurs
(``indicators``, ``geo``, ``dataset`` for the demo); never evaluation, exports, batch,
dashboard or cli.

Commands: ``territoire plan importer|exporter|modele|calculer|historique|conflits|demo|migrer|
sauvegarder``
and ``territoire suivi``.
"""
