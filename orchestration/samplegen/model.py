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
    KUNMING,
    OUT_OF_PROVINCE_ORIGINS,
    Prefecture,
    Unit,
)

YEARS = (2022, 2023)  # the sample's; a synthetic prefecture may have others
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
# 亿元以上工业项目 signed in H1 2023: 22, agreed 504.33 亿元, 10 of them >= 10 亿元
INDUSTRIAL_SIGNED_H1_2023 = 22
INDUSTRIAL_AGREED_H1_2023 = 50433
INDUSTRIAL_MAJORS_H1_2023 = 10
# The 2022 cohort of 1亿元以上 projects (real estate excluded), as of 2023-06 (项目漏斗):
# 330 signed, 287 landed (86.97 %), 247 started, 75 in production (30.36 % of started)
COHORT_2022 = {"signed": 330, "landed": 287, "started": 247, "in_production": 75}
FUNNEL_AS_OF = date(2023, 6, 30)
# share of projects signed in the year before the first and in each year after (projects of
# the year before still bring money); Kunming's 2022 is heavier (its cohort is counted)
SIGNING_SHARE = {2021: 0.28, 2022: 0.42, 2023: 0.30}
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
    """All projects of one prefecture and their monthly arrivals, deterministic per seed.

    Kunming (the default) is calibrated to the published figures; a synthetic prefecture
    (reference.synthetic_prefecture) gets `projects_per_unit` projects per reporting unit and
    plausible, uncalibrated monthly totals, for tests and benchmarks of scale.
    """

    def __init__(
        self,
        seed: int = 20230630,
        prefecture: Prefecture = KUNMING,
        years: tuple[int, ...] = YEARS,
        projects_per_unit: int | None = None,
    ) -> None:
        self.rng = random.Random(f"{seed}-{prefecture.code}" if not prefecture.calibrated else seed)
        self.prefecture = prefecture
        self.years = years
        self.units = {u.code: u for u in prefecture.reporting_units}
        self.projects_per_unit = projects_per_unit
        self.projects: list[Project] = []
        self.dormant: set[str] = set()
        self._amounts: dict[tuple[str, str], dict[str, tuple[int, int]]] = {}
        self._make_projects()
        if prefecture.calibrated:
            self._make_transfers()
            self._calibrate_h1_2023()
            cohort = self._cohort_2022()
            # the dormant part of the 2022 cohort: no money (and no start) before July 2023
            self.dormant = {
                p.code
                for p in self.rng.sample(cohort, COHORT_2022["signed"] - COHORT_2022["landed"])
            }
        self._index()
        self._allocate_money()
        if prefecture.calibrated:
            self._calibrate_funnel(cohort, self.dormant)

    def _index(self) -> None:
        """Projects by reporting unit and year, and by park, for the per-form views."""
        self.by_unit: dict[tuple[str, int], list[Project]] = defaultdict(list)
        self.by_park: dict[str, list[Project]] = defaultdict(list)
        for p in sorted(self.projects, key=lambda p: p.code):
            for year in self.years:
                self.by_unit[(p.unit_by_year[year], year)].append(p)
            if p.park:
                self.by_park[p.park].append(p)

    # projects -----------------------------------------------------------------
    def _make_projects(self) -> None:
        rng = self.rng
        parks_by_host: dict[str, list[Unit]] = defaultdict(list)
        for p in self.prefecture.parks:
            parks_by_host[p.host].append(p)
        signing = {y: 1.0 for y in range(self.years[0] - 1, self.years[-1] + 1)}
        if self.prefecture.calibrated:
            signing = SIGNING_SHARE
        # 省内市外 money comes from the province's other prefectures (R17: from its own it is 市内)
        in_province = [o for o in IN_PROVINCE_ORIGINS if o[:2] != self.prefecture.name[:2]]
        n = 0
        for unit in self.prefecture.reporting_units:
            count = self.projects_per_unit or round(16 + unit.weight * 640)
            first = max(date(self.years[0] - 1, 1, 1), date.fromisoformat(unit.valid_from))
            years = [y for y in signing if date(y, 12, 31) >= first]
            for _ in range(count):
                n += 1
                year = rng.choices(years, [signing[y] for y in years])[0]
                start = max(first, date(year, 1, 1))
                end = date(year, 12, 20)
                signed = date.fromordinal(start.toordinal() + rng.randrange((end - start).days))
                r = rng.random()
                industrial = rng.random() < 0.45  # 工业 carries about 44 % of the money
                pool = [i for i in INDUSTRIES[:-1] if is_industrial(i[0]) == industrial]
                industry, label, *_ = pool[rng.randrange(len(pool))]
                if r < 0.62:
                    money, origin = "oop", rng.choice(OUT_OF_PROVINCE_ORIGINS)
                elif r < 0.84:
                    money, origin = "inp", rng.choice(in_province)
                elif r < 0.95:
                    money, origin = "fdi", rng.choice(FOREIGN_ORIGINS)
                else:  # real estate: in-province capital only (no 省外产业到位资金, R10)
                    money, origin = "inp", rng.choice(in_province)
                    industry, label = INDUSTRIES[-1][0], INDUSTRIES[-1][1]
                word = rng.choice(_WORDS)
                investor = f"{_origin_short(origin)}{word}{_SUFFIX[industry]}有限公司"
                if money == "fdi":
                    investor = f"{origin}{word}{_SUFFIX[industry]}投资有限公司"
                top500 = ""
                if rng.random() < 0.08:
                    top500 = rng.choice(["世界500强", "中国500强", "民企500强"])
                # agreed amounts from 0.2 亿元; a quarter of projects are 10 亿元 and more
                agreed = max(20, int(rng.lognormvariate(math.log(450), 0.8)))
                agreed = min(agreed, 990)
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
                        code=f"{self.prefecture.project_prefix}{signed.year}{n:04d}",
                        name=f"{word}{label}项目",
                        investor=investor,
                        origin=origin,
                        money=money,
                        top500=top500,
                        industry=industry,
                        unit_by_year=dict.fromkeys(self.years, unit.code),
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

    def _calibrate_h1_2023(self) -> None:
        """Projects signed in H1 2023 (real estate aside): 23 of 10 亿元 and more, of which 10
        industrial; 22 industrial ones of 1 亿元 and more, agreeing 504.33 亿元 together; every
        other industrial one is smaller than 1 亿元."""
        rng = self.rng
        h1 = [
            p
            for p in self.projects
            if date(2023, 1, 1) <= p.signed <= date(2023, 6, 30) and not p.is_real_estate
        ]
        industrial = [p for p in h1 if is_industrial(p.industry)]
        other = [p for p in h1 if not is_industrial(p.industry)]
        big = set(rng.sample(range(len(industrial)), INDUSTRIAL_SIGNED_H1_2023))
        chosen = [p for i, p in enumerate(industrial) if i in big]
        for i, p in enumerate(industrial):
            if i not in big:
                p.agreed_fen = rng.randrange(20, 100)
        small = INDUSTRIAL_SIGNED_H1_2023 - INDUSTRIAL_MAJORS_H1_2023
        small_total = rng.randrange(300 * small, 700 * small)
        smalls = [
            100 + v
            for v in allocate(small_total - 100 * small, [rng.random() for _ in range(small)])
        ]
        majors_total = INDUSTRIAL_AGREED_H1_2023 - small_total
        weights = [rng.uniform(0.6, 1.4) for _ in range(INDUSTRIAL_MAJORS_H1_2023)]
        amounts = [max(1000, v) for v in allocate(majors_total, weights)] + smalls
        amounts[0] += INDUSTRIAL_AGREED_H1_2023 - sum(amounts)
        if not (
            all(1000 <= v < 10000 for v in amounts[:INDUSTRIAL_MAJORS_H1_2023])
            and all(100 <= v < 1000 for v in amounts[INDUSTRIAL_MAJORS_H1_2023:])
        ):
            raise ValueError("H1 2023 industrial amounts do not fit their classes")
        for p, v in zip(chosen, amounts, strict=True):
            p.agreed_fen = v
        majors = set(
            rng.sample(range(len(other)), MAJOR_SIGNED_H1_2023 - INDUSTRIAL_MAJORS_H1_2023)
        )
        for i, p in enumerate(other):
            if i in majors:
                p.agreed_fen = rng.randrange(1000, 6000)
            elif p.agreed_fen >= 1000:
                p.agreed_fen = rng.randrange(100, 999)

    def _cohort_2022(self) -> list[Project]:
        """The 2022 cohort of 1 亿元以上 projects (real estate excluded), exactly as many as
        the bureau counted: the smallest beyond the count become smaller than 1 亿元."""
        cohort = [
            p
            for p in self.projects
            if p.signed.year == 2022 and not p.is_real_estate and p.agreed_fen >= 100
        ]
        if len(cohort) < COHORT_2022["signed"]:
            raise ValueError(f"only {len(cohort)} 1 亿元以上 projects signed in 2022")
        cohort.sort(key=lambda p: (p.agreed_fen, p.code), reverse=True)
        for p in cohort[COHORT_2022["signed"] :]:
            p.agreed_fen = self.rng.randrange(20, 100)
        return sorted(cohort[: COHORT_2022["signed"]], key=lambda p: p.code)

    def _calibrate_funnel(self, cohort: list[Project], dormant: set[str]) -> None:
        """Milestones of the 2022 cohort as of 2023-06-30: 247 started (75 of them in
        production); of the others, 40 have had money (landed) and 43 neither (dormant)."""
        rng = self.rng
        end = FUNNEL_AS_OF
        funded = [
            p for p in cohort if p.code not in dormant and any(k <= "2023-06" for k in p.arrivals)
        ]
        unfunded = [p for p in cohort if p.code not in dormant and p not in funded]
        not_started_landed = COHORT_2022["landed"] - COHORT_2022["started"]
        waiting = set(p.code for p in rng.sample(funded, not_started_landed))
        started = [p for p in cohort if p.code not in dormant and p.code not in waiting]
        if (
            len(started) != COHORT_2022["started"]
            or unfunded
            and any(p.code in waiting for p in unfunded)
        ):
            raise ValueError("the 2022 cohort cannot be calibrated")
        producing = set(p.code for p in rng.sample(started, COHORT_2022["in_production"]))
        for p in cohort:
            if p in started:
                latest = min(end, date.fromordinal(p.signed.toordinal() + 300))
                p.started = date.fromordinal(
                    rng.randrange(p.signed.toordinal() + 20, latest.toordinal() - 10)
                )
                if p.code in producing:
                    p.produced = date.fromordinal(
                        rng.randrange(p.started.toordinal() + 5, end.toordinal())
                    )
                else:
                    p.produced = date.fromordinal(end.toordinal() + rng.randrange(20, 400))
            else:
                p.started = date.fromordinal(end.toordinal() + rng.randrange(10, 300))
                p.produced = None

    # money --------------------------------------------------------------------
    def _month_totals(self) -> dict[tuple[str, str], int]:
        """City total per (class, period), in hundredths, calibrated where published."""
        rng = self.rng
        out: dict[tuple[str, str], int] = {}
        for year in self.years:
            ps = periods(year)
            if self.prefecture.calibrated:
                h1_oop = CITY_H1[(year, "oop")]
                h1_ind = INDUSTRIAL_OOP_H1_2023 if year == 2023 else round(h1_oop * 0.42)
                h1_fdi = CITY_H1[(year, "fdi")]
            else:  # about what a prefecture of this many projects brings in, no calibration
                size = len(self.projects) / 3
                h1_oop = round(size * rng.uniform(60, 90))
                h1_ind = round(h1_oop * 0.42)
                h1_fdi = round(size * rng.uniform(2500, 4500))
            for klass, h1 in (("oop_ind", h1_ind), ("oop_other", h1_oop - h1_ind), ("fdi", h1_fdi)):
                for p, v in zip(ps[:6], allocate(h1, list(MONTH_SHAPE_H1)), strict=True):
                    out[(klass, p)] = v
                per_month = h1 / 6
                for p in ps[6:]:
                    out[(klass, p)] = round(per_month * rng.uniform(0.95, 1.25))
            for p in ps:
                inp = rng.randrange(3500, 6500)
                out[("inp", p)] = inp if self.prefecture.calibrated else round(inp * h1_oop / 60000)
        return out

    def _allocate_money(self) -> None:
        """Spread each month's city total over active projects; 亿元 money never takes a
        project past its agreed amount (rule R05), foreign investment is not capped."""
        rng = self.rng
        totals = self._month_totals()
        received: dict[str, int] = defaultdict(int)
        by_class: dict[str, list[Project]] = defaultdict(list)
        for p in self.projects:
            by_class[p.klass].append(p)
        for (klass, period), total in sorted(totals.items()):
            end = month_end(period)
            year = int(period[:4])
            active = [
                p
                for p in by_class[klass]
                if p.signed <= end
                and (end - p.signed).days < 3 * 365
                and self.units[p.unit_by_year[year]].valid_from <= f"{period}-01"
                and not (p.code in self.dormant and period <= "2023-06")
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
        if unit_code in self.units:
            candidates = self.by_unit.get((unit_code, year), [])
        else:
            candidates = self.by_park.get(unit_code, [])
        rows = []
        for p in candidates:
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
        key = (unit_code, period)
        if key not in self._amounts:
            self._amounts[key] = self._unit_amounts(unit_code, period)
        return self._amounts[key]

    def _unit_amounts(self, unit_code: str, period: str) -> dict[str, tuple[int, int]]:
        out = {m: [0, 0] for m in METRICS}
        for _, vals in self.detail_rows(unit_code, period):
            for m in METRICS:
                out[m][0] += vals[m][0]
                out[m][1] += vals[m][1]
        return {m: (a, b) for m, (a, b) in out.items()}
