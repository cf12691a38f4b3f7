import type { Plugin } from 'esbuild';

export const DEPENDENCY_PATCHES: [ending: string, original: string, replacement: string][];
export function patchDependencySource(path: string, source: string): string;
export const dependencyPatches: Plugin;
