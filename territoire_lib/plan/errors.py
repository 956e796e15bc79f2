"""The errors of the plan package, in French: a request on a plan that cannot be done
(:class:`PlanError`) and a database that cannot be reached or is not in the expected state
(:class:`DatabaseError`).

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
