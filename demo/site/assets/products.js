// Filters the product table as the user types and keeps the visible-row count in step.
'use strict';

(function () {
  const input = document.getElementById('product-filter');
  const count = document.getElementById('product-count');
  const empty = document.getElementById('no-match');
  const rows = Array.from(document.querySelectorAll('[data-testid="product-row"]'));
  if (!input || !count || !empty) return;

  function apply() {
    const query = input.value.trim().toLowerCase();
    let shown = 0;
    for (const row of rows) {
      const match = query === '' || row.dataset.name.includes(query);
      row.hidden = !match;
      if (match) shown++;
    }
    empty.hidden = shown > 0;
    count.textContent = `Showing ${shown} of ${rows.length} products`;
    // Keep the filter in the address bar so a filtered list can be shared or reloaded.
    const url = new URL(window.location.href);
    if (query === '') url.searchParams.delete('q');
    else url.searchParams.set('q', input.value.trim());
    window.history.replaceState(null, '', url);
  }

  const initial = new URL(window.location.href).searchParams.get('q');
  if (initial) input.value = initial;
  input.addEventListener('input', apply);
  apply();
})();
