declare module 'tar-stream' {
  import type { Readable, Writable } from 'node:stream';
  export interface Headers {
    name: string;
    size?: number;
    mode?: number;
    uid?: number;
    gid?: number;
    mtime?: Date;
    type?: 'file' | 'directory';
  }
  export interface Pack extends Readable {
    entry(header: Headers, content?: string | Buffer, callback?: (err?: Error) => void): Writable;
    finalize(): void;
  }
  export interface Entry extends Readable {
    header: Headers;
  }
  export interface Extract extends Writable, AsyncIterable<Entry> {}
  export function pack(): Pack;
  export function extract(): Extract;
}
