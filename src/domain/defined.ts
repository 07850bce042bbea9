/**
 * The keys of T whose value may be undefined become optional and lose the undefined: the shape
 * `exactOptionalPropertyTypes` asks for, where `{ x?: string }` refuses `{ x: undefined }`.
 */
export type Defined<T> = {
  [K in keyof T as undefined extends T[K] ? never : K]: T[K];
} & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>;
};

/** A copy of `o` without its undefined-valued keys (null, '', 0 and false are kept). */
export function defined<T extends object>(o: T): Defined<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  // The loop above is exactly what Defined<T> describes; TypeScript cannot follow it.
  return out as Defined<T>;
}
