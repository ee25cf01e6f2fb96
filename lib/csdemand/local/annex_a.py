"""Ofsted's Annex A: the record-level lists a council prepares for an inspection of children's services.

Read one list from the workbook into the project's own layout for that table, as text, ready
for the layout's ``from_frame`` (:mod:`csdemand.local.sources` does both):

=========  ===================  ==============================================================
list       table                layout
=========  ===================  ==============================================================
List 2     early help           :mod:`csdemand.local.early_help` (record level)
List 3     referrals            :mod:`csdemand.local.referrals`
List 8     children in care     :mod:`csdemand.local.looked_after`
=========  ===================  ==============================================================

Finding things. The sheet is the one whose name starts ``List 2`` / ``List 3`` / ``List 8``
(any case; ``List_3``, ``List 03 - Referrals`` also do), unless one is named. The header row is
the first of the first 20 rows with a "Child Unique ID" cell; rows above it (titles, notes) and
wholly empty rows are skipped. Column names are matched as Ofsted's template spells them, ignoring
case, spacing, punctuation and any bracketed part ("Date of Referral (dd/mm/yyyy)"), and the usual
variants are accepted (:data:`ALIASES`). The lists, their columns, the aliases, the CIN source
codes and the yes/no words are declared in ``csdemand/reference/tables/annex_a.yaml``. Dates may
be Excel dates, Excel serial numbers or text ``dd/mm/yyyy`` (also ``yyyy-mm-dd``, ``dd-mm-yyyy``,
``dd.mm.yyyy``, ``1 Apr 2024``).

What the lists do not hold, and what is put in its place. A field a list does not hold is never
given a made-up value: its column holds the placeholder ``Not recorded``
(:data:`csdemand.local.early_help.NOT_RECORDED`, the same words as
:data:`csdemand.local.referrals.NOT_RECORDED`) on every row, and ``df.attrs["<field>_recorded"]``
is False, which :func:`csdemand.local.sources.read_records` turns into ``LocalRecords.not_recorded``
so that a briefing leaves out what needs the field:

* List 3 has no referral id: ``referral_id`` is ``A3-<sheet row>``. It has no domestic-abuse
  flag: an optional "Domestic abuse" column (Y/N; a blank cell is N, as in a flag column) is used
  if the council adds one; otherwise ``domestic_abuse`` is ``Not recorded`` and
  ``attrs["domestic_abuse_recorded"]`` is False. ``outcome`` is "No further action" when
  "Referral NFA?" is yes, else "Assessment" (Annex A does not tell assessment from information
  and advice). "Referral Source" is mapped from CIN census codes or labels to
  :data:`csdemand.local.referrals.SOURCES` (:func:`referral_source`).
* List 2 is one row per child's early help assessment, not per request for help, and carries no
  family id: ``request_id`` is ``A2-<sheet row>``, ``family_id`` the Child Unique ID (siblings
  count separately), ``date_received`` the assessment start date. ``hub`` comes from a "Hub" or
  "Locality" column if present (its values must be :data:`csdemand.local.early_help.HUBS`), else
  it is ``Not recorded`` (``hub_recorded`` False); ``reason`` from a "Reason" / "Main reason"
  column if present (a blank cell is ``Not recorded``), else ``Not recorded`` throughout
  (``reason_recorded`` False); List 2 has no outcome, so ``outcome`` is ``Not recorded``
  (``outcome_recorded`` False): step-ups to social care are unknown, not zero.
* List 8 gives ``child_id``, ``started`` (Date Started to be Looked After), ``ceased`` (Date
  Ceased to be Looked After, empty if still in care), and ``legal_status`` and
  ``placement_type`` when present. It covers the children in care during the inspection's
  window, so month-end counts before that window are incomplete.

Every problem raises :class:`AnnexAError` (an :class:`InputError`) naming the workbook and sheet,
the row as Excel numbers it, the column as the sheet spells it, and the cell.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd

from csdemand.core import schema
from csdemand.core.errors import InputError
from csdemand.core.text import cell_text
from csdemand.local import early_help as ehd
from csdemand.local import looked_after as lla
from csdemand.local import referrals as lr
from csdemand.local.referrals import NOT_RECORDED

#: What Ofsted's workbook holds and how its headers are spelt: ``reference/tables/annex_a.yaml``.
_DECLARED = schema.declaration("annex_a")

#: Per list: (required columns, optional columns), as Ofsted's template names them.
LIST_COLUMNS: dict[int, tuple[tuple[str, ...], tuple[str, ...]]] = {
    int(n): (tuple(entry["required"]), tuple(entry.get("optional", ()))) for n, entry in _DECLARED["lists"].items()
}
#: The local table each list holds (``3`` -> ``referrals``).
LIST_TABLES: dict[int, str] = {int(n): str(entry["table"]) for n, entry in _DECLARED["lists"].items()}
LISTS = tuple(sorted(LIST_COLUMNS))
HEADER_SEARCH_ROWS = 20

#: Canonical Annex A column -> accepted spellings (compared after :func:`_norm`).
ALIASES: dict[str, tuple[str, ...]] = {str(k): tuple(map(str, v)) for k, v in _DECLARED["aliases"].items()}

#: CIN census referral source code (the number) -> our source group.
SOURCE_CODES: dict[str, str] = {str(k): str(v) for k, v in _DECLARED["source_codes"].items()}
#: A source written in words: (group, words, phrases), tried in order; else :data:`SOURCE_OTHERWISE`.
SOURCE_WORDS: tuple[tuple[str, frozenset[str], tuple[str, ...]], ...] = tuple(
    (str(r["group"]), frozenset(map(str, r.get("words", ()))), tuple(map(str, r.get("phrases", ()))))
    for r in _DECLARED["source_words"]
)
SOURCE_OTHERWISE: str = str(_DECLARED["source_otherwise"])

#: The referral outcomes List 3 can tell apart (Referral NFA? yes or no).
NFA = lr.NFA
ASSESSMENT = schema.code("referral_outcomes", "assessment")

_YES = frozenset(map(str, _DECLARED["yes_words"]))
_NO = frozenset(map(str, _DECLARED["no_words"]))
_DATE_FORMATS = (
    "%d/%m/%Y",
    "%Y-%m-%d",
    "%d-%m-%Y",
    "%d.%m.%Y",
    "%d %b %Y",
    "%d %B %Y",
    "%d-%b-%Y",
    "%d-%b-%y",
    "%Y/%m/%d",
)


class AnnexAError(InputError):
    """A problem in an Annex A workbook; ``sheet`` and ``cell`` (``C7``) say where, besides file/row/column."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
        cell: str | None = None,
        value: object = None,
        expected: str | None = None,
    ) -> None:
        self.sheet = sheet
        self.cell = cell
        self.path = str(path)
        where = f"{path}, sheet {sheet!r}" if sheet is not None else str(path)
        super().__init__(
            message + (f" (cell {cell})" if cell else ""),
            file=where,
            row=row,
            column=column,
            value=value,
            expected=expected,
        )


