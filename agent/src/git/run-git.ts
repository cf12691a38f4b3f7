import { spawn } from 'node:child_process';
import { AgentError } from '../errors.js';
import { LineSplitter } from '../logs/line-splitter.js';
import type { GitAccess } from './git-access.js';

export interface GitRunOptions {
  cwd: string;
  signal?: AbortSignal;
  /** Kill git after this long, in milliseconds. */
  timeoutMs?: number;
  /** Receives each line git writes to stderr (progress, warnings). */
  onLine?: (line: string) => void;
  /** A private repository's credential: its environment, config, redaction and failure reasons. */
  access?: GitAccess;
}

/** Options that keep git from prompting, running helpers, or reading exotic transports. */
const SAFE_CONFIG = [
  '-c',
  'protocol.ext.allow=never',
  '-c',
  'protocol.file.allow=user',
  '-c',
  'core.hooksPath=/dev/null',
  '-c',
  'core.fsmonitor=false',
  '-c',
  'advice.detachedHead=false',
];

/** The git command line, without the `git` itself: safe config, the access's config, then `args`. */
export function gitArgv(args: string[], access?: GitAccess): string[] {
  return [...SAFE_CONFIG, ...(access?.config ?? []), ...args];
}

/**
 * Runs git with an argument array (never a shell). Callers put `--end-of-options`
 * before any user-supplied URL or ref so it can never be read as an option.
 */
export function runGit(args: string[], options: GitRunOptions): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 10 * 60_000;
  const redact = options.access?.redact ?? ((text: string) => text);
  return new Promise((resolve, reject) => {
    const child = spawn('git', gitArgv(args, options.access), {
      cwd: options.cwd,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? '/root',
        GIT_TERMINAL_PROMPT: '0',
        GIT_ASKPASS: '/bin/false',
        SSH_ASKPASS: '/bin/false',
        GIT_SSH_COMMAND: 'ssh -o BatchMode=yes -o StrictHostKeyChecking=accept-new',
        GIT_CONFIG_NOSYSTEM: '1',
        LC_ALL: 'C',
        ...options.access?.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: options.signal,
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    // Progress redrawn with \r keeps its final state; blank lines carry nothing.
    const lines = new LineSplitter(({ text }) => {
      if (text.trim()) options.onLine?.(redact(text));
    });
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      lines.pushBytes(chunk);
    });
    child.on('error', (err) => {
      if (options.signal?.aborted) reject(new AgentError('CANCELLED', 'git was cancelled'));
      else
        reject(
          new AgentError(
            'UNREACHABLE',
            `git could not run: ${err.message}; check that git is installed on this server`,
            { cause: err },
          ),
        );
    });
    child.on('close', (code, signal) => {
      lines.end();
      if (code === 0) resolve(stdout);
      else {
        // A kill that nobody asked for is the timeout's.
        const errorCode = !signal
          ? 'UNREACHABLE'
          : options.signal?.aborted
            ? 'CANCELLED'
            : 'TIMEOUT';
        const why =
          errorCode === 'TIMEOUT'
            ? `took longer than ${timeoutMs / 1000} s and was stopped`
            : signal
              ? `was stopped (${signal})`
              : `exited with status ${code}`;
        const explained = errorCode === 'UNREACHABLE' ? options.access?.explain(stderr) : null;
        if (explained) {
          reject(new AgentError('AUTH_FAILED', explained));
          return;
        }
        const last = redact(stderr.trim().split('\n').slice(-3).join(' | '));
        reject(new AgentError(errorCode, `git ${args[0]} ${why}${last ? `: ${last}` : ''}`));
      }
    });
  });
}
