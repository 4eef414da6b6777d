import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/**
 * The portal's first load: the JavaScript and CSS that index.html loads before any page chunk (the entry
 * script and its modulepreloads), each gzipped as a server would send it. The budget is 250 kB of
 * gzipped JavaScript (issue 10); `npm run build:portal` prints this after every build.
 */
export interface FirstLoad {
  files: { file: string; bytes: number; gzipBytes: number }[];
  jsGzipBytes: number;
  cssGzipBytes: number;
}

export const FIRST_LOAD_BUDGET_BYTES = 250 * 1000;

export function measureFirstLoad(distDir: string): FirstLoad {
  const html = readFileSync(join(distDir, 'index.html'), 'utf8');
  const refs = [...html.matchAll(/(?:src|href)="\/portal\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1] as string);
  const files = [...new Set(refs)].map((file) => {
    const body = readFileSync(join(distDir, file));
    return { file, bytes: body.length, gzipBytes: gzipSync(body, { level: 9 }).length };
  });
  const sum = (ext: string) => files.filter((f) => f.file.endsWith(ext)).reduce((n, f) => n + f.gzipBytes, 0);
  return { files, jsGzipBytes: sum('.js'), cssGzipBytes: sum('.css') };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dist = fileURLToPath(new URL('../dist/portal', import.meta.url));
  const load = measureFirstLoad(dist);
  const kB = (n: number) => `${(n / 1000).toFixed(1)} kB`;
  for (const f of load.files)
    console.log(`  ${f.file.padEnd(48)} ${kB(f.bytes).padStart(10)}  gzip ${kB(f.gzipBytes)}`);
  console.log(
    `Portal first load: ${kB(load.jsGzipBytes)} of gzipped JavaScript (budget ${kB(FIRST_LOAD_BUDGET_BYTES)}), ${kB(load.cssGzipBytes)} of gzipped CSS`,
  );
  if (load.jsGzipBytes > FIRST_LOAD_BUDGET_BYTES) {
    console.error('The first load is over its budget.');
    process.exitCode = 1;
  }
}
