import { createRequire } from 'node:module';
import type Pg from 'pg';

/**
 * The PostgreSQL driver, loaded by the first PostgreSQL connection: a server on SQLite never
 * holds it (about 8 MB). It is CommonJS, so a lazy require keeps callers sync.
 */
export const pgDriver = (): typeof Pg => createRequire(import.meta.url)('pg') as typeof Pg;
