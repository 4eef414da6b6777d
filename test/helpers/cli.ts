import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Helpers to run the `sigil` CLI as an operator would: its own process, configured only by what is passed. */
export const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The parent's environment without any Sigil configuration, so that only what a test passes configures
 * the child (it keeps its PATH, proxy and cache settings).
 */
export function childEnv(env: Record<string, string>): Record<string, string> {
  const inherited = Object.entries(process.env).filter(
    (entry): entry is [string, string] =>
      entry[1] !== undefined &&
      !/^(SIGIL_|DATABASE_URL$|NODE_ENV$|NODE_OPTIONS$|LOG_LEVEL$|HOST$|PORT$)/.test(entry[0]),
  );
  return { ...Object.fromEntries(inherited), npm_config_update_notifier: 'false', ...env };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `sigil <args>` as its own process, the way an operator would, with only the given configuration;
 * `input`, when given, is piped to its standard input (as `printf %s "$PW" | sigil …` does).
 */
export function runCli(args: string[], env: Record<string, string>, input?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    // node with tsx's loader, not `npx tsx`: npx adds an npm start-up and two processes to every call,
    // seconds each on a loaded two-core machine, where a suite of CLI calls then overran its timeout.
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', ...args], {
      cwd: root,
      env: childEnv(env),
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (input !== undefined) child.stdin?.end(input);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
