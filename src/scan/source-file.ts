/**
 * One file as the engines see it: its text, its UTF-8 bytes (RE2 matches bytes, so the text is
 * encoded once per file, not once per rule) and a line index to turn offsets into positions.
 */
export class SourceFile {
  readonly path: string;
  readonly text: string;
  readonly bytes: Buffer;
  readonly language: string;
  #lineStarts: number[] | null = null;
  #lower: string | null = null;

  constructor(path: string, text: string, language: string) {
    this.path = path;
    this.text = text;
    this.bytes = Buffer.from(text, 'utf8');
    this.language = language;
  }

  /** Lower-cased text, for the keyword pre-filter of secret rules. */
  get lower(): string {
    this.#lower ??= this.text.toLowerCase();
    return this.#lower;
  }

  /** Byte offset of the start of each line (0-based lines). */
  get lineStarts(): number[] {
    if (!this.#lineStarts) {
      const starts = [0];
      const b = this.bytes;
      for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) starts.push(i + 1);
      this.#lineStarts = starts;
    }
    return this.#lineStarts;
  }

  get lineCount(): number {
    const n = this.lineStarts.length;
    // A final newline ends the last line rather than starting an empty one.
    return this.bytes.length > 0 && this.bytes[this.bytes.length - 1] === 10 ? n - 1 : n;
  }

  /** 0-based line of a byte offset. */
  lineOf(offset: number): number {
    const starts = this.lineStarts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The text of a 0-based line, without its line break. */
  lineText(line: number): string {
    const start = this.lineStarts[line] ?? this.bytes.length;
    const next = this.lineStarts[line + 1];
    const end = next === undefined ? this.bytes.length : next - 1;
    return this.bytes.subarray(start, Math.max(start, end)).toString('utf8').replace(/\r$/, '');
  }

  /** 1-based line and column (UTF-16 units, as editors and SARIF count) of a byte offset. */
  position(offset: number): { line: number; column: number } {
    const line = this.lineOf(offset);
    const start = this.lineStarts[line] as number;
    const column = this.bytes.subarray(start, offset).toString('utf8').length + 1;
    return { line: line + 1, column };
  }
}

/** Extension → language, for rules that name languages. */
const byExtension: Record<string, string> = {
  js: 'javascript',
  mjs: 'javascript',
  cjs: 'javascript',
  jsx: 'javascript',
  ts: 'typescript',
  mts: 'typescript',
  cts: 'typescript',
  tsx: 'typescript',
  json: 'json',
  yaml: 'yaml',
  yml: 'yaml',
  py: 'python',
  go: 'go',
  java: 'java',
  sh: 'shell',
  bash: 'shell',
  md: 'markdown',
  html: 'html',
  htm: 'html',
  css: 'css',
};

export function languageOf(path: string): string {
  const dot = path.lastIndexOf('.');
  const ext = dot === -1 ? '' : path.slice(dot + 1).toLowerCase();
  return byExtension[ext] ?? 'other';
}
