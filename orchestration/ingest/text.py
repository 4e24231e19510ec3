"""Normalising the text clerks type: full-width forms, traditional script, stray spaces.

Only labels (headers, unit names, folder names) are normalised here. Cell values are
landed as typed and converted in dbt staging, so the landing layer stays faithful.
"""

from __future__ import annotations

import re
import unicodedata

from ..seeds import declared_units

# Traditional -> simplified for the characters that occur in form labels, unit and place
# names. Deliberately small: labels only, never free text.
_TRADITIONAL = "產業資實際計區開經總餘億萬圓號項編稱額備註單內簽約與來鏈園報標達長個戶東貢晉寧盤龍陽勝華縣屬務進據審況覽彙匯並轉從門國時間現機權歷當統"
_SIMPLIFIED = "产业资实际计区开经总余亿万圆号项编称额备注单内签约与来链园报标达长个户东贡晋宁盘龙阳胜华县属务进据审况览汇汇并转从门国时间现机权历当统"
_T2S = str.maketrans(_TRADITIONAL, _SIMPLIFIED)

_SPACE = re.compile(r"\s+")


def norm_label(value: object) -> str:
    """A label in canonical form: NFKC (full-width to ASCII), simplified, no spaces, () brackets."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value)).translate(_T2S)
    text = text.replace("【", "(").replace("】", ")").replace("〔", "(").replace("〕", ")")
    return _SPACE.sub("", text)


def cell_text(value: object) -> str | None:
    """A cell as landed text: None for empty, floats without a spurious '.0' kept as typed."""
    if value is None:
        return None
    if isinstance(value, float):
        if value != value:  # NaN
            return None
        return repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    text = str(value).strip()
    return text or None


_DATE = re.compile(r"(\d{4})\s*[年./-]\s*(\d{1,2})\s*[月./-]\s*(\d{1,2})")


def find_date(text: str) -> str | None:
    """'2023年7月5日', '2023-07-05', '2023.7.5' -> '2023-07-05'."""
    m = _DATE.search(unicodedata.normalize("NFKC", text))
    if not m:
        return None
    y, mo, d = (int(g) for g in m.groups())
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return None
    return f"{y:04d}-{mo:02d}-{d:02d}"


# The units an amount may be declared in come from the units_of_measure seed (dbt_project),
# the one list of units, their currencies and factors.
MONEY_UNITS = declared_units("亿元")
USD_UNITS = declared_units("万美元")
# longest first, so that 万美元 is not read as 美元, nor 万元 as 元
_UNIT_TOKEN = re.compile(
    "(" + "|".join(sorted(map(re.escape, MONEY_UNITS + USD_UNITS), key=len, reverse=True)) + ")"
)


def units_in(text: str) -> list[str]:
    """All currency units named in a label, in order: '单位：亿元、万美元' -> ['亿元', '万美元']."""
    return _UNIT_TOKEN.findall(norm_label(text))
