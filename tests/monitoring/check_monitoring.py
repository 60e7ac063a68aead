"""Checks monitoring/: the Grafana dashboard and the Prometheus alert rules.

  check_monitoring.py SOURCE_DIR
      The dashboard is an importable Grafana dashboard (every panel has the
      templated data source and queries, which promtool parses, filtered on
      the plugin variable), every alert carries a severity, a summary, a
      description and a runbook link to a section of docs/monitoring.md (or
      of docs/operations.md, for a procedure described there), and
      both query the metrics they are meant to watch (DASHBOARD_COVERS,
      RULES_COVER).
  check_monitoring.py SOURCE_DIR --metrics FILE
      Every metric the dashboard and the rules query, with the labels and
      label values they select on, is in FILE, the /metrics text of a live
      fanoutd (read with prometheus_client's parser); a gauge fanoutd leaves
      without a value while unknown (ABSENT_WHILE_UNKNOWN) may be only declared.

Exit 1 with one line per problem. Only the standard library is needed
without --metrics; the rules file is read line by line (no YAML module).
"""
import json
import os
import re
import subprocess
import sys
import tempfile

DASHBOARD = "monitoring/grafana/fanout-dashboard.json"
RULES = "monitoring/prometheus/fanout-alerts.yml"
DOCS = "docs/monitoring.md"
# Where a runbook may live: the monitoring runbook, or the operations section
# that describes the procedure an alert watches (a projection rebuild).
RUNBOOK_DOCS = (DOCS, "docs/operations.md")

# Gauges fanoutd leaves without a sample while their value is unknown (a
# rebuild's ETA): declared in /metrics (# TYPE) is served for these.
ABSENT_WHILE_UNKNOWN = {"fanout_rebuild_eta_seconds"}

# Labels Prometheus adds when it scrapes, and the histogram bucket label.
SCRAPE_LABELS = {"job", "instance", "le"}
SELECTOR = re.compile(r"\b((?:fanout|process)_[A-Za-z0-9_]*)\b(?:\s*\{([^}]*)\})?")
MATCHER = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"([^"]*)"')
GROUPING = re.compile(r"\b(?:by|without|on|ignoring)\s*\(([^)]*)\)")

# What the dashboard and the rules must cover, whatever else they query.
DASHBOARD_COVERS = {"fanout_events_total", "fanout_consumer_lag", "fanout_batch_size_bucket",
                    "fanout_handler_duration_seconds_bucket", "fanout_handler_exceptions_total",
                    "fanout_plugin_degraded", "fanout_plugin_paused", "fanout_partition_held", "fanout_pipeline_up",
                    "fanout_rebuild_progress_ratio", "fanout_rebuild_eta_seconds"}
RULES_COVER = {"fanout_consumer_lag", "fanout_batches_total", "fanout_pipeline_up", "fanout_plugin_degraded",
               "fanout_plugin_paused", "fanout_events_total", "fanout_partition_held",
               "fanout_rebuild_active", "fanout_rebuild_position_events"}

problems = []


def problem(text):
    problems.append(text)


