"""Roofline charts, SVG written by hand (no plotting library): attainable FLOP/s per device against arithmetic
intensity (FLOP per byte moved), log-log, for one scenario.

- The two roofs: memory bandwidth (FLOP/s = bandwidth x intensity, the slope) and the dense compute peak
  (the flat line); they meet at the ridge point, peak / bandwidth.
- The operating points of the deployment at 100% of peak: a lone request's prefill (intensity: its
  FLOPs per device over the weights a device reads) and a decode step (the FLOPs of the replica's
  batch per device over the weights and KV cache a device reads per step: the decode floor's bytes).
- Each judged latency or throughput claim where it would have to sit: a time t whose floor (at 100%
  of peak) is f needs roof x f / t; a rate r under a ceiling c needs roof x r / c. A claim above the
  roof claims more than the device can do: it is visible at once.

    report_charts(result, rules) -> {scenario: svg}     calc_chart(name, scenario, estimates) -> svg
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from audit.records import ReportResult

WIDTH, HEIGHT = 760, 480
LEFT, RIGHT, TOP, BOTTOM = 100, 200, 46, 58
COLOURS = {"fail": "#c62828", "warn": "#ef8f00", "pass": "#2e7d32"}
PHASES = {
    # metric of a claim -> (phase, estimate it is held to, "floor" for times / "ceiling" for rates)
    "ttft": ("prefill", "ttft_floor", "floor"),
    "batch_prefill_time": ("prefill", "batch_prefill_floor", "floor"),
    "decode_step_time": ("decode", "decode_step_floor", "floor"),
    "decode_throughput": ("decode", "decode_throughput_ceiling", "ceiling"),
    "prefill_throughput": ("prefill", "prefill_throughput_ceiling", "ceiling"),
    "throughput": ("", "", "ceiling"),  # the larger of the two ceilings decides the phase
}


@dataclass(frozen=True, slots=True)
class Point:
    """A point of the chart: intensity (FLOP/B), FLOP/s per device, label, status (or "" for operating points)."""

    x: float
    y: float
    label: str
    status: str = ""
    phase: str = ""


@dataclass(frozen=True, slots=True)
class Roofline:
    """What one chart shows."""

    title: str
    peak: float
    """FLOP/s per device."""
    bandwidth: float
    """B/s per device."""
    operating: tuple[Point, ...]
    claims: tuple[Point, ...]

    @property
    def ridge(self) -> float:
        return self.peak / self.bandwidth

    def roof(self, x: float) -> float:
        return min(self.peak, self.bandwidth * x)


def intensities(estimates: Mapping) -> dict[str, float] | None:
    """Arithmetic intensity (FLOP/B per device) of prefill and decode, None when the estimates lack a figure."""
    try:
        tp, pp = estimates["tp"].value, estimates["pp"].value
        weights = estimates["weights_per_device"].value
        prefill = estimates["prefill_flops"].value / (tp * pp) / weights
        decode_bytes = estimates["decode_step_floor"].value * estimates["memory_bandwidth"].value
        decode = 2 * estimates["params_active"].value * estimates["batch_per_replica"].value / (tp * pp) / decode_bytes
    except (KeyError, ZeroDivisionError):
        return None
    if not all(math.isfinite(v) and v > 0 for v in (prefill, decode)):
        return None
    return {"prefill": prefill, "decode": decode}


def roofline(title: str, estimates: Mapping, claims: Sequence[Point] = ()) -> Roofline | None:
    """The roofline of one scenario, None when its estimates lack the peak, the bandwidth or the intensities."""
    try:
        peak, bandwidth = estimates["peak_flops"].value, estimates["memory_bandwidth"].value
    except KeyError:
        return None
    found = intensities(estimates)
    if found is None or peak <= 0 or bandwidth <= 0:
        return None
    operating = tuple(Point(x, min(peak, bandwidth * x), f"{phase} at 100% of peak", phase=phase)
                      for phase, x in found.items())
    return Roofline(title, peak, bandwidth, operating, tuple(claims))


def claim_points(result: ReportResult, scenario: str, rules: Sequence = ()) -> list[Point]:
    """Each judged latency or throughput claim of `result` about `scenario`, where it would have to sit."""
    from audit.output import figures

    estimates = result.estimates.get(scenario)
    found = intensities(estimates) if estimates else None
    if estimates is None or found is None:
        return []
    peak, bandwidth = estimates["peak_flops"].value, estimates["memory_bandwidth"].value
    checks = {r.id: r.spec.check for r in rules}
    out = []
    for j in figures.judged(result, figures.covered_metrics(rules), checks):
        claim = j.claim
        if claim is None or claim.metric not in PHASES or j.status == "unverified" or claim.value <= 0:
            continue
        about = claim.scenario or (j.primary.scenario if j.primary else None)
        if about not in (None, scenario):
            continue
        phase, name, kind = PHASES[claim.metric]
        if claim.metric == "throughput":
            d = estimates.get("decode_throughput_ceiling")
            p = estimates.get("prefill_throughput_ceiling")
            if d is None or p is None:
                continue
            phase, name = ("decode", "decode_throughput_ceiling") if d.value >= p.value else \
                ("prefill", "prefill_throughput_ceiling")
        if kind == "floor" and "min" in claim.qualifier.split() and claim.metric == "ttft":
            name = "ttft_floor_min_prompt"
        bound = _bound(j, estimates, name, claim)
        if bound is None or bound <= 0:
            continue
        x = found[phase]
        roof = min(peak, bandwidth * x)
        y = roof * (bound / claim.value if kind == "floor" else claim.value / bound)
        out.append(Point(x, y, f"L{claim.line}", j.status, phase))
    return out


def _bound(j, estimates: Mapping, name: str, claim) -> float | None:
    """The bound a claim was judged against: its finding's when a bound finding held it, else the canonical
    estimate scaled to what a rate counts (per device, per node, per replica)."""
    from audit.output.figures import reference

    for f in j.findings:
        target, kind = reference(f.expected) if f.expected is not None else (None, "")
        if kind in ("floor", "ceiling") and target:
            return target
    est = estimates.get(name)
    if est is None:
        return None
    value = est.value
    q = claim.qualifier.split()
    if claim.kind == "token_rate":
        devices = estimates["device_count"].value
        if "per_device" in q:
            value /= devices
        elif "per_node" in q and "devices_per_node" in estimates and devices > estimates["devices_per_node"].value:
            value /= devices / estimates["devices_per_node"].value
        elif "per_replica" in q:
            value /= estimates["dp"].value
    return value


def report_charts(result: ReportResult, rules: Sequence = ()) -> dict[str, str]:
    """scenario -> SVG of every scenario of a report that the chart can be drawn for."""
    out = {}
    for scenario, estimates in result.estimates.items():
        chart = roofline(f"Roofline, scenario {scenario}", estimates, claim_points(result, scenario, rules))
        if chart is not None:
            out[scenario] = svg(chart)
    return out


def calc_chart(title: str, estimates: Mapping) -> str | None:
    """The SVG of one scenario of `audit calc` (operating points only), None when it cannot be drawn."""
    chart = roofline(title, estimates)
    return svg(chart) if chart is not None else None


# --- drawing -------------------------------------------------------------------------------------


def _decades(lo: float, hi: float) -> tuple[int, int]:
    return math.floor(math.log10(lo)), math.ceil(math.log10(hi))


def svg(chart: Roofline) -> str:
    """The chart as a standalone SVG document (deterministic: the same chart, the same bytes)."""
    from audit.units import format_quantity

    points = [*chart.operating, *chart.claims]
    xs = [p.x for p in points] + [chart.ridge]
    ys = [p.y for p in points] + [chart.peak]
    x0, x1 = _decades(min(xs) / 4, max(xs) * 4)
    y0, y1 = _decades(min(min(ys), chart.roof(10.0 ** x0)) / 4, max(ys) * 4)
    y1 = max(y1, y0 + 2)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def px(x: float) -> float:
        return LEFT + (math.log10(x) - x0) / (x1 - x0) * plot_w

    def py(y: float) -> float:
        return TOP + plot_h - (math.log10(max(y, 10.0 ** (y0 - 1))) - y0) / (y1 - y0) * plot_h

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
           f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="Helvetica, Arial, sans-serif" font-size="12">',
           f"<title>{escape(chart.title)}</title>",
           f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
           f'<text x="{LEFT}" y="24" font-size="15" font-weight="bold">{escape(chart.title)}</text>',
           f'<clipPath id="plot"><rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}"/></clipPath>']
    # grid and axes
    for d in range(x0, x1 + 1):
        x = px(10.0**d)
        out.append(f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{TOP + plot_h}" stroke="#e4e4e4"/>')
        out.append(f'<text x="{x:.1f}" y="{TOP + plot_h + 16}" text-anchor="middle">{_power(d)}</text>')
    for d in range(y0, y1 + 1):
        y = py(10.0**d)
        out.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + plot_w}" y2="{y:.1f}" stroke="#e4e4e4"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(_flops(10.0**d))}</text>')
    out.append(f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#555"/>')
    out.append(f'<text x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 18}" text-anchor="middle">arithmetic intensity '
               "(FLOP per byte read, per device)</text>")
    out.append(f'<text transform="translate(16 {TOP + plot_h / 2:.1f}) rotate(-90)" text-anchor="middle">'
               "attainable FLOP/s per device</text>")
    # the roofs
    left, ridge, right = 10.0**x0, chart.ridge, 10.0**x1
    out.append(f'<g clip-path="url(#plot)"><line id="memory-roof" x1="{px(left):.1f}" y1="{py(chart.bandwidth * left):.1f}" '
               f'x2="{px(ridge):.1f}" y2="{py(chart.peak):.1f}" stroke="#1f4e9c" stroke-width="2.5"/>')
    out.append(f'<line id="compute-roof" x1="{px(ridge):.1f}" y1="{py(chart.peak):.1f}" x2="{px(right):.1f}" '
               f'y2="{py(chart.peak):.1f}" stroke="#1f4e9c" stroke-width="2.5"/></g>')
    bw_label = f"memory roof: {format_quantity(chart.bandwidth, 'B/s')}"
    out.append(f'<text x="{px(left) + 8:.1f}" y="{py(chart.bandwidth * left) - 8:.1f}" fill="#1f4e9c">'
               f"{escape(bw_label)}</text>")
    out.append(f'<text x="{px(right) - 6:.1f}" y="{py(chart.peak) - 8:.1f}" text-anchor="end" fill="#1f4e9c">'
               f"compute roof: {escape(format_quantity(chart.peak, 'FLOP/s'))}</text>")
    # operating points
    for p in chart.operating:
        x, y = px(p.x), py(p.y)
        if p.phase == "prefill":
            out.append(f'<rect class="operating" x="{x - 6:.1f}" y="{y - 6:.1f}" width="12" height="12" fill="white" '
                       f'stroke="#333" stroke-width="2"><title>{escape(p.label)}</title></rect>')
        else:
            out.append(f'<path class="operating" d="M{x:.1f},{y - 8:.1f} L{x + 8:.1f},{y:.1f} L{x:.1f},{y + 8:.1f} '
                       f'L{x - 8:.1f},{y:.1f} Z" fill="white" stroke="#333" stroke-width="2">'
                       f"<title>{escape(p.label)}</title></path>")
    # claims, spread sideways when they fall on one another
    taken: list[tuple[float, float]] = []
    labels: list[tuple[float, float]] = []
    for p in sorted(chart.claims, key=lambda p: (p.x, -p.y, p.label)):
        x, y = px(p.x), min(max(py(p.y), TOP + 4), TOP + plot_h - 4)
        while any(abs(x - a) < 9 and abs(y - b) < 9 for a, b in taken):
            x += 10
        taken.append((x, y))
        lx_, ly_ = x + 8, y - 6
        while any(abs(lx_ - a) < 34 and abs(ly_ - b) < 11 for a, b in labels):
            ly_ -= 11
        labels.append((lx_, ly_))
        colour = COLOURS.get(p.status, "#555")
        needed = p.y / chart.roof(p.x)
        tip = f"{p.label}: needs {needed:.3g}x what the roof allows" if needed > 1 else \
            f"{p.label}: {needed:.0%} of the roof"
        out.append(f'<circle class="claim {escape(p.status)}" cx="{x:.1f}" cy="{y:.1f}" r="5.5" fill="{colour}" '
                   f'fill-opacity="0.85" stroke="white"><title>{escape(tip)}</title></circle>')
        out.append(f'<text x="{lx_:.1f}" y="{ly_:.1f}" font-size="10" fill="{colour}">{escape(p.label)}</text>')
    # legend
    lx, ly = WIDTH - RIGHT + 16, TOP + 8
    legend = [("roof", "the roofs at 100% of peak"), ("prefill", "prefill of one request"),
              ("decode", "decode step of the batch"), ("fail", "claim: wrong"), ("warn", "claim: doubtful"),
              ("pass", "claim: confirmed")]
    for i, (what, text) in enumerate(legend):
        y = ly + i * 22
        if what == "roof":
            out.append(f'<line x1="{lx}" y1="{y}" x2="{lx + 16}" y2="{y}" stroke="#1f4e9c" stroke-width="2.5"/>')
        elif what == "prefill":
            out.append(f'<rect x="{lx + 3}" y="{y - 5}" width="10" height="10" fill="white" stroke="#333" stroke-width="2"/>')
        elif what == "decode":
            out.append(f'<path d="M{lx + 8},{y - 7} L{lx + 15},{y} L{lx + 8},{y + 7} L{lx + 1},{y} Z" fill="white" '
                       'stroke="#333" stroke-width="2"/>')
        else:
            out.append(f'<circle cx="{lx + 8}" cy="{y}" r="5.5" fill="{COLOURS[what]}"/>')
        out.append(f'<text x="{lx + 24}" y="{y + 4}">{escape(text)}</text>')
    note = ["A claim above the roof", "asks for more than the", "device can do. Lx: the", "report's line."]
    for i, text in enumerate(note):
        out.append(f'<text x="{lx}" y="{ly + len(legend) * 22 + 14 + i * 15}" fill="#555">{escape(text)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _power(d: int) -> str:
    return {0: "1", 1: "10", 2: "100", 3: "1,000"}.get(d, f"1e{d}")


def _flops(v: float) -> str:
    from audit.units import format_quantity

    return format_quantity(v, "FLOP/s").replace(" ", " ")
