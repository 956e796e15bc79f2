"""DREES table of the demo: « Accueils collectifs de mineurs sans hébergement » (Panorama
statistique Jeunesse, Sports, Cohésion sociale), copied from the page into a CSV.

Owns :data:`ACM_FILE`, :data:`ACM_YEAR` and :func:`_file_acm`: the 2018 layout of the
published table (rows as on the page, one column per area). The région and département
columns are the demo's (fictional, drawn from the model's children aged 3 to 17); the two
France columns are the real published values of the 2018 Panorama, except the 14-17 year olds
in périscolaire, obtained as the total minus the two other age groups.

Layer « données » (demo.*): imports :mod:`.spec`, :mod:`.numbers` and :mod:`.model`.
"""

from __future__ import annotations

import numpy as np

from .model import DemoModel
from .numbers import _csv
from .spec import DEMO_DEPARTEMENT_NAME, DEMO_REGION_NAME

ACM_YEAR = 2018
ACM_FILE = f"drees_acm_{ACM_YEAR}_96.csv"
LABEL_COLUMN = "Libellé"
FRANCE_COLUMNS = ("FRANCE métropolitaine", "FRANCE entière")
# (label, demo value: share of the 3-17 year olds or a count, France métropolitaine, France
# entière); a row whose values are all None is a section heading
ROWS = (
    (f"Nombre de communes au sein du département au 1er janvier {ACM_YEAR}", "communes",
     35_228, 35_357),
    ("Au moins une période d'activité au cours de l'année", None, None, None),
    ("Nombre de communes disposant d'un accueil de loisirs", 44, 12_380, 12_489),
    ("Nombre de communes disposant d'un accueil de jeunes", 3, 422, 424),
    ("Ensemble des communes disposant d'au moins l'un de ces accueils", 44, 12_387, 12_496),
    ("Nombre de lieux d'accueils de loisirs", 97, 33_491, 34_499),
    ("Nombre de lieux d'accueils de jeunes", 3, 544, 546),
    ("Ensemble des lieux d'accueils", 100, 33_724, 34_733),
    ("Le mercredi", None, None, None),
    ("Nombre de communes", 16, 4_377, 4_436),
    ("Nombre de lieux d'accueils", 24, 7_385, 7_600),
    ("Nombre de places ouvertes", "total:mercredi", 355_862, 368_524),
    ("Moins de 6 ans", ("mercredi", 0.0120), 122_481, 127_417),
    ("6-13 ans", ("mercredi", 0.0205), 190_951, 198_173),
    ("14-17 ans", ("mercredi", 0.0041), 42_430, 42_934),
    ("Mineurs déclarés en situation de handicap", 31, 846, 878),
    ("Le samedi", None, None, None),
    ("Nombre de communes", 5, 1_834, 1_842),
    ("Nombre de lieux d'accueils", 6, 2_594, 2_616),
    ("Nombre de places ouvertes", "total:samedi", 78_150, 79_110),
    ("Moins de 6 ans", ("samedi", 0.0003), 3_450, 3_464),
    ("6-13 ans", ("samedi", 0.0029), 34_666, 35_373),
    ("14-17 ans", ("samedi", 0.0026), 40_034, 40_273),
    ("Mineurs déclarés en situation de handicap", 4, 309, 311),
    ("En périscolaire", None, None, None),
    ("Nombre de communes", 38, 10_315, 10_391),
    ("Nombre de lieux d'accueils", 71, 25_075, 25_775),
    ("Nombre de places ouvertes", "total:periscolaire", 2_531_357, 2_598_802),
    ("Moins de 6 ans", ("periscolaire", 0.0610), 932_581, 956_390),
    ("6-13 ans", ("periscolaire", 0.1050), 1_550_325, 1_593_215),
    ("14-17 ans", ("periscolaire", 0.0038), 48_451, 49_197),
)  # fmt: skip


def _text(value) -> str:
    """A French integer as the page shows it (« 35 228 »); empty for a heading."""
    return "" if value is None else f"{int(value):,}".replace(",", " ")


def _file_acm(model: DemoModel) -> bytes:
    """``drees_acm_2018_96.csv``: `;`, UTF-8, one column of labels then région, département,
    France métropolitaine, France entière."""
    pop = model.population[model.population["annee"] == ACM_YEAR]
    children = float((pop["0305"] + pop["0610"] + pop["1117"]).sum())
    places: dict[str, dict[str, int]] = {}
    for _, demo, *_ in ROWS:
        if isinstance(demo, tuple):
            period, share = demo
            places.setdefault(period, {})[str(share)] = int(np.floor(children * share + 0.5))
    demo_values = []
    for _, demo, *_ in ROWS:
        if demo is None:
            demo_values.append(None)
        elif demo == "communes":
            demo_values.append(len(model.communes))
        elif isinstance(demo, str) and demo.startswith("total:"):
            demo_values.append(sum(places[demo.split(":", 1)[1]].values()))
        elif isinstance(demo, tuple):
            demo_values.append(places[demo[0]][str(demo[1])])
        else:
            demo_values.append(demo)
    columns = {
        LABEL_COLUMN: [label for label, *_ in ROWS],
        DEMO_REGION_NAME: [_text(v) for v in demo_values],
        DEMO_DEPARTEMENT_NAME: [_text(v) for v in demo_values],
        FRANCE_COLUMNS[0]: [_text(r[2]) for r in ROWS],
        FRANCE_COLUMNS[1]: [_text(r[3]) for r in ROWS],
    }
    return _csv(columns, sep=";")
