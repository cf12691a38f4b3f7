import { runLines, type LogLine, type LogRun } from '@berth/protocol';

/** Most lines in one `log.batch` frame, as a control plane of protocol 1.2 takes them. */
const LEGACY_BATCH_LINES = 1000;

/**
 * The `log.batch` frames that carry the lines of a `log.runs` frame, for a control plane of
 * protocol 1.2, which stores line by line. Frames stay under the spool's frame size: a run
 * of lines takes little more as lines, and at most BATCH_LINES go in one.
 */
export function legacyLogBatches(runsFrame: Buffer): string[] {
  const { jobId, runs } = JSON.parse(runsFrame.toString('utf8')) as {
    jobId: string;
    runs: LogRun[];
  };
  const frames: string[] = [];
  let lines: LogLine[] = [];
  const flush = () => {
    if (lines.length > 0) frames.push(JSON.stringify({ type: 'log.batch', jobId, lines }));
    lines = [];
  };
  for (const run of runs) {
    for (const line of runLines(run)) {
      lines.push(line);
      if (lines.length >= LEGACY_BATCH_LINES) flush();
    }
  }
  flush();
  return frames;
}
