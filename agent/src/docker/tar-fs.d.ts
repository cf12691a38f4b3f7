declare module 'tar-fs' {
  import type { Readable } from 'node:stream';
  export interface PackOptions {
    ignore?: (name: string) => boolean;
  }
  export function pack(dir: string, options?: PackOptions): Readable;
}
