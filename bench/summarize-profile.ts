/**
 * Prints where a V8 CPU profile (.cpuprofile, from `node --cpu-prof`) spends its time:
 * the top functions by self time with file:line, self time by package, and Sigil's own functions by
 * total (inclusive) time. Lines in dist/src/*.js are mapped back to src/*.ts through the source maps.
 *
 *   npx tsx bench/summarize-profile.ts [file.cpuprofile | directory (newest profile)] [--top 25]
 *                                      [--callers executeQuery,prepare]
 *
 * --callers splits the self time of the named functions by the nearest Sigil function on the stack,
 * for example to see which queries the SQLite time goes to.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function pickFile(arg: string | undefined): string {
  const target = resolve(arg ?? '/tmp/sigil-prof');
  if (!statSync(target).isDirectory()) return target;
  const files = readdirSync(target)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(target, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (!files[0]) throw new Error(`no .cpuprofile in ${target}`);
  return files[0];
}

const sourceMaps = new Map<string, SourceMap | null>();

/** file:line for people: src/*.ts through the source map when there is one, node_modules paths shortened. */
function location(frame: CallFrame): string {
  const { url } = frame;
  if (!url) return '';
  let path = url.startsWith('file://') ? fileURLToPath(url) : url;
  let line = frame.lineNumber + 1;
  if (path.endsWith('.js') && existsSync(`${path}.map`)) {
    let map = sourceMaps.get(path);
    if (map === undefined) {
      try {
        map = new SourceMap(JSON.parse(readFileSync(`${path}.map`, 'utf8')));
      } catch {
        map = null;
      }
      sourceMaps.set(path, map);
    }
    const entry = map?.findEntry(frame.lineNumber, frame.columnNumber) as
      | { originalSource?: string; originalLine?: number }
      | undefined;
    if (entry?.originalSource && entry.originalLine !== undefined) {
      const source = entry.originalSource.startsWith('file://')
        ? fileURLToPath(entry.originalSource)
        : entry.originalSource;
      path = resolve(dirname(path), source);
      line = entry.originalLine + 1;
    }
  }
  if (path.startsWith(ROOT)) path = relative(ROOT, path);
  path = path.replace(/^node_modules\//, '');
  return `${path}:${line}`;
}

/** The package a frame belongs to, for a coarse breakdown. */
function packageOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node (internals)';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (m?.[1]) return m[1];
  if (url.includes('/dist/src/') || url.includes('/src/')) return 'sigil (src)';
  return url;
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '25' }, callers: { type: 'string' } },
  });
  const top = Number(values.top);
  const file = pickFile(positionals[0]);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));

  // Each sample lasts until the next one: timeDeltas[i + 1] belongs to samples[i].
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number;
    const dt = profile.timeDeltas[i + 1] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, dt));
  }
  const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const idleUs = [...selfUs.entries()]
    .filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)')
    .reduce((a, [, us]) => a + us, 0);
  const busyUs = totalUs - idleUs;

  const keyOf = (f: CallFrame) =>
    `${f.functionName || '(anonymous)'}\u0000${f.url}\u0000${f.lineNumber}\u0000${f.columnNumber}`;
  const selfByFn = new Map<string, { frame: CallFrame; us: number }>();
  const selfByPkg = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const frame = (byId.get(id) as ProfileNode).callFrame;
    const k = keyOf(frame);
    const e = selfByFn.get(k) ?? { frame, us: 0 };
    e.us += us;
    selfByFn.set(k, e);
    const p = packageOf(frame);
    selfByPkg.set(p, (selfByPkg.get(p) ?? 0) + us);
  }

  // Total (inclusive) time per function, counting a function once per stack even when it recurses.
  const inclusive = new Map<string, { frame: CallFrame; us: number }>();
  const parentOf = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
  for (const [id, us] of selfUs) {
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parentOf.get(cur)) {
      const frame = (byId.get(cur) as ProfileNode).callFrame;
      const k = keyOf(frame);
      if (seen.has(k)) continue;
      seen.add(k);
      const e = inclusive.get(k) ?? { frame, us: 0 };
      e.us += us;
      inclusive.set(k, e);
    }
  }

  const ms = (us: number) => (us / 1000).toFixed(0).padStart(7);
  const pct = (us: number, of: number) => `${((100 * us) / of).toFixed(1)}%`.padStart(6);
  console.log(`${relative(process.cwd(), file) || file}`);
  console.log(
    `profiled ${(totalUs / 1e6).toFixed(1)} s, busy (not idle) ${(busyUs / 1e6).toFixed(1)} s; "% busy" excludes (idle)\n`,
  );

  console.log(`Top ${top} functions by self time`);
  console.log(`${'self ms'.padStart(7)} ${'% busy'.padStart(6)} ${'% all'.padStart(6)}  function  (file:line)`);
  const rows = [...selfByFn.values()].sort((a, b) => b.us - a.us).slice(0, top);
  for (const r of rows) {
    const where = location(r.frame);
    const name = r.frame.functionName || '(anonymous)';
    console.log(`${ms(r.us)} ${pct(r.us, busyUs)} ${pct(r.us, totalUs)}  ${name}${where ? `  (${where})` : ''}`);
  }

  console.log('\nSelf time by package');
  for (const [p, us] of [...selfByPkg.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
    console.log(`${ms(us)} ${pct(us, busyUs)} ${pct(us, totalUs)}  ${p}`);
  }

  for (const name of values.callers?.split(',').filter(Boolean) ?? []) {
    const byCaller = new Map<string, number>();
    let sum = 0;
    for (const [id, us] of selfUs) {
      if ((byId.get(id) as ProfileNode).callFrame.functionName !== name) continue;
      sum += us;
      let caller = '(no Sigil frame on the stack)';
      for (let cur = parentOf.get(id); cur !== undefined; cur = parentOf.get(cur)) {
        const frame = (byId.get(cur) as ProfileNode).callFrame;
        if (packageOf(frame) === 'sigil (src)') {
          caller = `${frame.functionName || '(anonymous)'}  (${location(frame)})`;
          break;
        }
      }
      byCaller.set(caller, (byCaller.get(caller) ?? 0) + us);
    }
    console.log(
      `\nSelf time of ${name} (${ms(sum).trim()} ms, ${pct(sum, busyUs).trim()} busy) by nearest Sigil caller`,
    );
    for (const [caller, us] of [...byCaller.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
      console.log(`${ms(us)} ${pct(us, busyUs)} ${pct(us, totalUs)}  ${caller}`);
    }
  }

  console.log("\nSigil's own functions by total (inclusive) time");
  const own = [...inclusive.values()]
    .filter((e) => packageOf(e.frame) === 'sigil (src)')
    .sort((a, b) => b.us - a.us)
    .slice(0, top);
  for (const e of own) {
    console.log(
      `${ms(e.us)} ${pct(e.us, busyUs)} ${pct(e.us, totalUs)}  ${e.frame.functionName || '(anonymous)'}  (${location(e.frame)})`,
    );
  }
}

main();
