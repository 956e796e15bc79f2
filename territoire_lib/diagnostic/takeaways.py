"""« Ce qu'il faut retenir » of each CTG theme: a few French sentences drawn from the figures
of a diagnostic by fixed rules (no free text), the same in the dashboard, the notebook and the
batch report.

Each theme has a list of rules (:data:`THEME_RULES`), applied in order; a rule gives one
sentence or nothing (data not loaded, secret, too small a gap), and at most
:data:`MAX_SENTENCES` are kept. The rules:

* :class:`Headline` — the theme's main figure (:data:`FOCUS`, the first one shown) and where
  it stands against the département: « au niveau du département » within half a point,
  otherwise the gap in points;
* :class:`Gap` — the largest gap to the département in the unfavourable direction among the
  theme's rates, if it reaches the indicator's alert threshold (« À surveiller : … »);
* :class:`Strength` — the largest favourable gap, same threshold (« Atout : … »);
* :class:`Trend` — among some counts, the largest change over the years loaded;
* :class:`OneIn` — a share as « une famille sur N » or « plus d'une famille sur N » (between
  5 % and 60 %);
* :class:`Split` — a total and its parts (aides au logement: APL, ALS, ALF);
* :class:`Versus` — one indicator against another of the same territory (the QPV against
  the whole territory);
* :class:`SchoolAge` — the projection of children aged 3 to 10 (demography module);
* :class:`LeisureCommunes` — the DREES context line on accueils de loisirs.

Layer « diagnostic »; imports indicateurs (the catalogue and its value formats), the socle
and :mod:`.common`.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass

from ..french import number as fr_number
from ..indicators import load_catalogue_full
from ..indicators.table import format_points, format_value
from .common import _nan

MAX_SENTENCES = 5
NEAR = 0.5  # points: « au niveau du département » within half a point
# the theme's main figure, first available (with at least two years where possible): the
# figure of the map and the series
FOCUS: dict[str, tuple[str, ...]] = {
    "petite_enfance": ("taux_couverture_global", "taux_couverture_eaje"),
    "enfance_jeunesse": ("part_11_17", "part_3_17", "part_aeeh"),
    "parentalite": (
        "part_monoparentales_familles_enfants",
        "taux_natalite",
        "part_familles_monoparentales",
        "part_asf",
    ),
    "avs": ("part_80_plus_seules", "part_65_plus_seules", "part_65_plus", "taux_pauvrete"),
    "logement": ("part_aide_logement", "part_apl", "part_menages_une_personne"),
    "acces_droits": ("part_qf_moins_800", "part_rsa", "part_ppa"),
}


def _ok(row: dict | None) -> bool:
    return (
        row is not None
        and bool(row.get("disponible"))
        and not bool(row.get("masque"))
        and not bool(row.get("peu_significatif", False))
        and not _nan(row.get("valeur"))
    )


def _versus_departement(ind, row: dict) -> str:
    """« 2,3 points au-dessus du département (15,5 %) », « au niveau du département (…) »."""
    dep = row.get("valeur_departement")
    if _nan(dep) or row.get("niveau") == "departement":
        return ""
    gap = float(row["valeur"]) - float(dep)
    # the unit was just given with the value: only « % » is repeated
    shown = format_value(ind, dep) if ind.unit == "%" else fr_number(dep, ind.decimals)
    if ind.type != "taux" or round(abs(gap), 1) < NEAR:
        return f"au niveau du département ({shown})"
    where = "au-dessus du" if gap > 0 else "sous le"
    return f"{format_points(gap)} {where} département ({shown})"


def _lower_first(label: str) -> str:
    """« Taux de pauvreté » → « taux de pauvreté »; « QPV … », « AAH » unchanged."""
    if len(label) > 1 and label[0].isupper() and label[1].islower():
        return label[0].lower() + label[1:]
    return label


def _unfavourable(direction: str, gap: float) -> bool:
    return (direction == "hausse_favorable" and gap < 0) or (
        direction == "baisse_favorable" and gap > 0
    )


class Rule(ABC):
    """One rule of « Ce qu'il faut retenir »: a French sentence drawn from the figures, or None
    when the rule has nothing to say for this territory and theme."""

    @abstractmethod
    def sentence(self, diag, theme: str) -> str | None: ...


def headline_indicator(diag, theme: str) -> str | None:
    """The first indicator of :data:`FOCUS` shown for the territory (whatever its years)."""
    for ident in FOCUS.get(theme, ()):
        if _ok(diag.row(ident)):
            return ident
    return diag.focus_indicator(theme)


@dataclass(frozen=True)
class Headline(Rule):
    exclude: tuple[str, ...] = ()  # already said by another rule of the theme

    def sentence(self, diag, theme):
        ident = headline_indicator(diag, theme)
        if ident in self.exclude:
            return None
        row = diag.row(ident) if ident else None
        if not _ok(row):
            return None
        ind = load_catalogue_full().indicators[ident]
        text = f"{ind.label} : {format_value(ind, row['valeur'])} en {int(row['annee'])}"
        versus = _versus_departement(ind, row)
        return text + (f", {versus}" if versus else "") + "."


@dataclass(frozen=True)
class Gap(Rule):
    favourable: bool = False

    def sentence(self, diag, theme):
        cat = load_catalogue_full()
        focus = headline_indicator(diag, theme)
        best, size = None, 0.0
        for row in diag.theme_rows(theme).to_dict("records"):
            ind = cat.indicators[row["indicateur"]]
            if ind.type != "taux" or ind.direction == "neutre" or ind.id == focus:
                continue
            if not _ok(row) or _nan(row.get("valeur_departement")):
                continue
            gap = float(row["valeur"]) - float(row["valeur_departement"])
            if _unfavourable(ind.direction, gap) == self.favourable:
                continue
            limit = max(ind.alerts.gap_departement or 0.0, 0.05)
            if round(abs(gap), 1) >= limit and abs(gap) > size:
                best, size = (ind, row), abs(gap)
        if best is None:
            return None
        ind, row = best
        head = "Atout" if self.favourable else "À surveiller"
        return (
            f"{head} — {_lower_first(ind.label)} : {format_value(ind, row['valeur'])}, "
            f"{_versus_departement(ind, row)}."
        )


@dataclass(frozen=True)
class Strength(Gap):
    favourable: bool = True


@dataclass(frozen=True)
class Trend(Rule):
    indicators: tuple[str, ...]

    def sentence(self, diag, theme):
        cat = load_catalogue_full()
        best, size = None, 0.0
        for ident in self.indicators:
            row = diag.row(ident)
            if not _ok(row) or _nan(row.get("evolution")) or not row.get("evolution_texte"):
                continue
            if abs(float(row["evolution"])) > size or best is None:
                best, size = (cat.indicators[ident], row), abs(float(row["evolution"]))
        if best is None:
            return None
        ind, row = best
        return (
            f"{ind.label} : {row['evolution_texte']} "
            f"({format_value(ind, row['valeur_debut'])} en {int(row['annee_debut'])}, "
            f"{format_value(ind, row['valeur'])} en {int(row['annee'])})."
        )


@dataclass(frozen=True)
class OneIn(Rule):
    """A share as « une famille sur N » (``N`` = 100 / share within 5 %), otherwise « plus
    d'une famille sur N » (``N`` the smallest whole number with 100 / N under the share);
    only between 5 % and 60 %."""

    indicator: str
    noun: str  # « famille avec enfants »
    verb: str  # « est monoparentale »
    feminine: bool = True
    versus: bool = False  # add where it stands against the département

    def sentence(self, diag, theme):
        row = diag.row(self.indicator)
        if not _ok(row) or not 5 <= float(row["valeur"]) <= 60:
            return None
        ind = load_catalogue_full().indicators[self.indicator]
        value = float(row["valeur"])
        n = math.ceil(100 / value - 1e-9)
        one = "une" if self.feminine else "un"
        head = one.capitalize() if abs(100 / n - value) <= 0.05 * value else f"Plus d'{one}"
        dep = row.get("valeur_departement")
        versus = ""
        if self.versus and not _nan(dep) and row.get("niveau") != "departement":
            versus = f" ; département : {format_value(ind, dep)}"
        return (
            f"{head} {self.noun} sur {n} {self.verb} ({format_value(ind, row['valeur'])} en "
            f"{int(row['annee'])}{versus})."
        )


@dataclass(frozen=True)
class Split(Rule):
    total: str
    parts: tuple[tuple[str, str], ...]  # (indicator, short label)

    def sentence(self, diag, theme):
        row = diag.row(self.total)
        if not _ok(row):
            return None
        cat = load_catalogue_full()
        ind = cat.indicators[self.total]
        pieces = []
        for ident, short in self.parts:
            part = diag.row(ident)
            if _ok(part):
                pieces.append(
                    f"{short} {fr_number(part['valeur'], cat.indicators[ident].decimals)}"
                )
        if not pieces:
            return None
        return (
            f"{fr_number(row['valeur'], ind.decimals)} foyers allocataires sur 100 perçoivent une "
            f"aide au logement en {int(row['annee'])} : " + ", ".join(pieces) + "."
        )


@dataclass(frozen=True)
class Versus(Rule):
    """A sentence template filled with one indicator (``{a}`` with its unit, ``{a_nombre}``
    without, ``{versus}`` its place against the département), if given another one (``{b}``,
    ``{b_nombre}``), and ``{annee}``."""

    indicator: str
    reference: str | None
    text: str  # « dans les QPV, {a} des foyers allocataires … contre {b} … »
    nonzero: bool = False  # no sentence when the indicator is 0 (no QPV in the territory)

    def sentence(self, diag, theme):
        cat = load_catalogue_full()
        a = diag.row(self.indicator)
        b = diag.row(self.reference) if self.reference else None
        if not _ok(a) or (self.reference and not _ok(b)):
            return None
        if self.nonzero and round(float(a["valeur"]), 1) == 0:
            return None
        ind_a = cat.indicators[self.indicator]
        values = {
            "a": format_value(ind_a, a["valeur"]),
            "a_nombre": fr_number(a["valeur"], ind_a.decimals),
            "annee": int(a["annee"]),
            "versus": _versus_departement(ind_a, a),
        }
        if "{versus}" in self.text and not values["versus"]:
            return None
        if b is not None:
            ind_b = cat.indicators[self.reference]
            values["b"] = format_value(ind_b, b["valeur"])
            values["b_nombre"] = fr_number(b["valeur"], ind_b.decimals)
        return self.text.format(**values)


@dataclass(frozen=True)
class SchoolAge(Rule):
    def sentence(self, diag, theme):
        try:
            proj = diag.school_age_projection()
        except Exception:  # no census history: no sentence
            return None
        if proj.empty:
            return None
        observed = proj[proj["statut"] == "observé"]
        if observed.empty:
            return None
        first = observed.iloc[-1]
        last = proj.iloc[-1]
        start = float(first["pop_3_5"] + first["pop_6_10"])
        end = float(last["pop_3_5"] + last["pop_6_10"])
        if not start or math.isnan(start) or math.isnan(end):
            return None
        change = 100 * (end / start - 1)
        trend = (
            "stable"
            if round(abs(change), 1) < 1
            else (f"{'+' if change > 0 else '−'}{fr_number(abs(change), 1)}\u202f%")
        )
        return (
            f"Enfants de 3 à 10 ans (âge scolaire) : {fr_number(start)} au recensement de "
            f"{int(first['annee'])}, {fr_number(end)} projetés pour {int(last['annee'])} "
            f"({trend} ; projection du module de démographie)."
        )


@dataclass(frozen=True)
class LeisureCommunes(Rule):
    def sentence(self, diag, theme):
        lines = diag.acm_context()
        row = lines[lines["cle"] == "communes_accueil_loisirs"] if len(lines) else lines
        if row.empty:
            return None
        return str(row["phrase"].iloc[0])


THEME_RULES: dict[str, tuple[Rule, ...]] = {
    "petite_enfance": (
        Headline(),
        Trend(("naissances", "enfants_0_2")),
        Gap(),
        Strength(),
    ),
    "enfance_jeunesse": (
        Headline(),
        Trend(("enfants_3_5", "enfants_6_10", "jeunes_11_17")),
        SchoolAge(),
        LeisureCommunes(),
        Gap(),
    ),
    "parentalite": (
        OneIn(
            "part_monoparentales_familles_enfants",
            "famille avec enfants",
            "est monoparentale",
            versus=True,
        ),
        Headline(exclude=("part_monoparentales_familles_enfants",)),
        OneIn("part_familles_nombreuses", "famille", "compte 3 enfants ou plus"),
        Trend(("naissances",)),
        Gap(),
    ),
    "avs": (
        Headline(),
        Versus(
            "part_allocataires_qpv",
            None,
            "En {annee}, {a_nombre} foyers allocataires sur 100 vivent dans un quartier "
            "prioritaire de la politique de la ville.",
            nonzero=True,
        ),
        OneIn("part_menages_une_personne", "ménage", "ne compte qu'une personne", False),
        Gap(),
        Strength(),
    ),
    "logement": (
        Split(
            "part_aide_logement",
            (("part_apl", "APL"), ("part_als", "ALS"), ("part_alf", "ALF")),
        ),
        Versus(
            "part_aide_logement",
            None,
            "Aides au logement : {a_nombre} foyers allocataires sur 100 en {annee}, {versus}.",
        ),
        OneIn("part_menages_une_personne", "ménage", "ne compte qu'une personne", False),
        Gap(),
        Strength(),
    ),
    "acces_droits": (
        Headline(),
        Versus(
            "part_qf_moins_800_qpv",
            "part_qf_moins_800",
            "Dans les quartiers prioritaires, {a} des foyers allocataires ont un quotient "
            "familial inférieur à 800 € en {annee}, contre {b} pour tout le territoire.",
        ),
        Gap(),
        Strength(),
    ),
}


def takeaways(diag, theme: str) -> list[str]:
    """« Ce qu'il faut retenir » of one theme of a diagnostic: at most :data:`MAX_SENTENCES`
    French sentences, from the theme's rules (:data:`THEME_RULES`), without repeats."""
    out: list[str] = []
    for rule in THEME_RULES.get(theme, (Headline(), Gap(), Strength())):
        text = rule.sentence(diag, theme)
        if text and text not in out:
            out.append(text)
        if len(out) >= MAX_SENTENCES:
            break
    return out