# --------------------------------------------------------------------------- reading


def read_list(path: str | Path, number: int, sheet: str | None = None) -> pd.DataFrame:
    """Read Annex A list ``number`` (2, 3 or 8) from a workbook into the project's layout, as text.

    ``sheet`` names the sheet when its name does not start "List <number>". Returns strings
    (dates ``YYYY-MM-DD``) with ``attrs`` recording the list, the sheet and what was filled in
    (see the module notes): ``annex_a_list``, ``annex_a_sheet``, ``notes`` (sentences for a
    briefing) and, for List 3 ``domestic_abuse_recorded``, for List 2 ``hub_recorded``,
    ``reason_recorded`` and ``outcome_recorded`` (False: the column holds ``Not recorded``).
    """
    import openpyxl

    path = Path(path)
    number = int(number)
    if number not in LISTS:
        raise AnnexAError(
            f"list {number} is not read here",
            path=path,
            value=number,
            expected="2 (early help), 3 (referrals) or 8 (children in care)",
        )
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise AnnexAError("the Annex A workbook does not exist", path=path, expected="an .xlsx workbook") from None
    except Exception as exc:  # BadZipFile, InvalidFileException
        raise AnnexAError(
            f"the workbook cannot be read ({type(exc).__name__}: {exc})",
            path=path,
            expected="an Annex A .xlsx workbook",
        ) from None
    try:
        name = _find_sheet(wb.sheetnames, number, sheet, path)
        rows = list(wb[name].iter_rows(values_only=True))
    finally:
        wb.close()
    header_at, header = _find_header(rows, name, path)
    required, optional = LIST_COLUMNS[number]
    found = _match_columns(header)
    missing = [c for c in required if c not in found]
    if missing:
        raise AnnexAError(
            f"no {missing[0]!r} column in the header",
            path=path,
            sheet=name,
            row=header_at,
            column=missing[0],
            value=[h for h in header if h],
            expected="Annex A's column names: "
            + ", ".join(required)
            + (" (optionally " + ", ".join(optional) + ")" if optional else ""),
        )
    records = []
    for offset, values in enumerate(rows[header_at:]):
        if all(_blank(v) for v in values):
            continue
        records.append((header_at + 1 + offset, values))
    reader = _Reader(path, name, header, found)
    build = {3: _referrals, 2: _early_help, 8: _looked_after}[number]
    df = build(reader, records)
    df.attrs.update({"annex_a_list": number, "annex_a_sheet": name})
    df.attrs.setdefault("notes", [])
    return df


