import { useQuery } from '@tanstack/react-query';
import { api } from '../api';
import { ErrorBox, Loading, usePageTitle } from '../ui/kit';

interface SystemInfo {
  version: string;
  nodeVersion: string;
  playwrightVersion: string;
  uptimeSeconds: number;
  memoryMB: number;
  database: { kind: string; migration: { latest: string | null; applied: number; known: number } };
  queue: { kind: string; running: boolean; queued: number; runningJobs: number };
  browser: { kind: string; path: string | null; version: string | null; error: string | null };
  counts: {
    projects: number;
    tests: number;
    approvedTests: number;
    draftTests: number;
    runs: number;
  };
  disk: {
    dataDir: string;
    artifactsBytes: number;
    baselinesBytes: number;
    freeBytes: number | null;
  };
}

/** 1536 → "1.5 KB". */
export function fmtBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

function fmtUptime(s: number): string {
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return d > 0 ? `${d} d ${h} h` : h > 0 ? `${h} h ${m} min` : `${m} min`;
}

/** Settings → System: what runs here, how big it is, and whether the parts are in place. */
export default function AdminSystem() {
  usePageTitle('System');
  const info = useQuery({ queryKey: ['system'], queryFn: () => api<SystemInfo>('/system') });
  return (
    <>
      <h1 tabIndex={-1}>System</h1>
      {info.isPending ? <Loading what="Reading the system" /> : null}
      <ErrorBox error={info.error} />
      {info.data ? (
        <>
          <h2>Server</h2>
          <dl className="kv card">
            <dt>Greenlight</dt>
            <dd>{info.data.version}</dd>
            <dt>Node.js</dt>
            <dd>{info.data.nodeVersion}</dd>
            <dt>Playwright</dt>
            <dd>{info.data.playwrightVersion}</dd>
            <dt>Up for</dt>
            <dd>{fmtUptime(info.data.uptimeSeconds)}</dd>
            <dt>Memory in use</dt>
            <dd>{info.data.memoryMB} MB</dd>
          </dl>
          <h2>Parts</h2>
          <dl className="kv card">
            <dt>Database</dt>
            <dd>
              {info.data.database.kind} · migration {info.data.database.migration.latest ?? 'none'}{' '}
              ({info.data.database.migration.applied} of {info.data.database.migration.known}{' '}
              applied)
            </dd>
            <dt>Queue</dt>
            <dd>
              {info.data.queue.kind} · {info.data.queue.running ? 'running' : 'stopped'} ·{' '}
              {info.data.queue.queued} queued, {info.data.queue.runningJobs} running
            </dd>
            <dt>Browser</dt>
            <dd>
              {info.data.browser.path ? (
                <>
                  <span className="mono">{info.data.browser.path}</span>
                  {info.data.browser.version ? ` · ${info.data.browser.version}` : ''}
                </>
              ) : (
                <span role="alert">{info.data.browser.error ?? 'not found'}</span>
              )}
            </dd>
          </dl>
          <h2>This workspace</h2>
          <dl className="kv card">
            <dt>Projects</dt>
            <dd>{info.data.counts.projects}</dd>
            <dt>Tests</dt>
            <dd>
              {info.data.counts.tests} ({info.data.counts.approvedTests} approved,{' '}
              {info.data.counts.draftTests} drafts)
            </dd>
            <dt>Runs</dt>
            <dd>{info.data.counts.runs}</dd>
          </dl>
          <h2>Disk</h2>
          <dl className="kv card">
            <dt>Data folder</dt>
            <dd className="mono">{info.data.disk.dataDir}</dd>
            <dt>Run artifacts</dt>
            <dd>{fmtBytes(info.data.disk.artifactsBytes)}</dd>
            <dt>Visual baselines</dt>
            <dd>{fmtBytes(info.data.disk.baselinesBytes)}</dd>
            <dt>Free space</dt>
            <dd>
              {info.data.disk.freeBytes === null ? 'unknown' : fmtBytes(info.data.disk.freeBytes)}
            </dd>
          </dl>
        </>
      ) : null}
    </>
  );
}
