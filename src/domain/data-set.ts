import { AppError } from './errors.ts';

/** One row of a data set: variable name → value. */
export type DataRow = Record<string, string>;

/** A project's named rows of variables; a test with `data: <name>` runs once per row. */
export interface DataSet {
  id: string;
  projectId: string;
  name: string;
  rows: DataRow[];
  createdAt: string;
  updatedAt: string;
}

export const MAX_DATA_ROWS = 1000;
/** Column that names a row in results and reports (`Sign in [admin]`); optional. */
const ROW_NAME_COLUMN = 'name';

/** Data-set names follow environment names: they appear in URLs and test files. */
export const dataSetNamePattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
/** Column names are variable names, so `{{column}}` works in steps. */
export const dataColumnPattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The variant of a plain test (no data set). */
export const PLAIN_VARIANT = '';

/** `admin` (the row's name column) or `#2` (1-based, as people count). */
export function rowLabel(row: DataRow | undefined, index: number): string {
  const name = row?.[ROW_NAME_COLUMN]?.trim();
  return name ? name : `#${index + 1}`;
}

/** The name shown for one variant of a test: `Sign in [admin]`; a plain test keeps its name. */
export function variantTestName(testName: string, label: string | null): string {
  return label === null ? testName : `${testName} [${label}]`;
}

/**
 * Parse CSV text with a header line into rows (RFC 4180: quoted fields may hold commas,
 * quotes doubled, and line breaks). Empty lines are skipped; a row with a different number of
 * fields than the header is an error naming its line.
 */
export function parseCsv(text: string): DataRow[] {
  const records = csvRecords(text.replace(/^\uFEFF/, ''));
  const header = records.shift();
  if (!header) throw badCsv('the CSV is empty; the first line names the columns');
  const columns = header.fields.map((c) => c.trim());
  columns.forEach((c, i) => {
    if (!dataColumnPattern.test(c)) {
      throw badCsv(`column ${i + 1} "${c}" is not a variable name (letters, digits and _)`);
    }
  });
  if (new Set(columns).size !== columns.length) throw badCsv('the header repeats a column');
  return records.map((r) => {
    if (r.fields.length !== columns.length) {
      throw badCsv(
        `line ${r.line} has ${r.fields.length} fields; the header has ${columns.length}`,
      );
    }
    return Object.fromEntries(columns.map((c, i) => [c, r.fields[i] ?? '']));
  });
}

const badCsv = (message: string): AppError =>
  new AppError('validation_failed', `invalid CSV: ${message}`);

interface CsvRecord {
  fields: string[];
  /** 1-based line where the record starts. */
  line: number;
}

function csvRecords(text: string): CsvRecord[] {
  const out: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  let touched = false;
  const endRecord = (): void => {
    fields.push(field);
    if (touched || fields.length > 1 || field !== '') out.push({ fields, line: start });
    fields = [];
    field = '';
    touched = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else {
        if (c === '\n') line++;
        field += c;
      }
    } else if (c === '"') {
      quoted = true;
      touched = true;
    } else if (c === ',') {
      fields.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      start = line;
    } else field += c;
  }
  if (quoted) throw badCsv(`a quoted field starting on line ${start} is never closed`);
  endRecord();
  return out;
}