def _find_sheet(names: list[str], number: int, sheet: str | None, path: Path) -> str:
    if sheet is not None:
        for n in names:
            if n == sheet or n.strip().lower() == str(sheet).strip().lower():
                return n
        raise AnnexAError(
            f"the workbook has no sheet {sheet!r}",
            path=path,
            value=sheet,
            expected="one of " + ", ".join(repr(n) for n in names),
        )
    pattern = re.compile(rf"^\s*list[\s_\-.]*0?{number}(?!\d)", re.IGNORECASE)
    hits = [n for n in names if pattern.match(n)]
    if len(hits) == 1:
        return hits[0]
    if not hits:
        raise AnnexAError(
            f"no sheet for Annex A List {number}",
            path=path,
            value=names,
            expected=f"a sheet whose name starts 'List {number}', or name it with sheet: in the config",
        )
    raise AnnexAError(
        f"more than one sheet could be Annex A List {number}",
        path=path,
        value=hits,
        expected="name the sheet with sheet: in the config",
    )


def _find_header(rows: list[tuple], sheet: str, path: Path) -> tuple[int, list[str]]:
    """(1-based row of the header, the header's cells as stripped text)."""
    ids = set(ALIASES["Child Unique ID"])
    for i, values in enumerate(rows[:HEADER_SEARCH_ROWS]):
        cells = [_header_text(v) for v in values]
        if any(_norm(c) in ids or _norm(c, keep_brackets=True) in ids for c in cells if c):
            return i + 1, cells
    raise AnnexAError(
        f"no header row with a 'Child Unique ID' column in the first {HEADER_SEARCH_ROWS} rows",
        path=path,
        sheet=sheet,
        expected="Ofsted's Annex A header: Child Unique ID, Gender, Ethnicity, ...",
    )


def _match_columns(header: list[str]) -> dict[str, int]:
    """Canonical column -> index of the first header cell that matches it."""
    found: dict[str, int] = {}
    for canonical, aliases in ALIASES.items():
        for j, h in enumerate(header):
            if h and (_norm(h) in aliases or _norm(h, keep_brackets=True) in aliases):
                found[canonical] = j
                break
    return found


def _norm(text: str, keep_brackets: bool = False) -> str:
    """Lower case, bracketed parts dropped (unless ``keep_brackets``), punctuation to spaces, spaces collapsed."""
    s = str(text).lower().replace("\u2019", "'")
    if not keep_brackets:
        s = re.sub(r"\([^)]*\)", " ", s)
    s = re.sub(r"[^a-z0-9]+", " ", s)
    return s.strip()


def _header_text(v: object) -> str:
    return "" if v is None else re.sub(r"\s+", " ", str(v)).strip()


def _blank(v: object) -> bool:
    return v is None or (isinstance(v, str) and v.strip() == "")


