import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const serviceDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface ServiceProcess {
  child: ChildProcess;
  url: string;
  output(): string;
}

/** `node src/main.ts` configured by environment only (sandbox, no .env), its output collected. */
function spawnMain(env: Record<string, string>): { child: ChildProcess; output(): string } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: serviceDir,
    env: { ...process.env, ENV_FILE: '/nonexistent', TRANSPORT: 'sandbox', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  return { child, output: () => output };
}

/** The service as its own process, once it answers /health. */
export async function spawnService(env: Record<string, string>, port: number): Promise<ServiceProcess> {
  const { child, output } = spawnMain({ PORT: String(port), ...env });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`service exited with ${child.exitCode}: ${output()}`);
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`service did not start: ${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { child, url, output };
}

/** A start expected to end by itself (refused): its exit code and everything it printed; killed after 20 s. */
export async function runUntilExit(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const { child, output } = spawnMain({ PORT: String(freePort()), ...env });
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await exited(child);
  clearTimeout(timer);
  return { code, output: output() };
}

export function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

export function freePort(): number {
  return 20_000 + Math.floor(Math.random() * 20_000);
}
