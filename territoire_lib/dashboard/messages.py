"""French messages of the dashboards: the server log, escaping, French errors for the page.

Owns :data:`LOG`, :func:`esc`, :func:`french_message` (no traceback or English message ever
reaches the page: anything but a library error becomes a generic French sentence) and
:func:`error_html`. The lowest module of :mod:`territoire_lib.dashboard`: :mod:`.ui`,
:mod:`.exports_widget` and the tabs import it, it imports no other module of the package.

Layer « applications » (12): may import every lower layer (here errors only).
"""

from __future__ import annotations

import html
import logging

from ..errors import TerritoireError

LOG = logging.getLogger("territoire_lib.dashboard")
GENERIC_ERROR = (
    "Cette partie ne peut pas être affichée (données manquantes ou incohérentes). "
    "Le reste du tableau de bord reste utilisable."
)


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def french_message(exc: BaseException, fallback: str = GENERIC_ERROR) -> str:
    """The French message of a library error; a generic French sentence for anything else
    (a Python message may be English or technical: it goes to the server log only)."""
    if isinstance(exc, TerritoireError):
        return str(exc)
    return fallback


def error_html(message: str) -> str:
    """A French error; a multi-line message (one problem per line) keeps its lines."""
    text = "<br>".join(esc(line) for line in message.splitlines())
    return f'<div class="tdb-erreur" role="alert" lang="fr">{text}</div>'
