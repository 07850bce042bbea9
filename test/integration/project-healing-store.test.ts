import { afterEach, describe, expect, it } from 'vitest';
import {
  dialects,
  newProject,
  openTestStore,
  type TestStore,
} from '../fixtures/engine/test-stores.ts';

// The project's healing default (migration 018) on both databases, next to retries and failOnFlaky.
const open: TestStore[] = [];
afterEach(async () => {
  for (const t of open.splice(0)) await t.dispose();
});

describe.each(dialects)('project healing default on %s', (dialect) => {
  it('is on for a new project, turns off and on again, and leaves the other defaults alone', async () => {
    const t = await openTestStore(dialect);
    open.push(t);
    const p = await newProject(t.store);
    expect(p).toMatchObject({ healing: true, retries: 0, failOnFlaky: false });
    expect((await t.store.projects.get(p.id))?.healing).toBe(true);

    const off = await t.store.projects.update(p.id, { healing: false, retries: 3 });
    expect(off).toMatchObject({ healing: false, retries: 3, failOnFlaky: false });
    expect(await t.store.projects.get(p.slug)).toMatchObject({ healing: false, retries: 3 });

    const renamed = await t.store.projects.update(p.id, { name: 'Renamed' });
    expect(renamed).toMatchObject({ healing: false, retries: 3, name: 'Renamed' });
    const on = await t.store.projects.update(p.id, { healing: true });
    expect(on.healing).toBe(true);
    expect((await t.store.projects.list()).find((x) => x.id === p.id)?.healing).toBe(true);
  });
});
