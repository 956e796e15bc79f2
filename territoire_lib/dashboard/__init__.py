"""ipywidgets applications shown by the Voilà dashboards of ``dashboards/``."""
