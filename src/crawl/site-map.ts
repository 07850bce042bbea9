/**
 * The contract between the crawler (producer) and the test generator (consumer).
 * Plain types only: no I/O, no Playwright, so GENERATE can build fixtures by hand.
 */

/** A heading on a page (h1–h6), text trimmed and whitespace-collapsed. */
export interface HeadingSnapshot {
  level: number;
  text: string;
}

/** An anchor; `href` is absolute and normalised (see normalize-url.ts). */
export interface LinkSnapshot {
  href: string;
  text: string;
}

/** One field of a form, labelled the way a user would find it. */
export interface FormFieldSnapshot {
  label?: string;
  name?: string;
  /** input type, or 'select' / 'textarea'. */
  type: string;
  required: boolean;
  /** Option labels for select elements and radio groups. */
  options?: string[];
}

export interface FormSnapshot {
  /** Absolute URL the form submits to (the page URL when the form has no action). */
  action: string;
  /** Upper-case HTTP method: GET or POST. */
  method: string;
  fields: FormFieldSnapshot[];
  submitText?: string;
  /** True when submitting looks irreversible (delete, pay, unsubscribe…): never submit by default. */
  destructive: boolean;
}

export interface ButtonSnapshot {
  text: string;
  /** ARIA role as a locator would use it: 'button' or 'link'. */
  role: string;
  testId?: string;
}

/** A standalone interactive input (including those inside forms), with its accessible label. */
export interface InputSnapshot {
  label?: string;
  name?: string;
  type: string;
  placeholder?: string;
  required: boolean;
}

/**
 * The structure of a JSON value: object keys map to their shapes, arrays hold the shape of
 * their first element, leaves are 'string' | 'number' | 'boolean' | 'null'. Depth-limited:
 * deeper values are recorded as 'object' / 'array'.
 */
export type JsonShape = string | JsonShape[] | { [key: string]: JsonShape };

/** An XHR/fetch request the page made while loading. */
export interface ApiCallSnapshot {
  method: string;
  url: string;
  status: number;
  contentType: string;
  jsonShape?: JsonShape;
}

export interface PageSnapshot {
  /** Normalised absolute URL (after redirects). */
  url: string;
  /** pathname + search of `url`, e.g. "/products?page=2". */
  path: string;
  /** HTTP status of the main document response (0 when there was none, e.g. a network error). */
  status: number;
  title: string;
  headings: HeadingSnapshot[];
  links: LinkSnapshot[];
  /** Links inside nav, header or [role=navigation]: the site's main menu. */
  navLinks: LinkSnapshot[];
  forms: FormSnapshot[];
  buttons: ButtonSnapshot[];
  inputs: InputSnapshot[];
  consoleErrors: string[];
  apiCalls: ApiCallSnapshot[];
  /** Hash of the page's template (title shape, headings, form structure, link set). */
  fingerprint: string;
  /** Link distance from the start URL (start = 0). */
  depth: number;
  /** Set when the requested URL redirected elsewhere: the normalised URL that was requested. */
  requestedUrl?: string;
}

export interface BrokenLink {
  /** Page URL where the link was found. */
  from: string;
  url: string;
  /** HTTP status (>= 400), or 0 when the request failed outright. */
  status: number;
}

export interface SiteMap {
  startUrl: string;
  origin: string;
  pages: PageSnapshot[];
  brokenLinks: BrokenLink[];
  /**
   * URLs seen but not visited, with why (robots, limit, duplicate template…) and, for pages that
   * answered an error, the HTTP status. Optional for fixtures.
   */
  skipped?: { url: string; reason: SkipReason; status?: number }[];
}

export type SkipReason =
  | 'robots'
  | 'max-pages'
  | 'max-depth'
  | 'duplicate-template'
  | 'off-origin'
  | 'blocked-address'
  | 'not-html'
  | 'duplicate-url'
  | 'error';

/** Pages of the same template (equal fingerprint) kept at most; documented in README "Crawling". */
export const MAX_PAGES_PER_FINGERPRINT = 3;
