"""ipywidgets applications shown by the Voilà dashboards of ``dashboards/``.

``build_app(source)`` is the committee dashboard's single call (``dashboards/comite_pilotage``).
"""

from .app import CommitteeApp, build_app, create_app

__all__ = ["CommitteeApp", "build_app", "create_app"]
