import pkg from '../../package.json' with { type: 'json' };
import type { RunStatus, TestResult } from '../domain/run.ts';
import {
  finalResults,
  formatDuration,
  summarize,
  suiteOf,
  type FinalResult,
  type ReportInput,
} from './report-model.ts';

/**
 * How the HTML report gets artifact bytes; the caller reads them beforehand (from the artifact
 * store, see `embeddedImagePaths`), so the renderer stays pure.
 */
export interface HtmlOptions {
  readArtifact?: (path: string) => Buffer | undefined;
  /** Largest image embedded inline (default 2 MiB); larger ones become links. */
  maxImageBytes?: number;
  /** Total inline image budget for the whole page (default 25 MiB). */
  maxTotalImageBytes?: number;
}

export const DEFAULT_MAX_IMAGE = 2 * 1024 * 1024;
export const DEFAULT_MAX_TOTAL = 25 * 1024 * 1024;

/** Escape text for HTML element content and double-quoted attributes. */
export function htmlEscape(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
const h = htmlEscape;

/** Only http(s) and relative links become hrefs; anything else (javascript:, data:) is text. */
function safeHref(url: string | undefined): string | undefined {
  if (!url) return undefined;
  if (/^https?:\/\//i.test(url) || /^\.{0,2}\/(?!\/)/.test(url)) return url;
  return undefined;
}

const imageTypes: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
};

class ImageBudget {
  private used = 0;
  private readonly opts: HtmlOptions;
  constructor(opts: HtmlOptions) {
    this.opts = opts;
  }

  /** A data: URI for an image artifact, or undefined when unreadable, not an image or too big. */
  dataUri(path: string): string | undefined {
    const type = imageTypes[path.split('.').pop()?.toLowerCase() ?? ''];
    if (!type || !this.opts.readArtifact) return undefined;
    const bytes = this.opts.readArtifact(path);
    if (!bytes) return undefined;
    const max = this.opts.maxImageBytes ?? DEFAULT_MAX_IMAGE;
    const total = this.opts.maxTotalImageBytes ?? DEFAULT_MAX_TOTAL;
    if (bytes.length > max || this.used + bytes.length > total) return undefined;
    this.used += bytes.length;
    return `data:${type};base64,${bytes.toString('base64')}`;
  }
}

const STATUS_LABEL: Record<RunStatus, string> = {
  passed: 'Passed',
  failed: 'Failed',
  error: 'Error',
  cancelled: 'Cancelled',
  queued: 'Queued',
  running: 'Running',
};

/** The images the page would embed, in page order: what a caller reads for `readArtifact`. */
export function embeddedImagePaths(input: ReportInput): string[] {
  return finalResults(input.results).flatMap(({ result: r }) =>
    [r.artifacts.screenshot, ...(r.artifacts.screenshots ?? []).map((s) => s.path)].filter(
      (p): p is string => !!p && !!imageTypes[p.split('.').pop()?.toLowerCase() ?? ''],
    ),
  );
}

/** `failed` covers tests that could not run too: both need a look. */
const filterGroup = (r: TestResult): string =>
  r.status === 'error' ? 'failed' : r.status === 'failed' ? 'failed' : r.status;

function artifactLink(input: ReportInput, path: string, label: string): string {
  const href = safeHref(input.links?.artifactUrl?.(path));
  return href
    ? `<a href="${h(href)}">${h(label)}</a>`
    : `<span class="path">${h(label)}: <code>${h(path)}</code></span>`;
}

function image(input: ReportInput, budget: ImageBudget, path: string, alt: string): string {
  const uri = budget.dataUri(path);
  if (uri)
    return `<figure><img src="${uri}" alt="${h(alt)}"><figcaption>${h(alt)}</figcaption></figure>`;
  return `<p>${artifactLink(input, path, alt)} <span class="muted">(not embedded)</span></p>`;
}

function stepsTable(r: TestResult): string {
  if (r.steps.length === 0) return '<p class="muted">No steps ran.</p>';
  const rows = r.steps.map(
    (s) =>
      `<tr class="step step-${s.status}"><td>${s.index + 1}</td><td><code>${h(s.action)}</code></td>` +
      `<td>${h(s.description)}${s.error ? `<div class="step-error">${h(s.error)}</div>` : ''}</td>` +
      `<td class="st">${h(s.status)}</td><td class="num">${h(formatDuration(s.durationMs))}</td></tr>`,
  );
  return `<table class="steps"><thead><tr><th>#</th><th>Action</th><th>Step</th><th>Status</th><th>Time</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function testSection(input: ReportInput, budget: ImageBudget, f: FinalResult): string {
  const r = f.result;
  const parts: string[] = [];
  if (r.error) parts.push(`<pre class="error">${h(r.error)}</pre>`);
  parts.push(stepsTable(r));
  if (r.artifacts.screenshot)
    parts.push(image(input, budget, r.artifacts.screenshot, 'Failure screenshot'));
  for (const s of r.artifacts.screenshots ?? [])
    parts.push(image(input, budget, s.path, `Screenshot: ${s.name}`));
  if (r.artifacts.trace)
    parts.push(
      `<p class="trace">${artifactLink(input, r.artifacts.trace, 'Playwright trace')} <span class="muted">(open with <code>npx playwright show-trace</code>)</span></p>`,
    );
  if (r.artifacts.video)
    parts.push(`<p class="trace">${artifactLink(input, r.artifacts.video, 'Video')}</p>`);
  for (const m of r.artifacts.missing ?? [])
    parts.push(`<p class="muted">No ${h(m.name)} file: ${h(m.reason)}</p>`);
  if (r.consoleErrors.length > 0)
    parts.push(
      `<h4>Console errors</h4><ul class="console">${r.consoleErrors
        .map(
          (c) =>
            `<li><b>${h(c.type)}</b> ${h(c.text)}${c.url ? ` <span class="muted">${h(c.url)}</span>` : ''}</li>`,
        )
        .join('')}</ul>`,
    );
  if (r.failedRequests.length > 0)
    parts.push(
      `<h4>Failed requests</h4><ul class="requests">${r.failedRequests
        .map(
          (q) =>
            `<li><code>${h(q.method)} ${h(q.url)}</code> ${h(String(q.status ?? q.failure ?? ''))}</li>`,
        )
        .join('')}</ul>`,
    );
  if (f.previous.length > 0)
    parts.push(
      `<h4>Earlier attempts</h4><ul class="attempts">${f.previous
        .map(
          (p) =>
            `<li>Attempt ${p.attempt}: ${h(p.status)}${p.error ? ` — ${h(p.error.split('\n')[0] ?? '')}` : ''}</li>`,
        )
        .join('')}</ul>`,
    );
  const suite = suiteOf(input, r.testId);
  const open = r.status === 'failed' || r.status === 'error' ? ' open' : '';
  return (
    `<details class="test status-${r.status}" data-status="${filterGroup(r)}" data-test-id="${h(r.testId)}"${open}>` +
    `<summary><span class="badge b-${r.status}">${h(r.status)}</span>` +
    (f.flaky ? '<span class="badge b-flaky">flaky</span>' : '') +
    (r.quarantined ? '<span class="badge b-quarantined">quarantined</span>' : '') +
    `<span class="name">${h(r.testName)}</span><span class="suite">${h(suite)}</span>` +
    `<span class="dur">${h(formatDuration(r.durationMs))}</span></summary>` +
    `<div class="body">${parts.join('')}</div></details>`
  );
}

const CSS = `
:root{--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--mute:#57606a;--line:#d0d7de;--bg:#f6f8fa}
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1f2328;background:#fff}
header{padding:20px 24px;border-bottom:1px solid var(--line);background:var(--bg)}
h1{margin:0 0 4px;font-size:22px}h1 .st-passed{color:var(--ok)}h1 .st-failed,h1 .st-error{color:var(--bad)}
.meta{color:var(--mute);margin:0}.meta code{color:#1f2328}
.counts{display:flex;gap:10px;margin:14px 0 0;flex-wrap:wrap}
.count{border:1px solid var(--line);border-radius:6px;padding:6px 12px;background:#fff;min-width:84px}
.count b{display:block;font-size:20px}.count.c-failed b,.count.c-errored b{color:var(--bad)}.count.c-passed b{color:var(--ok)}
.run-error{color:var(--bad);margin:10px 0 0}
main{padding:16px 24px}.filters{display:flex;gap:6px;margin-bottom:12px}
.filters button{font:inherit;border:1px solid var(--line);background:#fff;border-radius:20px;padding:4px 14px;cursor:pointer}
.filters button[aria-pressed=true]{background:#1f2328;color:#fff;border-color:#1f2328}
details.test{border:1px solid var(--line);border-radius:6px;margin:0 0 8px;background:#fff}
details.test[hidden]{display:none}
summary{cursor:pointer;padding:8px 12px;display:flex;gap:10px;align-items:center}
summary .name{font-weight:600;flex:1;word-break:break-word}summary .suite,summary .dur{color:var(--mute)}
.badge{font-size:12px;border-radius:10px;padding:1px 8px;color:#fff;background:var(--mute);text-transform:uppercase}
.b-passed{background:var(--ok)}.b-failed,.b-error{background:var(--bad)}.b-flaky{background:var(--warn)}.b-quarantined{background:#777}
.body{padding:0 12px 12px;border-top:1px solid var(--line)}
pre.error{background:#ffebe9;border:1px solid #ffcecb;padding:8px;white-space:pre-wrap;word-break:break-word;border-radius:6px}
table.steps{border-collapse:collapse;width:100%;margin:8px 0}table.steps th,table.steps td{text-align:left;padding:3px 8px;border-bottom:1px solid var(--line);vertical-align:top}
td.num{text-align:right;white-space:nowrap}.step-failed td{background:#ffebe9}.step-skipped td{color:var(--mute)}
.step-error{color:var(--bad);white-space:pre-wrap}
figure{margin:8px 0}figure img{max-width:min(100%,960px);border:1px solid var(--line);border-radius:4px}figcaption,.muted{color:var(--mute)}
footer{padding:12px 24px;color:var(--mute);border-top:1px solid var(--line)}
`;

// Filters toggle `hidden` on each test by its data-status; no network, no libraries.
const JS = `
(function(){var bs=document.querySelectorAll('.filters button');var ts=document.querySelectorAll('details.test');
function apply(f){ts.forEach(function(t){t.hidden=!(f==='all'||t.dataset.status===f)});
bs.forEach(function(b){b.setAttribute('aria-pressed',String(b.dataset.filter===f))});
var e=document.getElementById('empty');if(e)e.hidden=Array.prototype.some.call(ts,function(t){return !t.hidden});}
bs.forEach(function(b){b.addEventListener('click',function(){apply(b.dataset.filter)})});apply('all');})();
`;

/** Healed tests passed, but never silently: the header says what was healed. */
function healedList(input: ReportInput): string {
  const healed = input.healed ?? [];
  if (healed.length === 0) return '';
  const items = healed.map((x) => `<li>${h(x.testName)}: ${h(x.detail)}</li>`).join('');
  return `<div class="healed"><b>Healed (${healed.length})</b> — passed with a recorded alternative locator; update the test<ul>${items}</ul></div>`;
}

/**
 * The run as one self-contained HTML page (inline CSS, JS and images; no external request):
 * summary, filter buttons, and every test with its steps, error, console errors, screenshots
 * and trace links.
 */
export function renderHtml(input: ReportInput, opts: HtmlOptions = {}): string {
  return [...htmlChunks(input, opts)].join('');
}

/** The HTML page in chunks, one test at a time (the same text as `renderHtml`). */
export function* htmlChunks(input: ReportInput, opts: HtmlOptions = {}): Generator<string> {
  const { run, project } = input;
  const sum = summarize(input);
  const finals = finalResults(input.results);
  const budget = new ImageBudget(opts);
  const group = (g: string): number => finals.filter((f) => filterGroup(f.result) === g).length;
  const filters = [
    ['all', 'All', finals.length],
    ['failed', 'Failed', group('failed')],
    ['passed', 'Passed', group('passed')],
    ...(group('skipped') > 0 ? [['skipped', 'Skipped', group('skipped')] as const] : []),
  ] as const;
  const count = (cls: string, label: string, n: number): string =>
    `<div class="count c-${cls}"><b>${n}</b>${label}</div>`;
  const runLink = safeHref(input.links?.runUrl);
  const title = `${project.name} · run ${run.id} · ${STATUS_LABEL[run.status]}`;
  yield `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>${h(title)}</title><style>${CSS}</style></head>
<body>
<header>
<h1><span class="st-${run.status}" id="run-status">${h(STATUS_LABEL[run.status])}</span> · ${h(project.name)}</h1>
<p class="meta">Run <code>${h(run.id)}</code> · ${h(project.slug)}${run.environment ? ` · env <code>${h(run.environment)}</code>` : ''} · <code>${h(run.baseUrl)}</code> · ${h(run.startedAt ?? run.createdAt)} · ${h(formatDuration(sum.durationMs))}${runLink ? ` · <a href="${h(runLink)}">open the run</a>` : ''}</p>
${run.error && run.status !== 'passed' ? `<p class="run-error">${h(run.error)}</p>` : ''}
<div class="counts">${count('total', 'Total', sum.total)}${count('passed', 'Passed', sum.passed)}${count('failed', 'Failed', sum.failed)}${count('errored', 'Errors', sum.errored)}${count('skipped', 'Skipped', sum.skipped)}${count('flaky', 'Flaky', sum.flaky)}${sum.quarantined > 0 ? count('skipped', 'Quarantined', sum.quarantined) : ''}</div>
${healedList(input)}
</header>
<main>
<div class="filters" role="group" aria-label="Filter tests">${filters
    .map(
      ([f, label, n]) =>
        `<button type="button" data-filter="${f}" aria-pressed="${f === 'all'}">${label} (${n})</button>`,
    )
    .join('')}</div>
<div id="tests">`;
  let first = true;
  for (const f of finals) {
    yield `${first ? '' : '\n'}${testSection(input, budget, f)}`;
    first = false;
  }
  yield `</div>
<p id="empty" class="muted" hidden>No tests match this filter.</p>
${sum.missing > 0 ? `<p class="muted">${sum.missing} planned test(s) have no result.</p>` : ''}
</main>
<footer>Greenlight report · ${h(input.toolVersion ?? pkg.version)}</footer>
<script>${JS}</script>
</body></html>
`;
}
