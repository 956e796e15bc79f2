"""Building a CTG evaluation: from a plan document (:func:`evaluate_document`), from an
open plan session (:func:`evaluate`), or from a plan database (:func:`evaluate_plan`, the
single call of the follow-up notebook), importing the demo CTG when it is asked for
(:func:`ensure_demo_database`, :func:`open_plan`); the evaluation year (:func:`default_year`,
:func:`check_year`).

Layer « évaluation »; imports the shared plan base (``plan.*``, lazily), the socle (errors)
and :mod:`.core`.
"""

from __future__ import annotations

from ..errors import TerritoireError
from .constants import TOLERANCE
from .core import Evaluation


def evaluate_document(
    doc, annee: int | None = None, *, tolerance: float = TOLERANCE, fictional: bool | None = None
) -> Evaluation:
    """The evaluation of a plan (:class:`~territoire_lib.plan.document.PlanDocument`) for
    ``annee`` (None: :func:`default_year`). ``fictional`` (None: the demo CTG is fictional)
    marks every title and source."""
    from ..plan.demo_ctg import DEMO_CTG_CODE

    year = default_year(doc) if annee is None else check_year(annee)
    if fictional is None:
        fictional = doc.ctg.code == DEMO_CTG_CODE
    return Evaluation(doc, year, tolerance, fictional)


def check_year(annee) -> int:
    try:
        year = int(annee)
    except (TypeError, ValueError):
        raise TerritoireError(
            f"Année d'évaluation invalide : « {annee} ». Attendu une année, par exemple 2024."
        ) from None
    if not 1990 <= year <= 2100:
        raise TerritoireError(
            f"Année d'évaluation invalide : {year}. Attendu une année entre 1990 et 2100."
        )
    return year


def default_year(doc) -> int:
    """The latest year with a realised value, within the CTG's period (its first year when
    nothing has been entered)."""
    years = [v.year for i in doc.indicators for v in i.values]
    latest = max(years) if years else doc.ctg.start_year
    return int(min(max(latest, doc.ctg.start_year), doc.ctg.end_year))


def evaluate(session, ctg=None, annee: int | None = None, *, tolerance: float = TOLERANCE):
    """The evaluation of a CTG read in an open plan session (code, id or None for the only
    CTG of the database)."""
    from ..plan import service

    return evaluate_document(service.plan_document(session, ctg), annee, tolerance=tolerance)


def ensure_demo_database(base=None, user: str = "import de la démonstration"):
    """The engine of the plan database ``base`` (URL or SQLite path; None: ``TERRITOIRE_DB``
    or the default file), migrated, holding the demo CTG — imported from its workbook
    (``data/ctg/ctg_demo_valmont.xlsx``) through the plan API when it is missing."""
    from sqlalchemy import select

    from ..plan import db
    from ..plan.demo_ctg import DEMO_CTG_CODE, DEMO_CTG_PATH
    from ..plan.models import Ctg

    engine = db.open_database(base)

    def present() -> bool:
        with db.session_scope(engine=engine, user=user) as s:
            return s.scalar(select(Ctg.id).where(Ctg.code == DEMO_CTG_CODE)) is not None

    if present():
        return engine
    from ..plan import service

    try:
        if DEMO_CTG_PATH.exists():
            from ..plan.excel import import_plan

            import_plan(DEMO_CTG_PATH, user, engine=engine)
        else:
            from ..plan.demo_ctg import build_demo_document

            with db.session_scope(engine=engine, user=user) as s:
                service.import_document(s, build_demo_document(), user)
    except Exception:
        if not present():  # another process imported it meanwhile: fine
            raise
    return engine


def open_plan(base=None, ctg=None):
    """The engine of the plan database ``base``; the demo CTG is imported first when it is
    the one asked for (``ctg`` = its code) or when ``base`` is ``"demo"`` (a private
    temporary SQLite file holding only the demo)."""
    from ..plan import db
    from ..plan.demo_ctg import DEMO_CTG_CODE

    if base == "demo":
        import tempfile
        from pathlib import Path

        folder = Path(tempfile.mkdtemp(prefix="territoire-ctg-"))
        return ensure_demo_database(folder / "demo.sqlite")
    if ctg == DEMO_CTG_CODE:
        return ensure_demo_database(base)
    return db.open_database(base)


def evaluate_plan(
    ctg=None, annee: int | None = None, base=None, *, tolerance: float = TOLERANCE
) -> Evaluation:
    """The evaluation of a CTG stored in the plan database ``base`` (see :func:`open_plan`):
    the single call of ``notebooks/03_suivi_evaluation.ipynb``."""
    from ..plan import db

    engine = open_plan(base, ctg)
    with db.session_scope(engine=engine) as s:
        return evaluate(s, ctg, annee, tolerance=tolerance)
