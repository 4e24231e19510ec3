"""The sample is reproducible: the seeded generator writes exactly what raw/ holds."""

from __future__ import annotations

import hashlib
from pathlib import Path

from orchestration.samplegen import generate

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
