/** Plain one-line log output. Callers never pass tokens, keys or env values. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

function oneLine(message: string): string {
  // eslint-disable-next-line no-control-regex
  return message.replace(/[\u0000-\u001f\u007f]+/g, ' ');
}

export function createConsoleLogger(): Logger {
  const line = (level: string, message: string): string =>
    `${new Date().toISOString()} ${level} ${oneLine(message)}`;
  return {
    info: (message) => console.log(line('info', message)),
    warn: (message) => console.error(line('warn', message)),
    error: (message) => console.error(line('error', message)),
  };
}

export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };
