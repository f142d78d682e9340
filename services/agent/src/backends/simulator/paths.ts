// Windows paths as Hyper-V sees them: case-insensitive, "\" separated, volumes decide where a path exists.
import type { VolumeDefinition } from "../world.ts";

export function normalizePath(path: string): string {
  return path.replace(/\//g, "\\").replace(/\\+$/, "").toLowerCase();
}

/** True when `path` is `root` or lies below it. */
export function isUnder(path: string, root: string): boolean {
  const p = normalizePath(path);
  const r = normalizePath(root);
  return p === r || p.startsWith(`${r}\\`);
}

export function baseName(path: string): string {
  const parts = path.replace(/\//g, "\\").split("\\");
  return parts[parts.length - 1] ?? path;
}

export function joinPath(dir: string, name: string): string {
  return `${dir.replace(/[\\/]+$/, "")}\\${name}`;
}

export function parentDir(path: string): string {
  const p = path.replace(/\//g, "\\");
  const i = p.lastIndexOf("\\");
  return i <= 0 ? p : p.slice(0, i);
}

/** The most specific volume containing the path. */
export function volumeOf(path: string, volumes: readonly VolumeDefinition[]): VolumeDefinition | null {
  let best: VolumeDefinition | null = null;
  for (const v of volumes) {
    if (isUnder(path, v.root) && (!best || normalizePath(v.root).length > normalizePath(best.root).length)) {
      best = v;
    }
  }
  return best;
}
