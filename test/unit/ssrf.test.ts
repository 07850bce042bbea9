import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.ts';
import {
  assertPublicUrl,
  classifyAddress,
  resolvePublicTarget,
  type LookupAll,
} from '../../src/integrations/ssrf.ts';

// No connection is ever made here: the guard only parses and resolves.
const none = { allowPrivateUrls: [] as string[] };
/** A fake resolver (DNS is an outside service): names in the table, else "not found". */
const fakeDns =
  (table: Record<string, string[]>): LookupAll =>
  async (host) => {
    const addrs = table[host];
    if (!addrs) throw new Error('ENOTFOUND');
    return addrs.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

async function refusal(url: string, config = none, lookup?: LookupAll): Promise<string> {
  try {
    await assertPublicUrl(url, config, lookup ? { lookup } : {});
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).code).toBe('validation_failed');
    return (e as AppError).message;
  }
  throw new Error(`${url} was not refused`);
}

describe('SSRF guard', () => {
  it('refuses private, link-local (metadata), loopback and unspecified targets', async () => {
    expect(await refusal('http://10.0.0.1/hook')).toMatch(/private-network/);
    expect(await refusal('http://172.20.1.1/')).toMatch(/private-network/);
    expect(await refusal('http://192.168.1.10/')).toMatch(/private-network/);
    expect(await refusal('http://100.64.0.1/')).toMatch(/private-network/);
    expect(await refusal('http://169.254.169.254/latest/meta-data/')).toMatch(/link-local/);
    expect(await refusal('http://127.0.0.1:8080/')).toMatch(/loopback/);
    expect(await refusal('http://0.0.0.0/')).toMatch(/unspecified/);
    expect(await refusal('http://[::1]/')).toMatch(/loopback/);
    expect(await refusal('http://[::]/')).toMatch(/unspecified/);
    expect(await refusal('http://[fe80::1]/')).toMatch(/link-local/);
    expect(await refusal('http://[fd00::5]/')).toMatch(/private-network/);
    expect(await refusal('http://224.0.0.1/')).toMatch(/reserved/);
  });

  it('sees through IPv4-mapped and other IPv6 wrappers of private addresses', async () => {
    expect(await refusal('http://[::ffff:127.0.0.1]/')).toMatch(/loopback/);
    expect(await refusal('http://[::ffff:a9fe:a9fe]/')).toMatch(/link-local/);
    expect(await refusal('http://[64:ff9b::10.0.0.1]/')).toMatch(/private-network/);
    expect(await refusal('http://[2002:c0a8:0101::1]/')).toMatch(/private-network/);
    // Numeric shorthands are normalised by the URL parser before the check.
    expect(await refusal('http://2130706433/')).toMatch(/loopback/);
    expect(await refusal('http://0x7f.1/')).toMatch(/loopback/);
  });

  it('refuses localhost and any name resolving to a private address (all answers checked)', async () => {
    expect(await refusal('http://localhost:3000/')).toMatch(/loopback/);
    const dns = fakeDns({
      'evil.example': ['127.0.0.1'],
      'mixed.example': ['8.8.8.8', '10.1.2.3'],
    });
    expect(await refusal('https://evil.example/cb', none, dns)).toMatch(/loopback/);
    expect(await refusal('https://mixed.example/cb', none, dns)).toMatch(/private-network/);
    expect(await refusal('https://nowhere.example/', none, dns)).toMatch(/cannot be resolved/);
  });

  it('accepts only http and https', async () => {
    expect(await refusal('file:///etc/passwd')).toMatch(/http or https, not file/);
    expect(await refusal('ftp://example.com/x')).toMatch(/not ftp/);
    expect(await refusal('gopher://example.com/')).toMatch(/not gopher/);
    expect(await refusal('not a url')).toMatch(/not a valid/);
  });

  it('passes public addresses and returns the addresses to pin', async () => {
    const dns = fakeDns({ 'ci.example.com': ['93.184.216.34', '2606:2800:220:1::1'] });
    const t = await resolvePublicTarget('https://ci.example.com/hooks/x?a=1', none, {
      lookup: dns,
    });
    expect(t.url.href).toBe('https://ci.example.com/hooks/x?a=1');
    expect(t.addresses.map((a) => a.address)).toEqual(['93.184.216.34', '2606:2800:220:1::1']);
    await expect(assertPublicUrl('http://93.184.216.34/', none)).resolves.toBeInstanceOf(URL);
  });

  it('allows what GREENLIGHT_ALLOW_PRIVATE_URLS names: loopback, private, hosts, CIDRs', async () => {
    const loopback = { allowPrivateUrls: ['loopback'] };
    await expect(assertPublicUrl('http://127.0.0.1:9/', loopback)).resolves.toBeInstanceOf(URL);
    await expect(assertPublicUrl('http://[::1]:9/', loopback)).resolves.toBeInstanceOf(URL);
    expect(await refusal('http://10.0.0.1/', loopback)).toMatch(/private-network/);
    expect(await refusal('http://169.254.169.254/', { allowPrivateUrls: ['private'] })).toMatch(
      /link-local/,
    );
    const cidr = { allowPrivateUrls: ['10.1.0.0/16', 'fd00::/8'] };
    await expect(assertPublicUrl('http://10.1.2.3/', cidr)).resolves.toBeInstanceOf(URL);
    await expect(assertPublicUrl('http://[fd00::1]/', cidr)).resolves.toBeInstanceOf(URL);
    expect(await refusal('http://10.2.0.1/', cidr)).toMatch(/private-network/);
    const host = { allowPrivateUrls: ['hooks.internal'] };
    const dns = fakeDns({ 'hooks.internal': ['10.9.9.9'] });
    await expect(
      assertPublicUrl('http://hooks.internal/x', host, { lookup: dns }),
    ).resolves.toBeInstanceOf(URL);
  });

  it('classifies addresses', () => {
    expect(classifyAddress('8.8.8.8')).toBe('public');
    expect(classifyAddress('172.32.0.1')).toBe('public');
    expect(classifyAddress('100.128.0.1')).toBe('public');
    expect(classifyAddress('2001:4860:4860::8888')).toBe('public');
    expect(classifyAddress('::ffff:8.8.8.8')).toBe('public');
    expect(classifyAddress('::ffff:192.168.0.1')).toBe('private');
    expect(classifyAddress('fe80::1%eth0')).toBe('link_local');
  });

  it('names what the URL was for in the refusal', async () => {
    for (const purpose of ['crawl URL', 'base URL', 'webhook URL', 'callback URL'] as const) {
      await expect(assertPublicUrl('http://127.0.0.1/', none, { purpose })).rejects.toThrow(
        new RegExp(`^${purpose} host "127.0.0.1" resolves to a loopback address`),
      );
    }
    await expect(assertPublicUrl('http://127.0.0.1/', none)).rejects.toThrow(/^callback URL/);
  });

  it('lets a trusted origin through and nothing beside it (the bundled demo)', async () => {
    const demo = { allowPrivateUrls: [], trustedOrigins: ['http://127.0.0.1:3100'] };
    await expect(assertPublicUrl('http://127.0.0.1:3100/login', demo)).resolves.toBeInstanceOf(URL);
    expect(await refusal('http://127.0.0.1:3101/', demo)).toMatch(/loopback/);
    expect(await refusal('https://127.0.0.1:3100/', demo)).toMatch(/loopback/);
    expect(
      await refusal('http://localhost:3100/', demo, fakeDns({ localhost: ['127.0.0.1'] })),
    ).toMatch(/loopback/);
  });
});
