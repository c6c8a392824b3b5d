"""The bc2adls on-disk format, shared by the exporter and the ``bc2adls:`` reader.

Everything here follows Bertverbeek4PS/bc2adls as described in ../shared/spec/bc-interfaces.md §1:

* entity and column names (``Util.GetDataLakeCompliantTableName`` / ``...FieldName``): keep only
  ``[A-Za-z0-9]`` of the BC name, then ``-<number>``: ``Value Entry`` -> ``ValueEntry-5802``,
  ``Cost Amount (Actual)`` -> ``CostAmountActual-43``;
* column order: fields in ascending field number, then the six system columns, then ``$Company``;
* values (``Util.ConvertFieldToText``): Code/Text/Guid always double-quoted with ``\\`` -> ``\\\\``,
  ``"`` -> ``\\"`` and CR/LF replaced by a space (not RFC 4180: no quote doubling); numbers and dates
  in XML format, unquoted; DateTime as UTC ``YYYY-MM-DDThh:mm:ss.fffZ`` (empty for 0DT); Boolean
  ``true``/``false``; Option/Enum as the enum value name, unquoted; a GUID as BC formats it,
  ``{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}``; each line ends with CRLF;
* delete markers (``Util.CreateFakeRecordForDeletedAction``): ``timestamp-0`` = deletion row version,
  ``systemId-2000000000`` = the deleted SystemId, ``SystemCreatedAt-2000000001`` empty.
"""

from __future__ import annotations

import csv
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from costclose import bc_schema

COMPANY_COLUMN = "$Company"
TIMESTAMP = "timestamp-0"
SYSTEM_ID = "systemId-2000000000"
SYSTEM_CREATED_AT = "SystemCreatedAt-2000000001"
SYSTEM_CREATED_BY = "SystemCreatedBy-2000000002"
SYSTEM_MODIFIED_AT = "SystemModifiedAt-2000000003"
SYSTEM_MODIFIED_BY = "SystemModifiedBy-2000000004"
NULL_GUID = UUID(int=0)
# Columns bc2adls appends by setup ("Export Closing Date column", "Add delivered DateTime", Open
# Mirroring) that an entity's .cdm.json need not declare; the close does not use them.
OPTIONAL_EXTRA_COLUMNS = frozenset({"$ClosingDate", "$DeliveredDateTime", "__rowMarker__"})
# bc2adls exports a NULL SystemCreatedAt (rows from before BC v17) as 1900-01-01 UTC, so that an empty
# SystemCreatedAt keeps meaning "delete marker" (Execute.ExportTableUpdates).
NULL_CREATED_AT = datetime(1900, 1, 1, tzinfo=UTC)

# bc2adls system column -> bc_schema column (None: exported, not kept in raw)
SYSTEM_COLUMN_MAP: tuple[tuple[str, str | None], ...] = (
    (TIMESTAMP, "row_version"),
    (SYSTEM_ID, "system_id"),
    (SYSTEM_CREATED_AT, "system_created_at"),
    (SYSTEM_CREATED_BY, None),
    (SYSTEM_MODIFIED_AT, "system_modified_at"),
    (SYSTEM_MODIFIED_BY, None),
)

# Option/Enum fields (exported unquoted, as the value name), by (BC table no., field no.).
ENUM_FIELDS: frozenset[tuple[int, int]] = frozenset(
    {
        *((5802, f) for f in (4, 41, 79, 90, 105, 106, 5832)),
        *((32, f) for f in (4, 41, 79, 90)),
        *((5832, f) for f in (4, 90)),
        *((17, f) for f in (5, 48, 51, 57)),
        *((15, f) for f in (4, 8, 9, 43)),
        *((27, f) for f in (10, 21, 5419)),
        *((313, f) for f in (5700, 5801, 5804, 5805)),
        *((5405, f) for f in (1, 9)),
    }
)

KIND_INT = "int"
KIND_DEC = "dec"
KIND_DATE = "date"
KIND_DATETIME = "datetime"
KIND_BOOL = "bool"
KIND_GUID = "guid"
KIND_ENUM = "enum"
KIND_TEXT = "text"

_CDM_FORMAT = {
    KIND_INT: "Int32",
    KIND_DEC: "Decimal",
    KIND_DATE: "Date",
    KIND_DATETIME: "DateTime",
    KIND_BOOL: "Boolean",
    KIND_GUID: "Guid",
    KIND_ENUM: "String",
    KIND_TEXT: "String",
}