def dashboard_panels(dashboard):
    """Every panel, including those inside rows."""
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def check_dashboard(dashboard):
    """Returns the queries of the dashboard's panels."""
    for key in ("title", "uid", "schemaVersion", "panels", "templating", "time"):
        if key not in dashboard:
            problem(f"dashboard: no '{key}'")
    variables = {v.get("name"): v for v in dashboard.get("templating", {}).get("list", [])}
    sources = [n for n, v in variables.items() if v.get("type") == "datasource" and v.get("query") == "prometheus"]
    if len(sources) != 1:
        problem(f"dashboard: expected one Prometheus data source variable, found {sources}")
        return []
    source_uid = "${" + sources[0] + "}"

    def uses_source(where, datasource):
        if not isinstance(datasource, dict) or datasource.get("uid") != source_uid:
            problem(f"{where}: data source {datasource!r} is not the variable {source_uid}")

    plugin = variables.get("plugin")
    if plugin is None or plugin.get("type") != "query":
        problem("dashboard: no query variable 'plugin'")
    else:
        uses_source("variable plugin", plugin.get("datasource"))
        query = plugin.get("definition") or plugin.get("query")
        if isinstance(query, dict):
            query = query.get("query")
        if not re.fullmatch(r"label_values\(.*,\s*plugin\)", query or ""):
            problem(f"variable plugin: query {query!r} is not label_values(..., plugin)")

    exprs = []
    ids = set()
    for panel in dashboard_panels(dashboard):
        title = f"panel '{panel.get('title')}'"
        if panel.get("id") in ids:
            problem(f"{title}: id {panel.get('id')} used twice")
        ids.add(panel.get("id"))
        if "gridPos" not in panel:
            problem(f"{title}: no gridPos")
        if panel.get("type") == "row":
            continue  # a row only groups panels
        uses_source(title, panel.get("datasource"))
        targets = panel.get("targets") or []
        if not targets:
            problem(f"{title}: no targets")
        ref_ids = [t.get("refId") for t in targets]
        if len(set(ref_ids)) != len(ref_ids):
            problem(f"{title}: refIds {ref_ids} repeat")
        for target in targets:
            if "datasource" in target:
                uses_source(f"{title} target {target.get('refId')}", target["datasource"])
            expr = target.get("expr", "").strip()
            if not expr:
                problem(f"{title} target {target.get('refId')}: no expr")
                continue
            for name, matchers in SELECTOR.findall(expr):
                if name.startswith("fanout_") and '"$plugin"' not in matchers:
                    problem(f"{title}: {name} does not select plugin=~\"$plugin\"")
            exprs.append((title, expr))
    return exprs


def promql(expr):
    """A dashboard query as plain PromQL: Grafana's variables replaced."""
    return expr.replace("$__rate_interval", "5m").replace("$plugin", ".*").replace("$instance", ".*")


def check_promql_parses(exprs):
    """promtool parses every dashboard query (as a recording rule)."""
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
        f.write("groups:\n  - name: dashboard\n    rules:\n")
        for i, (_, expr) in enumerate(exprs):
            f.write(f"      - record: dashboard_query_{i}\n        expr: {json.dumps(promql(expr))}\n")
    try:
        result = subprocess.run(["promtool", "check", "rules", f.name], capture_output=True, text=True)
    except FileNotFoundError:
        problem("promtool not found: tools/install-deps.sh installs it (Debian package prometheus)")
        return
    finally:
        os.unlink(f.name)
    if result.returncode != 0:
        problem("dashboard queries do not parse:\n" + result.stdout + result.stderr)


def rules(text):
    """Alerts of the rules file: [{'alert', 'expr', 'keys', 'runbook'}], read line by line."""
    alerts = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r"\s*- alert:\s*(\S+)", line)
        if m:
            alerts.append({"alert": m.group(1), "expr": "", "keys": set(), "runbook": None})
        elif alerts:
            m = re.match(r"(\s*)(expr|for|severity|summary|description|runbook_url):\s*(.*)", line)
            if m:
                indent, key, value = len(m.group(1)), m.group(2), m.group(3).strip()
                alerts[-1]["keys"].add(key)
                if value in ("|", ">-", ">", "|-"):
                    block = []
                    while i + 1 < len(lines) and (not lines[i + 1].strip() or
                                                  len(lines[i + 1]) - len(lines[i + 1].lstrip()) > indent):
                        i += 1
                        block.append(lines[i].strip())
                    value = " ".join(block)
                if key == "expr":
                    alerts[-1]["expr"] = value
                if key == "runbook_url":
                    alerts[-1]["runbook"] = value.strip("\"'")
        i += 1
    return alerts


def github_anchor(heading):
    anchor = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return anchor.replace(" ", "-")


def check_covers(what, exprs, names):
    used = {n for _, e in exprs for n, _ in SELECTOR.findall(e)}
    for name in sorted(names - used):
        problem(f"{what}: {name} is queried nowhere")


