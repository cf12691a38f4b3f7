import { describe, expect, it } from 'vitest';
import type { OutputText } from './engine.js';
import { BuildOutput } from './build-output.js';

// The classic builder's `stream` events for a RUN step, as Engine 20.10 sends them.
const EVENTS = [
  'Step 2/3 : RUN printf',
  '\n',
  ' ---> Running in 057551e4c6de\n',
  'abc\nde',
  'f-no-newline',
  'Removing intermediate container 057551e4c6de\n',
  ' ---> a73c8b46f45b\n',
  'Step 3/3 : RUN oops\n',
  ' ---> Running in f4fc8554c82d\n',
  'stdout cut ',
  '\u001b[91mto stderr\n\u001b[0m',
  '\u001b[91mstderr in \u001b[0m',
  'by stderr\n',
  '\u001b[91mtwo writes\n\u001b[0m',
  'half a line',
];

describe('BuildOutput', () => {
  it('joins lines across events and ends a step’s last line where the step ends', () => {
    const lines: OutputText[] = [];
    const output = new BuildOutput((line) => lines.push(line));
    for (const event of EVENTS) output.push(event);
    output.message('The command returned a non-zero code: 1');
    output.end();
    expect(lines.map((l) => l.text)).toEqual([
      'Step 2/3 : RUN printf',
      ' ---> Running in 057551e4c6de',
      'abc',
      'def-no-newline',
      'Removing intermediate container 057551e4c6de',
      ' ---> a73c8b46f45b',
      'Step 3/3 : RUN oops',
      ' ---> Running in f4fc8554c82d',
      '\u001b[91mto stderr\u001b[0m',
      'stdout cut by stderr',
      '\u001b[91mstderr in two writes\u001b[0m',
      'half a line',
      'The command returned a non-zero code: 1',
    ]);
  });

  it('does not break a line on output that only looks like the end of another step', () => {
    const lines: OutputText[] = [];
    const output = new BuildOutput((line) => lines.push(line));
    output.push(' ---> Running in aaaa\n');
    output.push('start ');
    output.push('Removing intermediate container bbbb\n');
    output.end();
    expect(lines.map((l) => l.text)).toEqual([
      ' ---> Running in aaaa',
      'start Removing intermediate container bbbb',
    ]);
  });
});
