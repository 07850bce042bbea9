/**
 * Flags every headless Chromium gets, Greenlight's own and the exported suite's alike: no
 * sandbox (containers), no GPU, and no background traffic (without these it stalls on refused
 * connections on a machine with no internet).
 */
export const chromiumArgs: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
