/**
 * `npm run dev`: the server (tsx, restarted by hand) and the portal's Vite dev server with hot reload,
 * which proxies /v1 to that server. Both stop together on Ctrl-C, and if either exits the other is stopped.
 */
import { type ChildProcess, spawn } from 'node:child_process';

const port = process.env.PORT ?? '3000';
const children: ChildProcess[] = [
  spawn('npx', ['tsx', 'src/cli/index.ts', 'start'], { stdio: 'inherit' }),
  spawn('npx', ['vite', '-c', 'portal/vite.config.ts'], {
    stdio: 'inherit',
    env: { ...process.env, SIGIL_URL: process.env.SIGIL_URL ?? `http://127.0.0.1:${port}` },
  }),
];
console.log('Portal with hot reload: http://127.0.0.1:5173/portal/ (the server serves the built one at /portal/ too)');

let stopping = false;
const stop = (code: number) => {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  process.exitCode = code;
};
for (const child of children) child.on('exit', (code) => stop(code ?? 1));
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));
