import { formatPrice, products, weeklyReport, type Product, type ReportRow } from './demo-data.ts';

/** Escape text for HTML element content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const navLinks = [
  { href: '/', label: 'Home' },
  { href: '/products', label: 'Products' },
  { href: '/app', label: 'Todos' },
  { href: '/reports', label: 'Reports' },
  { href: '/contact', label: 'Contact' },
  { href: '/dashboard', label: 'Dashboard' },
  { href: '/login', label: 'Sign in' },
] as const;

function isActive(href: string, path: string): boolean {
  return href === '/' ? path === '/' : path === href || path.startsWith(`${href}/`);
}

/** The banner and main navigation shared by every page; the current page gets aria-current. */
function headerHtml(path: string): string {
  const items = navLinks
    .map((l) => {
      const current = isActive(l.href, path) ? ' aria-current="page"' : '';
      return `<li><a href="${l.href}"${current}>${l.label}</a></li>`;
    })
    .join('');
  return `<a class="skip-link" href="#main">Skip to content</a>
<header class="site-header">
  <a class="brand" href="/" aria-label="Acme Tasks home" data-testid="brand">
    <svg aria-hidden="true" width="28" height="28" viewBox="0 0 32 32"><rect width="32" height="32" rx="8" fill="#1f7a4d"/><path d="M9 16.5l4.5 4.5L23 11.5" stroke="#fff" stroke-width="3.2" fill="none" stroke-linecap="round" stroke-linejoin="round"/></svg>
    <span>Acme Tasks</span>
  </a>
  <nav aria-label="Main" data-testid="main-nav"><ul>${items}</ul></nav>
</header>`;
}

function footerHtml(): string {
  return `<footer class="site-footer">
  <p>Acme Tasks is an imaginary product: the demo site bundled with Greenlight.</p>
</footer>`;
}

/** Fill the `<!--#header-->` and `<!--#footer-->` markers of a static page. */
export function applyIncludes(html: string, path: string): string {
  return html.replace('<!--#header-->', headerHtml(path)).replace('<!--#footer-->', footerHtml());
}

interface LayoutInput {
  /** Page title without the site suffix. */
  title: string;
  path: string;
  /** Inner HTML of <main>, already escaped where it carries data. */
  main: string;
  /** Script files under /assets/ the page loads. */
  scripts?: string[];
}