def compliant_name(name: str) -> str:
    """``GetDataLakeCompliantName``: only the ASCII letters and digits of ``name``."""
    return re.sub(r"[^A-Za-z0-9]", "", name)


def entity_name(table: bc_schema.Table) -> str:
    return f"{compliant_name(table.bc_name)}-{table.bc_table_no}"


@dataclass(frozen=True)
class CsvColumn:
    """One column of an entity's CSV: its bc2adls name, the raw column it feeds, its value kind."""

    name: str
    column: str | None
    kind: str
    display_name: str
    is_primary_key: bool = False
    max_length: int = 0

    @property
    def cdm_format(self) -> str:
        return "Int64" if self.name == TIMESTAMP else _CDM_FORMAT[self.kind]


def _kind(table: bc_schema.Table, column: bc_schema.Column) -> str:
    if (table.bc_table_no, column.bc_field_no) in ENUM_FIELDS:
        return KIND_ENUM
    return {
        bc_schema.INT: KIND_INT,
        bc_schema.DEC: KIND_DEC,
        bc_schema.DATE: KIND_DATE,
        bc_schema.DATETIME: KIND_DATETIME,
        bc_schema.BOOL: KIND_BOOL,
        bc_schema.GUID: KIND_GUID,
    }.get(column.type, KIND_TEXT)


def csv_columns(table: bc_schema.Table) -> list[CsvColumn]:
    """The entity's CSV columns in bc2adls order (field no., system columns, ``$Company``)."""
    fields = sorted((c for c in table.columns if c.bc_field_no is not None), key=lambda c: c.bc_field_no or 0)
    out = [
        CsvColumn(
            f"{compliant_name(c.bc_field)}-{c.bc_field_no}",
            c.name,
            _kind(table, c),
            c.bc_field,
            c.name in table.key,
            15 if c.type == bc_schema.DEC else 250,
        )
        for c in fields
    ]
    kinds = {
        TIMESTAMP: KIND_INT,
        SYSTEM_ID: KIND_GUID,
        SYSTEM_CREATED_AT: KIND_DATETIME,
        SYSTEM_CREATED_BY: KIND_GUID,
        SYSTEM_MODIFIED_AT: KIND_DATETIME,
        SYSTEM_MODIFIED_BY: KIND_GUID,
    }
    displays = {SYSTEM_ID: "$systemId", TIMESTAMP: "timestamp"}
    lengths = {TIMESTAMP: 8, SYSTEM_ID: 16, SYSTEM_CREATED_BY: 16, SYSTEM_MODIFIED_BY: 16}
    for name, column in SYSTEM_COLUMN_MAP:
        out.append(
            CsvColumn(
                name, column, kinds[name], displays.get(name, name.split("-")[0]), False, lengths.get(name, 8)
            )
        )
    out.append(CsvColumn(COMPANY_COLUMN, "company", KIND_TEXT, COMPANY_COLUMN, False, 30))
    return out


# -- writing ------------------------------------------------------------------------------------


def quote_text(value: str) -> str:
    """``ConvertStringToText``: CR/LF -> space, escape ``\\`` and ``"``, wrap in double quotes."""
    value = value.replace("\n", " ").replace("\r", " ").replace("\\", "\\\\").replace('"', '\\"')
    return f'"{value}"'


def format_decimal(value: Decimal | int) -> str:
    """``Format(d, 0, 9)``: plain digits, ``.`` separator, no exponent, no trailing zeros."""
    text = format(Decimal(value).normalize(), "f")
    return "0" if text in ("-0", "0") else text


def format_datetime(value: datetime) -> str:
    """UTC ``YYYY-MM-DDThh:mm:ss.fffZ`` (milliseconds, as BC's DateTime has)."""
    utc = value.astimezone(UTC) if value.tzinfo else value
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def format_guid(value: UUID | str | None) -> str:
    guid = NULL_GUID if value is None else UUID(str(value))
    return quote_text("{" + str(guid).upper() + "}")


def _format_enum(value: Any) -> str:
    return " " if value in (None, "") else str(value)


def _format_date(value: date | str) -> str:
    return value[:10] if isinstance(value, str) else value.isoformat()


