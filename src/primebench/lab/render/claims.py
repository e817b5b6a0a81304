"""The article's own claimed figures, marked as claims, beside what was measured (pure)."""

from __future__ import annotations

from primebench.lab.model.results import Document, ScenarioRecord
from primebench.lab.model.vocabulary import Metric
from primebench.lab.render import units as fmt
from primebench.lab.render.table import Table
from primebench.lab.render.tables import figure, first_ok, status_cell

__all__ = ["CLAIMS", "claims_table"]

#: The article's table as printed (M4 MacBook Pro; not reproducible as stated), by seed contender.
CLAIMS: dict[str, dict[str, str]] = {
    "node-seed": {
        "label": "Node.js (v22)",
        "Requests/Sec": "~1,200",
        "Latency (Avg)": "85ms",
        "Throughput": "1.1 MB/s",
        "Artifact size": "N/A (Requires Runtime)",
    },
    "go-seed": {
        "label": "Go (v1.24)",
        "Requests/Sec": "~18,500",
        "Latency (Avg)": "5ms",
        "Throughput": "14 MB/s",
        "Artifact size": "~12MB",
    },
    "rust-axum": {
        "label": "Rust (Axum)",
        "Requests/Sec": "~24,000",
        "Latency (Avg)": "2ms",
        "Throughput": "19 MB/s",
        "Artifact size": "~4MB",
    },
}


#: The article's rows beside which this run's figures are shown.
CLAIMED_ROWS: tuple[tuple[str, Metric, fmt.Render], ...] = (
    ("Requests/Sec", "req_per_s", fmt.rate),
    ("Latency (Avg)", "latency_avg_ms", fmt.ms),
    ("Throughput", "throughput_bytes_per_s", fmt.bytes_per_s),
)


def claims_table(doc: Document, scenario: ScenarioRecord | None) -> Table:
    """The article's claimed figures, marked as claims, beside what the same logic did here."""
    header = (
        "Metric",
        *[f"{c['label']} (claimed)" for c in CLAIMS.values()],
        *[f"{name} (measured)" for name in CLAIMS],
    )
    rows = []
    for label, metric, render in CLAIMED_ROWS:
        measured = []
        for name in CLAIMS:
            run = scenario.result(name) if scenario else None
            point = first_ok(run) if run is not None and not status_cell(run) else None
            measured.append(figure(point, metric, render) if point else (status_cell(run) or "–"))
        rows.append((label, *[c[label] for c in CLAIMS.values()], *measured))
    sizes = []
    for name in CLAIMS:
        info = doc.contender(name)
        sizes.append(fmt.size(float(info.artifact.bytes)) if info and info.artifact else "–")
    rows.append(("Artifact size", *[c["Artifact size"] for c in CLAIMS.values()], *sizes))
    return Table(
        "The article's claims (not measured here) beside the same logic measured here",
        header,
        tuple(rows),
        (
            (
                "Claimed: the article's own table (M4 MacBook Pro, autocannon -c 100 -d 10, "
                "n=20000). Measured: this run's article scenario on this machine."
            ),
        ),
    )
