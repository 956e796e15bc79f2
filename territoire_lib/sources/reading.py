"""Shared reading helpers for the loaders: encodings and separators, numbers, duplicates,
and the long observation format every loader of observations returns.

Files are read as people have them: UTF-8 with or without BOM as published, or resaved by a
spreadsheet in Windows-1252 with ``;`` or ``,`` (:func:`decode_file`,
:func:`detect_separator`). Only what is truly ambiguous is refused (two encodings mixed in
one file, a header that two separators split equally well). A manifest may declare a file's
encoding and separator (:func:`dialects`), and every file read is logged for its load report
(:class:`DialectRead`).

Observation format (one row per commune, year and variable)::

    commune (str, 5 chars) | annee (int) | variable (str) | valeur (float) | statut (str)

``statut`` is one of :data:`STATUTS`: a value published as is, rounded to 5 by the
publisher's statistical secrecy, covered by secrecy (``valeur`` is NaN) or estimated by us
(e.g. the commune → EPCI fallback of childcare places).

Layer « sources »: imports socle (errors).
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError, Issue, IssueCollector, quote
from ..input_limits import DATA, read_bounded

LINE = "_ligne"  # column holding the 1-based line number of each row in its file
OBS_COLUMNS = ["commune", "annee", "variable", "valeur", "statut"]
STATUT_PUBLIE = "publie"
STATUT_ARRONDI = "arrondi_5"
STATUT_SECRET = "secret"
STATUT_ESTIME = "estime"
STATUTS = (STATUT_PUBLIE, STATUT_ARRONDI, STATUT_SECRET, STATUT_ESTIME)
STATUT_LABELS = {
    STATUT_PUBLIE: "publiée",
    STATUT_ARRONDI: "arrondie à 5 (secret statistique)",
    STATUT_SECRET: "couverte par le secret statistique",
    STATUT_ESTIME: "estimée",
}
SEPARATOR_NAMES = {";": "point-virgule « ; »", ",": "virgule « , »", "\t": "tabulation"}
SEPARATORS = tuple(SEPARATOR_NAMES)
# encodings read without being told (detected) and their French names
ENCODING_LABELS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 avec BOM",
    "utf-16": "UTF-16 (avec BOM)",
    "cp1252": "Windows-1252",
    "latin-1": "ISO-8859-1 (Latin-1)",
    "iso-8859-15": "ISO-8859-15 (Latin-9)",
}
# spellings accepted in a manifest (« encodage: windows-1252 ») → Python codec
ENCODING_ALIASES = {
    "utf-8": "utf-8-sig",
    "utf8": "utf-8-sig",
    "windows-1252": "cp1252",
    "cp1252": "cp1252",
    "iso-8859-1": "latin-1",
    "latin-1": "latin-1",
    "latin1": "latin-1",
    "iso-8859-15": "iso-8859-15",
    "utf-16": "utf-16",
}
# a UTF-8 encoded accented Latin letter (é = C3 A9): French text in UTF-8 always has some
_UTF8_ACCENT = re.compile(rb"\xc3[\x80-\xbf]")
RESAVE_HINT = (
    "dans Excel : « Enregistrer sous » puis « CSV UTF-8 (délimité par des virgules) » ou "
    "« CSV (séparateur : point-virgule) »"
)


# -- dialects declared by the manifest, and the log of what was read --------------------------
@dataclass(frozen=True)
class Dialect:
    """Encoding and separator of a file, as declared in a manifest (None: detected)."""

    encoding: str | None = None  # a key of ENCODING_ALIASES or a Python codec
    separator: str | None = None


@dataclass(frozen=True)
class DialectRead:
    """How one file was read: for the load report."""

    file: str
    encoding: str  # Python codec actually used
    separator: str | None  # None for a non-delimited text (GeoJSON)
    expected_separator: str | None  # the publisher's separator, when the reader knows it
    declared: bool  # given by the manifest rather than detected

    def french(self) -> str:
        enc = ENCODING_LABELS.get(self.encoding, self.encoding)
        how = "déclaré dans le manifeste" if self.declared else "détecté"
        text = f"« {self.file} » lu en {enc}"
        if self.separator is not None:
            text += f", séparateur {SEPARATOR_NAMES.get(self.separator, self.separator)}"
        text += f" ({how})"
        resaved = []
        if self.encoding in ("cp1252", "latin-1", "iso-8859-15"):
            resaved.append(f"encodage {enc}")
        if self.separator and self.expected_separator and self.separator != self.expected_separator:
            resaved.append(f"séparateur {SEPARATOR_NAMES[self.separator]}")
        if resaved:
            text += (
                " ; le fichier publié est en UTF-8 avec le séparateur "
                f"{SEPARATOR_NAMES.get(self.expected_separator or ';')} : "
                f"{' et '.join(resaved)} d'un fichier réenregistré (par un tableur ?), "
                "accepté tel quel — vérifiez que les codes commune ont gardé leur zéro initial"
            )
        return text + "."


_DECLARED: ContextVar[Mapping[str, Dialect] | None] = ContextVar("declared_dialects", default=None)
_LOG: ContextVar[list[DialectRead] | None] = ContextVar("dialect_log", default=None)


@contextmanager
def dialects(declared: Mapping[str | Path, Dialect] | None = None) -> Iterator[list[DialectRead]]:
    """Within the block, files read by :func:`read_text` / :func:`read_delimited` use the
    dialect ``declared`` for their path (a manifest's ``encodage`` / ``separateur``), and
    each file read is appended to the yielded list (to note it in a load report)."""
    table = {str(Path(k).resolve()): v for k, v in (declared or {}).items()}
    log: list[DialectRead] = []
    t1, t2 = _DECLARED.set(table), _LOG.set(log)
    try:
        yield log
    finally:
        _DECLARED.reset(t1)
        _LOG.reset(t2)


def _declared(path: Path) -> Dialect:
    table = _DECLARED.get() or {}
    return table.get(str(path.resolve()), Dialect())


def _log(entry: DialectRead) -> None:
    """Log how a file was read, once per file (its separator, when known, wins: a header
    sniffed by :func:`read_text` then read by :func:`read_delimited` is one entry)."""
    log = _LOG.get()
    if log is None:
        return
    same = [i for i, e in enumerate(log) if e.file == entry.file]
    if not same:
        log.append(entry)
    elif entry.separator is not None:
        log[same[0]] = entry


# -- encodings -----------------------------------------------------------------------------------
def _line_of(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


def _decode_as(raw: bytes, name: str, codec: str, how: str) -> str:
    try:
        return raw.decode(codec)
    except UnicodeDecodeError as exc:
        byte = raw[exc.start : exc.start + 1].hex().upper()
        raise DataError(
            Issue(
                name,
                f"un octet 0x{byte} impossible en {ENCODING_LABELS.get(codec, codec)} ({how})",
                "un fichier dans l'encodage annoncé, ou retirez « encodage: » du manifeste pour "
                "qu'il soit détecté",
                line=_line_of(raw, exc.start),
            )
        ) from None


def decode_file(path: Path, encoding: str | None = None, kind: str = DATA) -> tuple[str, str]:
    """The text of a file and the codec used: ``encoding`` when given, else detected.

    Detected: UTF-8 (with or without BOM), UTF-16 with a BOM, else Windows-1252 (Excel's
    « CSV (séparateur : point-virgule) » on a French Windows). Refused, as truly ambiguous or
    unreadable: a file mixing UTF-8 and Windows-1252 accents, bytes valid in neither, an Excel
    workbook renamed ``.csv``, UTF-16 without a BOM. The bytes are read with
    :func:`~territoire_lib.input_limits.read_bounded`: a device, a pipe or a folder, and a file
    over the size cap of ``kind`` (data files, or YAML for a manifest), are refused unread.
    """
    path = Path(path)
    raw = read_bounded(path, kind)
    name = path.name
    if encoding is not None:
        codec = ENCODING_ALIASES.get(encoding.lower(), encoding)
        return _decode_as(raw, name, codec, "encodage demandé"), codec
    if raw.startswith(b"\xef\xbb\xbf"):
        return _decode_as(raw, name, "utf-8-sig", "fichier marqué UTF-8 par son BOM"), "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _decode_as(raw, name, "utf-16", "fichier marqué UTF-16 par son BOM"), "utf-16"
    if raw.startswith(b"PK\x03\x04"):
        raise DataError(
            Issue(
                name,
                "un classeur Excel (.xlsx) et non un fichier texte",
                f"le fichier CSV tel que publié ({RESAVE_HINT})",
            )
        )
    if b"\x00" in raw[:4096]:
        raise DataError(
            Issue(
                name,
                "des octets nuls (fichier UTF-16 sans BOM, ou fichier binaire)",
                f"un fichier texte en UTF-8 ou Windows-1252 ({RESAVE_HINT})",
                line=_line_of(raw, raw.index(b"\x00")),
            )
        )
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    accent = _UTF8_ACCENT.search(raw)
    if accent is not None:
        shown = raw[accent.start() : accent.end()].decode("utf-8")
        byte = raw[first_bad : first_bad + 1].hex().upper()
        raise DataError(
            Issue(
                name,
                f"deux encodages mêlés : « {shown} » écrit en UTF-8 (ligne "
                f"{_line_of(raw, accent.start())}) mais un octet 0x{byte} de Windows-1252 "
                f"(ligne {_line_of(raw, first_bad)})",
                "un fichier enregistré d'un seul tenant, en UTF-8 ou en Windows-1252 ; ou "
                "déclarez son encodage dans le manifeste ({fichier: …, encodage: windows-1252})",
                line=_line_of(raw, first_bad),
            )
        )
    try:
        return raw.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        byte = raw[exc.start : exc.start + 1].hex().upper()
        raise DataError(
            Issue(
                name,
                f"un octet 0x{byte} qui n'est ni de l'UTF-8 ni du Windows-1252",
                f"un fichier texte en UTF-8 ou Windows-1252 ({RESAVE_HINT})",
                line=_line_of(raw, exc.start),
            )
        ) from None


def read_text(path: Path, encoding: str | None = None) -> str:
    """Read a whole text file (encoding detected unless given or declared by the manifest);
    a file that cannot be decoded becomes a French issue with its line."""
    path = Path(path)
    declared = _declared(path)
    codec_wanted = declared.encoding or encoding
    text, codec = decode_file(path, codec_wanted)
    _log(DialectRead(path.name, codec, None, None, declared.encoding is not None))
    return text


# -- separators ----------------------------------------------------------------------------------
def _fields(line: str, sep: str) -> list[str]:
    return next(csv.reader([line], delimiter=sep), [])


def _fits(header: list[str], required: list[str], case_insensitive: bool) -> bool:
    names = {h.strip().lower() if case_insensitive else h.strip() for h in header}
    return all((r.lower() if case_insensitive else r) in names for r in required)


def detect_separator(
    text: str, expected: str, required: list[str], case_insensitive: bool = False
) -> str | None:
    """The separator of a delimited text, from its header: the only one of ``;``, ``,`` and tab
    found in it; else the one giving the required columns; else the one giving every one of
    the first lines as many fields as the header; else ``expected`` if it is among them.
    None when truly ambiguous or when the header has no separator at all."""
    lines = list(itertools.islice(io.StringIO(text), 51))  # the header and 50 lines at most
    lines = [ln.rstrip("\r\n") for ln in lines]
    header = lines[0] if lines else ""
    found = [s for s in SEPARATORS if len(_fields(header, s)) > 1]
    if len(found) <= 1:
        return found[0] if found else None
    if required:
        fit = [s for s in found if _fits(_fields(header, s), required, case_insensitive)]
        if len(fit) == 1:
            return fit[0]
        found = fit or found
    sample = [ln for ln in lines[1:51] if ln.strip()]
    regular = [
        s for s in found if all(len(_fields(ln, s)) == len(_fields(header, s)) for ln in sample)
    ]
    if len(regular) == 1:
        return regular[0]
    if expected in (regular or found):
        return expected
    return None


def read_delimited(
    path: str | Path,
    *,
    sep: str,
    required: Iterable[str] = (),
    encoding: str | None = None,
    case_insensitive: bool = False,
    detect: bool = True,
) -> pd.DataFrame:
    """Read a delimited file with every cell as a string, plus a ``_ligne`` column.

    ``sep`` is the publisher's separator. The encoding is detected (:func:`decode_file`) and,
    with ``detect``, the separator too (:func:`detect_separator`: a file resaved by Excel with
    ``;`` or ``,`` is read as it is), unless the manifest declares them (:func:`dialects`).
    Checks the presence of the required columns (case-insensitively when asked: the returned
    frame then uses the required spelling) and the number of fields of every line.
    """
    path = Path(path)
    declared = _declared(path)
    text, codec = decode_file(path, declared.encoding or encoding)
    header = text.split("\n", 1)[0].rstrip("\r")
    required = list(required)
    issues = IssueCollector(path)
    chosen = declared.separator or sep
    if declared.separator is None and detect:
        detected = detect_separator(text, sep, required, case_insensitive)
        present = [s for s in SEPARATORS if s in header]
        if detected is None and len(present) > 1:
            issues.add(
                "un en-tête que le séparateur "
                + " et le séparateur ".join(SEPARATOR_NAMES[s] for s in present)
                + " découpent chacun en colonnes, sans que les lignes permettent de choisir",
                "un seul séparateur possible ; déclarez-le dans le manifeste, ex. "
                f'{{fichier: {path.name}, separateur: "{sep}"}}',
                line=1,
            )
            issues.raise_if_any()
        chosen = detected or sep
    if chosen not in header:
        other = [s for s in SEPARATOR_NAMES if s != chosen and s in header]
        found = (
            f"le séparateur {SEPARATOR_NAMES[other[0]]}"
            if other
            else "une première ligne sans séparateur (ce n'est pas un fichier de ce type, ou "
            "pas un fichier délimité : son contenu n'est pas affiché)"
        )
        how = " déclaré dans le manifeste" if declared.separator else ""
        issues.add(found, f"le séparateur {SEPARATOR_NAMES[chosen]}{how}", line=1)
        issues.raise_if_any()
    _log(DialectRead(path.name, codec, chosen, sep, declared.separator is not None))
    sep = chosen
    records = _records(text, sep)
    if records is None:  # quotes inside unquoted fields, or not closed: read as csv does
        records = _records_slow(text, sep)
    _check_field_counts(text, records, sep, issues)
    frame = _parse(text, sep, records, issues)
    if len(frame) != len(records.lines) - 1:  # a quote read differently: recount as csv does
        records = _records_slow(text, sep)
        _check_field_counts(text, records, sep, issues)
        if len(frame) != len(records.lines) - 1:  # pragma: no cover - pandas and csv disagree
            issues.add('des guillemets « " » mal appariés', "un fichier CSV bien formé")
            issues.raise_if_any()
    kept = ~records.blank[1:]
    frame = frame.loc[kept].reset_index(drop=True)
    frame.columns = [str(c).strip() for c in frame.columns]
    if case_insensitive:
        lower = {c.lower(): c for c in frame.columns}
        frame = frame.rename(columns={lower[r.lower()]: r for r in required if r.lower() in lower})
    missing = [c for c in required if c not in frame.columns]
    for col in missing:
        issues.add(
            f"aucune colonne « {col} » ({shown_columns(list(frame.columns), required)})",
            f"la colonne « {col} »",
            line=1,
            column=col,
        )
    issues.raise_if_any()
    frame[LINE] = records.lines[1:][kept].astype("int64")
    return frame


def shown_columns(columns: list[str], expected: Iterable[str] = ()) -> str:
    """« colonnes présentes : a, b… » for a header that looks like one (or shares a column
    with ``expected``); otherwise a phrase that shows nothing of the file: a file of another
    kind (a password file, a private table) never has its content echoed in an error."""
    columns = [str(c) for c in columns if c != LINE]
    if set(columns) & set(expected) or (
        len(columns) > 1 and all(_HEADER_NAME.fullmatch(c.strip()) for c in columns)
    ):
        return "colonnes présentes : " + ", ".join(columns[:15])
    return "aucune des colonnes attendues : ce fichier n'est pas du type attendu (son contenu n'est pas affiché)"


# -- physical lines and fields of a delimited text -------------------------------------------------
_HEADER_NAME = re.compile(r"[\w .'’()/+%-]{1,60}")
_BLANK = (b" ", b"\t", b"\r")


@dataclass(frozen=True)
class _Records:
    """The records (rows, the header first) of a delimited text: the physical line where each
    starts (1-based, counting every newline of the raw text, quoted ones included), its number
    of fields, whether it is blank (skipped), and the line of a quote never closed."""

    lines: np.ndarray
    fields: np.ndarray
    blank: np.ndarray
    starts: np.ndarray  # offset of each record in the UTF-8 bytes (for the messages)
    stops: np.ndarray
    data: bytes
    ends_with_newline: bool
    unclosed: int | None = None


def _records(text: str, sep: str) -> _Records | None:
    """Vectorised split of ``text`` into records: newlines and separators inside a quoted
    field (an odd number of quotes before them) are not structural. UTF-8 keeps the ASCII
    bytes of newlines, quotes and separators out of every multibyte character. None when a
    quote is not where a quoted field opens or closes (``12"5`` is text for pandas) or is
    never closed: :func:`_records_slow` reads those."""
    raw = text.encode("utf-8", errors="surrogatepass")
    data = np.frombuffer(raw, dtype=np.uint8)
    size = len(data)
    newlines = np.flatnonzero(data == 10)
    quotes = np.flatnonzero(data == 34)
    seps = np.flatnonzero(data == ord(sep))

    if len(quotes) and not _quotes_regular(data, quotes, ord(sep)):
        return None

    def outside(pos: np.ndarray) -> np.ndarray:
        if not len(quotes):
            return pos
        return pos[(np.searchsorted(quotes, pos) & 1) == 0]

    ends = outside(newlines)
    structural = outside(seps)
    starts = np.concatenate(([0], ends + 1)).astype(np.int64)
    stops = np.concatenate((ends, [size])).astype(np.int64)
    if len(starts) > 1 and starts[-1] >= size:  # the newline ending the last line
        starts, stops = starts[:-1], stops[:-1]
    lines = np.searchsorted(newlines, starts) + 1
    fields = 1 + np.searchsorted(structural, stops) - np.searchsorted(structural, starts)
    length = stops - starts
    blank = length == 0
    for i in np.flatnonzero((fields == 1) & (length > 0) & (length <= 64)):
        blank[i] = not raw[starts[i] : stops[i]].strip(b" \t\r")
    return _Records(lines, fields, blank, starts, stops, raw, raw.endswith(b"\n"))


def _quotes_regular(data: np.ndarray, quotes: np.ndarray, sep: int) -> bool:
    """Every quote opens a field (after a separator, a newline or at the start), closes one
    (before a separator, a newline or the end) or is doubled inside one; and none is left
    open."""
    if len(quotes) % 2:
        return False
    opening, closing = quotes[0::2], quotes[1::2]
    before = np.where(opening > 0, data[np.maximum(opening - 1, 0)], 10)
    after_pos = closing + 1
    after = np.where(after_pos < len(data), data[np.minimum(after_pos, len(data) - 1)], 10)
    # a doubled quote "" inside a field: a closing quote followed by an opening one
    doubled_close = _contains(opening, closing + 1)
    doubled_open = _contains(closing, opening - 1)
    opens_ok = (before == sep) | (before == 10) | (opening == 0) | doubled_open
    closes_ok = (after == sep) | (after == 10) | (after == 13) | doubled_close
    return bool(opens_ok.all() and closes_ok.all())


def _contains(sorted_values: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """For each of ``wanted``, whether it is in ``sorted_values`` (both sorted)."""
    if not len(sorted_values):
        return np.zeros(len(wanted), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_values, wanted), len(sorted_values) - 1)
    return sorted_values[at] == wanted


def _records_slow(text: str, sep: str) -> _Records:
    """The same as :func:`_records`, record by record with :mod:`csv` (which reads a quote
    inside an unquoted field as pandas does: as text). Used only when the two disagree."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    lines, fields, blank = [], [], []
    previous = 0
    for row in reader:
        lines.append(previous + 1)
        fields.append(len(row))
        blank.append(not row or (len(row) == 1 and not row[0].strip()))
        previous = reader.line_num
    empty = np.zeros(len(lines), dtype=np.int64)
    unclosed = None
    if text.count('"') % 2 and lines and previous > lines[-1]:  # the last record ran to the end
        unclosed = lines[-1]
    return _Records(
        np.array(lines, dtype=np.int64),
        np.array(fields, dtype=np.int64),
        np.array(blank, dtype=bool),
        empty,
        empty,
        b"",
        text.endswith("\n"),
        unclosed,
    )


def _check_field_counts(text: str, records: _Records, sep: str, issues: IssueCollector) -> None:
    """An issue per line (up to 50) whose number of fields differs from the header's, with its
    physical line: a short line is never padded, a long one never cut."""
    if records.unclosed is not None:
        issues.add(
            'un guillemet « " » ouvert et jamais refermé : tout le reste du fichier serait lu '
            "comme un seul champ",
            "des guillemets appariés (un champ entre guillemets se termine par un guillemet)",
            line=records.unclosed,
        )
        issues.raise_if_any()
    expected = int(records.fields[0])
    bad = np.flatnonzero(~records.blank & (records.fields != expected))
    bad = bad[bad > 0]
    last = len(records.lines) - 1
    name = SEPARATOR_NAMES[sep]
    for i in bad[:50]:
        found = int(records.fields[i])
        text_found = f"{found} champ{'s' if found > 1 else ''}"
        hint = ""
        if records.data:
            content = records.data[records.starts[i] : records.stops[i]].decode("utf-8", "replace")
            try:
                others = [
                    s for s in SEPARATORS if s != sep and len(_fields(content, s)) == expected
                ]
            except csv.Error:
                others = []
            if others:
                hint = (
                    f" (cette ligne semble écrite avec le séparateur {SEPARATOR_NAMES[others[0]]})"
                )
        if not hint and i == last and found < expected and not records.ends_with_newline:
            hint = " : la dernière ligne est incomplète (fichier tronqué ?)"
        issues.add(
            text_found + hint,
            f"{expected} champs comme dans l'en-tête (séparateur {name}) ; une ligne trop "
            "courte n'est jamais complétée, une ligne trop longue jamais coupée",
            line=int(records.lines[i]),
        )
    issues.raise_if_any()


def _parse(text: str, sep: str, records: _Records, issues: IssueCollector) -> pd.DataFrame:
    """pandas' reading of the checked text: one row per record, blank lines included (they
    are dropped by the caller, which knows their physical lines)."""
    try:
        return pd.read_csv(
            io.StringIO(text),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            quoting=csv.QUOTE_MINIMAL,
            skip_blank_lines=False,
            engine="c",
        )
    except pd.errors.ParserError as exc:
        if "EOF inside string" in str(exc):
            issues.add(
                'un guillemet « " » ouvert et jamais refermé',
                "des guillemets appariés (un champ entre guillemets se termine par un guillemet)",
                line=records.unclosed,
            )
        else:
            issues.add("un fichier que pandas ne sait pas découper", "un fichier CSV bien formé")
        issues.raise_if_any()
        raise  # pragma: no cover


def to_number(
    frame: pd.DataFrame,
    column: str,
    issues: IssueCollector,
    *,
    decimal: str = ".",
    allow_negative: bool = False,
    secret_markers: Iterable[str] = (),
    allow_empty: bool = True,
) -> tuple[pd.Series, pd.Series]:
    """Parse a text column as numbers; returns (values, secret_mask).

    Text that is neither a number, empty nor a secret marker, and negative values where counts
    are expected, are recorded as issues naming the line and the column.
    """
    raw = frame[column].astype("string").str.strip().str.replace("\u00a0", "", regex=False)
    markers = {m.lower() for m in secret_markers}
    secret = raw.str.lower().isin(markers).fillna(False).astype(bool)
    empty = raw.isna() | (raw == "")
    cleaned = raw.where(~secret & ~empty)
    if decimal == ",":
        cleaned = cleaned.str.replace(",", ".", regex=False)
    values = pd.to_numeric(cleaned, errors="coerce").astype("float64")
    # « inf », « 1e999 », « nan »: never a count nor a rate (refused, not read as a number)
    infinite = values.notna() & ~np.isfinite(values)
    values = values.where(~infinite)
    not_a_number = cleaned.str.lower().str.lstrip("+-").isin(["nan"]).fillna(False).astype(bool)
    bad = values.isna() & ~secret & ~empty & ~infinite & ~not_a_number
    lines = frame[LINE] if LINE in frame else pd.Series(range(2, len(frame) + 2), frame.index)
    what = "un nombre" + (" (virgule décimale)" if decimal == "," else "")
    if markers:
        what += " ou un marqueur de secret (" + ", ".join(sorted(markers)) + ")"
    for idx in bad[bad].index[:50]:
        issues.add(quote(raw.loc[idx]), what, line=int(lines.loc[idx]), column=column)
    for idx in infinite[infinite].index[:50]:
        issues.add(
            f"{quote(raw.loc[idx])} (une valeur infinie)",
            "un nombre fini",
            line=int(lines.loc[idx]),
            column=column,
        )
    for idx in not_a_number[not_a_number].index[:50]:
        issues.add(
            f"« {raw.loc[idx]} » (« pas un nombre »)",
            "un nombre fini" + (", une valeur vide" if allow_empty else ""),
            line=int(lines.loc[idx]),
            column=column,
        )
    if not allow_empty:
        for idx in empty[empty].index[:50]:
            issues.add("une valeur vide", what, line=int(lines.loc[idx]), column=column)
    if not allow_negative:
        neg = values < 0
        for idx in neg[neg].index[:50]:
            issues.add(
                quote(raw.loc[idx]),
                "un effectif positif ou nul",
                line=int(lines.loc[idx]),
                column=column,
            )
    return values, secret


def check_unique(frame: pd.DataFrame, keys: list[str], issues: IssueCollector, what: str) -> None:
    """Record an issue for each row that repeats a key already seen (e.g. a commune-year)."""
    dup = frame.duplicated(keys, keep="first")
    if not dup.any():
        return
    first_line = frame.groupby(keys, sort=False)[LINE].transform("first")
    for idx in dup[dup].index[:50]:
        key = " / ".join(str(frame.at[idx, k]) for k in keys)
        issues.add(
            f"{what} « {key} » en double (déjà ligne {int(first_line.loc[idx])})",
            f"une seule ligne par {what}",
            line=int(frame.at[idx, LINE]),
            column=keys[0],
        )


def melt_observations(
    frame: pd.DataFrame,
    variables: Mapping[str, str],
    *,
    statut: str | Mapping[str, str] = STATUT_PUBLIE,
    secret: Mapping[str, pd.Series] | None = None,
) -> pd.DataFrame:
    """Wide frame (commune, annee, value columns) → long observations.

    ``variables`` maps a value column of ``frame`` to the variable name it becomes.
    ``statut`` is one status for all, or per value column. ``secret`` gives, per value
    column, a boolean mask of secret cells (their status becomes ``secret``).
    """
    parts = []
    for column, variable in variables.items():
        st = statut if isinstance(statut, str) else statut.get(column, STATUT_PUBLIE)
        part = pd.DataFrame(
            {
                "commune": frame["commune"].astype(str).to_numpy(),
                "annee": frame["annee"].astype("int64").to_numpy(),
                "variable": variable,
                "valeur": frame[column].astype("float64").to_numpy(),
                "statut": st,
            }
        )
        if secret is not None and column in secret:
            mask = secret[column].to_numpy()
            part.loc[mask, "statut"] = STATUT_SECRET
        parts.append(part)
    if not parts:
        return empty_observations()
    out = pd.concat(parts, ignore_index=True)
    return normalise_observations(out)


def empty_observations() -> pd.DataFrame:
    return normalise_observations(pd.DataFrame({c: [] for c in OBS_COLUMNS}))


def normalise_observations(frame: pd.DataFrame) -> pd.DataFrame:
    """Canonical dtypes of the observation format."""
    return pd.DataFrame(
        {
            "commune": frame["commune"].astype(str),
            "annee": frame["annee"].astype("int64"),
            "variable": frame["variable"].astype(str),
            "valeur": frame["valeur"].astype("float64"),
            "statut": frame["statut"].astype(str),
        }
    )
