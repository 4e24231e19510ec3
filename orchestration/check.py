"""``zhaoshang check PATH``: a clerk checks a file before sending it.

The same parser and the same rules as the warehouse, on a throwaway copy: the reference
data and register of the raw tree the file lies in (``…/submissions/YYYY-MM/<unit>/``, next
to ``reference/``), or of ``ZS_RAW_DIR`` for a file outside such a tree; the unit's earlier months of the year (so that YTD
figures can be chained), and the file or folder being checked. Then dbt builds the
rules one submission can be checked against (meta ``checkable_alone`` in the rule's YAML:
R01-R04 today; with ``needs_forms``, only when the submission carries those forms: R02) and
what they read (``+rNN`` in dbt's selection syntax), and each problem is printed in Chinese with file,
sheet, row and column. Exit status 1 when there is an error, 2 when the path cannot be
checked (missing, a symbolic link).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from .config import DBT_PROJECT_DIR, settings
from .ingest.landing import HIDDEN_PREFIXES, UnitResolver, load_raw
from .ingest.parallel import read_tables
from .ingest.reading import SPREADSHEET_SUFFIXES, Rejection
from .periods import is_period


@dataclass
class Problem:
    severity: str
    where: str
    message: str

    def __str__(self) -> str:
        label = "错误" if self.severity == "error" else "提醒"
        return f"[{label}] {self.where}：{self.message}"


def _locate(path: Path, period: str | None, unit: str | None) -> tuple[str, str]:
    """Period and unit folder from the path (…/submissions/YYYY-MM/<unit>/file) or options."""
    parts = path.resolve().parts
    folder = path.resolve().parent if path.is_file() else path.resolve()
    if period is None and is_period(folder.parent.name):
        period = folder.parent.name
    if unit is None and is_period(folder.parent.name):
        unit = folder.name
    if period is None or unit is None:
        raise SystemExit(
            f"无法从路径判断报送月份和单位：{'/'.join(parts[-3:])}。请用 --period YYYY-MM 和 --unit 单位名称 指定。"
        )
    return period, unit


def raw_tree_of(path: Path) -> Path | None:
    """The raw tree a file or unit folder lies in: ``<tree>/submissions/YYYY-MM/<unit>/``,
    with the contract's ``reference/`` beside ``submissions/``; None outside such a tree."""
    folder = path.resolve().parent if path.is_file() else path.resolve()
    submissions = folder.parent.parent
    if is_period(folder.parent.name) and submissions.name == "submissions":
        if (submissions.parent / "reference").is_dir():
            return submissions.parent
    return None


def check(path: Path, period: str | None = None, unit: str | None = None, out=sys.stdout) -> int:
    """Check a file or a folder of files; print the problems; 0 if no error, 1 if there is
    one, 2 when the path cannot be checked at all (missing, a symbolic link). What the run
    refuses is refused here too: symbolic links are not followed, hidden and temporary
    files are not read, and files are read in worker processes (a file that kills its
    reader is reported, not fatal)."""
    if path.is_symlink():
        print(f"{path}：是符号链接，不予读取（运行时同样拒收）。请检查文件本身。", file=out)
        return 2
    if not path.exists():
        print(f"{path}：文件或文件夹不存在。", file=out)
        return 2
    raw_dir = raw_tree_of(path) or settings().raw_dir
    entries = [path] if not path.is_dir() else sorted(path.iterdir())
    problems: list[Problem] = []
    files: list[Path] = []
    for f in entries:
        if f.name.startswith(HIDDEN_PREFIXES):
            problems.append(Problem("warning", f.name, "隐藏文件或临时文件，未检查，也不会被读取"))
        elif f.is_symlink() or not f.is_file():
            problems.append(Problem("error", f.name, "符号链接或不是普通文件：不予读取"))
        else:
            files.append(f)
    if not files:
        for p in problems:
            print(p, file=out)
        print(f"{path}：没有可检查的文件", file=out)
        return 1
    period, unit_folder = _locate(path, period, unit)
    units = UnitResolver(raw_dir)
    unit_code = units.resolve(unit_folder)
    # the parser alone first: it names the file, sheet, row and column
    sheets = [f for f in files if f.suffix.lower() in SPREADSHEET_SUFFIXES]
    problems += [
        Problem("error", f.name, f"不是 .xlsx、.xls 或 .csv 文件（{f.suffix}）")
        for f in files
        if f not in sheets
    ]
    for result in read_tables([(f, f.name) for f in sheets]):
        if isinstance(result, Rejection):
            problems.append(Problem("error", result.file, result.detail))
    if unit_code is None:
        problems.append(
            Problem(
                "error", unit_folder, "不是已知的报送单位或园区名称（见 reference/aliases.csv）"
            )
        )
    if not any(p.severity == "error" for p in problems):
        problems += _run_rules(raw_dir, units, files, period, unit_folder, unit_code)
    print(f"对照：{raw_dir}（单位名单、项目库与本单位之前的月份）", file=out)
    for p in problems:
        print(p, file=out)
    errors = sum(p.severity == "error" for p in problems)
    print(
        f"\n检查完成：{len(files)} 个文件，{errors} 个错误，{len(problems) - errors} 个提醒。"
        + ("可以报送。" if not errors else "请修改后再报送。"),
        file=out,
    )
    return 1 if errors else 0


