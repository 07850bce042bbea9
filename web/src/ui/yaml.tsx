import { stringify } from 'yaml';

/** A test document (or its steps) as the YAML it is written in. */
export function toYaml(value: unknown): string {
  return stringify(value, { lineWidth: 100 });
}

export function StepsYaml({ steps }: { steps: unknown[] }) {
  return <pre aria-label="Steps">{toYaml(steps)}</pre>;
}
