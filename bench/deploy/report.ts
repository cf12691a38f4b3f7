// Tables for the deploy benchmark.
import type { Deployment } from '../../test/support/deploy-helpers.js';
import { median } from './measure.js';

export interface RowResult {
  label: string;
  rawLabel: string;
  /** Milliseconds per round, API call to outcome. */
  berth: number[];
  /** Milliseconds per round, the raw CLI commands to the first 200, on a network as Berth's. */
  raw: number[];
  /** The same on Docker's default bridge, which Berth never uses (set up faster). */
  rawBridge: number[];
  deployments: Deployment[];
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [
    line(header),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.map(line),
  ].join('\n');
}

const ms = (value: number) => `${Math.round(value).toLocaleString('en-US')} ms`;

export function resultTable(rows: readonly RowResult[]): string {
  return table(
    [
      'work',
      'Berth (API → succeeded)',
      'raw Docker CLI (→ serving)',
      'ratio',
      'added',
      'raw on the default bridge',
    ],
    rows.map((row) => {
      const berth = median(row.berth);
      const raw = median(row.raw);
      const bridge = median(row.rawBridge);
      return [
        row.label,
        ms(berth),
        `${ms(raw)} (${row.rawLabel})`,
        `${(berth / raw).toFixed(2)}×`,
        ms(berth - raw),
        `${ms(bridge)} (${(berth / bridge).toFixed(2)}×)`,
      ];
    }),
  );
}

/** Median milliseconds of each phase, per row; phases a row never had are blank. */
export function phaseTable(rows: readonly RowResult[]): string {
  const names: string[] = [];
  for (const row of rows)
    for (const d of row.deployments)
      for (const p of d.phases) if (!names.includes(p.name)) names.push(p.name);
  const body = rows.map((row) => [
    row.label.split(',').slice(0, 2).join(','),
    ...names.map((name) => {
      const values = row.deployments.flatMap((d) =>
        d.phases
          .filter((p) => p.name === name && p.finishedAt)
          .map((p) => Date.parse(p.finishedAt!) - Date.parse(p.startedAt)),
      );
      return values.length ? String(Math.round(median(values))) : '';
    }),
    String(
      Math.round(
        median(row.deployments.map((d) => Date.parse(d.finishedAt!) - Date.parse(d.createdAt))),
      ),
    ),
  ]);
  return table(['row', ...names, 'total'], body);
}