def _col_letter(j: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(j + 1)


class _Reader:
    """Cells of the matched columns, with errors that name the sheet, row, column and cell."""

    def __init__(self, path: Path, sheet: str, header: list[str], found: dict[str, int]) -> None:
        self.path, self.sheet, self.header, self.found = path, sheet, header, found

    def has(self, canonical: str) -> bool:
        return canonical in self.found

    def value(self, values: tuple, canonical: str) -> object:
        j = self.found[canonical]
        return values[j] if j < len(values) else None

    def error(self, message: str, row: int, canonical: str, value: object, expected: str) -> AnnexAError:
        j = self.found[canonical]
        return AnnexAError(
            message,
            path=self.path,
            sheet=self.sheet,
            row=row,
            column=self.header[j],
            cell=f"{_col_letter(j)}{row}",
            value=value,
            expected=expected,
        )

    def text(self, values: tuple, canonical: str) -> str:
        return cell_text(self.value(values, canonical)).strip()

    def date(self, values: tuple, row: int, canonical: str, required: bool = True) -> str:
        v = self.value(values, canonical)
        if _blank(v):
            if required:
                raise self.error("empty date", row, canonical, "", "a date (an Excel date or dd/mm/yyyy)")
            return ""
        parsed = parse_date(v)
        if parsed is None:
            raise self.error("not a date", row, canonical, v, "a date (an Excel date or dd/mm/yyyy)")
        return parsed.isoformat()

    def id(self, values: tuple, row: int) -> str:
        text = self.text(values, "Child Unique ID")
        if not text:
            raise self.error("empty Child Unique ID", row, "Child Unique ID", "", "an id on every row")
        return text

    def flag(self, values: tuple, row: int, canonical: str) -> bool | None:
        """True for yes, False for no, None when blank; an error otherwise."""
        text = self.text(values, canonical)
        if not text:
            return None
        low = _norm(text)
        if low in _YES:
            return True
        if low in _NO:
            return False
        raise self.error("not yes or no", row, canonical, text, "Yes or No (Y/N, a) Yes / b) No, True/False)")

    def code(self, values: tuple, row: int, canonical: str, allowed: tuple[str, ...], default: str) -> str:
        text = self.text(values, canonical)
        if not text:
            return default
        for a in allowed:
            if _norm(a) == _norm(text):
                return a
        raise self.error(
            f"unknown {canonical.lower()}", row, canonical, text, "one of " + ", ".join(repr(a) for a in allowed)
        )


def parse_date(v: object) -> dt.date | None:
    """A cell as a date: an Excel date, an Excel serial number, or text in one of the usual forms; None if not one."""
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        # An unformatted Excel date: days since 1899-12-30 (1900 date system), 1950 to 2150.
        if 18264 <= v <= 91311:
            return (dt.datetime(1899, 12, 30) + dt.timedelta(days=float(v))).date()
        return None
    text = str(v).strip()
    text = re.sub(r"[ T]00:00(:00)?(\.0+)?$", "", text)  # "2024-04-01 00:00:00" as text
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def referral_source(text: str) -> str | None:
    """Map an Annex A "Referral Source" (CIN code, or label) to :data:`SOURCES`; None if blank.

    Codes first (``1A``..``1D`` Individual, ``2A`` Schools, ``2B`` education services -> Other,
    ``3A``..``3F`` Health services, ``4`` housing -> Other, ``5A``..``5D`` Local authority services,
    ``6`` Police, ``7``..``10`` Other), with or without the template's ``a)`` prefix
    (``"e) 2A: Schools"``); then words in the label (a school nurse is health); anything else
    Other.
    """
    s = str(text).strip()
    if not s:
        return None
    s = re.sub(r"^[a-z]\d?\)\s*", "", s, flags=re.IGNORECASE)  # "q) 6: Police" -> "6: Police"
    m = re.match(r"^(10|[1-9])([a-f])?(?![0-9a-z])", s, flags=re.IGNORECASE)
    if m:
        key = m.group(1) + (m.group(2) or "").upper()
        return SOURCE_CODES.get(key, SOURCE_CODES.get(m.group(1), SOURCE_OTHERWISE))
    low = _norm(s)
    words = set(low.split())
    for group, keys, phrases in SOURCE_WORDS:
        # A phrase in words is looked for in the label as normalised; one with punctuation ("a&e") as written.
        if words & keys or any((ph in low) if _norm(ph) == ph else (ph in s.lower()) for ph in phrases):
            return group
    return SOURCE_OTHERWISE


# --------------------------------------------------------------------------- the lists


def _frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series([r[c] for r in rows], dtype=str) for c in columns}, index=pd.RangeIndex(len(rows))
    )


