// Seeded randomness: everything the simulator "rolls" derives from the world seed, so a world and
// its moves replay identically (tests, demos, benchmarks).

/** FNV-1a over the parts, mixed into one 32-bit seed. */
export function hashSeed(...parts: (string | number)[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    const s = `${part}\u0000`;
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
  }
  return h >>> 0;
}

/** mulberry32: small, fast, good enough for jitter. Returns floats in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function between(r: () => number, min: number, max: number): number {
  return min + r() * (max - min);
}

export function intBetween(r: () => number, min: number, max: number): number {
  return Math.floor(between(r, min, max + 1));
}

export function pick<T>(r: () => number, items: readonly T[]): T {
  return items[Math.floor(r() * items.length)]!;
}

/** A version-4 formatted GUID from the generator (Hyper-V ids look like this). */
export function guid(r: () => number): string {
  let hex = "";
  for (let i = 0; i < 32; i++) hex += Math.floor(r() * 16).toString(16);
  const variant = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
