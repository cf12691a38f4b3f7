/** The agent's logger: one line per event, to stdout (info) or stderr (warn, error). */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export type LogLevel = keyof Logger;

export interface LogSink {
  (level: LogLevel, line: string): void;
}

const defaultSink: LogSink = (level, line) => {
  if (level === 'info') process.stdout.write(`${line}\n`);
  else process.stderr.write(`${line}\n`);
};

export function createLogger(
  sink: LogSink = defaultSink,
  now: () => Date = () => new Date(),
): Logger {
  const write = (level: LogLevel) => (message: string) =>
    sink(level, `${now().toISOString()} ${level.toUpperCase().padEnd(5)} ${message}`);
  return { info: write('info'), warn: write('warn'), error: write('error') };
}
