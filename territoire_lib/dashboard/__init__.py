"""ipywidgets applications shown by the Voilà dashboards of ``dashboards/``.

``build_app(source)`` is the committee dashboard's single call (``dashboards/comite_pilotage``).

Layer « applications » (12), the top of the library: its modules may import every lower
layer; nothing in the library imports them. This facade only re-exports :mod:`.app`.
"""

from .app import CommitteeApp, build_app, create_app

__all__ = ["CommitteeApp", "build_app", "create_app"]