def _format_int(value: Any) -> str:
    return str(int(value))


def _format_bool(value: Any) -> str:
    return "true" if value else "false"


_FORMATTERS: dict[str, Callable[[Any], str]] = {
    KIND_INT: _format_int,
    KIND_DEC: format_decimal,
    KIND_DATE: _format_date,
    KIND_DATETIME: format_datetime,
    KIND_BOOL: _format_bool,
}
# BC's default value per type, for a NULL (bc2adls has no NULLs except empty dates and DateTimes)
_NULLS = {KIND_INT: "0", KIND_DEC: "0", KIND_BOOL: "false", KIND_DATE: "", KIND_DATETIME: ""}


def format_value(kind: str, value: Any) -> str:
    """One value as bc2adls writes it (``None`` -> BC's default for the type)."""
    if kind == KIND_TEXT:
        return quote_text("" if value is None else str(value))
    if kind == KIND_GUID:
        return format_guid(value)
    if kind == KIND_ENUM:
        return _format_enum(value)
    return _NULLS[kind] if value is None else _FORMATTERS[kind](value)


# -- reading ------------------------------------------------------------------------------------

_FIELD = r'(?:"((?:[^"\\]++|\\[\\"])*+)"|([^,"\\]*+))'


def line_pattern(width: int) -> re.Pattern[str]:
    """A regex matching exactly one well-formed bc2adls CSV line of ``width`` fields."""
    return re.compile("^" + ",".join([_FIELD] * width) + "$")


_UNESCAPE = re.compile(r"\\([\\\"])")


def split_fields(match: re.Match[str], width: int) -> list[str]:
    groups = match.groups()
    out = []
    for i in range(width):
        quoted = groups[2 * i]
        if quoted is None:
            out.append(groups[2 * i + 1])
        else:
            out.append(_UNESCAPE.sub(r"\1", quoted) if "\\" in quoted else quoted)
    return out


def describe_bad_line(line: str, width: int) -> str:
    """Why ``line`` is not a well-formed bc2adls line of ``width`` fields (for quarantine)."""
    fields, pos, n = 0, 0, len(line)
    while True:
        fields += 1
        if pos < n and line[pos] == '"':
            pos += 1
            while pos < n and line[pos] != '"':
                if line[pos] == "\\":
                    if pos + 1 >= n or line[pos + 1] not in '\\"':
                        return f"field {fields}: bad escape sequence at character {pos + 1}"
                    pos += 1
                pos += 1
            if pos >= n:
                return f"field {fields}: unterminated quoted value"
            pos += 1
            if pos < n and line[pos] != ",":
                return f"field {fields}: text after the closing quote at character {pos + 1}"
        else:
            while pos < n and line[pos] != ",":
                if line[pos] in '"\\':
                    return f"field {fields}: unexpected {line[pos]!r} in an unquoted value"
                pos += 1
        if pos >= n:
            break
        pos += 1
    if fields != width:
        return f"line has {fields} fields, the header has {width}"
    return "malformed line"


def _parse_int(text: str) -> int:
    if not re.fullmatch(r"-?\d+", text):
        raise ValueError(f"{text!r} is not an integer")
    return int(text)


def _parse_decimal(text: str) -> Decimal:
    if not re.fullmatch(r"-?\d+(\.\d+)?", text):
        raise ValueError(f"{text!r} is not a decimal")
    try:
        return Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(f"{text!r} is not a decimal") from exc


def _parse_date(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


def _parse_datetime(text: str) -> datetime | None:
    if not text:
        return None
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,7})?Z", text):
        raise ValueError(f"{text!r} is not a UTC DateTime (YYYY-MM-DDThh:mm:ss.fffZ)")
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _parse_bool(text: str) -> bool:
    if text not in ("true", "false"):
        raise ValueError(f"{text!r} is not a Boolean (true/false)")
    return text == "true"


def _parse_guid(text: str) -> UUID:
    try:
        return UUID(text.strip("{}"))
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a GUID") from exc


def _parse_enum(text: str) -> str:
    return "" if not text.strip() else text


