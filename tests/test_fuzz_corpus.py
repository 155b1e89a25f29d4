"""A fast run of the image fuzzer (benchmarks/fuzz_images.py runs 10,000 cases): zero unexpected exceptions."""

import json
import subprocess
import sys
from pathlib import Path

FUZZER = Path(__file__).resolve().parent.parent / "benchmarks" / "fuzz_images.py"


def test_fuzzed_images_raise_only_expected_errors():
    out = subprocess.run([sys.executable, str(FUZZER), "--cases", "400", "--json"], capture_output=True, text=True,
                         timeout=300)
    stats = json.loads(out.stdout.strip().splitlines()[-1])
    assert stats["cases"] >= 400
    assert stats["unexpected"] == 0, out.stderr[-3000:]
    assert stats["image"] > 0 and stats["refused"] > 0  # both paths were exercised
