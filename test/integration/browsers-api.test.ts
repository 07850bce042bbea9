import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { pollUntilDone, startTriggerHarness, type TriggerHarness } from './trigger-harness.ts';

// Browsers, devices, locale, time zone and network at run creation, through every door: POST
// /runs, the Sentri-shape trigger, AegisRunner's browserProfile/device, and `greenlight run`.
// Firefox and WebKit are not installed on this machine, so asking for them must fail clearly.

let h: TriggerHarness;
let p: { id: string; slug: string; token: string };
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const admin = () => bearer(h.admin.apiKey);

beforeAll(async () => {
  h = await startTriggerHarness();
  p = await h.project('devices', ['pass home']);
});
afterAll(async () => h?.close());

describe('run creation with browser options', () => {
  it('stores device, viewport, locale, time zone and network with the run (POST /runs)', async () => {
    const res = await h.call(
      'POST',
      `/api/v1/projects/${p.slug}/runs`,
      {
        browser: 'chromium',
        device: 'Mobile',
        viewport: { width: 800, height: 600 },
        locale: 'de-DE',
        timezone: 'Europe/Berlin',
        network: 'fast-3g',
      },
      admin(),
    );
    expect(res.status).toBe(202);
    expect(await h.store.runs.options(res.body.id)).toMatchObject({
      browser: 'chromium',
      device: 'Mobile',
      viewport: { width: 800, height: 600 },
      locale: 'de-DE',
      timezone: 'Europe/Berlin',
      network: 'fast-3g',
    });
    await h.engine.waitForRun(res.body.id, { timeoutMs: 10_000 });
  });

  it('refuses a browser that is not installed, naming it, what was looked for and the fix', async () => {
    for (const browser of ['firefox', 'webkit']) {
      const res = await h.call('POST', `/api/v1/projects/${p.slug}/runs`, { browser }, admin());
      expect([res.status, res.body.code]).toEqual([400, 'unsupported_field']);
      expect(res.body.error).toContain(`browser "${browser}" is not installed on this server`);
      expect(res.body.error).toContain(`npx playwright install --with-deps ${browser}`);
      expect(res.body.details).toMatchObject({ field: 'browser', value: browser });
      expect(res.body.details.lookedFor).toContain('ms-playwright');
    }
    const unknown = await h.call(
      'POST',
      `/api/v1/projects/${p.slug}/runs`,
      { browser: 'edge' },
      admin(),
    );
    expect([unknown.status, unknown.body.error]).toEqual([
      400,
      'browser "edge" is not known; use chromium, firefox, webkit',
    ]);
  });

  it('refuses unknown devices (listing presets), time zones and bad network presets', async () => {
    const device = await h.call(
      'POST',
      `/api/v1/projects/${p.slug}/runs`,
      { device: 'Nokia 3310' },
      admin(),
    );
    expect([device.status, device.body.code]).toEqual([400, 'validation_failed']);
    expect(device.body.error).toContain('desktop, mobile, tablet');
    expect(device.body.details.devices).toContain('iPhone 13');
    const tz = await h.call(
      'POST',
      `/api/v1/projects/${p.slug}/runs`,
      { timezone: 'Mars/Olympus' },
      admin(),
    );
    expect([tz.status, tz.body.details.field]).toEqual([400, 'timezone']);
    const net = await h.call('POST', `/api/v1/projects/${p.slug}/runs`, { network: '5g' }, admin());
    expect(net.status).toBe(400);
    const runs = await h.store.runs.list(p.id, { limit: 50, offset: 0 });
    expect(runs.items).toHaveLength(1);
  });
});

describe('triggers', () => {
  it('accepts device and emulation fields on the Sentri-shape trigger', async () => {
    const res = await h.call(
      'POST',
      `/api/v1/projects/${p.slug}/trigger`,
      { device: 'tablet', locale: 'fr-FR', timezone: 'America/Toronto', network: '4g' },
      bearer(p.token),
    );
    expect(res.status).toBe(202);
    expect(await h.store.runs.options(res.body.runId)).toMatchObject({
      browser: 'chromium',
      device: 'tablet',
      locale: 'fr-FR',
      timezone: 'America/Toronto',
      network: '4g',
    });
    await pollUntilDone(h, res.body.statusUrl, p.token);
    const webkit = await h.call(
      'POST',
      `/api/v1/projects/${p.slug}/trigger`,
      { browser: 'webkit' },
      bearer(p.token),
    );
    expect([webkit.status, webkit.body.details.field]).toEqual([400, 'browser']);
    expect(webkit.body.error).toContain('npx playwright install');
  });

  it('accepts AegisRunner device "mobile" and refuses a missing browserProfile by name', async () => {
    const ok = await h.call(
      'POST',
      '/api/v1/ci/trigger',
      { device: 'mobile', browserProfile: 'chromium' },
      bearer(p.token),
    );
    expect(ok.status).toBe(202);
    expect(await h.store.runs.options(ok.body.runId)).toMatchObject({
      device: 'mobile',
      browser: 'chromium',
    });
    await pollUntilDone(h, ok.body.url, p.token, 'status', ['queued', 'running']);
    const ff = await h.call(
      'POST',
      '/api/v1/ci/trigger',
      { browserProfile: 'firefox' },
      bearer(p.token),
    );
    expect([ff.status, ff.body.code, ff.body.details.field]).toEqual([
      400,
      'unsupported_field',
      'browser',
    ]);
    expect(ff.body.error).toContain('firefox');
    const phone = await h.call('POST', '/api/v1/ci/trigger', { device: 'phone' }, bearer(p.token));
    expect([phone.status, phone.body.details.field]).toEqual([400, 'device']);
  });
});

describe('greenlight run --browser', () => {
  let cliDir: string;
  beforeAll(() => {
    cliDir = mkdtempSync(join(tmpdir(), 'gl-cli-browsers-'));
  });
  afterAll(() => rmSync(cliDir, { recursive: true, force: true }));

  it('exits with an error naming the missing browser and how to install it', async () => {
    const r = await runCli(['run', 'demo', '--browser', 'firefox'], {
      GREENLIGHT_DATA_DIR: cliDir,
      GREENLIGHT_DEMO_PORT: '0',
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('browser "firefox" is not installed');
    expect(r.stderr).toContain('npx playwright install --with-deps firefox');
  });

  it('names a bad flag value', async () => {
    const r = await runCli(['run', 'demo', '--viewport', 'huge'], {
      GREENLIGHT_DATA_DIR: cliDir,
      GREENLIGHT_DEMO_PORT: '0',
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('--viewport must look like 1280x720');
  });
});