PARSERS: dict[str, Callable[[str], Any]] = {
    KIND_INT: _parse_int,
    KIND_DEC: _parse_decimal,
    KIND_DATE: _parse_date,
    KIND_DATETIME: _parse_datetime,
    KIND_BOOL: _parse_bool,
    KIND_GUID: _parse_guid,
    KIND_ENUM: _parse_enum,
    KIND_TEXT: str,
}


# -- CDM json -----------------------------------------------------------------------------------


def entity_cdm(table: bc_schema.Table) -> dict[str, Any]:
    """``<Entity>.cdm.json`` as ``CDMUtil.CreateEntityContent`` writes it."""
    attributes = []
    for col in csv_columns(table):
        attribute: dict[str, Any] = {
            "name": col.name,
            "dataFormat": col.cdm_format,
            "appliedTraits": (
                [
                    {
                        "traitReference": "is.dataFormat.numeric.shaped",
                        "arguments": [{"name": "scale", "value": "5"}],
                    }
                ]
                if col.kind == KIND_DEC
                else []
            ),
            "displayName": col.display_name,
            "maximumLength": col.max_length,
        }
        if col.is_primary_key:
            attribute["isPrimaryKey"] = True
        attributes.append(attribute)
    return {
        "jsonSchemaSemanticVersion": "1.0.0",
        "imports": [{"corpusPath": "cdm:/foundations.cdm.json"}],
        "definitions": [
            {
                "entityName": entity_name(table),
                "exhibitsTraits": [],
                "displayName": table.bc_name,
                "description": f"Represents the table {table.bc_name}",
                "hasAttributes": attributes,
            }
        ],
    }


def manifest_with_entity(
    existing: dict[str, Any] | None, table: bc_schema.Table, folder: str
) -> dict[str, Any]:
    """``CDMUtil.UpdateDefaultManifestContent`` for ``<folder>.manifest.cdm.json`` (CSV partitions)."""
    entities = list((existing or {}).get("entities", []))
    name = entity_name(table)
    if not any(e.get("entityName") == name for e in entities):
        entities.append(
            {
                "type": "LocalEntity",
                "entityName": name,
                "entityPath": f"{name}.cdm.json/{name}",
                "dataPartitionPatterns": [
                    {
                        "name": name,
                        "rootLocation": f"{folder}/{name}",
                        "globPattern": "/*.csv",
                        "exhibitsTraits": [
                            {
                                "traitReference": "is.partition.format.CSV",
                                "arguments": [
                                    {"name": "columnHeaders", "value": "true"},
                                    {"name": "delimiter", "value": ","},
                                    {"name": "escape", "value": "\\"},
                                    {"name": "encoding", "value": "utf-8"},
                                    {"name": "quote", "value": '"'},
                                ],
                            }
                        ],
                    }
                ],
            }
        )
    return {
        "jsonSchemaSemanticVersion": "1.0.0",
        "imports": [],
        "manifestName": f"{folder}-manifest",
        "explanation": "Data exported from the Business Central to the Azure Data Lake Storage",
        "entities": entities,
        "relationships": [],
    }


# -- fast reading: a line checked by one typed regex, fields handed on as COPY text -------------

_QUOTED = r'"((?:[^"\\]++|\\[\\"])*+)"'
_ANY = r'(?:"(?:[^"\\]++|\\[\\"])*+"|[^,"\\]*+)'
_TYPED_FIELD = {
    KIND_TEXT: _QUOTED,
    KIND_GUID: r'"(\{?[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}?)"',
    KIND_INT: r"(-?\d++)",
    KIND_DEC: r"(-?\d++(?:\.\d++)?)",
    KIND_DATE: r"(\d{4}-\d\d-\d\d|)",
    KIND_DATETIME: r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,7})?Z|)",
    KIND_BOOL: r"(true|false)",
    KIND_ENUM: r'([^,"\\]*+)',
}


def unescape(quoted_content: str) -> str:
    """The value of a quoted bc2adls field's content (``\\\\`` -> ``\\``, ``\\"`` -> ``"``)."""
    return _UNESCAPE.sub(r"\1", quoted_content) if "\\" in quoted_content else quoted_content


def _copy_text(raw: str) -> str:
    # bc2adls escapes a backslash as \\ -- exactly COPY's escape -- so only \" and tabs need work
    return raw.replace('\\"', '"').replace("\t", "\\t")


def _copy_enum(raw: str) -> str:
    return raw if raw.strip() else ""


