"""Command-line options shared by the numbered analysis scripts (--data-dir, --study)."""

from __future__ import annotations

import argparse
from pathlib import Path

from externalize.config import StudyConfig, load_study


def parse(description: str) -> tuple[argparse.Namespace, StudyConfig]:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="folder with the raw releases (else EXTERNALIZE_DATA, data/raw/, ../shared/data)")
    parser.add_argument("--study", type=Path, default=Path(__file__).with_name("study.toml"),
                        help="study config (default analysis/study.toml)")
    args = parser.parse_args()
    return args, load_study(args.study)
