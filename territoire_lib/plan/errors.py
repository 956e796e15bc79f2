"""The errors of the plan package, in French: a request on a plan that cannot be done
(:class:`PlanError`), a database that cannot be reached or is not in the expected state
(:class:`DatabaseError`), and its two kinds of contention: a database locked too long
(:class:`BusyError`) and a write that lost a race (:class:`ConcurrentWriteError`).

Both are re-exported where they have always been importable: ``plan.service.PlanError`` and
``plan.db.DatabaseError``.

Layer: base partagée (``plan``). Imports only the socle (:mod:`territoire_lib.errors`).
"""

from __future__ import annotations

from ..errors import TerritoireError


class PlanError(TerritoireError):
    """A request on a plan that cannot be done (French message)."""


class DatabaseError(TerritoireError):
    """The plan database cannot be reached or is not in the expected state (French message)."""


class BusyError(DatabaseError):
    """The database stayed locked by another writer longer than the wait allowed (French
    message); nothing of this operation was saved."""


class ConcurrentWriteError(DatabaseError):
    """Another session wrote the same rows at the same moment (a fiche saved meanwhile, a row
    created twice, a deadlock); nothing of this operation was saved. Running the operation
    again on the new state of the database resolves it (:func:`~.db.write` does)."""
