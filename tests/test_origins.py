"""投资方来源地 resolved by the libraries (cpca, Babel), as clerks write it; never guessed."""

from __future__ import annotations

import pytest

from orchestration.ingest.origins import Origin, resolve

CASES = [
    # a province-level city: its province, no prefecture
    ("上海", Origin("上海", "CN", "310000", None)),
    ("北京市", Origin("北京市", "CN", "110000", None)),
    ("云南省曲靖市", Origin("云南省曲靖市", "CN", "530000", "530300")),
    # an autonomous prefecture by its usual short name, alone or after its province
    ("红河州", Origin("红河州", "CN", "530000", "532500")),
    ("云南省红河州", Origin("云南省红河州", "CN", "530000", "532500")),
    ("西双版纳州", Origin("西双版纳州", "CN", "530000", "532800")),
    # a county or district: its prefecture
    ("麒麟区", Origin("麒麟区", "CN", "530000", "530300")),
    ("安宁市", Origin("安宁市", "CN", "530000", "530100")),
    ("广东省深圳市", Origin("广东省深圳市", "CN", "440000", "440300")),
    # 港澳台 and other countries: their ISO codes (foreign investment)
    ("香港", Origin("香港", "HK")),
    ("中国香港", Origin("中国香港", "HK")),
    ("澳门", Origin("澳门", "MO")),
    ("台湾", Origin("台湾", "TW")),
    ("新加坡", Origin("新加坡", "SG")),
    ("老挝", Origin("老挝", "LA")),
    # a province alone: the province, no prefecture (R17 cannot tell 省内市外 from 市内)
    ("云南", Origin("云南", "CN", "530000", None)),
    # no place: nothing, never a guess
    ("火星", Origin("火星")),
    ("中国", Origin("中国")),
    ("", Origin("")),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] or "empty" for c in CASES])
def test_an_origin_resolves_as_far_as_the_libraries_take_it(text: str, expected: Origin) -> None:
    assert resolve([text]) == [expected]


def test_many_origins_at_once_keep_their_order_and_repeat() -> None:
    texts = [t for t, _ in CASES] + ["上海", "火星"]
    assert resolve(texts) == [e for _, e in CASES] + [CASES[0][1], Origin("火星")]
