"""Identity, years and fictional geography of the demo département ("96").

Owns the constants every part of the demo shares: the département and région codes and names,
the seed, the years of each publisher's files, the grid the communes are cut from, the EPCI
blocks, the invented commune and IRIS names, the QPV and employment-zone specs, the kinds of
commune and the ``GENERATED_BY`` mark.

Layer « données » (demo.*): imports nothing from the package.
"""

from __future__ import annotations

from pathlib import Path

DEMO_DIR = Path(__file__).resolve().parents[2] / "data" / "demo"
DEMO_DEPARTEMENT = "96"
DEMO_DEPARTEMENT_NAME = "Département de démonstration (fictif)"
DEMO_REGION = "96"
DEMO_REGION_NAME = "Région de démonstration (fictive)"
SEED = 96_2024

RP_YEARS = tuple(range(2017, 2022))  # base-ic-evol-struct-pop-YYYY
FAMILY_YEAR = 2021  # base-ic-couples-familles-menages-2021
CAF_YEARS = tuple(range(2020, 2025))  # dtreffre YYYY-12
PE_YEARS = tuple(range(2019, 2024))  # Onape txcouv_pe_* / nbpla_pe_*
MODEL_YEARS = tuple(range(2017, 2025))
BIRTH_YEARS = tuple(range(2014, 2024))  # état civil, naissances domiciliées
LEGAL_POPULATION_YEAR = 2022  # populations légales millésime 2022 (in force on 1 January 2025)


# --------------------------------------------------------------------------------------------
# Fictional geography
# --------------------------------------------------------------------------------------------

GRID_W, GRID_H = 12, 11  # cells; the city takes a 2 x 2 block
CITY_CELL = (5, 5)  # lower-left cell of the city block
DROPPED_CELLS = ((0, 0), (1, 0), (0, 1), (11, 0), (11, 1), (0, 10), (1, 10), (10, 10), (11, 10))
LON0, LAT0, CELL_DX, CELL_DY = 4.62, 46.68, 0.055, 0.038  # degrees (WGS84-like)

# (kind, number of communes) of each EPCI, in code order
EPCI_SPECS = (
    ("CA", "CA de Valmont-sur-Loue", 20),
    ("CC", "CC Loue et Coteaux", 25),
    ("CC", "CC du Plateau de Sarce", 25),
    ("CC", "CC du Pays de Brésanne", 25),
    ("CC", "CC des Monts d'Orvanne", 25),
)

EPCI_SHORT = (  # (label, code slug) used to name perimeters
    ("Valmont", "VALMONT"),
    ("Loue et Coteaux", "COTEAUX"),
    ("Plateau de Sarce", "SARCE"),
    ("Pays de Brésanne", "BRESANNE"),
    ("Monts d'Orvanne", "ORVANNE"),
)

