type Labels = Record<string, string>;

interface Sample {
  labels: Labels;
  value: number;
  /** Appended to the family's name: `_bucket`, `_sum` and `_count` for histograms. */
  suffix?: string;
}

interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  samples: () => Sample[] | Promise<Sample[]>;
}

export class Counter {
  readonly #values = new Map<string, Sample>();

  inc(labels: Labels = {}, by = 1): void {
    const key = JSON.stringify(labels);
    const sample = this.#values.get(key);
    if (sample) sample.value += by;
    else this.#values.set(key, { labels, value: by });
  }

  get(labels: Labels = {}): number {
    return this.#values.get(JSON.stringify(labels))?.value ?? 0;
  }

  samples(): Sample[] {
    return [...this.#values.values()];
  }
}

/** Cumulative buckets per label set, as Prometheus histograms have them. */
export class Histogram {
  readonly #series = new Map<
    string,
    { labels: Labels; counts: number[]; sum: number; count: number }
  >();

  constructor(private readonly buckets: readonly number[]) {}

  observe(labels: Labels, value: number): void {
    const key = JSON.stringify(labels);
    let series = this.#series.get(key);
    if (!series) {
      series = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.#series.set(key, series);
    }
    this.buckets.forEach((le, i) => {
      if (value <= le) series.counts[i]! += 1;
    });
    series.sum += value;
    series.count += 1;
  }

  samples(): Sample[] {
    return [...this.#series.values()].flatMap(({ labels, counts, sum, count }) => [
      ...this.buckets.map((le, i) => ({
        labels: { ...labels, le: String(le) },
        value: counts[i]!,
        suffix: '_bucket',
      })),
      { labels: { ...labels, le: '+Inf' }, value: count, suffix: '_bucket' },
      { labels, value: sum, suffix: '_sum' },
      { labels, value: count, suffix: '_count' },
    ]);
  }
}

/** A minimal Prometheus text-format registry. Label values must never carry secrets. */
export class MetricsRegistry {
  readonly #families: Family[] = [];

  counter(name: string, help: string): Counter {
    const counter = new Counter();
    this.#families.push({ name, help, type: 'counter', samples: () => counter.samples() });
    return counter;
  }

  histogram(name: string, help: string, buckets: readonly number[]): Histogram {
    const histogram = new Histogram(buckets);
    this.#families.push({ name, help, type: 'histogram', samples: () => histogram.samples() });
    return histogram;
  }

  /** A gauge whose samples are read at scrape time. */
  gauge(
    name: string,
    help: string,
    collect: () => Sample[] | number | Promise<Sample[] | number>,
  ): void {
    this.#families.push({
      name,
      help,
      type: 'gauge',
      samples: async () => {
        const value = await collect();
        return typeof value === 'number' ? [{ labels: {}, value }] : value;
      },
    });
  }

  async render(): Promise<string> {
    const lines: string[] = [];
    for (const family of this.#families) {
      lines.push(`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.type}`);
      for (const sample of await family.samples()) {
        lines.push(
          `${family.name}${sample.suffix ?? ''}${formatLabels(sample.labels)} ${sample.value}`,
        );
      }
    }
    return lines.join('\n') + '\n';
  }
}

function formatLabels(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  const body = entries
    .map(
      ([key, value]) =>
        `${key}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`,
    )
    .join(',');
  return `{${body}}`;
}
