"""Reference data for the Kunming sample: units, aliases, chain schemes, prefectures.

Names and codes follow the glossary (GB/T 2260 codes for counties, stable internal codes
for development zones and parks). Figures that the sources publish are calibration targets
in ``calibration.py``; everything here is structure.
"""

from __future__ import annotations

from dataclasses import dataclass

PROVINCE = ("530000", "云南省")
CITY = ("530100", "昆明市")

# The province publishes one figure per prefecture (16 in Yunnan).
PREFECTURES = [
    ("530100", "昆明市"),
    ("530300", "曲靖市"),
    ("530400", "玉溪市"),
    ("530500", "保山市"),
    ("530600", "昭通市"),
    ("530700", "丽江市"),
    ("530800", "普洱市"),
    ("530900", "临沧市"),
    ("532300", "楚雄彝族自治州"),
    ("532500", "红河哈尼族彝族自治州"),
    ("532600", "文山壮族苗族自治州"),
    ("532800", "西双版纳傣族自治州"),
    ("532900", "大理白族自治州"),
    ("533100", "德宏傣族景颇族自治州"),
    ("533300", "怒江傈僳族自治州"),
    ("533400", "迪庆藏族自治州"),
]


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    unit_type: str  # county | zone | park
    peer_group: str | None
    weight: float  # share of the city's money, before noise
    valid_from: str = "2016-01-01"
    host: str | None = None  # parks only
    aliases: tuple[str, ...] = ()
    in_league: bool = True  # False: listed in the 赛马榜 but not ranked


COUNTIES = [
    Unit("530102", "五华区", "county", "县区", 0.050, aliases=("五华",)),
    Unit("530103", "盘龙区", "county", "县区", 0.045, aliases=("盘龙", "盤龍區")),
    Unit("530111", "官渡区", "county", "县区", 0.070, aliases=("官渡",)),
    Unit("530112", "西山区", "county", "县区", 0.050, aliases=("西山",)),
    Unit("530113", "东川区", "county", "县区", 0.015, aliases=("东川", "東川區")),
    Unit("530114", "呈贡区", "county", "县区", 0.060, aliases=("呈贡", "呈貢區")),
    Unit("530115", "晋宁区", "county", "县区", 0.040, aliases=("晋宁", "晋宁县", "晉寧區")),
    Unit("530124", "富民县", "county", "县区", 0.015, aliases=("富民",)),
    Unit("530125", "宜良县", "county", "县区", 0.030, aliases=("宜良",)),
    Unit("530126", "石林彝族自治县", "county", "县区", 0.020, aliases=("石林县", "石林")),
    Unit("530127", "嵩明县", "county", "县区", 0.035, aliases=("嵩明",)),
    Unit("530128", "禄劝彝族苗族自治县", "county", "县区", 0.015, aliases=("禄劝县", "禄劝")),
    Unit("530129", "寻甸回族彝族自治县", "county", "县区", 0.015, aliases=("寻甸县", "寻甸")),
    Unit("530181", "安宁市", "county", "县区", 0.110, aliases=("安宁",)),
]

ZONES = [
    Unit(
        "530100Z01",
        "昆明经开区",
        "zone",
        "开发区",
        0.110,
        aliases=("昆明经济技术开发区", "中国(云南)自贸试验区昆明片区", "经开区", "昆明經開區"),
    ),
    Unit(
        "530100Z02",
        "昆明高新区",
        "zone",
        "开发区",
        0.080,
        aliases=("昆明高新技术产业开发区", "高新区", "昆明高新區"),
    ),
    Unit(
        "530100Z03", "滇池度假区", "zone", "开发区", 0.040, aliases=("滇池国家旅游度假区", "度假区")
    ),
    Unit(
        "530100Z04",
        "阳宗海风景名胜区",
        "zone",
        "开发区",
        0.028,
        aliases=("阳宗海", "阳宗海管委会", "陽宗海風景名勝區"),
    ),
    Unit(
        "530100Z05",
        "昆明空港经济区",
        "zone",
        "开发区",
        0.045,
        aliases=("滇中新区空港经济区", "空港经济区", "空港"),
    ),
    Unit(
        "530100Z06",
        "磨憨—磨丁经济合作区",
        "zone",
        "开发区",
        0.030,
        valid_from="2022-04-28",
        aliases=("中国老挝磨憨—磨丁经济合作区", "磨憨-磨丁经济合作区", "磨憨"),
        # entrusted to Kunming in 2022 with a cross-border remit of its own: shown, not ranked
        in_league=False,
    ),
]

