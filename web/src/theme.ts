// Light and dark: the system's choice until the user picks one, which is remembered.
export type Theme = 'light' | 'dark';

export function currentTheme(): Theme {
  const saved = localStorage.getItem('greenlight-theme');
  if (saved === 'light' || saved === 'dark') return saved;
  return window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export function applyTheme(t: Theme, remember = false): void {
  document.documentElement.dataset.theme = t;
  if (remember) localStorage.setItem('greenlight-theme', t);
}
