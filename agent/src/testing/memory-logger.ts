import type { Logger, LogLevel } from '../log.js';

export interface MemoryLogger extends Logger {
  lines: { level: LogLevel; message: string }[];
  /** Every logged message, joined, for `toContain` checks. */
  text(): string;
}

/** A logger that keeps lines in memory, for tests. */
export function createMemoryLogger(): MemoryLogger {
  const lines: { level: LogLevel; message: string }[] = [];
  const push = (level: LogLevel) => (message: string) => {
    lines.push({ level, message });
  };
  return {
    lines,
    text: () => lines.map((line) => `${line.level}: ${line.message}`).join('\n'),
    info: push('info'),
    warn: push('warn'),
    error: push('error'),
  };
}
