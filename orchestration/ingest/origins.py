"""Where an investor comes from: the register's 投资方来源地, as a clerk writes it (``上海``,
``云南省曲靖市``, ``红河州``, ``香港``, ``新加坡``), resolved to a place by maintained
libraries, never by a hand-written list, and never guessed (R17 checks the category money
sits under against the place; R18 names what did not resolve).

- countries and regions: Babel's CLDR territory names in Chinese (``新加坡`` SG, ``中国香港特别
  行政区`` or ``香港`` HK, ``台湾`` TW);
- China's provinces and prefectures: cpca's matcher and its GB/T 2260 codes (``云南省曲靖市``
  530000 / 530300; a province-level city such as ``上海`` has no prefecture);
- an autonomous prefecture by its usual short name (``红河州`` for 红河哈尼族彝族自治州): the
  one prefecture of cpca's table whose name starts with the name before 州 and ends in 自治州
  (within the province, when the text names one).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

CHINA = "CN"
# the regions Chinese statistics count with foreign investment (港澳台)
CPCA_REGIONS = {"香港特别行政区": "HK", "澳门特别行政区": "MO", "台湾省": "TW"}


@dataclass(frozen=True)
class Origin:
    """A resolved origin: the country or region (ISO 3166 alpha-2), and for China the
    province's and prefecture's GB/T 2260 codes as far as the text says them."""

    text: str
    country_code: str | None = None
    province_code: str | None = None
    prefecture_code: str | None = None


@cache
def _territories() -> dict[str, str]:
    """Chinese name -> ISO code, for every country and region CLDR names (and the short
    forms of the special administrative regions: 香港, 香港特别行政区)."""
    from babel import Locale

    out: dict[str, str] = {}
    for code, name in Locale("zh").territories.items():
        if not re.fullmatch("[A-Z]{2}", code) or code in ("ZZ", "XA", "XB"):
            continue
        short = name.removeprefix("中国") if code != CHINA else name
        for form in (name, short, short.removesuffix("特别行政区")):
            out.setdefault(form, code)
    return out


@cache
def _autonomous_prefectures() -> tuple[tuple[str, str], ...]:
    """(name, adcode) of every 自治州 in cpca's table of divisions."""
    text = resources.files("cpca.resources").joinpath("adcodes.csv").read_text("utf-8")
    return tuple(
        (row["name"], row["adcode"][:6])
        for row in csv.DictReader(io.StringIO(text))
        if row["name"].endswith("自治州")
    )


def _short_prefecture(rest: str, province_code: str | None) -> str | None:
    """The adcode of the autonomous prefecture ``rest`` (``红河州``) shortens, if exactly one."""
    if len(rest) < 2 or not rest.endswith("州"):
        return None
    stem = rest[:-1]
    found = {
        code
        for name, code in _autonomous_prefectures()
        if name.startswith(stem) and (province_code is None or code[:2] == province_code[:2])
    }
    return found.pop() if len(found) == 1 else None


def _code(value: object) -> str | None:
    text = "" if value is None else str(value)
    digits = text.split(".")[0]
    return digits[:6] if digits.isdigit() else None


def resolve(texts: list[str]) -> list[Origin]:
    """Each origin text resolved as far as the libraries take it (an Origin with no country
    when nothing resolves it)."""
    names = _territories()
    out: dict[str, Origin] = {}
    domestic: dict[str, str] = {}  # text -> without spaces
    for text in dict.fromkeys(texts):
        clean = re.sub(r"\s+", "", text or "")
        code = names.get(clean)
        if not clean:
            out[text] = Origin(text)
        elif code and code != CHINA:
            out[text] = Origin(text, code)
        else:
            domestic[text] = clean
    if domestic:
        import cpca

        table = cpca.transform(list(domestic.values()))
        for (text, clean), (_, row) in zip(domestic.items(), table.iterrows(), strict=True):
            out[text] = _domestic(text, clean, row)
    return [out[t] for t in texts]


def _domestic(text: str, clean: str, row: pd.Series) -> Origin:
    province_name = row["省"] if isinstance(row["省"], str) else None
    adcode = _code(row["adcode"])
    if province_name in CPCA_REGIONS:
        return Origin(text, CPCA_REGIONS[province_name])
    province = f"{adcode[:2]}0000" if adcode and province_name else None
    prefecture = f"{adcode[:4]}00" if adcode and isinstance(row["市"], str) else None
    if prefecture is None:
        rest = clean
        if province_name:
            for form in (province_name, province_name.removesuffix("省")):
                rest = rest.removeprefix(form)
        short = _short_prefecture(rest, province)
        if short:
            province, prefecture = f"{short[:2]}0000", f"{short[:4]}00"
    if province is None:
        return Origin(text)
    return Origin(text, CHINA, province, prefecture)
