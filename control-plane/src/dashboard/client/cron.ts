// The gap between a cron schedule's runs, to tell when the last verified backup is overdue.
// Only what that needs: five fields (or six, seconds first, which are ignored), with `*`,
// lists, ranges, steps and month or weekday names, as node-cron reads them.

const MINUTE_MS = 60_000;
/** How far ahead to look for two runs: a year and a day, in minutes. */
const SEARCH_MINUTES = 366 * 24 * 60;

const NAMES: Record<string, number> = {
  jan: 1,
  feb: 2,
  mar: 3,
  apr: 4,
  may: 5,
  jun: 6,
  jul: 7,
  aug: 8,
  sep: 9,
  oct: 10,
  nov: 11,
  dec: 12,
  sun: 0,
  mon: 1,
  tue: 2,
  wed: 3,
  thu: 4,
  fri: 5,
  sat: 6,
};

interface Field {
  values: Set<number>;
  /** The field was `*` (or `*` with a step): day-of-month and weekday combine differently then. */
  any: boolean;
}

function parseValue(text: string): number {
  const value = NAMES[text.toLowerCase()] ?? (/^\d+$/.test(text) ? Number(text) : Number.NaN);
  if (Number.isNaN(value)) throw new Error(`"${text}" is not a number or a name`);
  return value;
}

function parseField(text: string, min: number, max: number): Field {
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const [range = '', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : parseValue(stepText);
    let from = min;
    let to = max;
    if (range !== '*' && range !== '?') {
      const [a = '', b] = range.split('-');
      from = parseValue(a);
      to = b === undefined ? (stepText === undefined ? from : max) : parseValue(b);
    }
    if (from < min || to > max || from > to || !(step >= 1)) {
      throw new Error(`"${part}" is outside ${min}–${max}`);
    }
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return { values, any: text.startsWith('*') || text.startsWith('?') };
}

export interface CronSchedule {
  matches(date: Date): boolean;
}

/** Parses a cron expression; throws on one it cannot read. Times are local, as node-cron's. */
export function parseCron(expression: string): CronSchedule {
  let fields = expression.trim().split(/\s+/);
  if (fields.length === 6) fields = fields.slice(1);
  if (fields.length !== 5) throw new Error('a cron expression has five fields');
  const [minute, hour, day, month, weekday] = [
    parseField(fields[0]!, 0, 59),
    parseField(fields[1]!, 0, 23),
    parseField(fields[2]!, 1, 31),
    parseField(fields[3]!, 1, 12),
    parseField(fields[4]!, 0, 7),
  ];
  if (weekday.values.has(7)) weekday.values.add(0);
  return {
    matches(date) {
      const dayOk = day.values.has(date.getDate());
      const weekdayOk = weekday.values.has(date.getDay());
      // As in cron: when both day fields are restricted, either one matching is enough.
      const days = day.any || weekday.any ? dayOk && weekdayOk : dayOk || weekdayOk;
      return (
        days &&
        minute.values.has(date.getMinutes()) &&
        hour.values.has(date.getHours()) &&
        month.values.has(date.getMonth() + 1)
      );
    },
  };
}

/** The next `count` run times after `fromMs`, found minute by minute within a year. */
export function nextRuns(expression: string, fromMs: number, count: number): number[] {
  const schedule = parseCron(expression);
  const runs: number[] = [];
  let at = Math.floor(fromMs / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
  for (let i = 0; i < SEARCH_MINUTES && runs.length < count; i += 1, at += MINUTE_MS) {
    if (schedule.matches(new Date(at))) runs.push(at);
  }
  return runs;
}

/** The time between the schedule's next two runs, in ms; null when it cannot tell. */
export function cronIntervalMs(expression: string, fromMs = Date.now()): number | null {
  try {
    const [first, second] = nextRuns(expression, fromMs, 2);
    return first !== undefined && second !== undefined ? second - first : null;
  } catch {
    return null;
  }
}
