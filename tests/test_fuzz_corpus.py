"""Fast runs of the fuzzers (benchmarks/fuzz_images.py runs 10,000 cases, fuzz_numbers.py 1,000 scenes): zero
unexpected exceptions."""

import json
import subprocess
import sys
from pathlib import Path

FUZZER = Path(__file__).resolve().parent.parent / "benchmarks" / "fuzz_images.py"
SCENES = FUZZER.with_name("fuzz_numbers.py")


def test_fuzzed_images_raise_only_expected_errors():
    out = subprocess.run([sys.executable, str(FUZZER), "--cases", "400", "--json"], capture_output=True, text=True,
                         timeout=300, check=False)
    stats = json.loads(out.stdout.strip().splitlines()[-1])
    assert stats["cases"] >= 400
    assert stats["unexpected"] == 0, out.stderr[-3000:]
    assert stats["image"] > 0 and stats["refused"] > 0  # both paths were exercised


def test_random_scenes_raise_only_expected_errors_in_the_number_reader():
    # Big boxes and lines reach the number reader's cut paths with windows over 127 columns: the first 40 scenes
    # held one that crashed it (an int8 column overflowing) before 6d829d7.
    out = subprocess.run([sys.executable, str(SCENES), "--cases", "40", "--json"], capture_output=True, text=True,
                         timeout=300, check=False)
    stats = json.loads(out.stdout.strip().splitlines()[-1])
    assert stats["cases"] == 40
    assert stats["unexpected"] == 0, out.stderr[-3000:]
    assert stats["read"] > 0 and stats["no_ink"] > 0  # both outcomes were exercised
