/**
 * Counters and histograms kept as plain numbers per label set, turned into Prometheus samples only
 * when `/metrics` is scraped. prom-client's own metrics hash the label object on every observation
 * (a gateway makes four per request: a count, a duration and two sizes), which cost about a tenth
 * of the proxy's CPU per request; here a caller keeps the {@link CounterSeries} or
 * {@link HistogramSeries} of its label set and an observation is an increment and a short scan of
 * the bucket bounds. The families implement what prom-client's `Registry` reads from a metric
 * (`name`, `help`, `type`, `aggregator`, `get()`), so the exposition text and the aggregation of
 * `--workers` are prom-client's, unchanged.
 */
import type { Metric, Registry } from "prom-client";

/** A label set: label name to value. */
export type Labels = Readonly<Record<string, string>>;

/** One sample as prom-client's registry renders it. */
interface Sample {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

/** What prom-client's registry reads from a metric. */
interface MetricSnapshot {
  name: string;
  help: string;
  type: "counter" | "histogram";
  aggregator: "sum";
  values: Sample[];
}

/** The running total of one counter label set. */
export class CounterSeries {
  /** The total so far. */
  value = 0;

  constructor(
    /** The series' labels. */
    readonly labels: Labels,
  ) {}

  /** Adds `amount` (default 1). */
  inc(amount = 1): void {
    this.value += amount;
  }
}

/** The buckets, sum and count of one histogram label set. */
export class HistogramSeries {
  /** Observations per bucket (not cumulative): `counts[i]` are those `<= bounds[i]` and `> bounds[i-1]`; the last is `+Inf`. */
  readonly counts: Float64Array;
  /** Sum of the observed values. */
  sum = 0;
  /** Number of observations. */
  count = 0;

  constructor(
    /** The series' labels. */
    readonly labels: Labels,
    /** Upper bounds of the buckets, ascending. */
    readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  /** Records one value. */
  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

/** A metric with a fixed label-name list whose series are created on first use and kept. */
abstract class Family<S extends { readonly labels: Labels }> {
  private readonly series = new Map<string, S>();

  constructor(
    /** The metric name. */
    readonly name: string,
    /** The `# HELP` text. */
    readonly help: string,
    /** The label names, in exposition order. */
    readonly labelNames: readonly string[],
  ) {}

  /** How `--workers` combines the workers' values: every family here is a sum. */
  readonly aggregator = "sum" as const;

  /** The series of `labels`, created on first use; callers keep it and record into it directly. */
  with(labels: Labels): S {
    const key = this.labelNames.map((n) => labels[n] ?? "").join("\u0000");
    let s = this.series.get(key);
    if (s === undefined) {
      const ordered: Record<string, string> = {};
      for (const n of this.labelNames) ordered[n] = labels[n] ?? "";
      s = this.create(ordered);
      this.series.set(key, s);
    }
    return s;
  }

  /** Registers the family with `registry`. */
  registerWith(registry: Registry): this {
    registry.registerMetric(this as unknown as Metric);
    return this;
  }

  protected abstract create(labels: Labels): S;
  protected abstract samples(series: S, out: Sample[]): void;

  /** The family's samples, as prom-client's registry asks for them at scrape time. */
  get(): Promise<MetricSnapshot> {
    const values: Sample[] = [];
    for (const s of this.series.values()) this.samples(s, values);
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: "sum", values });
  }

  /** Forgets every series (prom-client calls it on `registry.resetMetrics()`). */
  reset(): void {
    this.series.clear();
  }

  /** The Prometheus type. */
  abstract readonly type: "counter" | "histogram";
}

/** A counter family. */
export class CounterFamily extends Family<CounterSeries> {
  readonly type = "counter" as const;

  protected create(labels: Labels): CounterSeries {
    return new CounterSeries(labels);
  }

  protected samples(series: CounterSeries, out: Sample[]): void {
    out.push({ value: series.value, labels: { ...series.labels } });
  }
}

/** A histogram family with fixed buckets. */
export class HistogramFamily extends Family<HistogramSeries> {
  readonly type = "histogram" as const;

  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    readonly buckets: readonly number[],
  ) {
    super(name, help, labelNames);
  }

  protected create(labels: Labels): HistogramSeries {
    return new HistogramSeries(labels, this.buckets);
  }

  protected samples(series: HistogramSeries, out: Sample[]): void {
    let cumulative = 0;
    const bucket = `${this.name}_bucket`;
    for (let i = 0; i <= this.buckets.length; i++) {
      cumulative += series.counts[i]!;
      const le = i < this.buckets.length ? this.buckets[i]! : "+Inf";
      out.push({ value: cumulative, labels: { ...series.labels, le }, metricName: bucket });
    }
    out.push({ value: series.sum, labels: { ...series.labels }, metricName: `${this.name}_sum` });
    out.push({ value: series.count, labels: { ...series.labels }, metricName: `${this.name}_count` });
  }
}
