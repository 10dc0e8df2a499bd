/**
 * Child processes of the benchmark: each in its own process group (so a whole tree can be killed), all
 * killed when the benchmark exits or is interrupted, each with a deadline.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';

const live = new Set<ChildProcess>();
let installed = false;

/** Sends `signal` to the child's whole process group (it was spawned detached, as its leader). */
export function killTree(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/** Kills every live child: SIGTERM now, SIGKILL to what is left after `graceMs`. */
export async function killAll(graceMs = 2000): Promise<void> {
  const children = [...live];
  for (const c of children) killTree(c, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (children.some((c) => c.exitCode === null && c.signalCode === null) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  for (const c of children) killTree(c, 'SIGKILL');
}

/** Installs exit and signal handlers once: children never outlive the benchmark. */
export function installCleanup(onInterrupt: () => void): void {
  if (installed) return;
  installed = true;
  process.on('exit', () => {
    for (const c of live) killTree(c, 'SIGKILL');
  });
  const interrupt = (signal: NodeJS.Signals): void => {
    process.stderr.write(`\nbench: ${signal}, stopping children\n`);
    void killAll().finally(() => {
      onInterrupt();
      process.exit(130);
    });
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
}

/** Spawns a tracked child in its own process group. */
export function spawnTracked(command: string, args: string[], options: SpawnOptions): ChildProcess {
  const child = spawn(command, args, { ...options, detached: true });
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.once('error', () => live.delete(child));
  return child;
}

/** How a child ended. */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** Epoch ms of the 'exit' event. */
  exitAt: number;
}

/** Waits for `child` to exit; past `timeoutMs` it is sent SIGTERM, then SIGKILL 3 s later. */
export function waitExit(child: ChildProcess, timeoutMs: number): Promise<ChildExit> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode, timedOut: false, exitAt: Date.now() });
      return;
    }
    let timedOut = false;
    let killer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      killTree(child, 'SIGTERM');
      killer = setTimeout(() => killTree(child, 'SIGKILL'), 3000);
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code, signal) => {
      const exitAt = Date.now();
      clearTimeout(timer);
      if (killer) clearTimeout(killer);
      resolve({ code, signal, timedOut, exitAt });
    });
  });
}

/** Collects a stream's text, keeping at most `maxChars` (the tail); `done` settles when the stream ends. */
export function collect(
  stream: NodeJS.ReadableStream | null,
  maxChars = 1_000_000,
): { text(): string; done: Promise<void> } {
  let text = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    text += chunk;
    if (text.length > maxChars) text = text.slice(-maxChars);
  });
  const done = new Promise<void>((resolve) => {
    if (!stream) resolve();
    stream?.once('end', resolve);
    stream?.once('close', resolve);
    stream?.once('error', () => resolve());
  });
  return { text: () => text, done };
}