def _referrals(r: _Reader, records: list[tuple[int, tuple]]) -> pd.DataFrame:
    da_known = r.has("Domestic abuse")
    out = []
    for row, values in records:
        source = referral_source(r.text(values, "Referral Source"))
        nfa = r.flag(values, row, "Referral NFA?")
        da = r.flag(values, row, "Domestic abuse") if da_known else None
        out.append(
            {
                "referral_id": f"A3-{row}",
                "child_id": r.id(values, row),
                "referral_date": r.date(values, row, "Date of Referral"),
                "source": source or SOURCE_OTHERWISE,  # blank: the template's "10: Unknown"
                "domestic_abuse": ("Y" if da else "N") if da_known else NOT_RECORDED,
                "outcome": NFA if nfa else ASSESSMENT,
            }
        )
    df = _frame(out, lr.COLUMNS)
    notes = ["Annex A List 3 has no referral id: each row is a referral, numbered by its sheet row (A3-<row>)."]
    if not da_known:
        notes.append(
            f"Annex A List 3 does not record domestic abuse: every referral is marked '{NOT_RECORDED}', so the "
            "domestic-abuse share is unknown, not zero."
        )
    notes.append(
        f"Outcome is '{NFA}' where Referral NFA? is yes, otherwise '{ASSESSMENT}' (Annex A does not "
        "separate information and advice)."
    )
    df.attrs.update({"domestic_abuse_recorded": da_known, "notes": notes})
    return df


def _early_help(r: _Reader, records: list[tuple[int, tuple]]) -> pd.DataFrame:
    hub_known, reason_known = r.has("Hub"), r.has("Reason")
    out = []
    for row, values in records:
        rec = {
            "request_id": f"A2-{row}",
            "family_id": r.id(values, row),
            "date_received": r.date(values, row, "Assessment Start Date"),
            "hub": r.code(values, row, "Hub", ehd.HUBS, "") if hub_known else ehd.NOT_RECORDED,
            "reason": r.code(values, row, "Reason", ehd.REASONS, ehd.NOT_RECORDED)
            if reason_known
            else ehd.NOT_RECORDED,
            "outcome": ehd.NOT_RECORDED,  # List 2 has no outcome column
        }
        if hub_known and not rec["hub"]:
            raise r.error("empty hub", row, "Hub", "", "one of " + ", ".join(repr(h) for h in ehd.HUBS))
        if r.has("Organisation Completing Assessment"):
            rec["organisation"] = r.text(values, "Organisation Completing Assessment")
        out.append(rec)
    columns = ehd.COLUMNS + (["organisation"] if r.has("Organisation Completing Assessment") else [])
    df = _frame(out, columns)
    notes = [
        "Annex A List 2 lists early help assessments by child, not requests by family: siblings count separately, "
        "and the date is the assessment's start."
    ]
    if not hub_known:
        notes.append(f"Annex A List 2 has no hub or locality: every assessment's hub is '{ehd.NOT_RECORDED}'.")
    if not reason_known:
        notes.append(f"Annex A List 2 has no reason: every assessment's reason is '{ehd.NOT_RECORDED}'.")
    notes.append(
        f"Annex A List 2 has no outcome: every assessment's outcome is '{ehd.NOT_RECORDED}', so step-ups to social "
        "care are unknown, not zero."
    )
    df.attrs.update(
        {"hub_recorded": hub_known, "reason_recorded": reason_known, "outcome_recorded": False, "notes": notes}
    )
    return df


def _looked_after(r: _Reader, records: list[tuple[int, tuple]]) -> pd.DataFrame:
    extras = [(c, c.lower().replace(" ", "_")) for c in ("Legal Status", "Placement Type") if r.has(c)]
    out = []
    for row, values in records:
        rec = {
            "child_id": r.id(values, row),
            "started": r.date(values, row, "Date Started to be Looked After"),
            "ceased": r.date(values, row, "Date Ceased to be Looked After", required=False)
            if r.has("Date Ceased to be Looked After")
            else "",
        }
        if rec["ceased"] and rec["ceased"] < rec["started"]:
            raise r.error(
                "ceased before the period of care started",
                row,
                "Date Ceased to be Looked After",
                rec["ceased"],
                "a date on or after Date Started to be Looked After",
            )
        for canonical, name in extras:
            rec[name] = r.text(values, canonical)
        out.append(rec)
    df = _frame(out, lla.COLUMNS + [n for _, n in extras])
    df.attrs["notes"] = [
        "Annex A List 8 holds the children in care during the period it covers: month-end counts before that period "
        "are incomplete."
    ]
    return df
