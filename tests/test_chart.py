"""Roofline charts (SVG written by hand): the seed's parses as XML, holds both roofs, the prefill and decode
operating points, and a point per judged latency or throughput claim; a claim above the roof is drawn above it.

Hand arithmetic, seed spec, scenario "original" (TP 2 x PP 4, 400 TFLOP/s and 1.8 TB/s per device): the ridge
point is 400e12 / 1.8e12 = 222 FLOP/B; a lone 10,240-token prefill does 603.2e12 FLOP / 8 devices over the
29.39 GB a device reads = 2,565 FLOP/B, right of the ridge (compute-bound); TTFT 0.06 s against its floor
0.754 s needs 12.6x the compute roof.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from audit.cli import main
from audit.output import chart
from audit.pipeline import Auditor

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "reports" / "qwen3-235b"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def seed():
    auditor = Auditor.load(str(SEED / "qwen3.yaml"))
    return auditor, auditor.audit(str(SEED / "report.md"))


def judged_latency_and_throughput_claims(result, scenario: str, rules) -> list:
    from audit.output import figures

    out = []
    for j in figures.judged(result, figures.covered_metrics(rules)):
        c = j.claim
        if c is None or c.metric not in chart.PHASES or j.status == "unverified":
            continue
        if (c.scenario or (j.primary.scenario if j.primary else None)) in (None, scenario):
            out.append(c)
    return out


@pytest.mark.parametrize("scenario", ["original", "optimized"])
def test_the_seed_chart_has_both_roofs_and_a_point_per_judged_claim(seed, scenario):
    auditor, result = seed
    svg = chart.report_charts(result, auditor.rules)[scenario]
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    ids = {e.get("id") for e in root.iter()}
    assert {"memory-roof", "compute-roof"} <= ids
    operating = [e for e in root.iter() if "operating" in (e.get("class") or "")]
    assert len(operating) == 2  # prefill and decode
    points = [e for e in root.iter() if (e.get("class") or "").startswith("claim")]
    expected = judged_latency_and_throughput_claims(result, scenario, auditor.rules)
    assert expected and len(points) == len(expected)
    labels = sorted(e.text for e in root.iter(f"{SVG}text") if (e.text or "").startswith("L") and e.text[1:].isdigit())
    assert labels == sorted(f"L{c.line}" for c in expected)


def test_the_geometry_is_the_hand_arithmetic(seed):
    _, result = seed
    estimates = result.estimates["original"]
    found = chart.intensities(estimates)
    assert found is not None
    assert found["prefill"] == pytest.approx(603.2e12 / 8 / 29.387e9, rel=0.01)  # 2,565 FLOP/B
    ridge = 400e12 / 1.8e12
    assert found["prefill"] > ridge > found["decode"]  # prefill compute-bound, decode memory-bound
    points = {p.label: p for p in chart.claim_points(result, "original")}
    ttft = points["L13"]  # "~0.06 seconds" against the lenient floor 0.7381 s
    assert ttft.y / 400e12 == pytest.approx(0.7381 / 0.06, rel=0.01)
    assert ttft.y > 400e12  # above the roof, drawn above it


def test_a_claim_above_the_roof_is_drawn_above_the_roofline():
    c = chart.Roofline("t", 400e12, 1.8e12, (chart.Point(2565, 400e12, "prefill", phase="prefill"),),
                       (chart.Point(2565, 5e15, "L13", "fail"),))
    root = ET.fromstring(chart.svg(c))
    roof_y = float(next(e for e in root.iter() if e.get("id") == "compute-roof").get("y1"))
    [point] = [e for e in root.iter() if (e.get("class") or "").startswith("claim")]
    assert float(point.get("cy")) < roof_y  # SVG y grows downwards


def test_the_chart_is_deterministic(seed):
    auditor, result = seed
    assert chart.report_charts(result, auditor.rules) == chart.report_charts(result, auditor.rules)


def test_check_writes_charts_and_the_verdict_links_them(tmp_path, capsys):
    out = tmp_path / "verdict.md"
    status = main(["check", str(SEED / "report.md"), "--spec", str(SEED / "qwen3.yaml"), "--charts",
                   str(tmp_path / "charts"), "-o", str(out)])
    assert status == 1
    svgs = sorted(p.name for p in (tmp_path / "charts").glob("*.svg"))
    assert len(svgs) == 2 and all(name.endswith(("-original.svg", "-optimized.svg")) for name in svgs)
    text = out.read_text(encoding="utf-8")
    for name in svgs:
        assert f"](charts/{name})" in text  # linked relative to the verdict


def test_calc_charts(tmp_path, capsys):
    assert main(["calc", "--spec", str(SEED / "qwen3.yaml"), "--charts", str(tmp_path), "-o",
                 str(tmp_path / "calc.md")]) == 0
    for name in ("roofline-original.svg", "roofline-optimized.svg"):
        root = ET.parse(tmp_path / name).getroot()
        assert {"memory-roof", "compute-roof"} <= {e.get("id") for e in root.iter()}
    assert math.isfinite(chart.Roofline("t", 1.0, 1.0, (), ()).ridge)
