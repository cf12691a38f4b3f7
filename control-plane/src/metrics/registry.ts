import { Gauge, Counter as PromCounter, Histogram as PromHistogram, Registry } from 'prom-client';

export type Labels = Record<string, string>;

export interface GaugeSample {
  labels: Labels;
  value: number;
}

/** A monotonically increasing count, by label set. */
export interface Counter {
  inc(labels?: Labels, by?: number): void;
  /** The current count for exactly these labels; for tests and benchmarks. */
  get(labels?: Labels): Promise<number>;
}

/** Observations in cumulative buckets, by label set. */
export interface Histogram {
  observe(labels: Labels, value: number): void;
}

interface Family {
  name: string;
  help: string;
  /** Every label name the family's samples may carry. */
  labelNames?: readonly string[];
}

/**
 * The control plane's Prometheus registry. prom-client writes the text format (escaping,
 * cumulative buckets, `+Inf`, `_sum` and `_count`) and stays inside this folder: the rest of
 * the code sees only these interfaces. Label values must never carry secrets.
 */
export class MetricsRegistry {
  readonly #registry = new Registry();

  /** The Content-Type of `render()`'s text. */
  get contentType(): string {
    return this.#registry.contentType;
  }

  counter(family: Family): Counter {
    const counter = new PromCounter({ ...family, ...this.#common(family) });
    return {
      inc: (labels = {}, by = 1) => counter.inc(labels, by),
      get: async (labels = {}) => {
        const { values } = await counter.get();
        return values.find((sample) => sameLabels(sample.labels, labels))?.value ?? 0;
      },
    };
  }

  histogram(family: Family & { buckets: readonly number[] }): Histogram {
    const histogram = new PromHistogram({
      ...family,
      ...this.#common(family),
      buckets: [...family.buckets],
    });
    return { observe: (labels, value) => histogram.observe(labels, value) };
  }

  /** A gauge whose samples are read at scrape time. */
  gauge(
    family: Family & { collect: () => GaugeSample[] | number | Promise<GaugeSample[] | number> },
  ): void {
    const gauge: Gauge = new Gauge({
      ...this.#common(family),
      name: family.name,
      help: family.help,
      collect: async () => {
        const value = await family.collect();
        // Only what is true now: a label set that is gone drops out.
        gauge.reset();
        if (typeof value === 'number') gauge.set(value);
        else for (const sample of value) gauge.set(sample.labels, sample.value);
      },
    });
  }

  render(): Promise<string> {
    return this.#registry.metrics();
  }

  #common(family: Family): { labelNames: string[]; registers: Registry[] } {
    return { labelNames: [...(family.labelNames ?? [])], registers: [this.#registry] };
  }
}

function sameLabels(a: Partial<Record<string, string | number>>, b: Labels): boolean {
  const keys = Object.keys(b);
  return Object.keys(a).length === keys.length && keys.every((key) => String(a[key]) === b[key]);
}
