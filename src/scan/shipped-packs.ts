import { readFileSync } from 'node:fs';
import { parsePackYaml } from './pack-yaml.ts';
import type { PackDef } from './rule-schema.ts';

/** The packs Greenlight ships, as YAML files beside this module (read once). */
export const shippedPackIds = ['secrets', 'owasp-js', 'hygiene'] as const;

let cache: PackDef[] | null = null;

/** The shipped packs, parsed and checked (a broken shipped pack is a bug: it throws). */
export function shippedPacks(): PackDef[] {
  cache ??= shippedPackIds.map((id) =>
    parsePackYaml(readFileSync(new URL(`./packs/${id}.yaml`, import.meta.url), 'utf8')),
  );
  return cache;
}

export const isShippedPack = (id: string): boolean =>
  (shippedPackIds as readonly string[]).includes(id);
