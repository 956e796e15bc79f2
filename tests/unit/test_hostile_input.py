"""Bad and hostile input (issue 14, items 1 and 2): the corpus of ``tests/fixtures/hostile/``
and folders built from the demo. Each case checks the exact French message, its physical
line (counted on the raw text: blank lines and newlines inside quotes count) and that nothing
in the input folder was modified (hashed before and after).

Line numbers are worked out by hand from the fixture files (their content is quoted in the
comments); bounds come from ``territoire_lib/variables.py`` and ``scenario/schema.py``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from territoire_lib import cli
from territoire_lib.dataset import load_folder
from territoire_lib.errors import DataError
from territoire_lib.manifest import load_manifest
from territoire_lib.scenario import load_scenario
from territoire_lib.sources.cafdata import read_cafdata_communal, read_tauxcouv_legacy
from territoire_lib.sources.etat_civil import read_births
from territoire_lib.sources.geometry import load_geojson
from territoire_lib.sources.insee import read_population_age
from territoire_lib.sources.plausibility import commune_populations
from territoire_lib.sources.reading import read_delimited

REPO = Path(__file__).resolve().parents[2]
HOSTILE = REPO / "tests" / "fixtures" / "hostile"
DEMO = REPO / "data" / "demo"
NNBSP = "\u202f"  # French thousands separator
THIS_YEAR = dt.date.today().year
FIELDS = (
    "champs comme dans l'en-tête (séparateur point-virgule « ; ») ; une ligne trop courte "
    "n'est jamais complétée, une ligne trop longue jamais coupée."
)


# -- helpers ------------------------------------------------------------------------------------
def digest(folder: Path) -> str:
    """Names, modes and bytes of every file under ``folder`` (symbolic links by their
    target, never followed)."""
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        h.update(str(path.relative_to(folder)).encode())
        info = path.lstat()
        h.update(str(info.st_mode).encode())
        if path.is_symlink():
            h.update(os.readlink(path).encode())
        elif path.is_file():
            h.update(path.read_bytes())
    return h.hexdigest()


@contextlib.contextmanager
def unchanged(folder: Path):
    """Assert that nothing under ``folder`` is created, changed or removed in the block."""
    before = digest(folder)
    yield
    assert digest(folder) == before, f"le dossier {folder} a été modifié"


def refused(func, *args, **kwargs) -> list[str]:
    """The French issues (one string each) of the DataError raised by ``func``."""
    with pytest.raises(DataError) as info:
        func(*args, **kwargs)
    return [str(i) for i in info.value.issues]


def demo_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "donnees"
    shutil.copytree(DEMO, folder)
    return folder


# -- 1. lines shorter or longer than the header -------------------------------------------------
def test_short_line_has_its_physical_line():
    # s_ben_ligne_courte.csv: 1 header, 2 Valmont, 3 blank, 4-5 « "Saint-Aubin-⏎lès-Valmont" »
    # (a newline inside quotes), 6 blank, 7 « 2023-12;96003;Commune au champ manquant;1200;2700 »
    # (5 fields for 6): the fourth record, on physical line 7
    with unchanged(HOSTILE):
        issues = refused(read_cafdata_communal, HOSTILE / "s_ben_ligne_courte.csv")
    assert issues == [
        f"fichier « s_ben_ligne_courte.csv », ligne 7 : trouvé 5 champs ; attendu 6 {FIELDS}"
    ]


def test_long_line_is_refused():
    # line 3 « …;2605;5900;405;12 »: 7 fields for 6
    with unchanged(HOSTILE):
        issues = refused(read_cafdata_communal, HOSTILE / "s_ben_ligne_longue.csv")
    assert issues == [
        f"fichier « s_ben_ligne_longue.csv », ligne 3 : trouvé 7 champs ; attendu 6 {FIELDS}"
    ]


def test_line_with_the_other_separator_is_named():
    # line 3 « 2023-12,96002,Saint-Aubin-lès-Valmont,2605,5900,405 »: one field with « ; »,
    # six with « , »
    with unchanged(HOSTILE):
        issues = refused(read_cafdata_communal, HOSTILE / "s_ben_autre_separateur.csv")
    assert issues == [
        "fichier « s_ben_autre_separateur.csv », ligne 3 : trouvé 1 champ (cette ligne semble "
        f"écrite avec le séparateur virgule « , ») ; attendu 6 {FIELDS}"
    ]


def test_truncated_file_is_refused():
    # the file ends inside line 4 « 2023-12;96003;Bré » (3 fields, no final newline)
    with unchanged(HOSTILE):
        issues = refused(read_cafdata_communal, HOSTILE / "s_ben_tronque.csv")
    assert issues == [
        "fichier « s_ben_tronque.csv », ligne 4 : trouvé 3 champs : la dernière ligne est "
        f"incomplète (fichier tronqué ?) ; attendu 6 {FIELDS}"
    ]


def test_unclosed_quote_is_refused_at_its_line():
    # line 3 opens « "Saint-Aubin… » and never closes it: the rest of the file would be one field
    with unchanged(HOSTILE):
        issues = refused(read_cafdata_communal, HOSTILE / "s_ben_guillemet.csv")
    assert issues == [
        'fichier « s_ben_guillemet.csv », ligne 3 : trouvé un guillemet « " » ouvert et jamais '
        "refermé : tout le reste du fichier serait lu comme un seul champ ; attendu des "
        "guillemets appariés (un champ entre guillemets se termine par un guillemet)."
    ]


def test_line_numbers_after_blank_lines_and_quoted_newlines(tmp_path):
    # 40 rows, a blank line after row 10 and a quoted newline in row 20: the row « 96040 » is
    # the 40th record but sits on physical line 1 (header) + 40 + 1 (blank) + 1 (newline) = 43
    rows = ["CODGEO;LIBGEO;N"]
    for i in range(1, 41):
        name = "Nom⏎coupé".replace("⏎", "\n") if i == 20 else f"Commune {i}"
        rows.append(f'960{i:02d};"{name}";{i}')
        if i == 10:
            rows.append("")
    path = tmp_path / "lignes.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    frame = read_delimited(path, sep=";")
    assert len(frame) == 40
    assert frame.loc[frame["CODGEO"] == "96040", "_ligne"].item() == 43
    assert frame.loc[frame["CODGEO"] == "96011", "_ligne"].item() == 13  # 1 + 11 + 1 blank
    assert frame.loc[frame["CODGEO"] == "96020", "N"].item() == "20"


def test_short_cog_line_fails_the_import_instead_of_losing_a_commune(tmp_path, capsys):
    # the demo's v_commune_2024.csv with a blank line after line 2 and the line of 96003
    # (line 4, now 5) cut after its 10th field: refused, the import exits 1
    folder = demo_copy(tmp_path)
    cog = folder / "v_commune_2024.csv"
    lines = cog.read_text(encoding="utf-8").split("\n")
    assert lines[3].startswith("COM,96003,")
    lines[3] = ",".join(lines[3].split(",")[:10])
    lines.insert(2, "")
    cog.write_text("\n".join(lines), encoding="utf-8")
    expected = (
        "fichier « v_commune_2024.csv », ligne 5 : trouvé 10 champs ; attendu 12 champs comme "
        "dans l'en-tête (séparateur virgule « , ») ; une ligne trop courte n'est jamais "
        "complétée, une ligne trop longue jamais coupée."
    )
    with unchanged(folder):
        assert refused(load_folder, folder) == [expected]
        code = cli.main(["import", str(folder), "--sans-cache"])
    assert code == 1
    err = capsys.readouterr().err
    assert "Import impossible : 1 problème(s)." in err and expected in err


# -- 1. values out of their plausible bounds ----------------------------------------------------
def test_infinite_population_is_refused():
    # line 3, column P21_POP0002: « inf »
    with unchanged(HOSTILE):
        issues = refused(read_population_age, HOSTILE / "base-ic-evol-struct-pop-2021_inf.csv")
    assert issues == [
        "fichier « base-ic-evol-struct-pop-2021_inf.csv », ligne 3, colonne « P21_POP0002 » : "
        "trouvé « inf » (une valeur infinie) ; attendu un nombre fini."
    ]


def test_nan_text_is_not_read_as_an_empty_value():
    with unchanged(HOSTILE):
        issues = refused(read_cafdata_communal, HOSTILE / "s_ben_nan.csv")
    assert issues == [
        "fichier « s_ben_nan.csv », ligne 2, colonne « indfoy_ndur » : trouvé « nan » (« pas un "
        "nombre ») ; attendu un nombre fini, une valeur vide."
    ]


def test_absurd_allocataires_are_refused():
    # line 3: 1e30 households; a commune counts at most 3 000 000 (variables.MAX_COMMUNE_PEOPLE)
    with unchanged(HOSTILE):
        issues = refused(read_cafdata_communal, HOSTILE / "s_ben_1e30.csv")
    assert issues == [
        "fichier « s_ben_1e30.csv », ligne 3, colonne « indfoy_ndur » : trouvé « 1e30 », hors "
        f"des bornes plausibles ; attendu un nombre entre 0 et 3{NNBSP}000{NNBSP}000 foyers "
        "(Foyers allocataires)."
    ]


def test_reference_month_from_the_future_is_refused():
    # line 3: « 2999-12 »; Cafdata series begin in 2009, nothing concerns a year to come
    with unchanged(HOSTILE):
        issues = refused(read_cafdata_communal, HOSTILE / "s_ben_2999.csv")
    assert issues == [
        "fichier « s_ben_2999.csv », ligne 3, colonne « dtreffre » : trouvé l'année 2999 "
        f"(« 2999-12 ») ; attendu une année de 2009 à {THIS_YEAR} (Cnaf, Cafdata : données "
        "publiées depuis 2009, aucune d'une année à venir)."
    ]


def test_birth_year_before_the_publisher_is_refused():
    with unchanged(HOSTILE):
        issues = refused(read_births, HOSTILE / "naissances_1900.csv")
    assert issues == [
        "fichier « naissances_1900.csv », ligne 3, colonne « TIME_PERIOD » : trouvé l'année "
        f"1900 (« 1900 ») ; attendu une année de 1968 à {THIS_YEAR} (Insee, état civil : données "
        "publiées depuis 1968, aucune d'une année à venir)."
    ]


def test_part_larger_than_its_whole_on_the_same_line():
    # line 3: 4 050 RSA households for 2 605 allocataires (Cafdata rounds each to 5: 5 of
    # tolerance, 4 050 > 2 610)
    with unchanged(HOSTILE):
        issues = refused(read_cafdata_communal, HOSTILE / "s_ben_rsa_plus_que_allocataires.csv")
    assert issues == [
        "fichier « s_ben_rsa_plus_que_allocataires.csv », ligne 3, colonne « indfoy_rsa » : "
        "trouvé « 4050 », plus que « indfoy_ndur » sur la même ligne (2605) ; attendu au plus "
        "la valeur de « indfoy_ndur » (Foyers allocataires), dont « Foyers percevant le RSA » "
        "fait partie."
    ]
    # line 3 of the census: 140.25 children under 3 in an IRIS of 120.5 inhabitants
    with unchanged(HOSTILE):
        issues = refused(read_population_age, HOSTILE / "base-ic-evol-struct-pop-2021_enfants.csv")
    assert issues == [
        "fichier « base-ic-evol-struct-pop-2021_enfants.csv », ligne 3, colonne « P21_POP0002 » "
        ": trouvé « 140.25 », plus que « P21_POP » sur la même ligne (120.5) ; attendu au plus "
        "la valeur de « P21_POP » (Population), dont « Enfants de 0 à 2 ans » fait partie."
    ]


def test_counts_against_the_commune_population(tmp_path):
    # 96001 has 1 000 inhabitants: 2 015 allocataires > 2 × 1 000 + 10 = 2 010 are refused;
    # 1 500 (> 1 000 + 5) are kept and flagged « à vérifier »
    path = tmp_path / "s_ben_com_f.csv"
    head = "dtreffre;numcomdo;nomcom;indfoy_ndur\n"
    path.write_text(head + "2023-12;96001;Valmont;2015\n", encoding="utf-8")
    with commune_populations(pd.Series({"96001": 1000.0})):
        issues = refused(read_cafdata_communal, path)
        path.write_text(head + "2023-12;96001;Valmont;1500\n", encoding="utf-8")
        obs, report = read_cafdata_communal(path)
    assert issues == [
        "fichier « s_ben_com_f.csv », ligne 2, colonne « indfoy_ndur » : trouvé « 2015 » foyers "
        f"pour la commune 96001, plus du double de sa population (1{NNBSP}000 habitants) ; "
        "attendu au plus la population de la commune (Foyers allocataires y résident)."
    ]
    assert obs["valeur"].tolist() == [1500.0]
    assert report.warnings == [
        "1 valeur(s) de « Foyers allocataires » au-dessus de la population de leur commune "
        "(millésimes différents ?), conservée(s) mais à vérifier : ligne 2, colonne "
        "« indfoy_ndur » : 1500."
    ]


def test_coverage_rate_over_100_is_kept_and_flagged():
    # TAUXCOUV2021.csv line 3: 950,0 places per 100 children for 96002: the Cnaf publishes
    # rates over 100, so it is kept as published and flagged, never silently
    with unchanged(HOSTILE):
        refs, report = read_tauxcouv_legacy(HOSTILE / "TAUXCOUV2021.csv")
    commune = refs[(refs["niveau"] == "commune") & (refs["code"] == "96002")]
    assert commune["valeur"].tolist() == [950.0]
    assert report.warnings == [
        "1 valeur(s) de « Taux de couverture global publié » au-dessus de 100 places pour 100 "
        "enfants, conservée(s) telle(s) que publiée(s) mais à vérifier : ligne 3, colonne "
        "« tauxcouv_com » : 950,0."
    ]


def test_the_demo_passes_every_bound_without_a_warning():
    territory = load_folder(DEMO)
    plausibility = [w for r in territory.reports for w in r.warnings if "à vérifier :" in w]
    assert plausibility == []


# -- 1. scenarios -------------------------------------------------------------------------------
def test_scenario_with_a_trillion_places_is_refused():
    # line 10 « places: 1000000000000 »; at most 5 000 places per lever (schema.py)
    with unchanged(HOSTILE):
        issues = refused(load_scenario, HOSTILE / "scenario_1e12_places.yaml")
    assert issues == [
        "fichier « scenario_1e12_places.yaml », ligne 10, colonne « leviers › 1 › places » : "
        "trouvé « 1000000000000 », hors des bornes plausibles ; attendu un nombre entier de "
        f"places de 1 à 5{NNBSP}000 par levier."
    ]


def test_scenario_with_1e308_euros_is_refused():
    # line 11 « cout_par_place: 1.0e+308 »: at most 200 000 € per place and year
    with unchanged(HOSTILE):
        issues = refused(load_scenario, HOSTILE / "scenario_1e308.yaml")
    assert issues == [
        "fichier « scenario_1e308.yaml », ligne 11, colonne « leviers › 1 › cout_par_place » : "
        "trouvé « 1.0e+308 », hors des bornes plausibles ; attendu un coût de 0 à 200 000 € par "
        "place et par an."
    ]


def test_infinite_hypothesis_is_refused(tmp_path):
    text = (HOSTILE / "scenario_1e12_places.yaml").read_text(encoding="utf-8")
    text = text.replace("places: 1000000000000", "places: 24")
    path = tmp_path / "infini.yaml"
    path.write_text(text + "hypotheses:\n  participation_horaire: .inf\n", encoding="utf-8")
    # line 12 « participation_horaire: .inf » (11 lines, then « hypotheses: »)
    assert refused(load_scenario, path) == [
        "fichier « infini.yaml », ligne 12, colonne « hypotheses › participation_horaire » : "
        "trouvé « .inf » (pas un nombre fini) ; attendu un montant de 0 à 50 €/h."
    ]


# -- 1. a realised value of the CTG plan --------------------------------------------------------
def test_plan_value_out_of_bounds_asks_for_a_confirmation(tmp_path):
    from territoire_lib import evaluation as ev
    from territoire_lib.dashboard.suivi import SuiviApp
    from territoire_lib.plan import db, service
    from territoire_lib.plan.editing import OutOfBoundsValue
    from territoire_lib.plan.errors import PlanError

    engine = ev.ensure_demo_database(tmp_path / "plan.sqlite")
    try:
        with db.session_scope(engine=engine, user="Alice") as s:
            ctg = service.get_ctg(s, "CTG-VALMONT-2022")
            ind = service.get_indicator(s, service.get_fiche(s, ctg, "1.2"), "couverture_globale")
            with pytest.raises(OutOfBoundsValue) as info:
                service.record_value(s, ind, 2024, 412.5, "bilan", "Alice")
            assert str(info.value) == (
                "Valeur hors des bornes plausibles pour l'indicateur « Taux de couverture "
                "global » en 2024 : 412,5 places pour 100 enfants, alors qu'on attend une "
                "valeur de 0 à 100 places pour 100 enfants. Confirmer ? Si la valeur est juste, "
                "enregistrez-la de nouveau en la confirmant ; sinon corrigez-la."
            )
            with pytest.raises(PlanError, match="Attendu un nombre fini"):
                service.record_value(s, ind, 2024, float("inf"), "bilan", "Alice")
            with pytest.raises(PlanError, match=f"année de 1990 à {THIS_YEAR}"):
                service.record_value(s, ind, THIS_YEAR + 1, 60.0, "bilan", "Alice")
        # the dashboard: refused first, with a « Confirmer la valeur » button; saved once
        # confirmed for the same indicator, year and value
        app = SuiviApp(engine, "CTG-VALMONT-2022", 2024)
        app.open_axis("1")
        app.open_fiche("1.2")
        app.indicator.value = "couverture_globale"
        app.value.value, app.source.value, app.user.value = "412,5", "bilan", "Alice"
        assert not app.save_value()
        shown = html.unescape(re.sub(r"<[^>]+>", "", app.message.value))
        assert shown.startswith("Valeur hors des bornes plausibles")
        assert "Confirmer ?" in shown and "« Confirmer la valeur »" in shown
        assert app.confirm.layout.display is None  # the button is shown
        app.value.value = "41,25"  # changed meanwhile: the confirmation no longer holds
        assert app.confirm.layout.display == "none"
        app.value.value = "412,5"
        assert not app.save_value(confirmed=True)  # not shown for this value yet
        assert app.save_value(confirmed=True)
        with db.session_scope(engine=engine) as s:
            ctg = service.get_ctg(s, "CTG-VALMONT-2022")
            ind = service.get_indicator(s, service.get_fiche(s, ctg, "1.2"), "couverture_globale")
            assert next(v.value for v in ind.values if v.year == 2024) == 412.5
    finally:
        db.dispose_engines()


# -- 2. alias bombs -----------------------------------------------------------------------------
BOMB = (
    f"trouvé des alias YAML (« *nom ») qui, développés, donneraient plus de 100{NNBSP}000 éléments : "
    "document refusé sans être développé (bombe d'alias) ; attendu un document sans alias, ou "
    "des alias qui se développent en peu d'éléments."
)


def test_alias_bomb_scenario_is_refused():
    # bombe_alias.yaml (2 959 bytes): l0 is 1 list + 8 texts = 9 nodes (line 2); each next
    # level lists 48 aliases of the previous one: l1 = 1 + 48 × 9 = 433 (line 3),
    # l2 = 1 + 48 × 433 = 20 785 (line 4), l3 = 1 + 48 × 20 785 = 997 681 > 100 000 (line 5)
    assert 2_500 < (HOSTILE / "bombe_alias.yaml").stat().st_size < 3_100
    with unchanged(HOSTILE):
        assert refused(load_scenario, HOSTILE / "bombe_alias.yaml") == [
            f"fichier « bombe_alias.yaml », ligne 5 : {BOMB}"
        ]


def test_alias_bomb_manifest_is_refused():
    with unchanged(HOSTILE):
        issues = refused(load_manifest, HOSTILE / "manifeste_bombe")
    assert issues == [f"fichier « manifeste.yaml », ligne 5 : {BOMB}"]


MEASURE = """
import json, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (4 * 1024**3, 4 * 1024**3))  # never the machine's
from territoire_lib.errors import DataError
from territoire_lib.manifest import load_manifest
from territoire_lib.scenario import load_scenario
load = {"scenario": load_scenario, "manifeste": load_manifest}[sys.argv[1]]
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
try:
    load(sys.argv[2])
    refused = False
