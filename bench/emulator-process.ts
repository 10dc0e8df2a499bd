/**
 * The emulator in its own process (`src/emulator/cli.ts --control`), so the sync under test and the
 * server never share an event loop or a CPU core's worth of scheduling; driven over its control port.
 */
import { createInterface } from 'node:readline';
import type { ControlCounters } from '../src/emulator/control.js';
import { collect, killTree, spawnTracked, waitExit } from './children.js';

/** What the emulator process is started with. */
export interface EmulatorSpec {
  issues: number;
  latencyMs: number;
  seed?: number;
}

/** A running emulator process and its control client. */
export interface EmulatorProcess {
  pid: number;
  /** The SPEAKUP_* lines it printed. */
  env: Record<string, string>;
  counters(): Promise<ControlCounters>;
  reset(): Promise<void>;
  /** Changes `n` issues (evenly spread); returns how many changed. */
  mutate(n: number): Promise<number>;
  setKnobs(knobs: {
    latencyMs?: number;
    rateLimit?: { rps: number; burst: number } | null;
    detailPadBytes?: number;
  }): Promise<void>;
  close(): Promise<void>;
}

const START_TIMEOUT_MS = 30_000;

/** Starts the emulator process from `repoRoot` and waits for its environment lines. */
export async function startEmulatorProcess(repoRoot: string, spec: EmulatorSpec): Promise<EmulatorProcess> {
  const args = [
    '--import',
    'tsx',
    'src/emulator/cli.ts',
    '--control',
    '--issues',
    String(spec.issues),
    '--latency',
    String(spec.latencyMs),
    '--seed',
    String(spec.seed ?? 1),
  ];
  // A minimal environment: nothing of the caller's SPEAKUP_* or proxy settings leaks in.
  const child = spawnTracked(process.execPath, args, {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '' },
  });
  const stderr = collect(child.stderr, 20_000);
  const env: Record<string, string> = {};
  let controlUrl: string | undefined;
  const lines = createInterface({ input: child.stdout! });
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`emulator did not start within ${START_TIMEOUT_MS} ms: ${stderr.text()}`)),
      START_TIMEOUT_MS,
    );
    lines.on('line', (line) => {
      const eq = line.indexOf('=');
      if (eq < 0) return;
      const key = line.slice(0, eq);
      const value = line.slice(eq + 1);
      if (key === 'EMULATOR_CONTROL_URL') {
        controlUrl = value;
        clearTimeout(timer);
        resolve();
      } else if (key.startsWith('SPEAKUP_')) env[key] = value;
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`emulator exited (code ${code}) before it was ready: ${stderr.text()}`));
    });
  });
  try {
    await ready;
  } catch (err) {
    killTree(child, 'SIGKILL');
    throw err;
  }

  const call = async <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${controlUrl}/__emulator/${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`emulator control ${method} ${path}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  };

  return {
    pid: child.pid!,
    env,
    counters: () => call<ControlCounters>('GET', 'counters'),
    reset: async () => void (await call('POST', 'reset', {})),
    mutate: async (n) => (await call<{ updated: number }>('POST', 'mutate', { update: n })).updated,
    setKnobs: async (knobs) => void (await call('POST', 'knobs', knobs)),
    close: async () => {
      killTree(child, 'SIGTERM');
      await waitExit(child, 5000);
    },
  };
}