def check_rules(alerts, docs_texts):
    """docs_texts: path -> text of each of RUNBOOK_DOCS."""
    anchors = {path: {github_anchor(h) for h in re.findall(r"^#+\s+(.*)$", text, re.MULTILINE)}
               for path, text in docs_texts.items()}
    if not alerts:
        problem("rules: no alerts")
    for a in alerts:
        for key in ("expr", "severity", "summary", "description", "runbook_url"):
            if key not in a["keys"]:
                problem(f"alert {a['alert']}: no {key}")
        runbook = a["runbook"] or ""
        path, _, section = runbook.partition("#")
        if path not in anchors or not section:
            problem(f"alert {a['alert']}: runbook_url {runbook!r} is not {DOCS}#section (or {RUNBOOK_DOCS[1]}#section)")
        elif section not in anchors[path]:
            problem(f"alert {a['alert']}: {runbook} names no heading of {path}")


def served(metrics_file):
    """Sample name -> {label name -> set of values} in a /metrics text."""
    from prometheus_client.parser import text_string_to_metric_families

    with open(metrics_file, encoding="utf-8") as f:
        text = f.read()
    samples = {}
    for family in text_string_to_metric_families(text):
        if family.name in ABSENT_WHILE_UNKNOWN and not family.samples:
            samples[family.name] = None  # declared, no value now: its labels are unknown
        for sample in family.samples:
            labels = samples.setdefault(sample.name, {})
            for k, v in sample.labels.items():
                labels.setdefault(k, set()).add(v)
    return samples


def check_served(where, expr, samples):
    used = SELECTOR.findall(expr)
    label_names = set(SCRAPE_LABELS)
    missing = False
    for name, matchers in used:
        if name not in samples:
            problem(f"{where}: {name} is not in /metrics")
            missing = True
            continue
        if samples[name] is None:
            missing = True
            continue
        label_names |= set(samples[name])
        for label, op, value in MATCHER.findall(matchers):
            if label in SCRAPE_LABELS:
                continue
            if label not in samples[name]:
                problem(f"{where}: {name} has no label {label} in /metrics")
            elif op == "=" and value not in samples[name][label]:
                problem(f"{where}: {name}{{{label}=\"{value}\"}} is not in /metrics "
                        f"(values: {sorted(samples[name][label])})")
    if missing:
        return  # its labels are unknown
    for group in GROUPING.findall(expr):
        for label in filter(None, (l.strip() for l in group.split(","))):
            if label not in label_names:
                problem(f"{where}: label {label} is on none of its metrics in /metrics")


def main():
    args = sys.argv[1:]
    if len(args) not in (1, 3) or (len(args) == 3 and args[1] != "--metrics"):
        sys.exit(__doc__)
    root = args[0]
    with open(os.path.join(root, DASHBOARD), encoding="utf-8") as f:
        dashboard = json.load(f)
    with open(os.path.join(root, RULES), encoding="utf-8") as f:
        alerts = rules(f.read())
    exprs = check_dashboard(dashboard)
    check_covers("dashboard", exprs, DASHBOARD_COVERS)
    rule_exprs = [(f"alert {a['alert']}", a["expr"]) for a in alerts]
    check_covers("rules", rule_exprs, RULES_COVER)
    exprs += rule_exprs
    if len(args) == 1:
        docs_texts = {}
        for path in RUNBOOK_DOCS:
            with open(os.path.join(root, path), encoding="utf-8") as f:
                docs_texts[path] = f.read()
        check_rules(alerts, docs_texts)
        check_promql_parses([e for e in exprs if e[0].startswith("panel")])
    else:
        samples = served(args[2])
        for where, expr in exprs:
            check_served(where, expr, samples)
        names = sorted({n for _, e in exprs for n, _ in SELECTOR.findall(e)})
        print(f"{len(names)} metrics queried by {len(exprs)} queries: {' '.join(names)}")
    for p in problems:
        print(p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