def _run_rules(
    raw_dir: Path,
    units: UnitResolver,
    files: list[Path],
    period: str,
    unit_folder: str,
    unit_code: str,
) -> list[Problem]:
    from expectations.catalogue import load_rules

    with tempfile.TemporaryDirectory(prefix="zhaoshang-check-") as tmp:
        work = Path(tmp)
        raw = work / "raw"
        for sub in ("reference", "register"):
            if (raw_dir / sub).exists():
                shutil.copytree(raw_dir / sub, raw / sub)
        # the unit's earlier months of the year, as the bureau holds them, for R03/R04
        for earlier in sorted((raw_dir / "submissions").glob(f"{period[:4]}-*")):
            if earlier.name >= period:
                continue
            for candidate in earlier.iterdir():
                if units.resolve(candidate.name) == unit_code:
                    shutil.copytree(candidate, raw / "submissions" / earlier.name / candidate.name)
        target = raw / "submissions" / period / unit_folder
        target.mkdir(parents=True, exist_ok=True)
        for f in files:
            shutil.copy2(f, target / f.name)
        db = work / "data" / "build" / "warehouse.duckdb"
        db.parent.mkdir(parents=True)
        with duckdb.connect(str(db)) as con:
            # a clerk may check a month's form before the month has ended
            load_raw(con, raw, window=("0000-01", "9999-12"))
            rejected = con.execute(
                "select source_file, detail from landing.rejected_files"
            ).fetchall()
            forms = {
                r[0]
                for r in con.execute(
                    "select kind from landing.files where period = ?", [period]
                ).fetchall()
            }
        problems = [Problem("error", src, detail) for src, detail in rejected]
        # the rules whose meta says one submission can be checked against them
        wanted = [r for r in load_rules() if r.checkable_alone and set(r.needs_forms) <= forms]
        _dbt_build(work, [r.model for r in wanted])
        prefix = f"submissions/{period}/{unit_folder}/"
        with duckdb.connect(str(db), read_only=True) as con:
            for rule in wanted:
                rows = con.execute(
                    f"select detail from {rule.relation} where is_failure and source_file like ? "  # noqa: S608 (rule relations are ours)
                    "order by detail",
                    [prefix + "%"],
                ).fetchall()
                problems += [Problem(rule.severity, rule.rule_id, detail) for (detail,) in rows]
    return problems


def _dbt_build(work: Path, models: list[str]) -> None:
    """Build the rule models asked for and everything upstream of them (dbt selects it:
    ``+model``), into the throwaway warehouse. dbt runs in its own process, as in the
    pipeline: dbt-duckdb keeps its connection for the process's life."""
    from .dbt_setup import dbt_env, dbt_executable, dbt_vars

    env = {**os.environ, **dbt_env(), "ZS_DATA_DIR": str(work / "data")}
    result = subprocess.run(
        [
            dbt_executable(),
            "--quiet",
            "build",
            "--resource-type",
            "seed",
            "--resource-type",
            "model",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(work / "target"),
            "--log-path",
            str(work / "logs"),
            "--vars",
            json.dumps(dbt_vars()),
            "--select",
            *[f"+{m}" for m in models],
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"the check could not build its models:\n{result.stdout[-2000:]}")
