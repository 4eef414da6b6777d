import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GroupCommitSqliteDialect } from './sqlite-group-commit.js';

interface Schema {
  items: { id: number; owner: string };
}

describe('SQLite group commit', () => {
  let file: string;
  let db: Kysely<Schema>;
  /** A second connection, as another process would have: it sees only committed data. */
  let observer: SQLite.Database;

  beforeEach(async () => {
    file = join(mkdtempSync(join(tmpdir(), 'sigil-gc-')), 'db.sqlite');
    const raw = new SQLite(file);
    raw.pragma('journal_mode = WAL');
    db = new Kysely<Schema>({ dialect: new GroupCommitSqliteDialect(raw) });
    await sql`create table items (id integer primary key, owner text not null)`.execute(db);
    observer = new SQLite(file, { readonly: true });
  });
  afterEach(async () => {
    observer.close();
    await db.destroy();
  });

  const committed = (id: number) => observer.prepare('select 1 from items where id = ?').get(id) !== undefined;

  it('answers each write only once it is committed and visible to other connections', async () => {
    const writes = Array.from({ length: 200 }, (_, i) =>
      db
        .insertInto('items')
        .values({ id: i, owner: 'w' })
        .execute()
        .then(() => committed(i)),
    );
    expect(await Promise.all(writes)).toEqual(new Array(200).fill(true));
  });

  it('keeps concurrent transactions apart: each commits or rolls back alone', async () => {
    const runs = Array.from({ length: 50 }, (_, i) =>
      db
        .transaction()
        .execute(async (trx) => {
          await trx
            .insertInto('items')
            .values({ id: 1000 + i, owner: 'tx' })
            .execute();
          await new Promise((r) => setTimeout(r, i % 3)); // yield to other requests mid-transaction
          await trx
            .insertInto('items')
            .values({ id: 2000 + i, owner: 'tx' })
            .execute();
          if (i % 5 === 0) throw new Error('roll back');
        })
        .then(
          () => 'ok',
          () => 'rolled back',
        ),
    );
    const outcomes = await Promise.all(runs);
    for (const [i, outcome] of outcomes.entries()) {
      expect(committed(1000 + i)).toBe(outcome === 'ok');
      expect(committed(2000 + i)).toBe(outcome === 'ok');
    }
    expect(outcomes.filter((o) => o === 'rolled back')).toHaveLength(10);
  });

  it('never lets a write of another request land inside an open transaction', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const tx = db
      .transaction()
      .execute(async (trx) => {
        await trx.insertInto('items').values({ id: 1, owner: 'tx' }).execute();
        await gate;
        throw new Error('roll back');
      })
      .catch(() => 'rolled back');
    const outside = db.insertInto('items').values({ id: 2, owner: 'outside' }).execute();
    await new Promise((r) => setTimeout(r, 20));
    release();
    expect(await tx).toBe('rolled back');
    await outside;
    expect(committed(1)).toBe(false);
    expect(committed(2)).toBe(true);
  });

  it('fails only the statement that breaks a constraint, not the rest of the batch', async () => {
    await db.insertInto('items').values({ id: 7, owner: 'first' }).execute();
    const [dup, other] = await Promise.allSettled([
      db.insertInto('items').values({ id: 7, owner: 'again' }).execute(),
      db.insertInto('items').values({ id: 8, owner: 'other' }).execute(),
    ]);
    expect(dup.status).toBe('rejected');
    expect(other.status).toBe('fulfilled');
    expect(committed(8)).toBe(true);
  });

  it('shows a reader no uncommitted write: a read waits for the pending commit', async () => {
    const write = db.insertInto('items').values({ id: 9, owner: 'w' }).execute();
    const read = db.selectFrom('items').selectAll().where('id', '=', 9).execute();
    const rows = await read;
    expect(rows).toHaveLength(1);
    expect(committed(9)).toBe(true); // the answer came after the commit
    await write;
  });
});
