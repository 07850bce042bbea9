import { mkdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

/** Files of one test attempt: absolute paths to write, relative paths to record. */
export class AttemptFiles {
  readonly dir: string;
  readonly #base: string;
  readonly #used = new Set<string>();
  #ready: Promise<unknown> | null = null;

  constructor(dir: string, base: string) {
    this.dir = dir;
    this.#base = base;
  }

  /** Create the folder once, on first use. */
  async ensureDir(): Promise<void> {
    this.#ready ??= mkdir(this.dir, { recursive: true });
    await this.#ready;
  }

  /** A fresh absolute path for a file named after `name` (made safe, never reused). */
  async file(name: string, ext: string): Promise<string> {
    await this.ensureDir();
    const stem = safeFileName(name) || 'file';
    let candidate = `${stem}${ext}`;
    for (let n = 2; this.#used.has(candidate); n++) candidate = `${stem}-${n}${ext}`;
    this.#used.add(candidate);
    return join(this.dir, candidate);
  }

  /** A path as the result records it: relative to the base, with forward slashes. */
  relative(path: string): string {
    return relative(this.#base, path).split(sep).join('/');
  }
}

/** Letters, digits, `.`, `_` and `-` only, at most 80 characters, no leading dot. */
export function safeFileName(name: string): string {
  return name
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._]+/, '')
    .slice(0, 80);
}
