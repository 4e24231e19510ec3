"""Landing: raw files -> ``landing.*`` tables in DuckDB, text as typed, with lineage.

Every landed row carries its lineage: ``source_file`` (path under the raw folder),
``sheet``, ``row_number`` (1-based, as a clerk counts rows in Excel), ``file_sha256`` and
``loaded_at``. Loading is incremental by content: a file whose (path, sha256) was landed
before is skipped; a changed file is landed as a new version and the old one is kept and
marked ``superseded_at``. A form A landed while the metrics seed listed other form A
metrics is landed again (its rows replaced) the next time its month is landed, so that a
metric added to the seed has its figures from the files already there. Nothing under the
raw folder is modified, and a file that cannot be accepted is set aside in ``landing.rejected_files`` without stopping the others.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from collections import defaultdict
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from .. import progress
from ..periods import in_window, is_period
from ..periods import window as accepted_window
from ..seeds import form_a_metrics
from .forms import FORM_A_VALUES, FORM_NAMES, Table
from .limits import CELL_CHARS, FILE_BYTES, SHEET_ROWS
from .origins import resolve
from .parallel import read_tables
from .reading import SPREADSHEET_SUFFIXES, Rejection
from .text import norm_label

LINEAGE = ["submission_id", "source_file", "sheet", "row_number", "file_sha256", "loaded_at"]

REFERENCE_FILES = {
    "units": [
        "unit_code",
        "unit_name",
        "unit_type",
        "parent_code",
        "host_unit_code",
        "peer_group",
        "valid_from",
        "valid_to",
    ],
    "aliases": ["alias", "unit_code"],
    "chains": [
        "scheme",
        "chain_code",
        "chain_name",
        "leader",
        "lead_department",
        "valid_from",
        "valid_to",
    ],
    "targets": ["year", "unit_code", "metric", "annual_target"],
    "league_scheme": ["peer_group", "indicator", "weight", "list_size"],
    # optional: the city's 利益分成 scheme for moved projects (考核口径)
    "transfer_sharing": [
        "valid_from",
        "valid_to",
        "referrer_share_pct",
        "years",
        "league_bonus_points",
    ],
}
# columns a reference file may leave out (read as empty)
OPTIONAL_COLUMNS = {"units": ("in_league",)}

ROW_TABLES: dict[str, list[str]] = {
    # reference data, as in the CSV
    "ref_units": [*REFERENCE_FILES["units"], *OPTIONAL_COLUMNS["units"]],
    "ref_aliases": REFERENCE_FILES["aliases"],
    "ref_chains": [*REFERENCE_FILES["chains"], "chain_key"],
    "ref_targets": REFERENCE_FILES["targets"],
    "ref_league_scheme": REFERENCE_FILES["league_scheme"],
    "ref_transfer_sharing": REFERENCE_FILES["transfer_sharing"],
    # forms
    "register_rows": [
        "filled_date",
        "project_code",
        "project_name",
        "investor",
        "investor_origin",
        "top500_category",
        "chain",
        "industry_code",
        "reporting_unit",
        "park",
        "agreed_amount",
        "agreed_amount_unit",
        "signed_date",
        "started_date",
        "production_date",
        "transferred_from",
        "transferred_date",
        "reporting_unit_key",
        "park_key",
        "transferred_from_key",
        "chain_key",
    ],
    "form_a_rows": [
        "seq",
        "project_code",
        "project_name",
        *[c for v in FORM_A_VALUES for c in (v, f"{v}_unit")],
        "remark",
    ],
    "form_s_rows": [
        "indicator",
        "indicator_key",
        "row_unit",
        "row_unit_key",
        "table_unit",
        "month",
        "ytd",
        "last_year_ytd",
        "yoy_pct",
        "annual_target",
        "completion_pct",
    ],
    "province_figures": [
        "period",
        "area_name",
        "area_key",
        "indicator",
        "indicator_key",
        "ytd",
        "yoy_pct",
        "ytd_unit",
    ],
}
# Row labels that staging matches against reference names get a normalised twin, `<col>_key`,
# made by the same norm_label as the headers (full-width, traditional script, spaces).
KEY_COLUMNS = {
    "form_s": ("indicator", "row_unit"),
    "register": ("reporting_unit", "park", "transferred_from", "chain"),
    "published": ("area_name", "indicator"),
}

FILE_COLUMNS = [
    "submission_id",
    "source_file",
    "file_sha256",
    "size_bytes",
    "kind",  # reference | register | form_a | form_s | published
    "period",
    "folder_name",
    "unit_code",
    "sheet",
    "filled_date",
    "row_count",
    "loaded_at",
    "superseded_at",
    "metrics_known",  # the form A metrics the loader knew (a form A is landed again if others)
]
# what landing.files.metrics_known says of a file landed now
METRICS_KNOWN = ",".join(form_a_metrics())
COLUMN_COLUMNS = ["submission_id", "column_name", "header_label", "column_letter"]
REJECTED_COLUMNS = [
    "submission_id",
    "source_file",
    "file_sha256",
    "reason",
    "detail",
    "expected",
    "loaded_at",
    "period",  # a submission's month and unit, when its folders say (the culprit analysis
    "unit_code",  # names a set-aside form as the reason a unit's figures are missing)
]

# Set aside for now, looked at again on every run: the month has not ended yet (or is
# before the first month kept). Every other reason is final for that (path, content).
RETRIED_REASONS = ("period_outside_window",)


@dataclass(frozen=True)
class Scope:
    """Which files one load handles.

    ``reference``: reference data, the register, and everything that belongs to no open
    month (misplaced files, folders that are not a month or are outside the window).
    ``months``: the submissions and province figures of the months ``first..last``.
    """

    reference: bool = True
    months: tuple[str, str] | None = ("0000-01", "9999-12")

    @classmethod
    def reference_only(cls) -> Scope:
        return cls(reference=True, months=None)

    @classmethod
    def of_months(cls, first: str, last: str) -> Scope:
        return cls(reference=False, months=(first, last))

    def takes_month(self, period: str) -> bool:
        return self.months is not None and self.months[0] <= period <= self.months[1]


def _added_columns() -> list[tuple[str, str]]:
    """(table, column) of the columns that may have been added since a warehouse was first
    built (earlier rows keep them empty)."""
    out = [(name, c) for name, cols in ROW_TABLES.items() for c in cols]
    return out + [
        ("rejected_files", "period"),
        ("rejected_files", "unit_code"),
        ("files", "metrics_known"),
    ]


def _creates() -> list[str]:
    out = ["create schema if not exists landing"]
    for name, cols in ROW_TABLES.items():
        defs = ", ".join(f"{c} varchar" for c in cols)
        out.append(
            f"create table if not exists landing.{name} (submission_id varchar, source_file varchar, "
            f"sheet varchar, row_number integer, file_sha256 varchar, loaded_at timestamp, {defs})"
        )
    out.append(
        "create table if not exists landing.files (submission_id varchar primary key, "
        "source_file varchar, file_sha256 varchar, size_bytes bigint, kind varchar, period varchar, "
        "folder_name varchar, unit_code varchar, sheet varchar, filled_date date, row_count integer, "
        "loaded_at timestamp, superseded_at timestamp, metrics_known varchar)"
    )
    # derived by each reference load (_write_unit_labels, _write_origins); here so that they
    # exist before one
    out.append(
        "create table if not exists landing.ref_unit_labels (label_key varchar, unit_code varchar)"
    )
    out.append(
        "create table if not exists landing.ref_origins (origin varchar primary key, "
        "country_code varchar, province_code varchar, prefecture_code varchar)"
    )
    out.append(
        "create table if not exists landing.file_columns (submission_id varchar, column_name varchar, "
        "header_label varchar, column_letter varchar)"
    )
    out.append(
        "create table if not exists landing.rejected_files (submission_id varchar, source_file varchar, "
        "file_sha256 varchar, reason varchar, detail varchar, expected varchar, loaded_at timestamp, "
        "period varchar, unit_code varchar)"
    )
    return out


def _add_column(table: str, column: str) -> str:
    return f"alter table landing.{table} add column if not exists {column} varchar"


def ddl() -> list[str]:
    """CREATE statements for the landing schema (identifiers are ours, never from files)."""
    return _creates() + [_add_column(t, c) for t, c in _added_columns()]


def create_landing(con: duckdb.DuckDBPyConnection) -> None:
    """The landing schema as ``ddl`` makes it, adding only the columns a warehouse lacks
    (one look at the catalogue instead of a statement per column: a load of one file costs
    less)."""
    for stmt in _creates():
        con.execute(stmt)
    have = set(
        con.execute(
            "select table_name, column_name from information_schema.columns "
            "where table_schema = 'landing' and table_catalog = current_database()"
        ).fetchall()
    )
    for table, column in _added_columns():
        if (table, column) not in have:
            con.execute(_add_column(table, column))


@dataclass
class LoadReport:
    landed: int = 0
    skipped: int = 0
    rejected: int = 0
    superseded: int = 0
    rows: int = 0

    def __str__(self) -> str:
        return (
            f"{self.landed} files landed ({self.rows} rows), {self.skipped} unchanged, "
            f"{self.superseded} superseded, {self.rejected} set aside"
        )


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: how a clerk names a column."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


_HASHED: dict[tuple[str, int, int], str] = {}  # (path, size, mtime_ns) -> sha256, this process


def sha256_of(path: Path) -> str:
    """The file's sha256; a file unchanged since it was hashed in this process (the change
    scan before a run, then landing) is read once."""
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _HASHED:
        if len(_HASHED) > 200_000:  # a long-lived process (the sensor's) stays small
            _HASHED.clear()
        with path.open("rb") as f:
            _HASHED[key] = hashlib.file_digest(f, "sha256").hexdigest()
    return _HASHED[key]


def submission_id(source_file: str, sha: str) -> str:
    return hashlib.sha256(f"{source_file}\0{sha}".encode()).hexdigest()[:20]


class UnitResolver:
    """Folder and register names -> unit codes, through codes, names and aliases."""

    def __init__(self, raw_dir: Path) -> None:
        self.by_label: dict[str, str] = {}
        units = raw_dir / "reference" / "units.csv"
        aliases = raw_dir / "reference" / "aliases.csv"
        for row in _reference_dicts(units):
            if row.get("unit_code"):
                self.by_label[norm_label(row["unit_code"])] = row["unit_code"]
                self.by_label[norm_label(row.get("unit_name") or "")] = row["unit_code"]
        for row in _reference_dicts(aliases):
            if row.get("alias") and row.get("unit_code"):
                self.by_label.setdefault(norm_label(row["alias"]), row["unit_code"])
        self.by_label.pop("", None)

    def resolve(self, label: str) -> str | None:
        return self.by_label.get(norm_label(label))


def _reference_dicts(path: Path) -> list[dict[str, str]]:
    """A reference CSV's rows as dicts; none when it is missing or unreadable (the loader
    sets such a file aside with the reason when it lands it)."""
    if not path.is_file() or path.is_symlink():
        return []
    try:
        return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    except (csv.Error, UnicodeDecodeError, OSError):
        return []


@dataclass
class Candidate:
    path: Path
    rel: str
    kind: str  # reference | register | submission | published
    period: str | None = None
    folder: str | None = None


HIDDEN_PREFIXES = (".", "~$")  # hidden files, and the lock files Excel and WPS leave


def _entries(raw_dir: Path) -> list[tuple[str, os.DirEntry]]:
    """Everything under the raw folder, by path relative to it, in a stable order (that of
    the paths' parts); symbolic links are listed, never followed."""
    out: list[tuple[str, os.DirEntry]] = []
    folders = [("", str(raw_dir))] if raw_dir.is_dir() else []
    while folders:
        prefix, folder = folders.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                out.append((prefix + entry.name, entry))
                hidden = entry.name.startswith(HIDDEN_PREFIXES)
                if entry.is_dir(follow_symlinks=False) and not hidden:
                    folders.append((f"{prefix}{entry.name}/", entry.path))
    return sorted(out, key=lambda item: item[0].split("/"))


def discover(raw_dir: Path) -> tuple[list[Candidate], list[tuple[Rejection, Candidate | None]]]:
    """Every file under the raw folder that the contract names, in a stable order, and a
    problem for everything else there, so that every file is accounted for: a symbolic link
    (never followed, so that nothing read lies outside the folder), something that is not a
    regular file, a hidden or temporary file, a file where the contract puts none, and a
    unit folder with no file in it (R11 names the unit's missing forms as never sent)."""
    found: list[Candidate] = []
    problems: list[tuple[Rejection, Candidate | None]] = []
    entries = _entries(raw_dir)
    folders_with_files = {rel.rsplit("/", 1)[0] for rel, _ in entries if "/" in rel}
    for rel, entry in entries:
        parts = rel.split("/")
        top = parts[0]
        if entry.is_symlink():
            problems.append(
                (
                    Rejection(rel, "unsafe_path", "符号链接不予读取：请把文件本身放进报送文件夹"),
                    None,
                )
            )
            continue
        if entry.name.startswith(HIDDEN_PREFIXES):  # a hidden folder's files are not listed
            hidden = Rejection(
                rel,
                "hidden_file",
                "隐藏文件或 Excel/WPS 打开文件时留下的临时文件（文件名以“.”或“~$”开头），未读取："
                "如确是要报送的报表，请改名后重新放入",
                expected="a file name that does not start with '.' or '~$'",
            )
            problems.append((hidden, None))
            continue
        if entry.is_dir(follow_symlinks=False):
            if top == "submissions" and len(parts) == 3 and rel not in folders_with_files:
                empty = Rejection(
                    rel,
                    "empty_folder",
                    "单位文件夹是空的：本月没有收到这个单位的报表",
                    expected="the unit's form A and form S in the folder",
                )
                problems.append((empty, None))  # a file set aside for the unit-month: none
            continue
        if not entry.is_file(follow_symlinks=False):
            problems.append(
                (Rejection(rel, "unsafe_path", "不是普通文件（设备、管道或套接字），未读取"), None)
            )
            continue
        path = raw_dir / rel
        if top == "reference" and len(parts) == 2 and path.stem in REFERENCE_FILES:
            found.append(Candidate(path, rel, "reference"))
        elif top == "register" and len(parts) == 2 and path.suffix.lower() in SPREADSHEET_SUFFIXES:
            found.append(Candidate(path, rel, "register"))
        elif top == "submissions" and len(parts) == 4:
            found.append(Candidate(path, rel, "submission", period=parts[1], folder=parts[2]))
        elif top == "published" and len(parts) == 3 and parts[1] == "province":
            found.append(Candidate(path, rel, "published", period=path.stem))
        else:
            misplaced = Rejection(
                rel,
                "unexpected_location",
                "file is not where the submission contract puts files",
                expected="reference/<name>.csv, register/<file>, submissions/YYYY-MM/<unit>/<file> "
                "or published/province/YYYY-MM.csv",
            )
            problems.append((misplaced, None))
    return found, problems


def _is_read(cand: Candidate, early: Rejection | bool) -> bool:
    """Whether a file to land is a spreadsheet read by ``read_tables`` (reference CSVs are
    read by the loader; a file already set aside is not read)."""
    return cand.kind != "reference" and not isinstance(early, Rejection)


@dataclass
class RowBlock:
    """One file's table rows for a landing table: values shared by every row (lineage,
    declared units), the table's columns and rows as read, and columns derived per row."""

    shared: dict[str, object]
    names: list[str]
    rows: list[tuple[int, list[str | None]]]
    derived: dict[str, list] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # the rows turned into columns once (row numbers first, then the table's columns)
        self.columns = list(zip(*((n, *values) for n, values in self.rows), strict=True))

    @staticmethod
    def column(blocks: list[RowBlock], name: str) -> list:
        """Column ``name`` of every row of the blocks, in order."""
        out: list = []
        for block in blocks:
            if not block.rows:
                continue
            if name in block.derived:
                out += block.derived[name]
            elif name == "row_number":
                out += block.columns[0]
            elif name in block.names:
                out += block.columns[1 + block.names.index(name)]
            else:
                out += [block.shared.get(name)] * len(block.rows)
        return out


BATCH_ROWS = 50_000  # rows held in memory before they are written (within the transaction)


class Loader:
    """Lands every new or changed file in one transaction."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        raw_dir: Path,
        scope: Scope | None = None,
        window: tuple[str, str] | None = None,
    ) -> None:
        self.con = con
        self.raw_dir = raw_dir
        self.scope = scope or Scope()
        # the months accepted: by default from ZS_FIRST_PERIOD to the last month that ended
        self.window = window or accepted_window()
        self.now = datetime.now(UTC).replace(tzinfo=None)
        self.units = UnitResolver(raw_dir)
        self.batches: dict[str, list[dict]] = defaultdict(list)
        self.blocks: dict[str, list[RowBlock]] = defaultdict(list)  # the forms' rows, by file
        self.pending_rows = 0  # rows in self.blocks
        self.reinstate: list[str] = []  # submission ids of earlier versions that are back
        self.relanded: list[str] = []  # submission ids landed again (METRICS_KNOWN changed)
        self.report = LoadReport()
        self.examined: list[str] = []  # files this load is responsible for
        self.landed_files = False  # whether any new file version was written

    def run(self) -> LoadReport:
        create_landing(self.con)
        versions = {
            (src, sha): (sid, superseded)
            for src, sha, sid, superseded in self.con.execute(
                "select source_file, file_sha256, submission_id, superseded_at is not null from landing.files"
            ).fetchall()
        }
        # current form A versions read when the seed listed other metrics: landed again
        stale = {
            (src, sha): sid
            for src, sha, sid in self.con.execute(
                "select source_file, file_sha256, submission_id from landing.files "
                "where kind = 'form_a' and superseded_at is null "
                "and metrics_known is distinct from ?",
                [METRICS_KNOWN],
            ).fetchall()
        }
        known = {k for k, (_, superseded) in versions.items() if not superseded} - stale.keys()
        known |= set(
            self.con.execute(
                "select source_file, file_sha256 from landing.rejected_files "
                "where reason not in (select unnest(?))",
                [list(RETRIED_REASONS)],
            ).fetchall()
        )
        candidates, problems = discover(self.raw_dir)
        # one transaction for the whole load, written in bounded batches as files are read
        self.con.execute("begin transaction")
        try:
            if self.scope.reference:
                # what is wrong with a path (not a content) is judged again on every run
                self.con.execute(
                    "delete from landing.rejected_files where file_sha256 = '' and loaded_at < ?",
                    [self.now],
                )
                for rej, where in problems:
                    self._reject(rej, sha="", cand=where)
            to_land: list[tuple[Candidate, str, Rejection | bool]] = []
            for cand in candidates:
                early = self._out_of_scope(cand)
                if early is None:
                    continue
                self.examined.append(cand.rel)
                sha = sha256_of(cand.path)
                if (cand.rel, sha) in known:
                    self.report.skipped += 1
                    continue
                if (cand.rel, sha) in stale:
                    self.relanded.append(stale[(cand.rel, sha)])
                elif (cand.rel, sha) in versions:  # an earlier version is back: current again
                    self.reinstate.append(versions[(cand.rel, sha)][0])
                    continue
                to_land.append((cand, sha, early))
            self._forget(self.relanded)
            # the spreadsheets are read ahead, in worker processes when there are many
            # (ingest/parallel.py), and come back in this order
            reading = read_tables(
                [(c.path, c.rel) for c, _, early in to_land if _is_read(c, early)]
            )
            label = "landing reference data" if self.scope.reference else "landing submissions"
            with (
                closing(reading) as tables,
                progress.current().stage(label, len(to_land), "files") as stage,
            ):
                stage.failed_word = "set aside"
                for cand, sha, early in to_land:
                    try:
                        if isinstance(early, Rejection):
                            raise early
                        self._land(cand, sha, next(tables) if _is_read(cand, early) else None)
                    except Rejection as rej:
                        self._reject(rej, sha, cand)
                        stage.failed += 1
                    stage.advance()
                    if self.pending_rows + sum(map(len, self.batches.values())) >= BATCH_ROWS:
                        self._write_batches()
                stage.note = f"{self.report.skipped:,} unchanged"
                self._finish()
            self.con.execute("commit")
        except BaseException:
            self.con.execute("rollback")
            raise
        if self.scope.reference:
            self._write_unit_labels()
            self._write_origins()
        return self.report

    def _forget(self, submission_ids: list[str]) -> None:
        """Remove what was landed of these versions (they are landed again, same ids)."""
        if not submission_ids:
            return
        for table in [*ROW_TABLES, "file_columns", "files"]:
            self.con.execute(
                f"delete from landing.{table} where submission_id in (select unnest(?))",  # noqa: S608 (our identifiers)
                [submission_ids],
            )

    def _out_of_scope(self, cand: Candidate) -> Rejection | bool | None:
        """None: another load handles this file; a Rejection: set it aside; True: land it."""
        if cand.period is None:  # reference data and the register
            return True if self.scope.reference else None
        if not is_period(cand.period):
            problem = Rejection(
                cand.rel,
                "bad_period",
                f"'{cand.period}' is not a month",
                expected="a YYYY-MM folder",
            )
            return problem if self.scope.reference else None
        first, last = self.window
        if not in_window(cand.period, self.window):
            problem = Rejection(
                cand.rel,
                "period_outside_window",
                f"month {cand.period} has not ended yet"
                if cand.period > last
                else f"month {cand.period} is before the first month kept ({first})",
                expected=f"a month from {first} to {last}; looked at again on every run",
            )
            return problem if self.scope.reference else None
        return True if self.scope.takes_month(cand.period) else None

    def _write_unit_labels(self) -> None:
        """The lookup staging uses to turn names and aliases into unit codes (derived, replaced)."""
        labels = pa.table(
            {
                "label_key": list(self.units.by_label),
                "unit_code": list(self.units.by_label.values()),
            }
        )
        self.con.register("unit_labels", labels)
        self.con.execute(
            "create or replace table landing.ref_unit_labels as select * from unit_labels"
        )
        self.con.unregister("unit_labels")

    def _write_origins(self) -> None:
        """Every 投资方来源地 the register has used, resolved to a place (ingest/origins.py;
        derived, kept: only an origin not seen before is resolved)."""
        new = [
            origin
            for (origin,) in self.con.execute(
                "select distinct investor_origin from landing.register_rows "
                "where investor_origin is not null "
                "and investor_origin not in (select origin from landing.ref_origins)"
            ).fetchall()
        ]
        if not new:
            return
        found = resolve(new)
        table = pa.table(
            {
                "origin": [o.text for o in found],
                "country_code": [o.country_code for o in found],
                "province_code": [o.province_code for o in found],
                "prefecture_code": [o.prefecture_code for o in found],
            }
        )
        self.con.register("origins", table)
        self.con.execute("insert into landing.ref_origins select * from origins")
        self.con.unregister("origins")

    # one file -------------------------------------------------------------------------
    def _land(self, cand: Candidate, sha: str, read: Table | Rejection | None) -> None:
        """Land one file; ``read``: its table as ``read_tables`` read it (not for reference
        CSVs, which are read here)."""
        sid = submission_id(cand.rel, sha)
        lineage = {
            "submission_id": sid,
            "source_file": cand.rel,
            "file_sha256": sha,
            "loaded_at": self.now,
        }
        file_row = {
            **lineage,
            "size_bytes": cand.path.stat().st_size,
            "kind": cand.kind,
            "period": cand.period,
            "folder_name": cand.folder,
            "unit_code": None,
            "sheet": None,
            "filled_date": None,
            "row_count": 0,
            "superseded_at": None,
            "metrics_known": METRICS_KNOWN,
        }
        if cand.kind == "reference":
            rows = self._reference_rows(cand)
            table = f"ref_{cand.path.stem}"
            file_row["sheet"] = "csv"
            for n, values in rows:
                if table == "ref_chains":
                    values["chain_key"] = norm_label(values["chain_name"])
                self.batches[table].append({**lineage, "sheet": "csv", "row_number": n, **values})
            file_row["row_count"] = len(rows)
        else:
            if cand.kind == "submission":
                file_row["unit_code"] = self.units.resolve(cand.folder or "")
                if file_row["unit_code"] is None:
                    raise Rejection(
                        cand.rel,
                        "unknown_unit",
                        f"folder '{cand.folder}' names no known unit",
                        expected="a unit code, name or alias from reference/units.csv or aliases.csv",
                    )
            if isinstance(read, Rejection):
                raise read
            assert read is not None, cand.rel
            table = read
            expected_forms = {
                "register": ("register",),
                "published": ("published",),
                "submission": ("form_a", "form_s"),
            }[cand.kind]
            if table.form not in expected_forms:
                raise Rejection(
                    cand.rel,
                    "wrong_form",
                    f"header is that of {FORM_NAMES[table.form]}, which does not belong here",
                    expected=" or ".join(FORM_NAMES[f] for f in expected_forms),
                )
            file_row.update(
                kind=table.form if cand.kind == "submission" else cand.kind,
                sheet=table.sheet,
                filled_date=table.filled_date,
                row_count=len(table.rows),
            )
            self._table_rows(table, lineage, cand)
            for name, index in table.columns.items():
                self.batches["file_columns"].append(
                    {
                        "submission_id": sid,
                        "column_name": name,
                        "header_label": table.labels.get(name),
                        "column_letter": column_letter(index),
                    }
                )
        self.batches["files"].append(file_row)
        self.report.landed += 1
        self.report.rows += file_row["row_count"]

    def _reference_rows(self, cand: Candidate) -> list[tuple[int, dict]]:
        """A reference CSV's rows; any failure to read it sets the file aside."""
        try:
            return self._read_reference(cand)
        except Rejection:
            raise
        except Exception as exc:
            raise Rejection(
                cand.rel,
                "unreadable",
                f"参考表无法读取（{type(exc).__name__}: {str(exc)[:200]}）：请存为 UTF-8 编码的 CSV",
                expected="a UTF-8 CSV file with the contract's columns",
            ) from exc

    def _read_reference(self, cand: Candidate) -> list[tuple[int, dict]]:
        expected = REFERENCE_FILES[cand.path.stem]
        size, limit = cand.path.stat().st_size, FILE_BYTES.value()
        if size > limit:
            raise Rejection(cand.rel, "too_large", f"文件有 {size:,} 字节，超过上限 {limit:,} 字节")
        text = cand.path.read_bytes().decode("utf-8-sig")
        csv.field_size_limit(CELL_CHARS.value())
        reader = csv.reader(io.StringIO(text))
        header = [h.strip() for h in next(reader, [])]
        missing = [c for c in expected if c not in header]
        if missing:
            raise Rejection(
                cand.rel,
                "bad_header",
                f"missing columns {', '.join(missing)}",
                row=1,
                expected=", ".join(expected),
            )
        columns = [*expected, *(c for c in OPTIONAL_COLUMNS.get(cand.path.stem, ()) if c in header)]
        idx = [header.index(c) for c in columns]
        out = []
        max_rows = SHEET_ROWS.value()
        for n, row in enumerate(reader, start=2):
            if n > max_rows:
                raise Rejection(cand.rel, "too_many_rows", f"超过 {max_rows:,} 行", row=n)
            if not any(x.strip() for x in row):
                continue
            row += [""] * (len(header) - len(row))
            out.append(
                (n, {c: (row[i].strip() or None) for c, i in zip(columns, idx, strict=True)})
            )
        return out

    def _table_rows(self, table: Table, lineage: dict, cand: Candidate) -> None:
        names = list(table.columns)
        base = {**lineage, "sheet": table.sheet}
        target = {
            "form_a": "form_a_rows",
            "form_s": "form_s_rows",
            "register": "register_rows",
            "published": "province_figures",
        }[table.form]
        extra: dict[str, object] = {}
        if table.form == "form_a":
            extra = {f"{v}_unit": table.units.get(v) for v in FORM_A_VALUES}
        elif table.form == "form_s":
            extra = {"table_unit": table.table_unit}
        elif table.form == "register":
            extra = {
                "filled_date": table.filled_date,
                "agreed_amount_unit": table.units.get("agreed_amount"),
            }
        elif table.form == "published":
            extra = {"period": cand.period, "ytd_unit": table.units.get("ytd")}
        # one block per file, turned into columns when written (a dict per row costs more
        # than reading the row did)
        block = RowBlock({**base, **extra}, names, table.rows)
        for c in (c for c in KEY_COLUMNS.get(table.form, ()) if c in names):  # else null
            i = names.index(c)
            block.derived[f"{c.removesuffix('_name')}_key"] = [
                norm_label(values[i]) or None for _, values in table.rows
            ]
        self.blocks[target].append(block)
        self.pending_rows += len(table.rows)

    def _reject(self, rej: Rejection, sha: str, cand: Candidate | None = None) -> None:
        period = cand.period if cand and is_period(cand.period) else None
        unit = self.units.resolve(cand.folder) if cand and cand.folder else None
        self.batches["rejected_files"].append(
            {
                "submission_id": submission_id(rej.file, sha),
                "source_file": rej.file,
                "file_sha256": sha,
                "reason": rej.reason,
                "detail": str(rej),
                "expected": rej.expected,
                "loaded_at": self.now,
                "period": period,
                "unit_code": unit,
            }
        )
        self.report.rejected += 1

    # write ------------------------------------------------------------------------------
    def _write_batches(self) -> None:
        """Insert the rows read so far (within the load's transaction) and let them go."""
        for name, rows in self.batches.items():
            if not rows:
                continue
            cols = {
                "files": FILE_COLUMNS,
                "rejected_files": REJECTED_COLUMNS,
                "file_columns": COLUMN_COLUMNS,
            }.get(name) or LINEAGE + ROW_TABLES[name]
            cols = list(dict.fromkeys(cols))
            self._insert(name, pa.Table.from_pylist([{c: r.get(c) for c in cols} for r in rows]))
            self.landed_files |= name == "files"
        for name, blocks in self.blocks.items():
            if blocks:
                cols = list(dict.fromkeys(LINEAGE + ROW_TABLES[name]))
                self._insert(name, pa.table({c: RowBlock.column(blocks, c) for c in cols}))
        self.batches.clear()
        self.blocks.clear()
        self.pending_rows = 0

    def _insert(self, name: str, batch: pa.Table) -> None:
        self.con.register("landing_batch", batch)
        col_list = ", ".join(batch.column_names)
        insert = f"insert into landing.{name} ({col_list}) select {col_list} from landing_batch"  # noqa: S608 (our identifiers)
        self.con.execute(insert)
        self.con.unregister("landing_batch")

    def _finish(self) -> None:
        con = self.con
        # files looked at again in this load: the new verdict replaces the provisional one
        con.execute(
            "delete from landing.rejected_files where reason in (select unnest(?)) "
            "and source_file in (select unnest(?)) and loaded_at < ?",
            [list(RETRIED_REASONS), self.examined, self.now],
        )
        self._write_batches()
        # an earlier version that is back supersedes the one in force, and is current again
        for sid in self.reinstate:
            con.execute(
                "update landing.files set superseded_at = ? where superseded_at is null "
                "and source_file = (select source_file from landing.files where submission_id = ?)",
                [self.now, sid],
            )
            con.execute(
                "update landing.files set superseded_at = null where submission_id = ?", [sid]
            )
            self.report.superseded += 1
        # a changed file supersedes the earlier versions at the same path
        if self.landed_files:
            superseded = con.execute(
                """
                update landing.files as f set superseded_at = ?
                where f.superseded_at is null and f.loaded_at < ?
                  and f.source_file in (select source_file from landing.files where loaded_at = ?)
                returning 1
                """,
                [self.now, self.now, self.now],
            ).fetchall()
            self.report.superseded += len(superseded)


def load_raw(
    con: duckdb.DuckDBPyConnection,
    raw_dir: Path,
    scope: Scope | None = None,
    window: tuple[str, str] | None = None,
) -> LoadReport:
    """Land what is new or changed under ``raw_dir`` (within ``scope``; default everything).

    The rows go to DuckDB through Arrow tables; Arrow's allocator keeps the memory they
    freed for reuse (about 320 MB after a province's full landing), which this process
    would hold while dbt builds in another: it is handed back to the system at the end."""
    try:
        return Loader(con, raw_dir, scope, window).run()
    finally:
        pa.default_memory_pool().release_unused()
