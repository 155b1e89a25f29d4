"""The docs a newcomer reads stay true to the tree: every benchmark is listed and speaks JSON, and every link
between the docs and to the measurements they cite leads somewhere."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DRAWING_HELPERS = {"imagegen.py", "numbergen.py"}  # they draw pictures for the benchmarks; they measure nothing


def _readme_benchmarks() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text[text.index("## Benchmarks"):]


def test_every_benchmark_is_listed_in_readme_and_prints_json():
    listed = _readme_benchmarks()
    for script in sorted((ROOT / "benchmarks").glob("*.py")):
        if script.name in DRAWING_HELPERS:
            continue
        assert script.name in listed, f"README's Benchmarks section does not list {script.name}"
        assert '"--json"' in script.read_text(encoding="utf-8"), f"{script.name} has no --json"


def test_every_listed_benchmark_exists():
    for name in re.findall(r"benchmarks/([a-z_]+\.py)", _readme_benchmarks()):
        assert (ROOT / "benchmarks" / name).exists(), name


def _anchors(doc: Path) -> set[str]:
    """GitHub's anchors for a Markdown file's headings."""
    headings = re.findall(r"^#+ (.+)$", doc.read_text(encoding="utf-8"), re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}


def test_links_in_the_docs_lead_somewhere():
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target, anchor in re.findall(r"\]\(([^)#\s]*)(?:#([^)\s]*))?\)", doc.read_text(encoding="utf-8")):
            if target.startswith(("http://", "https://")):
                continue
            path = doc.parent / target if target else doc
            assert path.exists(), f"{doc.name} links to {target}, which does not exist"
            if anchor and path.suffix == ".md":
                assert anchor in _anchors(path), f"{doc.name} links to {target}#{anchor}: no such heading"


def test_every_measurement_kept_is_cited_by_a_doc():
    docs = "".join(p.read_text(encoding="utf-8") for p in [ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
    for raw in sorted((ROOT / "docs" / "measurements").glob("*.json")):
        assert f"measurements/{raw.name}" in docs, f"no doc cites docs/measurements/{raw.name}"
