import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ScanFinding } from '../../src/domain/scan.ts';
import {
  dialects,
  openTestStore,
  newProject,
  type TestStore,
} from '../fixtures/engine/test-stores.ts';

const finding = (n: number): ScanFinding => ({
  ruleId: 'GL-OWASP-EVAL',
  severity: 'high',
  message: 'eval',
  file: `src/f${n}.js`,
  startLine: n,
  fingerprint: n.toString(16).padStart(64, '0'),
  status: 'new',
});

describe.each(dialects)('scan store on %s', (dialect) => {
  let ts: TestStore;
  let projectId: string;
  beforeEach(async () => {
    ts = await openTestStore(dialect);
    projectId = (await newProject(ts.store)).id;
  });
  afterEach(() => ts.dispose());

  it('keeps a scan and its findings, written once when it finishes', async () => {
    const { store } = ts;
    const scan = await store.scans.create({
      projectId,
      source: 'api',
      branch: 'main',
      request: { files: 2 },
    });
    await store.scans.markRunning(scan.id);
    const findings = Array.from({ length: 600 }, (_, i) => finding(i + 1));
    const f = {
      status: 'failed' as const,
      summary: { files: 2 },
      gate: { passed: false },
      warnings: [],
      error: null,
      findings,
    };
    expect(await store.scans.finish(scan.id, f)).toBe(true);
    expect(await store.scans.finish(scan.id, f)).toBe(false);
    const page = await store.scans.findings(scan.id, { limit: 10, offset: 0, file: 'src/f7.js' });
    expect(page).toMatchObject({ total: 1, findings: [{ file: 'src/f7.js', startLine: 7 }] });
    expect((await store.scans.fingerprints(scan.id)).size).toBe(600);
    expect(await store.scans.latestOnBranch(projectId, 'main')).toMatchObject({
      id: scan.id,
      status: 'failed',
    });
    expect(await store.scans.get('another-project', scan.id)).toBeUndefined();
  });

  it('the audit log is a hash chain the database will not let anyone rewrite', async () => {
    const { store } = ts;
    await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        store.scanAudit.append(projectId, {
          actor: 'user:a',
          action: 'scan.finished',
          detail: { i },
        }),
      ),
    );
    const entries = await store.scanAudit.list(projectId, { limit: 10 });
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(entries[1]!.prevHash).toBe(entries[0]!.hash);
    expect(await store.scanAudit.verify(projectId)).toEqual({ entries: 5, brokenAt: null });
    await expect(sql`update scan_audit set actor = 'mallory'`.execute(store.db)).rejects.toThrow(
      /append-only/,
    );
    await expect(sql`delete from scan_audit`.execute(store.db)).rejects.toThrow(/append-only/);
  });

  it('approvals cover their fingerprints until they expire', async () => {
    const { store } = ts;
    const a = await store.scanApprovals.create({
      projectId,
      scanId: 's1',
      runId: null,
      fingerprints: ['b', 'a'],
      reason: 'gate failed',
      requestedBy: null,
    });
    expect((await store.scanApprovals.active(projectId, new Date().toISOString())).size).toBe(0);
    const expiresAt = new Date(Date.now() + 60_000).toISOString();
    expect(
      await store.scanApprovals.decide(projectId, a.id, {
        status: 'approved',
        by: 'user:1',
        comment: 'ok',
        expiresAt,
      }),
    ).toBe(true);
    expect(
      await store.scanApprovals.decide(projectId, a.id, {
        status: 'rejected',
        by: 'user:1',
        comment: null,
        expiresAt: null,
      }),
    ).toBe(false);
    const active = await store.scanApprovals.active(projectId, new Date().toISOString());
    expect([...active.keys()].sort()).toEqual(['a', 'b']);
    expect(
      (await store.scanApprovals.active(projectId, new Date(Date.now() + 120_000).toISOString()))
        .size,
    ).toBe(0);
  });

  it('keeps custom packs, suppressions and settings per project', async () => {
    const { store } = ts;
    await store.scanSettings.savePack(projectId, {
      id: 'team',
      name: 'Team',
      document: 'id: team',
      createdBy: null,
    });
    await store.scanSettings.savePack(projectId, {
      id: 'team',
      name: 'Team 2',
      document: 'id: team',
      createdBy: null,
    });
    expect((await store.scanSettings.packs(projectId)).map((p) => p.name)).toEqual(['Team 2']);
    const s = await store.scanSettings.addSuppression(projectId, {
      rule: 'R',
      reason: 'why',
      approver: 'me',
    });
    expect(await store.scanSettings.suppressions(projectId)).toEqual([
      expect.objectContaining({ id: s.id, rule: 'R' }),
    ]);
    await store.scanSettings.put(projectId, {
      config: { packs: ['secrets'] },
      governance: {},
      updatedBy: null,
    });
    await store.scanSettings.put(projectId, {
      config: { packs: ['hygiene'] },
      governance: {},
      updatedBy: null,
    });
    expect(await store.scanSettings.get(projectId)).toMatchObject({
      config: { packs: ['hygiene'] },
    });
  });
});
