// What a process and everything it started cost, read from /proc (Linux): memory (RSS, and PSS,
import { median } from './result.ts';
// which splits shared pages among the processes that share them, so a browser's many processes
// are not counted many times) and CPU time. Benchmarks measure whole stacks with it: a server
// with its browsers, a test runner with its workers and browsers.
import { readdirSync, readFileSync } from 'node:fs';

/** A /proc file's text, or '' when the process is gone. */
export const proc = (pid: number, file: string): string => {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return '';
  }
};

/** A `Name:   123 kB` field of a /proc file, in bytes. */
export const kbField = (text: string, name: string): number =>
  Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) * 1024;

/** The fields of /proc/<pid>/stat from the third (state) on; [] when the process is gone. */
function statFields(pid: number): string[] {
  const stat = proc(pid, 'stat');
  // The command name may hold spaces and parentheses: the fields start after the last ')'.
  return stat ? stat.slice(stat.lastIndexOf(')') + 2).split(' ') : [];
}

/** The pid and all its descendants, from each process's parent in /proc/<pid>/stat. */
export function tree(rootPid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const ppid = Number(statFields(pid)[1]);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid)!.push(pid);
  }
  const out: number[] = [];
  const todo = [rootPid];
  while (todo.length) {
    const p = todo.pop()!;
    out.push(p);
    todo.push(...(children.get(p) ?? []));
  }
  return out;
}

export const rssOf = (pid: number): number => kbField(proc(pid, 'status'), 'VmRSS');

/** PSS of the process and its descendants, and how many processes that was. */
export function stackPss(pid: number): { pss: number; processes: number } {
  const pids = tree(pid);
  return {
    pss: pids.reduce((s, p) => s + kbField(proc(p, 'smaps_rollup'), 'Pss'), 0),
    processes: pids.length,
  };
}

/** USER_HZ: Linux reports CPU times in these ticks; 100 on every mainstream architecture. */
const TICK_MS = 10;

/**
 * CPU milliseconds (user + system) of one process, including the children it has already
 * waited for (cutime, cstime): a finished child's time moves into its parent's total, so the
 * sum over a live tree never loses the time of processes that came and went.
 */
export function cpuMsOf(pid: number): number {
  const f = statFields(pid);
  if (f.length < 15) return 0;
  // utime, stime, cutime, cstime are fields 14–17 of stat; f starts at field 3.
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * TICK_MS;
}

/** CPU milliseconds of the children the process has waited for (cutime + cstime). */
export function reapedChildrenCpuMs(pid: number): number {
  const f = statFields(pid);
  return f.length < 15 ? 0 : (Number(f[13]) + Number(f[14])) * TICK_MS;
}

/** CPU milliseconds of the process and every live descendant (see cpuMsOf). */
export const treeCpuMs = (pid: number): number => tree(pid).reduce((s, p) => s + cpuMsOf(p), 0);

/**
 * Samples the PSS of a process tree every `everyMs` until stopped, and answers the peak. The
 * tree is read fresh each time, so processes started after the sampler are included.
 */
export function samplePeakPss(rootPid: () => number | undefined, everyMs = 200): () => number {
  let peak = 0;
  const sample = (): void => {
    const pid = rootPid();
    if (pid !== undefined) peak = Math.max(peak, stackPss(pid).pss);
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return () => {
    clearInterval(timer);
    sample();
    return peak;
  };
}

/** The median of 8 RSS samples a quarter second apart: a process's RSS once it has settled. */
export async function settledRss(pid: number): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < 8; i++) {
    await new Promise((r) => setTimeout(r, 250));
    xs.push(rssOf(pid));
  }
  return median(xs);
}