def _copy_date(raw: str) -> str:
    if not raw:
        return "\\N"
    date.fromisoformat(raw)  # a real calendar date, or ValueError
    return raw


def _copy_datetime(raw: str) -> str:
    if not raw:
        return "\\N"
    datetime.fromisoformat(raw)  # a real UTC DateTime, or ValueError
    return raw


def _copy_as_is(raw: str) -> str:
    return raw


COPY_CONVERTERS: dict[str, Callable[[str], str]] = {
    KIND_TEXT: _copy_text,
    KIND_GUID: _copy_as_is,
    KIND_INT: _copy_as_is,
    KIND_DEC: _copy_as_is,
    KIND_DATE: _copy_date,
    KIND_DATETIME: _copy_datetime,
    KIND_BOOL: _copy_as_is,
    KIND_ENUM: _copy_enum,
}


# Kinds whose text needs more than the line-wide unescaping of ``copy_line``.
_SPECIAL = {KIND_DATE: _copy_date, KIND_DATETIME: _copy_datetime, KIND_ENUM: _copy_enum}


class CopyPlan:
    """Turns the captured fields of a ``TypedLine`` into one COPY text line (raw columns in order)."""

    def __init__(self, columns: list[CsvColumn | None], positions: list[int]) -> None:
        self.positions = positions
        self.special = [
            (j, _SPECIAL[columns[i].kind])  # type: ignore[union-attr]
            for j, i in enumerate(positions)
            if columns[i].kind in _SPECIAL  # type: ignore[union-attr]
        ]

    def line(self, fields: list[str | None]) -> str:
        """Raises ValueError for an impossible date."""
        values = [fields[i] or "" for i in self.positions]
        for j, convert in self.special:
            values[j] = convert(values[j])
        # NUL never occurs in BC text, so it can stand for the field separator while the whole line is
        # unescaped at once: bc2adls's \" -> ", tabs -> \t (its \\ is already COPY's escape).
        text = "\x00".join(values)
        if "\\" in text or "\t" in text:
            text = text.replace('\\"', '"').replace("\t", "\\t")
        return text.replace("\x00", "\t")


class TypedLine:
    """One regex for a whole line whose fields also satisfy their column's type.

    ``fields(line)`` returns, per header position, the captured text (quoted fields without their
    quotes, still escaped) for the positions in ``capture`` and None elsewhere -- or None when the
    line is not a well-formed, well-typed bc2adls line (the caller then finds out why).
    """

    def __init__(self, columns: list[CsvColumn | None], capture: set[int]) -> None:
        parts = []
        self._positions: list[int] = []
        for position, col in enumerate(columns):
            if col is not None and position in capture:
                parts.append(_TYPED_FIELD[col.kind])
                self._positions.append(position)
            else:
                parts.append(_ANY)
        self._width = len(columns)
        self._pattern = re.compile(",".join(parts))

    def fields(self, line: str) -> list[str | None] | None:
        match = self._pattern.fullmatch(line)
        if match is None:
            return None
        out: list[str | None] = [None] * self._width
        for position, value in zip(self._positions, match.groups(), strict=True):
            out[position] = value
        return out


# -- fastest reading: a whole block of lines checked by one regex, split by the C csv module -----

# A real calendar day (Gregorian leap years: 2024-02-29 yes, 2100-02-29 no), so no date is parsed in Python.
_DAY = (
    r"(?!0000-)(?:\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)"
    r"|02-(?:0[1-9]|1\d|2[0-8]))"
    r"|(?:\d\d(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)-02-29)"
)
# Per kind: a field whose text the C ``csv`` module (``escapechar='\\'``, ``doublequote=False``,
# ``skipinitialspace=True``) turns into exactly the value the careful path would land. No class admits
# CR or LF, so one match spans whole lines only; anything else goes to the per-line path.
_BLOCK_FIELD = {
    KIND_TEXT: r'"(?:[^"\\\r\n\t\x00]++|\\[\\"])*+"',
    KIND_GUID: r'"\{?[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}?"',
    # numbers short enough to be sure to fit raw (18 characters: bigint; 28: BC's Decimal); longer ones
    # are range-checked on the careful path
    KIND_INT: r"(?:-\d{1,17}+|\d{1,18}+)(?![\d.])",
    KIND_DEC: r"(?=[-\d.]{1,28}+(?![-\d.]))-?\d++(?:\.\d++)?+",
    KIND_DATE: f"(?:{_DAY})?+",
    KIND_DATETIME: f"(?:{_DAY}T(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(?:\\.\\d{{1,6}})?+Z)?+",
    KIND_BOOL: r"(?:true|false)",
    # a blank enum is one space (bc2adls writes " "); other names never start with one
    KIND_ENUM: r'(?: |[^ ,"\\\r\n\t\x00][^,"\\\r\n\t\x00]*+)?+',
}
_BLOCK_ANY = r'(?:"(?:[^"\\\r\n]++|\\[\\"])*+"|[^,"\\\r\n]*+)'


