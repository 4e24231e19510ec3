"""The sample's numbers: projects, their monthly arrivals, and the calibration.

Money is kept in integer hundredths of the canonical unit (0.01 亿元, 0.01 万美元), so
every total the sources publish is hit exactly and every derived form (detail, summary,
city, province) adds up to the cent. Month totals are spread over the projects active in
that month with the largest-remainder method, which keeps the sum exact.
"""

from __future__ import annotations

import calendar
import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from .reference import (
    FOREIGN_ORIGINS,
    IN_PROVINCE_ORIGINS,
    INDUSTRIES,
    OUT_OF_PROVINCE_ORIGINS,
    PARKS,
    REPORTING_UNITS,
    Unit,
)

YEARS = (2022, 2023)
METRICS = ("oop", "inp", "fdi")  # 省外产业到位资金, 省内市外到位资金, 实际利用外资

# Calibration targets from ../shared/domain/published-figures.csv, in hundredths.
CITY_H1 = {
    (2023, "oop"): 64666,  # 646.66 亿元, +19.37 % on H1 2022
    (2022, "oop"): 54173,  # 646.66 / 1.1937 = 541.73 亿元
    (2023, "fdi"): 3200000,  # 32000 万美元 (3.2 亿美元), +91.9 %
    (2022, "fdi"): 1667536,  # 32000 / 1.919 = 16675.36 万美元
}
INDUSTRIAL_OOP_H1_2023 = 28613  # 工业项目 286.13 亿元
MAJOR_SIGNED_H1_2023 = 23  # 10亿元以上重大项目, real estate excluded
# 2021 full-year bases per unit (市外到位资金 = 省外 + 省内市外; 外资), hundredths
BASES_2021 = {"530100Z01": (18000, 1400000), "530100Z04": (5084, 603862)}
# 2022 targets the sources give: city 市外 2300 亿元; 阳宗海 市外 55 亿元, 外资 2000 万美元
CITY_TARGET_2022_OUT_OF_CITY = 230000
UNIT_TARGETS_2022 = {"530100Z04": {"oop": 4000, "inp": 1500, "fdi": 200000}}

MONTH_SHAPE_H1 = (0.12, 0.13, 0.17, 0.18, 0.19, 0.21)


def is_industrial(industry_code: str) -> bool:
    """工业 = GB/T 4754 sections B, C, D: two-digit codes 06 to 46."""
    return 6 <= int(industry_code[:2]) <= 46


@dataclass
class Project:
    code: str
    name: str
    investor: str
    origin: str
    money: str  # oop | inp | fdi
    top500: str
    industry: str
    unit_by_year: dict[int, str]
    park: str | None
    agreed_fen: int
    signed: date
    started: date | None = None
    produced: date | None = None
    transferred_from: str | None = None
    transferred_on: date | None = None
    arrivals: dict[str, int] = field(default_factory=dict)  # period -> hundredths

    @property
    def is_real_estate(self) -> bool:
        return self.industry.startswith("70")

    @property
    def klass(self) -> str:
        if self.money == "oop":
            return "oop_ind" if is_industrial(self.industry) else "oop_other"
        return self.money


def periods(year: int) -> list[str]:
    return [f"{year}-{m:02d}" for m in range(1, 13)]


def month_end(period: str) -> date:
    y, m = map(int, period.split("-"))
    return date(y, m, calendar.monthrange(y, m)[1])


def allocate(total: int, weights: list[float]) -> list[int]:
    """Split an integer total in proportion to weights; the parts sum to the total exactly."""
    s = sum(weights)
    if total == 0 or s <= 0:
        return [0] * len(weights)
    raw = [total * w / s for w in weights]
    parts = [math.floor(x) for x in raw]
    rest = total - sum(parts)
    order = sorted(range(len(raw)), key=lambda i: (raw[i] - parts[i], -i), reverse=True)
    for i in order[:rest]:
        parts[i] += 1
    return parts


def allocate_capped(total: int, weights: list[float], caps: list[int | None]) -> list[int]:
    """Like ``allocate``, but no part exceeds its cap (None: no cap); what a capped part
    cannot take goes to the others in proportion. The parts still sum to the total."""
    parts = [0] * len(weights)
    open_ = [i for i, w in enumerate(weights) if w > 0 and (caps[i] is None or caps[i] > 0)]
    remaining = total
    while remaining and open_:
        share = allocate(remaining, [weights[i] for i in open_])
        remaining = 0
        still_open = []
        for i, v in zip(open_, share, strict=True):
            room = None if caps[i] is None else caps[i] - parts[i]
            take = v if room is None else min(v, room)
            parts[i] += take
            remaining += v - take
            if room is None or parts[i] < caps[i]:
                still_open.append(i)
        open_ = still_open
    if remaining:
        raise ValueError(f"cannot place {remaining} within the caps")
    return parts


