"""The sample is reproducible: the seeded generator writes exactly what raw/ holds."""

from __future__ import annotations

import hashlib
from pathlib import Path

from orchestration.samplegen import generate
from orchestration.samplegen.model import SampleModel
from orchestration.samplegen.write import summary

from .conftest import SAMPLE


def _hashes(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_generator_reproduces_the_committed_sample(tmp_path: Path) -> None:
    generate(tmp_path / "raw")
    assert _hashes(tmp_path / "raw") == _hashes(SAMPLE)


def test_the_model_is_calibrated_to_the_published_figures() -> None:
    assert summary(SampleModel()) == {"oop_2023_06": 646.66, "industrial_2023_06": 286.13}
