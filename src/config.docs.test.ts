import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const source = readFileSync(new URL('./config.ts', import.meta.url), 'utf8');
const docs = readFileSync(new URL('../docs/config.md', import.meta.url), 'utf8');

/** Every environment variable the loader reads: `env.NAME`, `env.NAME?.…` and `int(env, 'NAME', …)`-style calls. */
function settingsRead(code: string): string[] {
  const names = new Set<string>();
  for (const m of code.matchAll(/\benv\.([A-Z][A-Z0-9_]*)\b/g)) names.add(m[1] as string);
  for (const m of code.matchAll(/\benv,\s*'([A-Z][A-Z0-9_]*)'/g)) names.add(m[1] as string);
  return [...names].sort();
}

/** The settings docs/config.md documents: the first cell of each table row, as `NAME`. */
function settingsDocumented(markdown: string): string[] {
  const names = new Set<string>();
  for (const m of markdown.matchAll(/^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|/gm)) names.add(m[1] as string);
  return [...names].sort();
}

describe('docs/config.md', () => {
  const read = settingsRead(source);
  const documented = settingsDocumented(docs);

  it('finds the settings the loader reads', () => {
    expect(read).toEqual(
      expect.arrayContaining(['HOST', 'PORT', 'DATABASE_URL', 'NODE_ENV', 'LOG_LEVEL', 'SIGIL_MASTER_KEY']),
    );
    expect(read.length).toBeGreaterThan(30);
  });

  it('documents every setting the loader reads', () => {
    expect(read.filter((name) => !documented.includes(name))).toEqual([]);
  });

  it('documents no setting the loader does not read', () => {
    expect(documented.filter((name) => !read.includes(name))).toEqual([]);
  });
});