/** A whole document for a server-rendered page, with the same head and chrome as static pages. */
export function layout({ title, path, main, scripts = [] }: LayoutInput): string {
  const scriptTags = scripts
    .map((s) => `\n    <script src="/assets/${s}" defer></script>`)
    .join('');
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${escapeHtml(title)} · Acme Tasks</title>
    <link rel="icon" href="/assets/favicon.svg" type="image/svg+xml" />
    <link rel="stylesheet" href="/assets/styles.css" />${scriptTags}
  </head>
  <body>
${headerHtml(path)}
<main id="main" class="page">
${main}
</main>
${footerHtml()}
  </body>
</html>
`;
}

function stockText(stock: number): string {
  return stock === 0 ? 'Out of stock' : `${stock} in stock`;
}

/** The catalog table; products.js filters its rows in the browser. */
export function renderProducts(): string {
  const rows = products
    .map(
      (p) => `      <tr data-testid="product-row" data-name="${escapeHtml(p.name.toLowerCase())}">
        <th scope="row"><a href="/products/${p.id}">${escapeHtml(p.name)}</a></th>
        <td class="num" data-testid="product-price">${formatPrice(p.priceCents)}</td>
        <td class="num${p.stock === 0 ? ' muted' : ''}">${stockText(p.stock)}</td>
      </tr>`,
    )
    .join('\n');
  const main = `<h1>Products</h1>
<p class="lead">Paper, boards and gadgets that keep your Acme Tasks board honest.</p>
<div class="toolbar" role="search">
  <label for="product-filter">Filter products</label>
  <input id="product-filter" type="search" name="q" autocomplete="off" placeholder="Type a product name" data-testid="product-filter" />
  <p id="product-count" class="count" role="status" aria-live="polite" data-testid="product-count">Showing ${products.length} of ${products.length} products</p>
</div>
<table class="data-table" data-testid="product-table">
  <caption class="visually-hidden">Products with price and stock</caption>
  <thead>
    <tr><th scope="col">Name</th><th scope="col" class="num">Price</th><th scope="col" class="num">Stock</th></tr>
  </thead>
  <tbody>
${rows}
      <tr id="no-match" class="empty" hidden><td colspan="3">No products match your filter.</td></tr>
  </tbody>
</table>`;
  return layout({ title: 'Products', path: '/products', main, scripts: ['products.js'] });
}

/** One product's page. */
export function renderProduct(p: Product): string {
  const path = `/products/${p.id}`;
  const main = `<nav aria-label="Breadcrumb" class="breadcrumb">
  <ol><li><a href="/products">Products</a></li><li><a href="${path}" aria-current="page">${escapeHtml(p.name)}</a></li></ol>
</nav>
<article class="card product" data-testid="product-detail">
  <h1 data-testid="product-name">${escapeHtml(p.name)}</h1>
  <p>${escapeHtml(p.description)}</p>
  <dl class="facts">
    <div><dt>Price</dt><dd data-testid="product-price">${formatPrice(p.priceCents)}</dd></div>
    <div><dt>Availability</dt><dd data-testid="product-stock">${stockText(p.stock)}</dd></div>
    <div><dt>SKU</dt><dd>${escapeHtml(p.sku)}</dd></div>
  </dl>
  <p><a class="btn" href="/products">Back to products</a></p>
</article>`;
  return layout({ title: p.name, path, main });
}

/** The signed-in landing page. */
export function renderDashboard(displayName: string): string {
  const main = `<h1 data-testid="dashboard-heading">Welcome, ${escapeHtml(displayName)}</h1>
<p class="lead">Here is where your week stands.</p>
<section aria-labelledby="stats-heading">
  <h2 id="stats-heading">This week</h2>
  <ul class="stats" data-testid="dashboard-stats">
    <li><span class="stat-value">12</span> open tasks</li>
    <li><span class="stat-value">3</span> due today</li>
    <li><span class="stat-value">27</span> completed</li>
  </ul>
</section>
<section aria-labelledby="next-heading">
  <h2 id="next-heading">Next steps</h2>
  <ul>
    <li><a href="/app">Open your todo list</a></li>
    <li><a href="/reports">See the weekly report</a></li>
  </ul>
</section>
<form method="post" action="/logout" class="inline-form">
  <button type="submit" class="btn" data-testid="sign-out">Sign out</button>
</form>`;
  return layout({ title: 'Dashboard', path: '/dashboard', main });
}

function reportRow(r: ReportRow): string {
  return `<tr><th scope="row">${escapeHtml(r.team)}</th><td class="num">${r.completed}</td><td class="num">${r.open}</td><td class="num">${r.cycleDays.toFixed(1)}</td></tr>`;
}

/** The weekly report (served only after the site's deliberate delay). */
export function renderReports(): string {
  const { rows, week } = weeklyReport;
  const completed = rows.reduce((n, r) => n + r.completed, 0);
  const open = rows.reduce((n, r) => n + r.open, 0);
  const main = `<h1>Reports</h1>
<p class="lead">Throughput by team for ${escapeHtml(week)}. This report is computed on request, so it takes a moment.</p>
<table class="data-table" data-testid="report-table">
  <caption>Weekly throughput, ${escapeHtml(week)}</caption>
  <thead>
    <tr><th scope="col">Team</th><th scope="col" class="num">Completed</th><th scope="col" class="num">Open</th><th scope="col" class="num">Cycle time (days)</th></tr>
  </thead>
  <tbody>
    ${rows.map(reportRow).join('\n    ')}
  </tbody>
  <tfoot>
    <tr><th scope="row">Total</th><td class="num" data-testid="report-total-completed">${completed}</td><td class="num" data-testid="report-total-open">${open}</td><td></td></tr>
  </tfoot>
</table>`;
  return layout({ title: 'Reports', path: '/reports', main });
}

/** The 404 page; `what` names the missing thing (a page, a product). */
export function renderNotFound(path: string, what = 'Page'): string {
  const main = `<h1>${escapeHtml(what)} not found</h1>
<p class="lead" data-testid="not-found">Nothing lives at <code>${escapeHtml(path)}</code>.</p>
<p><a class="btn" href="/">Go to the home page</a> <a class="btn" href="/products">Browse products</a></p>`;
  return layout({ title: `${what} not found`, path, main });
}