# Invented names, in code order (96001 …); the first of each EPCI block is its main commune.
COMMUNE_NAMES = (
    # CA de Valmont-sur-Loue
    "Valmont-sur-Loue", "Saint-Aubin-lès-Valmont", "Bréval-la-Côte", "Charmelieu",
    "Les Essarts-de-Loue", "Montrevaux", "Corvenay", "Sainte-Colombe-sur-Loue",
    "Vauchamps-le-Bas", "Ormeval", "La Brosse-Valmont", "Pontarvel", "Frémincourt",
    "Grandvaux-lès-Valmont", "Bellechaume", "Marcilly-sur-Loue", "Le Plessis-Arvel",
    "Courvessy", "Aulnoy-le-Vieux", "Tréval",
    # CC Loue et Coteaux
    "Montcharvin", "Saint-Genest-des-Coteaux", "Villers-en-Coteaux", "Louvigny-la-Plaine",
    "Les Ormeaux", "Champdorel", "Sarcenay", "Verlhac-sur-Sarce", "Bussières-le-Mont",
    "La Chapelle-Arvel", "Fontenoy-les-Vignes", "Moranges", "Saint-Hilaire-du-Coteau",
    "Plaimbert", "Cernoy-sur-Sarce", "Ambreville", "Le Mesnil-Vergier", "Rochefort-en-Coteaux",
    "Dampvallier", "Épinay-le-Sec", "Gourville-la-Garenne", "Lessard-Bellevue", "Vaurenay",
    "Mazerolles-sur-Sarce", "Orvillers",
    # CC du Plateau de Sarce
    "Sarcey-le-Château", "Les Hauts-de-Sarce", "Arvèze", "Chaumont-le-Bois",
    "Saint-Romain-d'Arvèze", "Brancourt", "La Roche-Mauprat", "Fayolle-Haute", "Mérigny",
    "Vernusse", "Le Crozet-d'Arvèze", "Puyvalade", "Sainte-Foy-du-Plateau", "Chazeuil",
    "Montaigut-le-Froid", "Lachaux-Sarce", "Riolles", "Cheylanne", "La Bessonnière",
    "Tournebise", "Aiglemont-Sarce", "Combe-Noire", "Granval", "Peyrolles-du-Plateau",
    "Lorcenay",
    # CC du Pays de Brésanne
    "Brésanne", "Saint-Martin-de-Brésanne", "Vielchamp", "Les Granges-Brésanne", "Auzolles",
    "Ferrière-la-Petite", "Mauvesin-le-Haut", "Lescure-sur-Brèze", "Pradines-Basses",
    "Calvenac", "Bourg-Sainte-Aigne", "Sauvagnac", "Orlhane", "Montsalvère",
    "Nozières-Brésanne", "La Vernelle", "Cassanel", "Saint-Urbain-de-Brèze",
    "Fraissinet-des-Prés", "Ladignac-sur-Brèze", "Rouffiac-Brésanne", "Le Bouchet-Vieux",
    "Espinasse-les-Champs", "Malbosc-le-Haut", "Védrines-Basses",
    # CC des Monts d'Orvanne
    "Saint-Julien-d'Orvanne", "Hautecombe-d'Orvanne", "Lamourette", "Septfontaines-d'Orvanne",
    "Le Frasnoy", "Bellefosse-Haute", "Chaux-des-Prés", "Mijolles", "La Rivolette",
    "Foncenay", "Cernibois", "Les Planchettes-d'Orvanne", "Prévinel", "Morbelin", "Bois-Joli",
    "Longchâtel", "Lajoux-d'Orvanne", "Saint-Lubin-des-Monts", "La Chapelle-des-Sapins",
    "Moutheval", "Grande-Combe-d'Orvanne", "Les Rousselles", "Bellecombe-d'Orvanne",
    "Crêt-Mouchet", "Le Fortin",
)  # fmt: skip

# commune nouvelle: 96047 "Les Hauts-de-Sarce" = delegated communes Sarcenval (96047) and
# Vergnolles (former code 96121)
COMMUNE_NOUVELLE = ("96047", (("96047", "Sarcenval"), ("96121", "Vergnolles")))

# IRIS of the city: (suffix, name, type, weight in the population, hosts a QPV)
CITY_IRIS = (
    ("0101", "Centre-Ville", "H", 0.110, False),
    ("0102", "Saint-Éloi", "H", 0.100, False),
    ("0103", "Gare", "H", 0.095, False),
    ("0104", "Quai de Loue", "H", 0.100, False),
    ("0201", "Les Hauts de Loue", "H", 0.130, True),
    ("0202", "Bellevue", "H", 0.120, True),
    ("0203", "Les Tilleuls", "H", 0.110, False),
    ("0301", "Faubourg de Loue", "H", 0.115, True),
    ("0302", "Le Parc", "H", 0.117, False),
    ("0303", "Zone d'activités des Prés", "A", 0.003, False),
)

QPV_SPECS = (  # code, name, communes (indexes in code order)
    ("QN09601M", "Les Hauts de Loue", (0, 1)),
    ("QN09602M", "Bellevue - Les Tilleuls", (0,)),
    ("QN09603M", "Faubourg de Loue", (0,)),
)

ZONES_EMPLOI = (("9601", "Valmont-sur-Loue"), ("9602", "Brésanne-Orvanne"))


KINDS = ("ville", "pole", "ca", "periurbain", "bourg", "rural")  # kinds of commune of the model


GENERATED_BY = "territoire demo"
