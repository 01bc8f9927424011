"""deploy/grafana/realtime-social.json: valid, and it only charts metrics the code exports."""

from __future__ import annotations

import json
import re

import pytest

from scripts.cluster import BASE_DIR

DASHBOARD = BASE_DIR / "deploy" / "grafana" / "realtime-social.json"
# Exported names gain a suffix: counters _total, histograms _bucket/_sum/_count.
SUFFIX = re.compile(r"_(total|bucket|sum|count)$")
PROMQL_WORDS = {
    "sum",
    "by",
    "rate",
    "histogram_quantile",
    "topk",
    "le",
    "route",
    "code",
    "type",
    "reason",
    "status",
    "stream",
}


def exprs() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    panels = [panel for panel in dashboard["panels"] if panel["type"] != "row"]
    assert panels and all(panel["targets"] for panel in panels)
    return [target["expr"] for panel in panels for target in panel["targets"]]


def test_dashboard_charts_only_metrics_that_exist() -> None:
    source = BASE_DIR / "realtime" / "metrics.py"
    if not source.exists():
        pytest.skip("realtime/metrics.py (the metrics work) is not on this branch")
    declared = set(re.findall(r'"((?:realtime|chat|notifications|webrtc|tasks|live|rtc)_[a-z_]+)"', source.read_text()))
    used = {
        SUFFIX.sub("", name)
        for expr in exprs()
        for name in re.findall(r"[a-z_]+", re.sub(r"\[[^\]]*\]|\{[^}]*\}", "", expr))
    }
    ours = {name for name in used if name not in PROMQL_WORDS and not name.startswith("django_")}
    assert ours and ours <= declared, ours - declared


def test_dashboard_is_valid_json_with_a_query_per_panel() -> None:
    assert len(exprs()) >= 20
