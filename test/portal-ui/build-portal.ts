import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Vitest global setup: the portal tests drive the BUILT portal, so build it when dist/portal is missing
 * or older than any file under portal/ (CI's `npm ci` already built it through `prepare`).
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
export const portalDist = join(root, 'dist', 'portal');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

export function portalIsStale(): boolean {
  const index = join(portalDist, 'index.html');
  if (!existsSync(index)) return true;
  const sources = Math.max(
    newestMtime(join(root, 'portal', 'src')),
    statSync(join(root, 'portal', 'index.html')).mtimeMs,
  );
  return statSync(index).mtimeMs < sources;
}

export function setup(): void {
  if (!portalIsStale()) return;
  const vite = join(root, 'node_modules', '.bin', 'vite');
  const result = spawnSync(vite, ['build', '-c', 'portal/vite.config.ts', '--logLevel', 'warn'], {
    cwd: root,
    // Vitest sets NODE_ENV=test, which would give React's development build.
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error(`vite build of the portal failed (exit ${result.status})`);
}