_WORDS = [
    "华晟",
    "宏远",
    "云图",
    "瑞丰",
    "天合",
    "金鼎",
    "博源",
    "中鑫",
    "恒川",
    "嘉禾",
    "融信",
    "星联",
]
_SUFFIX = {
    "3985": "电子科技",
    "3311": "新材料",
    "2614": "化工",
    "3841": "新能源",
    "2720": "生物医药",
    "3612": "汽车",
    "1391": "食品",
    "1530": "茶业",
    "1620": "烟草配套",
    "4415": "光伏能源",
    "0143": "花卉",
    "5810": "供应链",
    "6510": "软件",
    "6450": "数据科技",
    "5960": "冷链物流",
    "0511": "农业科技",
    "7291": "企业管理",
    "7010": "置业",
}


def _origin_short(origin: str) -> str:
    return origin.removesuffix("市").removesuffix("省").removesuffix("州")


class SampleModel:
    """All projects and their monthly arrivals for 2022 and 2023, deterministic per seed."""

    def __init__(self, seed: int = 20230630) -> None:
        self.rng = random.Random(seed)
        self.units = {u.code: u for u in REPORTING_UNITS}
        self.projects: list[Project] = []
        self._make_projects()
        self._make_transfers()
        self._calibrate_majors()
        self._allocate_money()

    # projects -----------------------------------------------------------------
    def _make_projects(self) -> None:
        rng = self.rng
        parks_by_host: dict[str, list[Unit]] = defaultdict(list)
        for p in PARKS:
            parks_by_host[p.host].append(p)
        n = 0
        for unit in REPORTING_UNITS:
            count = round(10 + unit.weight * 380)
            first = date(2022, 5, 1) if unit.valid_from > "2022" else date(2021, 1, 1)
            span = (date(2023, 12, 20) - first).days
            for _ in range(count):
                n += 1
                signed = date.fromordinal(first.toordinal() + rng.randrange(span))
                r = rng.random()
                industrial = rng.random() < 0.45  # 工业 carries about 44 % of the money
                pool = [i for i in INDUSTRIES[:-1] if is_industrial(i[0]) == industrial]
                industry, label, *_ = pool[rng.randrange(len(pool))]
                if r < 0.62:
                    money, origin = "oop", rng.choice(OUT_OF_PROVINCE_ORIGINS)
                elif r < 0.84:
                    money, origin = "inp", rng.choice(IN_PROVINCE_ORIGINS)
                elif r < 0.95:
                    money, origin = "fdi", rng.choice(FOREIGN_ORIGINS)
                else:  # real estate: in-province capital only (no 省外产业到位资金, R10)
                    money, origin = "inp", rng.choice(IN_PROVINCE_ORIGINS)
                    industry, label = INDUSTRIES[-1][0], INDUSTRIES[-1][1]
                word = rng.choice(_WORDS)
                investor = f"{_origin_short(origin)}{word}{_SUFFIX[industry]}有限公司"
                if money == "fdi":
                    investor = f"{origin}{word}{_SUFFIX[industry]}投资有限公司"
                top500 = ""
                if rng.random() < 0.08:
                    top500 = rng.choice(["世界500强", "中国500强", "民企500强"])
                agreed = max(100, int(rng.lognormvariate(math.log(700), 0.6)))
                agreed = min(agreed, 990)  # < 10 亿元; majors are set apart below
                if rng.random() < 0.25:
                    agreed = rng.randrange(1000, 10000)
                park = None
                if parks_by_host.get(unit.code) and rng.random() < 0.5:
                    park = rng.choice(parks_by_host[unit.code]).code
                started = produced = None
                if rng.random() < 0.8:
                    started = date.fromordinal(signed.toordinal() + rng.randrange(45, 240))
                    if rng.random() < 0.55:
                        produced = date.fromordinal(started.toordinal() + rng.randrange(120, 540))
                self.projects.append(
                    Project(
                        code=f"KM{signed.year}{n:04d}",
                        name=f"{word}{label}项目",
                        investor=investor,
                        origin=origin,
                        money=money,
                        top500=top500,
                        industry=industry,
                        unit_by_year={2022: unit.code, 2023: unit.code},
                        park=park,
                        agreed_fen=agreed,
                        signed=signed,
                        started=started,
                        produced=produced,
                    )
                )

    def _make_transfers(self) -> None:
        """Two projects move to another reporting unit on 2023-01-01 (项目流转)."""
        moves = [("530111", "530100Z01"), ("530112", "530100Z03")]
        for old, new in moves:
            candidates = [
                p
                for p in self.projects
                if p.unit_by_year[2022] == old and p.signed.year == 2021 and p.park is None
            ]
            p = candidates[0]
            p.unit_by_year[2023] = new
            p.transferred_from = old
            p.transferred_on = date(2023, 1, 1)

    def _calibrate_majors(self) -> None:
        h1 = [
            p
            for p in self.projects
            if date(2023, 1, 1) <= p.signed <= date(2023, 6, 30) and not p.is_real_estate
        ]
        majors = set(self.rng.sample(range(len(h1)), MAJOR_SIGNED_H1_2023))
        for i, p in enumerate(h1):
            if i in majors:
                p.agreed_fen = self.rng.randrange(1000, 6000)
            elif p.agreed_fen >= 1000:
                p.agreed_fen = self.rng.randrange(100, 999)

    # money --------------------------------------------------------------------
    def _month_totals(self) -> dict[tuple[str, str], int]:
        """City total per (class, period), in hundredths, calibrated where published."""
        rng = self.rng
        out: dict[tuple[str, str], int] = {}
        for year in YEARS:
            ps = periods(year)
            h1_oop = CITY_H1[(year, "oop")]
            h1_ind = INDUSTRIAL_OOP_H1_2023 if year == 2023 else round(h1_oop * 0.42)
            for klass, h1 in (
                ("oop_ind", h1_ind),
                ("oop_other", h1_oop - h1_ind),
                ("fdi", CITY_H1[(year, "fdi")]),
            ):
                for p, v in zip(ps[:6], allocate(h1, list(MONTH_SHAPE_H1)), strict=True):
                    out[(klass, p)] = v
                per_month = h1 / 6
                for p in ps[6:]:
                    out[(klass, p)] = round(per_month * rng.uniform(0.95, 1.25))
            for p in ps:
                out[("inp", p)] = rng.randrange(3500, 6500)
        return out

    def _allocate_money(self) -> None:
        """Spread each month's city total over active projects; 亿元 money never takes a
        project past its agreed amount (rule R05), foreign investment is not capped."""
        rng = self.rng
        totals = self._month_totals()
        received: dict[str, int] = defaultdict(int)
        for (klass, period), total in sorted(totals.items()):
            end = month_end(period)
            year = int(period[:4])
            active = [
                p
                for p in self.projects
                if p.klass == klass
                and p.signed <= end
                and (end - p.signed).days < 3 * 365
                and self.units[p.unit_by_year[year]].valid_from <= f"{period}-01"
            ]
            sampled = [p for p in active if rng.random() < 0.75]
            noise = {p.code: rng.lognormvariate(0, 0.4) for p in active}
            for cands in (sampled, active):  # all active projects if the sample has no room
                try:
                    parts = self._spread(klass, year, total, cands, received, noise)
                    break
                except ValueError:
                    continue
            else:
                raise ValueError(
                    f"{klass} {period}: {total} does not fit the projects' agreed amounts"
                )
            for p, v in zip(cands, parts, strict=True):
                if v:
                    p.arrivals[period] = v
                    received[p.code] += v

    def _spread(
        self,
        klass: str,
        year: int,
        total: int,
        cands: list[Project],
        received: dict[str, int],
        noise: dict[str, float],
    ) -> list[int]:
        """A month's total over candidates: by unit weight, then by room left under the
        agreed amount (亿元 money) or agreed amount (foreign investment)."""
        room = {
            p.code: p.agreed_fen if klass == "fdi" else p.agreed_fen - received[p.code]
            for p in cands
        }
        room_by_unit: dict[str, int] = defaultdict(int)
        for p in cands:
            room_by_unit[p.unit_by_year[year]] += max(room[p.code], 0)
        weights = [
            self.units[p.unit_by_year[year]].weight
            * max(room[p.code], 0)
            / max(room_by_unit[p.unit_by_year[year]], 1)
            * noise[p.code]
            for p in cands
        ]
        caps = [None if klass == "fdi" else room[p.code] for p in cands]
        return allocate_capped(total, weights, caps)

    # views ----------------------------------------------------------------------
    def ytd(self, p: Project, period: str) -> int:
        year = period[:4]
        return sum(v for k, v in p.arrivals.items() if k[:4] == year and k <= period)

    def detail_rows(self, unit_code: str, period: str) -> list[tuple[Project, dict]]:
        """Form A rows of a reporting unit or park: projects with money this year."""
        year = int(period[:4])
        unit_is_park = unit_code not in self.units
        rows = []
        for p in sorted(self.projects, key=lambda p: p.code):
            if unit_is_park:
                if p.park != unit_code:
                    continue
            elif p.unit_by_year[year] != unit_code:
                continue
            ytd = self.ytd(p, period)
            if ytd == 0:
                continue
            month = p.arrivals.get(period, 0)
            vals = {m: (0, 0) for m in METRICS}
            vals[p.money] = (month, ytd)
            rows.append((p, vals))
        return rows

    def unit_amounts(self, unit_code: str, period: str) -> dict[str, tuple[int, int]]:
        """Sum of a unit's form A, per metric: (month, ytd)."""
        out = {m: [0, 0] for m in METRICS}
        for _, vals in self.detail_rows(unit_code, period):
            for m in METRICS:
                out[m][0] += vals[m][0]
                out[m][1] += vals[m][1]
        return {m: (a, b) for m, (a, b) in out.items()}