PARKS = [
    Unit("530181P01", "安宁产业园区", "park", None, 0, host="530181", aliases=("安宁工业园区",)),
    Unit("530114P01", "七甸产业园", "park", None, 0, host="530114", aliases=("七甸工业园区",)),
    Unit(
        "530114P02",
        "云南省数字经济开发区",
        "park",
        None,
        0,
        host="530114",
        aliases=("呈贡信息产业园区", "呈貢信息產業園區"),
    ),
    Unit("530115P01", "晋宁工业园区", "park", None, 0, host="530115", aliases=("晋宁工业园",)),
    Unit(
        "530127P01",
        "嵩明杨林经济技术开发区",
        "park",
        None,
        0,
        host="530127",
        aliases=("杨林经开区", "杨林工业园区"),
    ),
    Unit("530125P01", "宜良工业园区", "park", None, 0, host="530125", aliases=("宜良工业园",)),
    Unit(
        "530126P01", "石林生态工业集中区", "park", None, 0, host="530126", aliases=("石林工业园区",)
    ),
]

REPORTING_UNITS = COUNTIES + ZONES


@dataclass(frozen=True)
class Prefecture:
    """A prefecture whose units report: Kunming as the sources describe it (calibrated to
    the published figures), or a synthetic one for tests and benchmarks of scale."""

    code: str
    name: str
    reporting_units: tuple[Unit, ...]
    parks: tuple[Unit, ...]
    project_prefix: str  # project codes: <prefix><signing year><serial>
    calibrated: bool = False
    aliases: tuple[str, ...] = ()

    @property
    def units(self) -> tuple[Unit, ...]:
        return self.reporting_units + self.parks


KUNMING = Prefecture(
    CITY[0], CITY[1], tuple(REPORTING_UNITS), tuple(PARKS), "KM", calibrated=True, aliases=("昆明",)
)

_PLACE = "东西南北中上下新古明"
_SUFFIX = ("区", "县", "市")


