"""The indicator catalogue: ``catalogue.yaml`` read into :class:`Indicator` objects.

Every indicator is a ratio of sums (or a plain sum, or the SPPE size band of a commune). The
YAML file documents its keys in its header; :func:`load_catalogue` validates every key and
raises a :class:`~territoire_lib.errors.DataError` whose French issues name the file, the line
and the YAML key (``indicateurs → taux_couverture_global → denominateur``).

Layer « indicateurs »: imports socle (errors, variables, yaml_lines).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import DataError, Issue, quote
from ..variables import VARIABLES
from ..yaml_lines import load_yaml

CATALOGUE_PATH = Path(__file__).with_name("catalogue.yaml")

TYPES = ("effectif", "taux", "categorie")
DIRECTIONS = ("hausse_favorable", "baisse_favorable", "neutre")
# meme_annee: year N; recensement_au_plus_tard: the latest year ≤ N; annee_suivante: year N+1
# (children on 1 January N+1 for the places of December N, the Onape coverage rate)
ALIGNMENTS = ("meme_annee", "recensement_au_plus_tard", "annee_suivante")
EVOLUTION_SENSES = ("defavorable", "baisse", "hausse")
THRESHOLD_SENSES = ("au_dessus", "en_dessous")
ZONAGES = ("qpv", "frr")
FRR_CLASSEMENTS = ("frr", "frr_plus", "beneficiaire", "partiel", "zrr", "non")
# A pseudo-variable: the municipal population of the geography (one vintage only).
MUNICIPAL_POPULATION = "population_municipale"
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
REFERENCE_MAX_LAG = 3  # a catalogue reference serves up to 3 years after its year


@dataclass(frozen=True)
class Term:
    """Numerator or denominator: variables summed commune by commune, and which year to take."""

    variables: tuple[str, ...]
    alignment: str = "meme_annee"  # or "recensement_au_plus_tard", "annee_suivante"


@dataclass(frozen=True)
class SecrecyRule:
    """Reliability thresholds (key ``fiabilite``, formerly ``secret``): under
    ``denominator_min`` / ``numerator_min`` a value is shown flagged « peu significatif »;
    under ``coverage_min`` of the denominator resting on published communes it is masked as
    too partial."""

    denominator_min: float = 0.0
    numerator_min: float = 0.0
    coverage_min: float = 0.0


@dataclass(frozen=True)
class Threshold:
    value: float
    sense: str  # au_dessus | en_dessous
    label: str = "seuil d'alerte"
    source: str = ""


@dataclass(frozen=True)
class AlertRule:
    """Alert triggers: unfavourable gaps (points), unfavourable change, absolute threshold."""

    gap_departement: float | None = None
    gap_france: float | None = None
    evolution_min: float | None = None
    evolution_sense: str = "defavorable"
    threshold: Threshold | None = None


@dataclass(frozen=True)
class Stratum:
    code: str
    label: str
    above: float | None  # strictly above this population (None: every commune)
    duties: tuple[str, ...] = ()


@dataclass(frozen=True)
class Strata:
    """A dated parameter: population bands (the SPPE duties of L. 214-1-3 CASF)."""

    name: str
    label: str
    date: str
    source: str
    status: str
    note: str
    strata: tuple[Stratum, ...]

    def thresholds(self) -> list[float]:
        return [s.above for s in self.strata if s.above is not None]

    def index_of(self, code: str) -> int:
        return [s.code for s in self.strata].index(code)


@dataclass(frozen=True)
class DerivedVariable:
    """A commune variable built from a zoning or the SPPE bands (``variables_derivees``)."""

    name: str
    label: str
    base: str
    zonage: str | None = None
    classements: tuple[str, ...] = ()
    stratum_min: str | None = None
    indicator: bool = False  # 1 per selected commune instead of the base value


@dataclass(frozen=True)
class Indicator:
    id: str
    label: str
    definition: str
    theme: str
    type: str
    numerator: Term
    denominator: Term | None
    multiplier: float
    unit: str
    decimals: int
    direction: str
    source: str
    vintage: str
    references: dict[int, float] = field(default_factory=dict)
    reference_area: str = ""
    reference_source: str = ""
    published_reference: str | None = None
    # the territory's own published value, where it exists, is the headline (``valeur``) and
    # the recomputed one is shown beside it (key ``titre_publie``)
    published_headline: bool = False
    secrecy: SecrecyRule = SecrecyRule()
    alerts: AlertRule = AlertRule()
    flag_estimated: bool = True
    strata: str | None = None
    breaks: tuple[int, ...] = ()  # first years of a new, non-comparable series
    note: str = ""
    # data that is not public (key ``confidentiel``): primary and complementary suppression
    confidential: bool = False
    # other themes that also show it (key ``themes_associes``): the poverty rate, a context
    # figure, is also one of the figures that call for a social centre (vie sociale)
    also: tuple[str, ...] = ()

    def in_theme(self, theme: str) -> bool:
        """Whether the indicator belongs to ``theme`` or is also shown there."""
        return self.theme == theme or theme in self.also

    @property
    def variables(self) -> tuple[str, ...]:
        den = self.denominator.variables if self.denominator else ()
        return tuple(dict.fromkeys(self.numerator.variables + den))

    def reference_for(self, year: int) -> tuple[float, int | None]:
        """Catalogue reference for a year: the latest one not after it, at most
        :data:`REFERENCE_MAX_LAG` years old; ``(nan, None)`` otherwise."""
        years = [y for y in self.references if y <= year and year - y <= REFERENCE_MAX_LAG]
        if not years:
            return math.nan, None
        best = max(years)
        return self.references[best], best


@dataclass(frozen=True)
class Catalogue:
    version: int
    themes: dict[str, str]
    indicators: dict[str, Indicator]
    derived: dict[str, DerivedVariable]
    strata: dict[str, Strata]
    path: str


# -- YAML with line numbers ---------------------------------------------------------------------
def _load_yaml(text: str, file: str) -> tuple[Any, dict[tuple[str, ...], int]]:
    """Parse YAML (duplicate keys refused); also return the line of every node by path."""
    return load_yaml(text, file, "un catalogue YAML valide")


class _Checker:
    """Collects French issues naming the YAML key and its line."""

    def __init__(self, file: str, lines: dict[tuple[str, ...], int]):
        self.file = file
        self.lines = lines
        self.issues: list[Issue] = []

    def add(self, path: tuple[str, ...], found: str, expected: str) -> None:
        line = None
        for n in range(len(path), -1, -1):
            if path[:n] in self.lines:
                line = self.lines[path[:n]]
                break
        self.issues.append(Issue(self.file, found, expected, line, " → ".join(path) or None))

    def mapping(self, value: Any, path: tuple[str, ...]) -> dict:
        if not isinstance(value, dict):
            self.add(path, quote(value), "une rubrique (clé: valeur)")
            return {}
        return value

    def text(self, m: dict, key: str, path: tuple[str, ...], required: bool = True) -> str:
        value = m.get(key)
        if value is None:
            if required:
                self.add((*path, key), "une clé absente", f"la clé « {key} » (texte)")
            return ""
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            self.add((*path, key), quote(value), "un texte")
            return ""
        return str(value).strip()

    def number(
        self, m: dict, key: str, path: tuple[str, ...], default: float | None, minimum: float = 0
    ) -> float | None:
        value = m.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
            self.add((*path, key), quote(value), f"un nombre supérieur ou égal à {minimum:g}")
            return default
        return float(value)

    def choice(
        self, m: dict, key: str, path: tuple[str, ...], choices: tuple[str, ...], default=None
    ) -> str:
        value = m.get(key, default)
        if value not in choices:
            found = "une clé absente" if value is None else quote(value)
            self.add((*path, key), found, "l'une de : " + ", ".join(choices))
            return choices[0] if default is None else default
        return value

    def unknown_keys(self, m: dict, allowed: set[str], path: tuple[str, ...]) -> None:
        for key in m:
            if key not in allowed:
                self.add(
                    (*path, str(key)),
                    f"la clé inconnue « {key} »",
                    "l'une de : " + ", ".join(sorted(allowed)),
                )


INDICATOR_KEYS = {
    "libelle",
    "definition",
    "theme",
    "type",
    "numerateur",
    "denominateur",
    "multiplicateur",
    "unite",
    "decimales",
    "sens",
    "source",
    "millesime",
    "references",
    "reference_publiee",
    "titre_publie",
    "fiabilite",
    "secret",
    "confidentiel",
    "alertes",
    "signaler_estime",
    "strates",
    "ruptures",
    "note",
    "themes_associes",
}
TOP_KEYS = {
    "version",
    "themes",
    "alertes_par_defaut",
    "parametres",
    "variables_derivees",
    "indicateurs",
}


def _variable_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _term(
    ck: _Checker, value: Any, path: tuple[str, ...], known: set[str], derived: set[str]
) -> Term:
    alignment = "meme_annee"
    if isinstance(value, dict):
        ck.unknown_keys(value, {"variable", "variables", "annee"}, path)
        alignment = ck.choice(value, "annee", path, ALIGNMENTS, "meme_annee")
        raw = value.get("variables", value.get("variable"))
    else:
        raw = value
    names: list[str] = []
    items = _variable_list(raw)
    if raw is None or not items:
        ck.add(path, "aucune variable", "une variable, une liste de variables ou {variable: …}")
    for i, name in enumerate(items):
        where = path if len(items) == 1 else (*path, str(i))
        if not isinstance(name, str) or (name not in known and name not in derived):
            ck.add(
                where,
                f"la variable inconnue {quote(name)}",
                "une variable de territoire_lib/variables.py ou de « variables_derivees »",
            )
        else:
            names.append(name)
    return Term(tuple(names), alignment)


def _alerts(ck: _Checker, value: Any, path: tuple[str, ...], defaults: dict) -> AlertRule:
    m = ck.mapping(value, path) if value is not None else {}
    ck.unknown_keys(m, {"ecart_departement", "ecart_france", "evolution", "seuil"}, path)
    gap_dep = ck.number(m, "ecart_departement", path, defaults.get("ecart_departement"))
    gap_fr = ck.number(m, "ecart_france", path, defaults.get("ecart_france"))
    evo = m.get("evolution", defaults.get("evolution"))
    evo_min, evo_sense = None, "defavorable"
    if isinstance(evo, dict):
        ck.unknown_keys(evo, {"min", "sens"}, (*path, "evolution"))
        evo_min = ck.number(evo, "min", (*path, "evolution"), None)
        evo_sense = ck.choice(evo, "sens", (*path, "evolution"), EVOLUTION_SENSES, "defavorable")
    elif evo is not None:
        evo_min = ck.number({"evolution": evo}, "evolution", path, None)
    threshold = None
    if "seuil" in m:
        sp = (*path, "seuil")
        s = ck.mapping(m["seuil"], sp)
        ck.unknown_keys(s, {"valeur", "sens", "libelle", "source"}, sp)
        val = ck.number(s, "valeur", sp, None, minimum=-math.inf)
        if val is None:
            ck.add((*sp, "valeur"), "une clé absente", "la valeur du seuil (nombre)")
        else:
            threshold = Threshold(
                value=val,
                sense=ck.choice(s, "sens", sp, THRESHOLD_SENSES),
                label=ck.text(s, "libelle", sp, required=False) or "seuil d'alerte",
                source=ck.text(s, "source", sp, required=False),
            )
    return AlertRule(gap_dep, gap_fr, evo_min, evo_sense, threshold)


def _strata(ck: _Checker, name: str, value: Any, path: tuple[str, ...]) -> Strata | None:
    m = ck.mapping(value, path)
    ck.unknown_keys(m, {"libelle", "date", "source", "statut", "note", "strates"}, path)
    items = m.get("strates")
    if not isinstance(items, list) or not items:
        ck.add((*path, "strates"), quote(items), "une liste de strates")
        return None
    strata: list[Stratum] = []
    previous = -math.inf
    for i, item in enumerate(items):
        sp = (*path, "strates", str(i))
        s = ck.mapping(item, sp)
        ck.unknown_keys(s, {"code", "libelle", "population_superieure_a", "obligations"}, sp)
        above = s.get("population_superieure_a")
        if above is not None and (
            isinstance(above, bool) or not isinstance(above, int | float) or above <= previous
        ):
            ck.add(
                (*sp, "population_superieure_a"),
                quote(above),
                "un seuil de population croissant d'une strate à la suivante (null pour la "
                "première)",
            )
            above = None
        if above is None and i > 0:
            ck.add((*sp, "population_superieure_a"), "une valeur vide", "un seuil de population")
        previous = above if above is not None else previous
        duties = s.get("obligations") or []
        strata.append(
            Stratum(
                code=ck.text(s, "code", sp),
                label=ck.text(s, "libelle", sp),
                above=None if above is None else float(above),
                duties=tuple(str(d) for d in _variable_list(duties)),
            )
        )
    return Strata(
        name=name,
        label=ck.text(m, "libelle", path, required=False) or name,
        date=ck.text(m, "date", path),
        source=ck.text(m, "source", path),
        status=ck.text(m, "statut", path, required=False) or "à vérifier",
        note=ck.text(m, "note", path, required=False),
        strata=tuple(strata),
    )


def _derived(
    ck: _Checker, name: str, value: Any, path: tuple[str, ...], strata: dict[str, Strata]
) -> DerivedVariable | None:
    m = ck.mapping(value, path)
    ck.unknown_keys(
        m, {"libelle", "base", "zonage", "classements", "strate_min", "indicatrice"}, path
    )
    base = m.get("base")
    if base not in VARIABLES and base != MUNICIPAL_POPULATION:
        ck.add((*path, "base"), quote(base), "une variable de territoire_lib/variables.py")
        return None
    zonage = m.get("zonage")
    if zonage is not None and zonage not in ZONAGES:
        ck.add((*path, "zonage"), quote(zonage), "qpv ou frr")
        zonage = None
    classements = tuple(_variable_list(m.get("classements") or []))
    bad = [c for c in classements if c not in FRR_CLASSEMENTS]
    if bad:
        ck.add((*path, "classements"), quote(bad[0]), "l'un de : " + ", ".join(FRR_CLASSEMENTS))
    if zonage == "frr" and not classements:
        ck.add((*path, "classements"), "une clé absente", "la liste des classements FRR retenus")
    stratum_min = m.get("strate_min")
    if stratum_min is not None:
        codes = [s.code for st in strata.values() for s in st.strata]
        if stratum_min not in codes:
            ck.add((*path, "strate_min"), quote(stratum_min), "un code de strate des paramètres")
        if base != MUNICIPAL_POPULATION and not str(base).startswith(("pop_legale_", "pop_")):
            ck.add(
                (*path, "base"),
                quote(base),
                "une population (pop_legale_totale, population_municipale) avec strate_min",
            )
    if zonage is None and stratum_min is None:
        ck.add(path, "ni zonage ni strate_min", "« zonage: qpv|frr » ou « strate_min: … »")
    return DerivedVariable(
        name=name,
        label=ck.text(m, "libelle", path),
        base=str(base),
        zonage=zonage,
        classements=classements,
        stratum_min=stratum_min,
        indicator=bool(m.get("indicatrice", False)),
    )


def _indicator(
    ck: _Checker,
    ident: str,
    value: Any,
    themes: dict[str, str],
    derived: dict[str, DerivedVariable],
    strata: dict[str, Strata],
    default_alerts: dict,
) -> Indicator | None:
    path = ("indicateurs", ident)
    if not ID_PATTERN.match(ident):
        ck.add(path, quote(ident), "un identifiant en minuscules, chiffres et « _ »")
    m = ck.mapping(value, path)
    if not m:
        return None
    n_issues = len(ck.issues)
    ck.unknown_keys(m, INDICATOR_KEYS, path)
    kind = ck.choice(m, "type", path, TYPES)
    theme = m.get("theme")
    if theme not in themes:
        ck.add((*path, "theme"), quote(theme), "l'un de : " + ", ".join(themes))
    known = set(VARIABLES) | {MUNICIPAL_POPULATION}
    numerator = _term(ck, m.get("numerateur"), (*path, "numerateur"), known, set(derived))
    denominator = None
    if kind == "taux":
        if "denominateur" not in m:
            ck.add((*path, "denominateur"), "une clé absente", "un dénominateur (type taux)")
        else:
            denominator = _term(ck, m["denominateur"], (*path, "denominateur"), known, set(derived))
    elif "denominateur" in m:
        ck.add((*path, "denominateur"), "un dénominateur", f"aucun dénominateur (type {kind})")
    for term, key in ((numerator, "numerateur"), (denominator, "denominateur")):
        for v in term.variables if term else ():
            var = VARIABLES.get(v)
            if var is not None and not var.summable:
                ck.add(
                    (*path, key),
                    f"la variable {quote(v)}, un taux publié qu'on ne peut pas additionner",
                    "des effectifs additionnables (le taux publié va dans reference_publiee)",
                )
    strata_name = m.get("strates")
    if kind == "categorie" and strata_name not in strata:
        ck.add((*path, "strates"), quote(strata_name), "un paramètre de strates (ex. sppe)")
    multiplier = ck.number(m, "multiplicateur", path, 100.0 if kind == "taux" else 1.0, 1e-12)
    decimals = ck.number(m, "decimales", path, 1 if kind == "taux" else 0)
    direction = ck.choice(m, "sens", path, DIRECTIONS)
    published = m.get("reference_publiee")
    if published is not None and (not isinstance(published, str) or published not in VARIABLES):
        ck.add(
            (*path, "reference_publiee"),
            quote(published),
            "une variable de référence de territoire_lib/variables.py",
        )
        published = None
    refs: dict[int, float] = {}
    ref_area = ref_source = ""
    if "references" in m:
        rp = (*path, "references")
        r = ck.mapping(m["references"], rp)
        ck.unknown_keys(r, {"perimetre", "source", "valeurs"}, rp)
        ref_area = ck.text(r, "perimetre", rp)
        ref_source = ck.text(r, "source", rp)
        values = ck.mapping(r.get("valeurs"), (*rp, "valeurs"))
        for year, val in values.items():
            ok_year = isinstance(year, int) and 1900 < year < 2100
            ok_val = isinstance(val, int | float) and not isinstance(val, bool)
            if not ok_year or not ok_val:
                ck.add(
                    (*rp, "valeurs", str(year)),
                    f"{quote(year)}: {quote(val)}",
                    "année (4 chiffres): valeur (nombre)",
                )
                continue
            refs[int(year)] = float(val)
    secrecy = SecrecyRule()
    # « fiabilite »; « secret » is its former name, still read
    rule_key = "fiabilite" if "fiabilite" in m or "secret" not in m else "secret"
    if "fiabilite" in m and "secret" in m:
        ck.add((*path, "secret"), "les clés « fiabilite » et « secret »", "l'une des deux")
    if rule_key in m:
        sp = (*path, rule_key)
        s = ck.mapping(m[rule_key], sp)
        ck.unknown_keys(s, {"denominateur_min", "numerateur_min", "couverture_min"}, sp)
        cov = ck.number(s, "couverture_min", sp, 0.0) or 0.0
        if cov > 1:
            ck.add((*sp, "couverture_min"), quote(cov), "une part entre 0 et 1 (ex. 0.5)")
        secrecy = SecrecyRule(
            denominator_min=ck.number(s, "denominateur_min", sp, 0.0) or 0.0,
            numerator_min=ck.number(s, "numerateur_min", sp, 0.0) or 0.0,
            coverage_min=cov,
        )
    alerts = _alerts(ck, m.get("alertes"), (*path, "alertes"), default_alerts)
    flag = m.get("signaler_estime", True)
    if not isinstance(flag, bool):
        ck.add((*path, "signaler_estime"), quote(flag), "true ou false")
    confidential = m.get("confidentiel", False)
    if not isinstance(confidential, bool):
        ck.add((*path, "confidentiel"), quote(confidential), "true ou false")
    headline = m.get("titre_publie", False)
    if not isinstance(headline, bool):
        ck.add((*path, "titre_publie"), quote(headline), "true ou false")
    elif headline and not published:
        ck.add((*path, "titre_publie"), "true", "une reference_publiee (la valeur publiée)")
    breaks = m.get("ruptures") or []
    if not isinstance(breaks, list) or not all(
        isinstance(b, int) and not isinstance(b, bool) for b in breaks
    ):
        ck.add((*path, "ruptures"), quote(breaks), "une liste d'années (ex. [2023])")
        breaks = []
    also = m.get("themes_associes") or []
    if not isinstance(also, list) or any(t not in themes or t == theme for t in also):
        ck.add(
            (*path, "themes_associes"),
            quote(also),
            "une liste d'autres thèmes (ex. [avs]) parmi : " + ", ".join(themes),
        )
        also = []
    if len(ck.issues) > n_issues:
        return None
    return Indicator(
        id=ident,
        label=ck.text(m, "libelle", path),
        definition=ck.text(m, "definition", path),
        theme=str(theme),
        type=kind,
        numerator=numerator,
        denominator=denominator,
        multiplier=float(multiplier),
        unit=ck.text(m, "unite", path),
        decimals=int(decimals),
        direction=direction,
        source=ck.text(m, "source", path),
        vintage=ck.text(m, "millesime", path),
        references=refs,
        reference_area=ref_area,
        reference_source=ref_source,
        published_reference=published,
        published_headline=headline is True,
        secrecy=secrecy,
        alerts=alerts,
        flag_estimated=bool(flag),
        strata=strata_name if kind == "categorie" else None,
        breaks=tuple(sorted(int(b) for b in breaks)),
        note=ck.text(m, "note", path, required=False),
        confidential=confidential is True,
        also=tuple(str(t) for t in also),
    )


def parse_catalogue(text: str, file: str = "catalogue.yaml") -> Catalogue:
    """Validate a catalogue given as YAML text; raise DataError listing every problem."""
    data, lines = _load_yaml(text, file)
    ck = _Checker(file, lines)
    top = ck.mapping(data, ())
    ck.unknown_keys(top, TOP_KEYS, ())
    version = top.get("version", 1)
    themes_raw = ck.mapping(top.get("themes"), ("themes",))
    themes = {str(k): str(v) for k, v in themes_raw.items()}
    defaults_raw = top.get("alertes_par_defaut") or {}
    defaults = ck.mapping(defaults_raw, ("alertes_par_defaut",))
    ck.unknown_keys(
        defaults, {"ecart_departement", "ecart_france", "evolution"}, ("alertes_par_defaut",)
    )
    strata: dict[str, Strata] = {}
    params = ck.mapping(top.get("parametres") or {}, ("parametres",))
    for name, spec in params.items():
        st = _strata(ck, str(name), spec, ("parametres", str(name)))
        if st is not None:
            strata[str(name)] = st
    derived: dict[str, DerivedVariable] = {}
    for name, spec in ck.mapping(
        top.get("variables_derivees") or {}, ("variables_derivees",)
    ).items():
        path = ("variables_derivees", str(name))
        if name in VARIABLES:
            ck.add(
                path, f"le nom {quote(name)}, déjà celui d'une variable observée", "un nom libre"
            )
            continue
        dv = _derived(ck, str(name), spec, path, strata)
        if dv is not None:
            derived[str(name)] = dv
    indicators: dict[str, Indicator] = {}
    raw_inds = ck.mapping(top.get("indicateurs"), ("indicateurs",))
    if not raw_inds:
        ck.add(("indicateurs",), "aucun indicateur", "une rubrique « indicateurs » non vide")
    for ident, spec in raw_inds.items():
        ind = _indicator(ck, str(ident), spec, themes, derived, strata, defaults)
        if ind is not None:
            indicators[ind.id] = ind
    if ck.issues:
        raise DataError(ck.issues)
    return Catalogue(
        version=int(version) if isinstance(version, int) else 1,
        themes=themes,
        indicators=indicators,
        derived=derived,
        strata=strata,
        path=file,
    )


_CACHE: dict[tuple[str, float], Catalogue] = {}


def load_catalogue_full(path: str | Path | None = None) -> Catalogue:
    """The whole catalogue (indicators, derived variables, strata), cached by path and mtime."""
    p = Path(path) if path is not None else CATALOGUE_PATH
    try:
        key = (str(p.resolve()), p.stat().st_mtime)
    except OSError:
        raise DataError(
            Issue(p.name, "un fichier introuvable", "le catalogue des indicateurs (YAML)")
        ) from None
    if key not in _CACHE:
        _CACHE[key] = parse_catalogue(p.read_text(encoding="utf-8"), p.name)
    return _CACHE[key]


def load_catalogue(path: str | Path | None = None) -> dict[str, Indicator]:
    """Indicators of the catalogue by id, in the file's order."""
    return dict(load_catalogue_full(path).indicators)


def sppe_strata(path: str | Path | None = None) -> Strata:
    """The SPPE population bands and the duties of each (dated parameter of the catalogue)."""
    return load_catalogue_full(path).strata["sppe"]


def variable_uses(catalogue: Catalogue | None = None) -> dict[str, list[str]]:
    """Observation variable → labels of the indicators that need it (directly, or through a
    derived variable built on it): what a column missing from a file disables."""
    cat = catalogue or load_catalogue_full()
    out: dict[str, list[str]] = {}
    for ind in cat.indicators.values():
        for name in ind.variables:
            derived = cat.derived.get(name)
            base = derived.base if derived is not None else name
            labels = out.setdefault(base, [])
            if ind.label not in labels:
                labels.append(ind.label)
    return out