class BlockReader:
    """Turns a block of well-formed, well-typed bc2adls lines into COPY text lines, in C where it counts.

    ``events(text, company)`` returns None when any line of ``text`` is not such a line (the caller
    then reads the block line by line, which finds and quarantines the bad ones); otherwise, per line
    in order, ``(company, system id, timestamp, COPY line or None for a delete marker, amounts, key)``.
    The COPY line holds the kept columns then the timestamp (the row's source version); ``amounts``
    and ``key`` are the texts of the kept columns at ``amount_positions`` and ``key_positions``. Values
    are the ones the careful path (``PARSERS`` + ``copy_value``) lands (the block's regex admits real
    calendar days only).
    """

    def __init__(
        self,
        columns: list[CsvColumn | None],
        kept: list[int],
        system: tuple[int, int, int, int],
        amount_positions: list[int],
        key_positions: list[int],
    ) -> None:
        parts = [
            _BLOCK_FIELD[col.kind] if col is not None and position in {*kept, *system} else _BLOCK_ANY
            for position, col in enumerate(columns)
        ]
        self._block = re.compile("(?:" + ",".join(parts) + r"\r?\n)*+")
        self._kept = kept
        self._ts_at, self._id_at, self._created_at, self._company_at = system
        self._dates = [
            j
            for j, i in enumerate(kept)
            if columns[i] is not None and columns[i].kind in (KIND_DATE, KIND_DATETIME)  # type: ignore[union-attr]
        ]
        self._pick_amounts = _tuple_picker(amount_positions)
        self._pick_key = _tuple_picker(key_positions)

    def events(
        self, text: str, company: str | None
    ) -> list[tuple[str, str, int, str | None, tuple[str, ...], tuple[str, ...]]] | None:
        if self._block.fullmatch(text) is None:
            return None
        pick = _picker(self._kept)
        ts_at, id_at, created_at, company_at = self._ts_at, self._id_at, self._created_at, self._company_at
        dates, amounts, key = self._dates, self._pick_amounts, self._pick_key
        escape = "\\" in text or "\t" in text
        out: list[tuple[str, str, int, str | None, tuple[str, ...], tuple[str, ...]]] = []
        append = out.append
        reader = csv.reader(
            text.split("\n")[:-1], escapechar="\\", doublequote=False, strict=True, skipinitialspace=True
        )
        try:
            for row in reader:
                row_company = row[company_at]
                if company is not None and row_company != company:
                    continue
                timestamp = int(row[ts_at])
                system_id = row[id_at].strip("{}").lower()
                if not row[created_at]:
                    append((row_company, system_id, timestamp, None, (), ()))
                    continue
                values = [v.translate(_COPY_ESCAPES) for v in pick(row)] if escape else pick(row)
                for j in dates:
                    if not values[j]:
                        values[j] = "\\N"
                append(
                    (
                        row_company,
                        system_id,
                        timestamp,
                        "\t".join(values) + f"\t{timestamp}",
                        amounts(values),
                        key(values),
                    )
                )
        except (csv.Error, ValueError):
            return None
        return out


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t"})


def _tuple_picker(positions: list[int]) -> Callable[[list[str]], tuple[str, ...]]:
    if not positions:
        return lambda row: ()
    if len(positions) == 1:
        only = positions[0]
        return lambda row: (row[only],)
    return operator.itemgetter(*positions)


def _picker(positions: list[int]) -> Callable[[list[str]], list[str]]:
    if len(positions) == 1:
        only = positions[0]
        return lambda row: [row[only]]
    getter = operator.itemgetter(*positions)
    return lambda row: list(getter(row))
