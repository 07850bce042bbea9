import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import type * as Fflate from 'fflate';
import type * as TarStream from 'tar-stream';
import { AppError } from '../domain/errors.ts';
import { looksBinary, normalizeRepoPath } from './files.ts';

/** Limits on an uploaded archive: it is read into memory, never written to disk. */
export interface ArchiveLimits {
  maxFiles: number;
  /** Total uncompressed bytes. */
  maxBytes: number;
}

const defaultArchiveLimits: ArchiveLimits = {
  maxFiles: 10_000,
  maxBytes: 100 * 1024 * 1024,
};

const tooBig = (l: ArchiveLimits): AppError =>
  new AppError(
    'payload_too_large',
    `archive exceeds ${l.maxFiles} files or ${l.maxBytes} bytes uncompressed`,
  );

/**
 * The text files of an uploaded `.tar.gz`/`.tgz`/`.tar` or `.zip` (the changed files of a
 * pipeline), as `{path: content}`. Entries are read into memory under size limits, paths must stay
 * inside the archive (no `..`, no absolute paths), links and binaries are left out.
 */
export async function readArchive(
  data: Buffer,
  limits = defaultArchiveLimits,
): Promise<Record<string, string>> {
  if (data.length >= 4 && data.readUInt32LE(0) === 0x04034b50) return readZip(data, limits);
  let tar = data;
  if (data[0] === 0x1f && data[1] === 0x8b) {
    try {
      tar = gunzipSync(data, { maxOutputLength: limits.maxBytes + 1024 * 1024 });
    } catch (e) {
      if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooBig(limits);
      throw new AppError('validation_failed', 'archive is not valid gzip data');
    }
  }
  return readTar(tar, limits);
}

function readZip(data: Buffer, limits: ArchiveLimits): Record<string, string> {
  let files = 0;
  let bytes = 0;
  let entries: Record<string, Uint8Array>;
  try {
    // Archive readers load with the first upload: a server that is never sent one skips them.
    const { unzipSync } = createRequire(import.meta.url)('fflate') as typeof Fflate;
    entries = unzipSync(data, {
      // Refuse before inflating: the declared sizes are checked, and inflation is bounded by them.
      filter: (f) => {
        if (f.name.endsWith('/')) return false;
        files++;
        bytes += f.originalSize;
        if (files > limits.maxFiles || bytes > limits.maxBytes) throw tooBig(limits);
        return true;
      },
    });
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw new AppError('validation_failed', 'archive is not a valid zip file');
  }
  const out: Record<string, string> = {};
  for (const [name, content] of Object.entries(entries)) {
    if (looksBinary(content)) continue;
    out[normalizeRepoPath(name)] = Buffer.from(content).toString('utf8');
  }
  return out;
}

async function readTar(data: Buffer, limits: ArchiveLimits): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  let files = 0;
  let bytes = 0;
  const { extract } = createRequire(import.meta.url)('tar-stream') as typeof TarStream;
  const ex = extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (data: unknown) => {
        const c = data as Buffer;
        bytes += c.length;
        if (bytes > limits.maxBytes) ex.destroy(tooBig(limits));
        else if (header.type === 'file') chunks.push(c);
      });
      stream.on('end', () => {
        if (header.type === 'file') {
          files++;
          if (files > limits.maxFiles) return ex.destroy(tooBig(limits));
          const content = Buffer.concat(chunks);
          try {
            if (!looksBinary(content))
              out[normalizeRepoPath(header.name)] = content.toString('utf8');
          } catch (e) {
            return ex.destroy(e as Error);
          }
        }
        next();
      });
      stream.resume();
    });
    ex.on('finish', resolve);
    ex.on('error', (e) =>
      reject(
        e instanceof AppError
          ? e
          : new AppError('validation_failed', `archive is not a valid tar file: ${e.message}`),
      ),
    );
  });
  Readable.from([data]).pipe(ex);
  await done;
  return out;
}
