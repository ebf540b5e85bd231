import assert from "node:assert/strict";
import { test } from "node:test";
import { AggregatorRegistry, Registry } from "prom-client";
import { CounterFamily, HistogramFamily } from "./metric-family";

test("a counter family renders each label set's total in prom-client's exposition format", async () => {
  const registry = new Registry();
  const family = new CounterFamily("requests_total", "Requests", ["code", "method"]).registerWith(registry);
  const ok = family.with({ method: "GET", code: "200" });
  ok.inc();
  ok.inc(2);
  family.with({ code: "404", method: "GET" }).inc();
  assert.equal(family.with({ code: "200", method: "GET" }), ok, "the same label set gives the same series");
  assert.equal(
    await registry.metrics(),
    [
      "# HELP requests_total Requests",
      "# TYPE requests_total counter",
      'requests_total{code="200",method="GET"} 3',
      'requests_total{code="404",method="GET"} 1',
      "",
    ].join("\n"),
  );
});

test("a histogram family renders cumulative buckets, +Inf, sum and count", async () => {
  const registry = new Registry();
  const family = new HistogramFamily("duration_ms", "Duration", ["route"], [1, 10, 100]).registerWith(
    registry,
  );
  const series = family.with({ route: "api" });
  for (const v of [0.5, 1, 5, 50, 500]) series.observe(v);
  assert.equal(
    await registry.metrics(),
    [
      "# HELP duration_ms Duration",
      "# TYPE duration_ms histogram",
      'duration_ms_bucket{route="api",le="1"} 2',
      'duration_ms_bucket{route="api",le="10"} 3',
      'duration_ms_bucket{route="api",le="100"} 4',
      'duration_ms_bucket{route="api",le="+Inf"} 5',
      'duration_ms_sum{route="api"} 556.5',
      'duration_ms_count{route="api"} 5',
      "",
    ].join("\n"),
  );
});

test("label values are escaped as Prometheus requires", async () => {
  const registry = new Registry();
  new CounterFamily("c_total", "C", ["path"]).registerWith(registry).with({ path: 'a"b\\c\nd' }).inc();
  assert.match(await registry.metrics(), /^c_total\{path="a\\"b\\\\c\\nd"\} 1$/m);
});

test("--workers aggregation sums the families of every worker", async () => {
  const workers = [1, 2].map((n) => {
    const registry = new Registry();
    new CounterFamily("c_total", "C", ["k"]).registerWith(registry).with({ k: "v" }).inc(n);
    const h = new HistogramFamily("h", "H", ["k"], [10]).registerWith(registry).with({ k: "v" });
    h.observe(n * 5);
    return registry;
  });
  const merged = AggregatorRegistry.aggregate(await Promise.all(workers.map((r) => r.getMetricsAsJSON())));
  assert.equal(
    await merged.metrics(),
    [
      "# HELP c_total C",
      "# TYPE c_total counter",
      'c_total{k="v"} 3',
      "",
      "# HELP h H",
      "# TYPE h histogram",
      'h_bucket{k="v",le="10"} 2',
      'h_bucket{k="v",le="+Inf"} 2',
      'h_sum{k="v"} 15',
      'h_count{k="v"} 2',
      "",
    ].join("\n"),
  );
});
