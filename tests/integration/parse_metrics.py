"""Parse a Prometheus text exposition with the reference client's parser.

Prints one line per sample: name|label=value,...|value. A format error
raises, so the calling test fails.
"""
import sys

from prometheus_client.parser import text_string_to_metric_families

with open(sys.argv[1], encoding="utf-8") as f:
    text = f.read()
for family in text_string_to_metric_families(text):
    for sample in family.samples:
        labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
        print(f"{sample.name}|{labels}|{sample.value}")
