/** Exit codes of a process ended by a signal (128 + the signal's number), as shells report them. */
const SIGNAL_EXIT: Record<'SIGINT' | 'SIGTERM', number> = { SIGINT: 130, SIGTERM: 143 };

/**
 * Shut down cleanly on the first SIGTERM or SIGINT: `close` drains (stops taking jobs, lets
 * running tests finish for `graceMs`, hands back the rest) and the process exits 0, or 1 when
 * closing failed. A second SIGTERM or SIGINT exits at once (143 / 130); tests still running
 * then are taken over by another process once their lease runs out. Install it before the
 * process says it is ready, so a signal right after that is handled too.
 */
export function closeOnSignals(close: () => Promise<void>, opts: { graceMs?: number } = {}): void {
  let closing = false;
  const onSignal = (signal: 'SIGINT' | 'SIGTERM'): void => {
    if (closing) {
      process.stderr.write(`${signal} again: exiting now\n`);
      process.exit(SIGNAL_EXIT[signal]);
    }
    closing = true;
    const grace = opts.graceMs !== undefined ? ` (up to ${Math.round(opts.graceMs / 1000)} s)` : '';
    process.stderr.write(
      `\n${signal}: shutting down; running tests may finish${grace}, the rest go back to the ` +
        'queue. Send it again to exit now.\n',
    );
    void close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`shutting down failed: ${err instanceof Error ? err.message : err}\n`);
        process.exit(1);
      },
    );
  };
  // `on`, not `once`: a second signal must reach this handler, not the default (killed).
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
}
