/**
 * Runs one program as a measured child: wall time, exact CPU and peak RSS through GNU `/usr/bin/time`
 * when it exists (else from /proc samples, which may miss the last ~100 ms), and a CPU timeline of the
 * child and of the emulator process, sampled every 100 ms.
 */
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { collect, spawnTracked, waitExit } from './children.js';
import type { ChildExit } from './children.js';
import { firstChild, peakKb, startSampler } from './proc.js';
import type { Sample } from './proc.js';

const GNU_TIME = '/usr/bin/time';
const TIME_MARK = 'BENCH_GNU_TIME';

/** What to run and how long to allow it. */
export interface MeasureSpec {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  /** Other processes to sample alongside, by name (e.g. the emulator). */
  watch?: Record<string, number>;
  /** Called with each stderr line as it arrives (epoch ms of arrival). */
  onStderrLine?: (line: string, at: number) => void;
}

/** Measurements of one run. */
export interface MeasuredRun {
  exit: ChildExit;
  spawnAt: number;
  wallMs: number;
  /** null when neither /usr/bin/time nor /proc could tell. */
  cpuUserMs: number | null;
  cpuSysMs: number | null;
  peakRssKb: number | null;
  /** Where CPU and RSS came from. */
  source: 'gnu-time' | 'proc-samples';
  /** Timeline; the measured program is named "self". */
  samples: Sample[];
  stdout: string;
  stderrTail: string;
}

/** Runs `spec` to completion (or its deadline) and measures it. */
export async function runMeasured(spec: MeasureSpec): Promise<MeasuredRun> {
  const useTime = existsSync(GNU_TIME);
  // GNU time appends its report to stderr (node's pipes are sockets: -o /dev/fd/N fails, and a file
  // could be left behind by an interrupted run); a marker tells it from the program's own lines.
  const [cmd, args] = useTime
    ? [GNU_TIME, ['-f', `${TIME_MARK} %e %U %S %M`, spec.command, ...spec.args]]
    : [spec.command, spec.args];
  const spawnAt = Date.now();
  const child = spawnTracked(cmd, args, { cwd: spec.cwd, env: spec.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout = collect(child.stdout);
  let timeReport = '';
  let stderrTail = '';
  const lines = createInterface({ input: child.stderr! });
  const closed = new Promise<void>((resolve) => lines.once('close', resolve));
  lines.on('line', (line) => {
    if (line.startsWith(TIME_MARK)) {
      timeReport = line;
      return;
    }
    spec.onStderrLine?.(line, Date.now());
    stderrTail = `${stderrTail}${line}\n`.slice(-4000);
  });
  // Under /usr/bin/time the program is its child; look it up once, then keep it.
  let selfPid: number | undefined = useTime ? undefined : child.pid;
  const pids: Record<string, () => number | undefined> = {
    self: () => (selfPid ??= child.pid === undefined ? undefined : firstChild(child.pid)),
  };
  for (const [name, pid] of Object.entries(spec.watch ?? {})) pids[name] = () => pid;
  const sampler = startSampler(pids, 100);
  const exit = await waitExit(child, spec.timeoutMs);
  const samples = sampler.stop();
  // The last stderr lines may still be in flight when 'exit' fires.
  // The last output may still be in flight when 'exit' fires (or a grandchild may hold a pipe: cap the wait).
  await Promise.race([Promise.all([closed, stdout.done]), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
  const run: MeasuredRun = {
    exit,
    spawnAt,
    wallMs: exit.exitAt - spawnAt,
    cpuUserMs: null,
    cpuSysMs: null,
    peakRssKb: peakKb(samples, 'self') ?? null,
    source: 'proc-samples',
    samples,
    stdout: stdout.text(),
    stderrTail,
  };
  const timed = useTime ? parseGnuTime(timeReport) : undefined;
  if (timed)
    Object.assign(run, {
      cpuUserMs: timed.userMs,
      cpuSysMs: timed.sysMs,
      peakRssKb: timed.maxRssKb,
      source: 'gnu-time',
    });
  else {
    const last = samples.filter((s) => s.procs.self).at(-1)?.procs.self;
    if (last) Object.assign(run, { cpuUserMs: last.cpuMs, cpuSysMs: 0 });
  }
  return run;
}

/** Parses the marked "%e %U %S %M" line. */
function parseGnuTime(line: string): { userMs: number; sysMs: number; maxRssKb: number } | undefined {
  const [, , user, sys, rss] = line.trim().split(' ').map(Number);
  if (user === undefined || sys === undefined || rss === undefined || [user, sys, rss].some(Number.isNaN))
    return undefined;
  return { userMs: user * 1000, sysMs: sys * 1000, maxRssKb: rss };
}
