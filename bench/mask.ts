// Benchmark: the secret masker on a 1 MB log with 10 hostile secrets (each ~40 variants), against
// an in-script baseline (one String.replaceAll per raw secret, the least any masker must do), plus
// the worst case for a literal alternation: a secret of 'a's against a text of 'a's.
//   node bench/mask.ts [--json]
import { makeMasker, MASK } from '../src/domain/secret-masker.ts';
import { captureStdout, emitResult, table } from './lib/result.ts';

captureStdout();

const secrets = Array.from({ length: 10 }, (_, i) => `Pw${i} "q\\/@&<'+%é密🔑 ${i}`);
const line = (i: number): string =>
  `${i} GET /api?q=${encodeURIComponent(secrets[i % 10]!)} {"p":${JSON.stringify(secrets[i % 10])}} ok\n`;
let text = '';
for (let i = 0; text.length < 1_000_000; i++)
  text += i % 7 === 0 ? line(i) : `${i} plain log line with nothing to hide here\n`;

function time(f: () => unknown, n = 5): number {
  f();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) f();
  return (performance.now() - t0) / n;
}

const build = time(() => makeMasker([...secrets, String(Math.random())]), 20);
const mask = makeMasker(secrets);
const masked = mask(text);
if (secrets.some((s) => masked.includes(JSON.stringify(s).slice(1, -1)))) throw new Error('leak');
const ours = time(() => mask(text));
const baseline = time(() => secrets.reduce((t, s) => t.replaceAll(s, MASK), text));
const hostile = 'a'.repeat(200);
const worstText = 'a'.repeat(199).concat('b').repeat(5_000);
const worst = time(() => makeMasker([hostile])(worstText), 3);
const worstBase = time(() => worstText.replaceAll(hostile, MASK), 3);
console.log(`text ${(text.length / 1e6).toFixed(2)} MB, 10 secrets`);
console.log(`build patterns: ${build.toFixed(2)} ms per secret set`);
console.log(
  `mask: ${ours.toFixed(1)} ms; baseline raw replaceAll: ${baseline.toFixed(1)} ms; ratio ${(ours / baseline).toFixed(1)}x`,
);
console.log(
  `worst case (200 a's vs 1 MB of a's): ${worst.toFixed(1)} ms; replaceAll ${worstBase.toFixed(1)} ms; ratio ${(worst / worstBase).toFixed(1)}x`,
);
emitResult({
  bench: 'mask',
  command: 'node bench/mask.ts',
  measures: [
    {
      name: '1 MB log, 10 secrets, every encoding',
      value: ours,
      unit: 'ms',
      baseline: baseline,
      baselineName: 'raw replaceAll',
      better: 'lower',
    },
    {
      name: 'worst case: 200 a-secret vs 1 MB of a…ab',
      value: worst,
      unit: 'ms',
      baseline: worstBase,
      baselineName: 'raw replaceAll',
      better: 'lower',
    },
  ],
  markdown: table(
    ['case', 'masker', 'baseline (replaceAll)', 'ratio'],
    [
      ['building the patterns', `${build.toFixed(1)} ms`, '—', '—'],
      [
        '1 MB log, every encoding',
        `${ours.toFixed(1)} ms`,
        `${baseline.toFixed(1)} ms`,
        (ours / baseline).toFixed(1),
      ],
      [
        'worst case',
        `${worst.toFixed(1)} ms`,
        `${worstBase.toFixed(1)} ms`,
        (worst / worstBase).toFixed(1),
      ],
    ],
  ),
});
