type Labels = Record<string, string>;

interface Sample {
  labels: Labels;
  value: number;
}

interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
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

/** A minimal Prometheus text-format registry. Label values must never carry secrets. */
export class MetricsRegistry {
  readonly #families: Family[] = [];

  counter(name: string, help: string): Counter {
    const counter = new Counter();
    this.#families.push({ name, help, type: 'counter', samples: () => counter.samples() });
    return counter;
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
        lines.push(`${family.name}${formatLabels(sample.labels)} ${sample.value}`);
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