def synthetic_prefecture(code: str, name: str, units: int = 10, parks: int = 1) -> Prefecture:
    """A prefecture of `units` reporting units (about a third of them development zones)
    and `parks` parks, with codes in the GB/T 2260 pattern and names that say they are
    synthetic. Deterministic per code."""
    short = name[:2]
    zones = max(1, units // 3)
    reporting = []
    for i in range(units - zones):
        place = _PLACE[i % len(_PLACE)] + ("" if i < len(_PLACE) else str(i // len(_PLACE)))
        reporting.append(
            Unit(
                f"{code[:4]}{i + 2:02d}",
                f"{short}{place}{_SUFFIX[i % 3]}",
                "county",
                "县区",
                1.0 / units,
            )
        )
    for i in range(zones):
        reporting.append(
            Unit(f"{code}Z{i + 1:02d}", f"{short}第{i + 1}开发区", "zone", "开发区", 1.0 / units)
        )
    hosted = [
        Unit(
            f"{reporting[i].code}P01",
            f"{reporting[i].name}产业园",
            "park",
            None,
            0,
            host=reporting[i].code,
        )
        for i in range(min(parks, len(reporting)))
    ]
    letters = "".join(chr(ord("A") + int(c) % 26) for c in code[2:4])
    return Prefecture(code, name, tuple(reporting), tuple(hosted), f"{letters}{code[2:4]}")


# scheme, code, name, leader (a post, not a person), lead department
CHAINS_KM2022 = [
    ("KM2022-01", "新材料", "市委副书记", "市工业和信息化局"),
    ("KM2022-02", "电子信息", "常务副市长", "市工业和信息化局"),
    ("KM2022-03", "生物医药", "副市长（分管卫生健康）", "市卫生健康委"),
    ("KM2022-04", "先进装备制造", "副市长（分管工业）", "市工业和信息化局"),
    ("KM2022-05", "化工", "副市长（分管应急）", "市工业和信息化局"),
    ("KM2022-06", "冶金", "副市长（分管自然资源）", "市工业和信息化局"),
    ("KM2022-07", "非烟轻工", "副市长（分管商务）", "市商务局"),
    ("KM2022-08", "烟草及配套", "副市长（分管工业）", "市烟草专卖局"),
    ("KM2022-09", "高原特色都市现代农业", "副市长（分管农业）", "市农业农村局"),
]
CHAINS_KM2023 = [
    ("KM2023-01", "绿色食品", "副市长（分管农业）", "市农业农村局"),
    ("KM2023-02", "生物医药", "副市长（分管卫生健康）", "市卫生健康委"),
    ("KM2023-03", "花卉", "副市长（分管林草）", "市林草局"),
    ("KM2023-04", "高端装备及汽车制造", "副市长（分管工业）", "市工业和信息化局"),
    ("KM2023-05", "电子信息制造与数字经济", "常务副市长", "市工业和信息化局"),
    ("KM2023-06", "绿色能源", "副市长（分管发展改革）", "市发展改革委"),
    ("KM2023-07", "新材料", "市委副书记", "市工业和信息化局"),
    ("KM2023-08", "现代物流", "副市长（分管商务）", "市商务局"),
    ("KM2023-99", "其他（N）", "市投资促进局局长", "市投资促进局"),
]
SCHEMES = {
    "KM2022": ("2022-01-01", "2022-12-31", CHAINS_KM2022),
    "KM2023": ("2023-01-01", "", CHAINS_KM2023),
}

# Industries: (GB/T 4754 code, label, KM2022 chain, KM2023 chain). Codes 06-46 are 工业.
# Real estate (70) stays last: the generator draws it separately.
INDUSTRIES = [
    ("3985", "电子元件制造", "KM2022-02", "KM2023-05"),
    ("3311", "有色金属合金制造", "KM2022-06", "KM2023-07"),
    ("2614", "有机化学原料制造", "KM2022-05", "KM2023-07"),
    ("3841", "锂离子电池制造", "KM2022-01", "KM2023-06"),
    ("2720", "化学药品制剂制造", "KM2022-03", "KM2023-02"),
    ("3612", "新能源车整车制造", "KM2022-04", "KM2023-04"),
    ("1391", "食品及饲料添加剂制造", "KM2022-09", "KM2023-01"),
    ("1530", "精制茶加工", "KM2022-07", "KM2023-01"),
    ("1620", "卷烟制造", "KM2022-08", "KM2023-99"),
    ("4415", "太阳能发电", "KM2022-01", "KM2023-06"),
    ("0143", "花卉种植", "KM2022-09", "KM2023-03"),
    ("5810", "多式联运和运输代理", "KM2022-07", "KM2023-08"),
    ("6510", "软件开发", "KM2022-02", "KM2023-05"),
    ("6450", "互联网数据服务", "KM2022-02", "KM2023-05"),
    ("5960", "冷链仓储", "KM2022-09", "KM2023-08"),
    ("0511", "农业专业服务", "KM2022-09", "KM2023-01"),
    ("7291", "总部管理服务", "KM2022-07", "KM2023-99"),
    ("7010", "房地产开发经营", "KM2022-07", "KM2023-99"),
]

OUT_OF_PROVINCE_ORIGINS = [
    "上海市",
    "广东省",
    "北京市",
    "浙江省",
    "江苏省",
    "四川省",
    "福建省",
    "安徽省",
    "山东省",
    "湖南省",
    "重庆市",
]
IN_PROVINCE_ORIGINS = ["曲靖市", "玉溪市", "红河州", "大理州", "楚雄州"]
FOREIGN_ORIGINS = ["香港", "澳门", "新加坡", "泰国", "日本", "德国", "老挝"]


def all_units() -> list[Unit]:
    return REPORTING_UNITS + PARKS


# The 利益分成 scheme for moved projects the sample ships (reference/transfer_sharing.csv;
# Kunming 2022: 市内区域协作流转利益分成共享机制): valid_from, valid_to, the share (%) the unit
# a project came from is credited, for how many years, and the 赛马榜 bonus of both units
TRANSFER_SHARING = [("2022-01-01", "", 30, 2, 2)]

# The 赛马榜 scheme the sample ships (reference/league_scheme.csv): per peer group, the
# indicators (<metric>.<measure>) with their weights, and the size of the 红榜/黑榜.
LEAGUE_SCHEME = [
    (
        "县区",
        [
            ("arrived_out_of_province.completion_rate_pct", "0.30"),
            ("arrived_out_of_province.yoy_growth_pct", "0.20"),
            ("fdi_utilized.completion_rate_pct", "0.15"),
            ("major_projects_signed.ytd", "0.15"),
            ("projects_started.ytd", "0.10"),
            ("top500_enterprises.ytd", "0.10"),
        ],
        3,
    ),
    (
        "开发区",
        [
            ("arrived_out_of_province.completion_rate_pct", "0.25"),
            ("fdi_utilized.completion_rate_pct", "0.25"),
            ("arrived_out_of_province.yoy_growth_pct", "0.15"),
            ("major_projects_signed.ytd", "0.20"),
            ("projects_in_production.ytd", "0.15"),
        ],
        2,
    ),
    (
        "州市",
        [
            ("arrived_out_of_province.yoy_growth_pct", "0.50"),
            ("fdi_utilized.yoy_growth_pct", "0.50"),
        ],
        3,
    ),
]