except DataError:
    refused = True
seconds = time.perf_counter() - start
growth_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(json.dumps({"refused": refused, "seconds": seconds, "growth_kb": growth_kb}))
"""


@pytest.mark.parametrize(
    "kind, target",
    [("scenario", "bombe_alias.yaml"), ("manifeste", "manifeste_bombe")],
)
def test_alias_bomb_costs_under_a_second_and_100_mb(kind, target):
    """A correctness bound with margin, not a benchmark: before the fix this document took
    3 GB in 60 s."""
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, kind, str(HOSTILE / target)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["refused"]
    assert result["seconds"] < 1.0
    assert result["growth_kb"] < 100 * 1024


def test_alias_bomb_uploaded_to_the_committee_dashboard():
    from territoire_lib.dashboard import create_app

    app = create_app("demo", territoire="296000011", onglet="scenarios")
    panel = app.scenarios.panels["B"]
    content = (HOSTILE / "bombe_alias.yaml").read_bytes()
    panel.upload.value = (
        {
            "name": "bombe.yaml",
            "type": "",
            "size": len(content),
            "content": memoryview(content),
            "last_modified": dt.datetime(2026, 11, 1),
        },
    )
    shown = html.unescape(re.sub(r"<[^>]+>", "", panel.status.value))
    assert "fichier « bombe.yaml », ligne 5 : trouvé des alias YAML" in shown
    assert panel.result is not None  # the scenario shown before is still there


def test_other_yaml_readers_share_the_bounds(tmp_path):
    from territoire_lib.indicators.catalogue import parse_catalogue
    from territoire_lib.rules.loading import _parse_file

    bomb = (HOSTILE / "bombe_alias.yaml").read_text(encoding="utf-8")
    assert refused(parse_catalogue, bomb, "catalogue.yaml") == [
        f"fichier « catalogue.yaml », ligne 5 : {BOMB}"
    ]
    folder = tmp_path / "parameters" / "psu"
    folder.mkdir(parents=True)
    (folder / "bombe.yaml").write_text(bomb, encoding="utf-8")
    parameter, issues = _parse_file(folder / "bombe.yaml", tmp_path / "parameters")
    assert parameter is None
    assert [str(i) for i in issues] == [f"fichier « psu/bombe.yaml », ligne 5 : {BOMB}"]


def test_self_containing_alias_and_oversized_yaml(tmp_path, monkeypatch):
    path = tmp_path / "boucle.yaml"
    path.write_text("nom: essai\nboucle: &a [1, *a]\n", encoding="utf-8")
    assert refused(load_scenario, path) == [
        "fichier « boucle.yaml », ligne 2 : trouvé un alias YAML qui se contient lui-même "
        "(ancre « &nom » reprise dans son propre contenu) ; attendu des alias qui renvoient à "
        "des valeurs déjà complètes."
    ]
    # the YAML cap: 1 Mo by default, 2 Ko here; the file (2 + 2 997 + 1 = 3 000 bytes,
    # 3 000 / 1 024 = 2,9 Ko) is refused unread
    monkeypatch.setenv("TERRITOIRE_TAILLE_MAX_YAML", "2K")
    big = tmp_path / "gros.yaml"
    big.write_text("# " + "x" * 2997 + "\n", encoding="utf-8")
    assert refused(load_scenario, big) == [
        "fichier « gros.yaml » : trouvé un fichier de 2,9 Ko, au-delà de la taille maximale lue "
        "(2 Ko) ; attendu un fichier de 2 Ko au plus ; pour lire un fichier plus gros, relevez "
        "la limite : variable d'environnement TERRITOIRE_TAILLE_MAX_YAML (ex. "
        "TERRITOIRE_TAILLE_MAX_YAML=5M)."
    ]


# -- 2. manifest paths --------------------------------------------------------------------------
PATH_EXPECTED = (
    "attendu un fichier du dossier du manifeste, nommé sans chemin (ex. v_commune_2024.csv) ou "
    "dans un sous-dossier (ex. insee/v_commune_2024.csv)."
)


def manifest_line(folder: Path, text: str) -> int:
    """The line of the demo manifest holding ``text`` (worked out from the file)."""
    lines = (folder / "manifeste.yaml").read_text(encoding="utf-8").split("\n")
    return next(i for i, line in enumerate(lines, start=1) if text in line)


def edit_manifest(folder: Path, old: str, new: str) -> None:
    path = folder / "manifeste.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_manifest_paths_leaving_the_folder_are_refused(tmp_path):
    folder = demo_copy(tmp_path)
    edit_manifest(folder, "cog_communes: v_commune_2024.csv", "cog_communes: /etc/passwd")
    edit_manifest(folder, "qpv: listeqp2024-cog2024.csv", "qpv: ../../etc/passwd")
    (folder / "lien.csv").symlink_to("/etc/passwd")
    edit_manifest(
        folder,
        "familles: [base-ic-couples-familles-menages-2021.csv]",
        "familles: [lien.csv]",
    )
    cog, qpv, fam = (
        manifest_line(folder, "/etc/passwd"),
        manifest_line(folder, "qpv:"),
        manifest_line(folder, "lien.csv"),
    )
    with unchanged(folder):
        issues = refused(load_folder, folder)
    assert issues == [
        f"fichier « manifeste.yaml », ligne {cog}, clé « fichiers → cog_communes » : trouvé le "
        f"chemin absolu « /etc/passwd », hors du dossier des données ; {PATH_EXPECTED}",
        f"fichier « manifeste.yaml », ligne {fam}, clé « fichiers → familles → n° 1 » : trouvé "
        f"le lien symbolique « lien.csv », qui mène hors du dossier des données ; {PATH_EXPECTED}",
        f"fichier « manifeste.yaml », ligne {qpv}, clé « fichiers → qpv » : trouvé le chemin "
        f"« ../../etc/passwd », qui remonte hors du dossier des données (« .. ») ; "
        f"{PATH_EXPECTED}",
    ]
    assert not any("root:" in i for i in issues)  # nothing of the file is ever shown


def test_devices_pipes_and_folders_are_never_read(tmp_path):
    folder = demo_copy(tmp_path)
    (folder / "zero.csv").symlink_to("/dev/zero")  # leads out of the folder
    os.mkfifo(folder / "tube.csv")  # in the folder, but not a regular file
    (folder / "dossier.csv").mkdir()
    edit_manifest(folder, "qpv: listeqp2024-cog2024.csv", "qpv: tube.csv")
    edit_manifest(
        folder,
        "familles: [base-ic-couples-familles-menages-2021.csv]",
        "familles: [zero.csv, dossier.csv]",
    )
    fam, qpv = manifest_line(folder, "zero.csv"), manifest_line(folder, "qpv:")
    with unchanged(folder):
        issues = refused(load_folder, folder)
    assert issues == [
        f"fichier « manifeste.yaml », ligne {fam}, clé « fichiers → familles → n° 1 » : trouvé "
        f"le lien symbolique « zero.csv », qui mène hors du dossier des données ; {PATH_EXPECTED}",
        f"fichier « manifeste.yaml », ligne {fam}, clé « fichiers → familles → n° 2 » : trouvé "
        "pour « dossier.csv », un dossier, pas un fichier ordinaire ; attendu un fichier "
        "ordinaire.",
        f"fichier « manifeste.yaml », ligne {qpv}, clé « fichiers → qpv » : trouvé pour "
        "« tube.csv », un tube nommé (FIFO), pas un fichier ordinaire ; attendu un fichier "
        "ordinaire.",
    ]


def test_file_over_the_size_cap_is_refused_unread(tmp_path, monkeypatch):
    # a COG file of exactly 10 240 bytes = 10 Ko, the cap set to 8 Ko
    folder = tmp_path / "donnees"
    folder.mkdir()
    header = "TYPECOM,COM,REG,DEP,CTCD,ARR,TNCC,NCC,NCCENR,LIBELLE,CAN,COMPARENT\n"
    row = "COM,96001,96,96,96D,961,0,VALMONT,Valmont,Valmont,9699,\n"
    body = header + row * ((10_240 - len(header)) // len(row))
    body += "#" * (10_240 - len(body))
    (folder / "v_commune_2024.csv").write_text(body, encoding="utf-8")
    (folder / "manifeste.yaml").write_text(
        "nom: Essai\nfichiers:\n  cog_communes: v_commune_2024.csv\n", encoding="utf-8"
    )
    assert (folder / "v_commune_2024.csv").stat().st_size == 10_240
    monkeypatch.setenv("TERRITOIRE_TAILLE_MAX", "8K")
    with unchanged(folder):
        issues = refused(load_folder, folder)
    assert issues == [
        "fichier « manifeste.yaml », ligne 3, clé « fichiers → cog_communes » : trouvé pour "
        "« v_commune_2024.csv », un fichier de 10 Ko, au-delà de la taille maximale lue "
        "(8 Ko) ; attendu un fichier de 8 Ko au plus ; pour lire un fichier plus gros, relevez "
        "la limite : variable d'environnement TERRITOIRE_TAILLE_MAX (ex. "
        "TERRITOIRE_TAILLE_MAX=4G)."
    ]
    # the reader itself refuses it too (a file swapped after the manifest was checked)
    assert refused(read_delimited, folder / "v_commune_2024.csv", sep=",") == [
        "fichier « v_commune_2024.csv » : trouvé un fichier de 10 Ko, au-delà de la taille "
        "maximale lue (8 Ko) ; attendu un fichier de 8 Ko au plus ; pour lire un fichier plus "
        "gros, relevez la limite : variable d'environnement TERRITOIRE_TAILLE_MAX (ex. "
        "TERRITOIRE_TAILLE_MAX=4G)."
    ]


def test_gzip_bomb_is_refused(tmp_path, monkeypatch):
    # 4 Mo of spaces compress to a few kilobytes; with a cap of 1 Mo they are refused after
    # 1 Mo + 1 byte of output, never inflated whole
    path = tmp_path / "contours.geojson.gz"
    path.write_bytes(gzip.compress(b" " * (4 * 1024**2)))
    assert path.stat().st_size < 10_000
    monkeypatch.setenv("TERRITOIRE_TAILLE_MAX", "1M")
    assert refused(load_geojson, path) == [
        "fichier « contours.geojson.gz » : trouvé un fichier compressé qui, décompressé, "
        "dépasse la taille maximale lue (1 Mo) ; attendu un fichier de 1 Mo au plus une fois "
        "décompressé (variable d'environnement TERRITOIRE_TAILLE_MAX pour relever la limite)."
    ]


# -- 2. never echo a file of another kind -------------------------------------------------------
PASSWD = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"


def test_a_file_of_another_kind_is_never_echoed(tmp_path):
    csv_path = tmp_path / "v_commune_2024.csv"
    csv_path.write_text(PASSWD, encoding="utf-8")
    issues = refused(read_delimited, csv_path, sep=",", required=["COM"])
    assert issues == [
        "fichier « v_commune_2024.csv », ligne 1 : trouvé une première ligne sans séparateur "
        "(ce n'est pas un fichier de ce type, ou pas un fichier délimité : son contenu n'est "
        "pas affiché) ; attendu le séparateur virgule « , »."
    ]
    # a delimited file of another kind: its header is not listed either
    other = tmp_path / "autre.csv"
    other.write_text("a:b;c:d\n1;2\n", encoding="utf-8")
    assert refused(read_delimited, other, sep=";", required=["COM"]) == [
        "fichier « autre.csv », ligne 1, colonne « COM » : trouvé aucune colonne « COM » "
        "(aucune des colonnes attendues : ce fichier n'est pas du type attendu (son contenu "
        "n'est pas affiché)) ; attendu la colonne « COM »."
    ]
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(PASSWD, encoding="utf-8")
    assert refused(load_scenario, scenario) == [
        "fichier « scenario.yaml » : trouvé un texte, pas une table de clés (ce fichier n'est "
        "pas un scénario) ; attendu un scénario YAML : nom, territoire, annee_base, horizon, "
        "leviers."
    ]
    folder = tmp_path / "dossier"
    folder.mkdir()
    (folder / "manifeste.yaml").write_text(PASSWD, encoding="utf-8")
    issues = refused(load_manifest, folder)
    assert issues == [
        "fichier « manifeste.yaml », ligne 1 : trouvé un document YAML qui n'est pas une "
        "rubrique de clés (un texte ou une valeur seule) : ce fichier n'est pas un manifeste ; "
        "attendu des clés « nom: », « fichiers: »… ; exemple : « fichiers: {cog_communes: "
        "v_commune_2024.csv} »."
    ]
    assert not any("root" in i for i in issues)
