/**
 * Linux /proc readers for the benchmark: per-process CPU time and memory, host CPU, and a sampler that
 * records them every few tens of ms. Everything returns undefined where /proc is absent or the process
 * has exited, so the benchmark still runs (with fewer columns) elsewhere.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** CPU time and memory of one process. */
export interface ProcStat {
  /** user + system CPU, ms. */
  cpuMs: number;
  rssKb: number;
  /** Peak RSS so far (VmHWM). */
  hwmKb: number;
}

/** One sample of the sampler: time and the stats of each named process. */
export interface Sample {
  t: number;
  procs: Record<string, ProcStat | undefined>;
  /** Host-wide busy CPU ms summed over cores, from /proc/stat. */
  hostBusyMs: number | undefined;
}

let ticksPerSecond: number | undefined;

/** Clock ticks per second of /proc's CPU times (USER_HZ, almost always 100). */
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100; // getconf missing: USER_HZ is 100 on every mainstream Linux build.
    }
  }
  return ticksPerSecond;
}

/** Reads /proc/<pid>/stat and /status; undefined when the process is gone. */
export function readProc(pid: number): ProcStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields are counted after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(rest[11]) + Number(rest[12]); // fields 14 (utime) and 15 (stime), see proc(5)
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return { cpuMs: (ticks * 1000) / clockTicks(), rssKb: kb(status, 'VmRSS'), hwmKb: kb(status, 'VmHWM') };
  } catch {
    return undefined;
  }
}

/** First child pid of `pid` (e.g. the program /usr/bin/time runs), if any. */
export function firstChild(pid: number): number | undefined {
  try {
    const first = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ')[0];
    return first ? Number(first) : undefined;
  } catch {
    return undefined;
  }
}

/** Busy CPU ms of the whole host (all cores), from the first line of /proc/stat. */
export function hostBusyMs(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (v[3] ?? 0) + (v[4] ?? 0); // idle + iowait
    return ((total - idle) * 1000) / clockTicks();
  } catch {
    return undefined;
  }
}

/** Samples the named processes every `intervalMs` until stop(), which takes one last sample. */
export function startSampler(pids: Record<string, () => number | undefined>, intervalMs = 50): { stop(): Sample[] } {
  const samples: Sample[] = [];
  const take = (): void => {
    const procs: Record<string, ProcStat | undefined> = {};
    for (const [name, pid] of Object.entries(pids)) {
      const p = pid();
      procs[name] = p === undefined ? undefined : readProc(p);
    }
    samples.push({ t: Date.now(), procs, hostBusyMs: hostBusyMs() });
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return samples;
    },
  };
}

/** CPU ms `name` used between t0 and t1, from the samples nearest outside that window; undefined if unknown. */
export function cpuBetween(samples: Sample[], name: string, t0: number, t1: number): number | undefined {
  const withProc = samples.filter((s) => s.procs[name] !== undefined);
  const before = withProc.filter((s) => s.t <= t0).at(-1) ?? withProc[0];
  const after = withProc.find((s) => s.t >= t1) ?? withProc.at(-1);
  if (!before || !after || after === before) return undefined;
  return (after.procs[name]?.cpuMs ?? 0) - (before.procs[name]?.cpuMs ?? 0);
}

/** Host busy CPU ms between the first and last sample. */
export function hostBusyBetween(samples: Sample[]): number | undefined {
  const a = samples[0]?.hostBusyMs;
  const b = samples.at(-1)?.hostBusyMs;
  return a === undefined || b === undefined ? undefined : b - a;
}

/** VmRSS of `name` (MB) at `points` evenly spaced samples: growth or plateau at a glance. */
export function rssTimelineMb(samples: Sample[], name: string, points = 10): number[] {
  // A zombie, or the fork before exec under /usr/bin/time, shows no RSS: not part of the program's life.
  const withProc = samples.filter((s) => (s.procs[name]?.rssKb ?? 0) > 0);
  if (withProc.length === 0) return [];
  const out: number[] = [];
  for (let i = 0; i < points; i++) {
    const s = withProc[Math.round((i * (withProc.length - 1)) / Math.max(1, points - 1))];
    out.push(Math.round((s?.procs[name]?.rssKb ?? 0) / 1024));
  }
  return out;
}

/** Highest VmHWM seen for `name`. */
export function peakKb(samples: Sample[], name: string): number | undefined {
  let peak: number | undefined;
  for (const s of samples) {
    const h = s.procs[name]?.hwmKb;
    if (h !== undefined && (peak === undefined || h > peak)) peak = h;
  }
  return peak;
}

function kb(status: string, key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
  return m ? Number(m[1]) : 0;
}
