// A minimal stand-in for a browser's navigation: follows redirects across origins by hand and
// keeps cookies per origin and path, as a browser would for top-level GET navigations.

interface StoredCookie {
  value: string;
  path: string;
}

export interface Navigation {
  /** The URLs visited, in order, ending with the one that did not redirect. */
  visited: string[];
  /** The last response. */
  response: Response;
  /** The last URL (where the browser ends up). */
  url: URL;
}

export class BrowserJar {
  readonly #jar = new Map<string, Map<string, StoredCookie>>();

  /** Cookies the browser holds for an origin (name → value). */
  cookies(origin: string): Record<string, string> {
    return Object.fromEntries(
      [...(this.#jar.get(origin) ?? new Map()).entries()].map(([k, c]) => [k, c.value]),
    );
  }

  #store(url: URL, res: Response): void {
    const jar = this.#jar.get(url.origin) ?? new Map<string, StoredCookie>();
    this.#jar.set(url.origin, jar);
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const path = attrs.find((a) => /^path=/i.test(a))?.slice(5) ?? '/';
      const maxAge = attrs.find((a) => /^max-age=/i.test(a));
      const expired =
        (maxAge !== undefined && Number(maxAge.slice(8)) <= 0) ||
        attrs.some((a) => /^expires=/i.test(a) && Date.parse(a.slice(8)) < Date.now());
      if (expired || value === '') jar.delete(name);
      else jar.set(name, { value, path });
    }
  }

  #header(url: URL): string {
    const jar = this.#jar.get(url.origin);
    if (!jar) return '';
    return [...jar.entries()]
      .filter(([, c]) => url.pathname.startsWith(c.path))
      .map(([k, c]) => `${k}=${c.value}`)
      .join('; ');
  }

  /** GET one URL without following its redirect; returns where it redirects to. */
  async navigateOnce(url: URL): Promise<string> {
    const cookie = this.#header(url);
    const res = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
    this.#store(url, res);
    await res.arrayBuffer();
    const location = res.headers.get('location');
    if (!location) throw new Error(`${url.href} answered ${res.status} without a redirect`);
    return new URL(location, url).href;
  }

  /** GET `start` and follow redirects (at most 20), as a browser's address bar would. */
  async navigate(start: string | URL): Promise<Navigation> {
    let url = new URL(start);
    const visited: string[] = [];
    for (let hop = 0; hop < 20; hop++) {
      visited.push(url.href);
      const cookie = this.#header(url);
      const res = await fetch(url, {
        redirect: 'manual',
        headers: cookie ? { cookie } : {},
      });
      this.#store(url, res);
      const location = res.headers.get('location');
      if (res.status < 300 || res.status >= 400 || !location) {
        return { visited, response: res, url };
      }
      await res.arrayBuffer();
      url = new URL(location, url);
    }
    throw new Error(`too many redirects: ${visited.join(' → ')}`);
  }
}
