import type SQLite from 'better-sqlite3';
import {
  type CompiledQuery,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely';

/**
 * SQLite with group commit. Every commit costs a WAL write (and, now and then, a checkpoint fsync) that
 * dwarfs the statement itself, so statements from concurrent requests share one transaction, committed
 * once per turn of the event loop. No caller is answered before the commit that holds its writes: each
 * query's promise resolves only after that COMMIT, so an acknowledged write is as durable as with
 * autocommit. Reads wait too while uncommitted writes are pending, so nothing uncommitted is ever shown.
 *
 * A Kysely transaction becomes a savepoint inside the batch. While it is open, queries from other
 * callers wait, because better-sqlite3 has a single connection and they would otherwise land inside it.
 */
export class GroupCommitSqliteDialect implements Dialect {
  constructor(
    private readonly database: SQLite.Database,
    private readonly onDestroy: () => Promise<void> = async () => undefined,
  ) {}
  createAdapter(): DialectAdapter {
    return new SqliteAdapter();
  }
  createDriver(): Driver {
    return new GroupCommitDriver(this.database, this.onDestroy);
  }
  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }
  // biome-ignore lint/suspicious/noExplicitAny: Kysely's own dialects take Kysely<any> here.
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}

interface Waiter {
  resolve(): void;
  reject(err: unknown): void;
}

class Connection implements DatabaseConnection {
  constructor(private readonly driver: GroupCommitDriver) {}
  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return this.driver.execute<R>(this, query);
  }
  // biome-ignore lint/correctness/useYield: streaming is not supported, and says so.
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('Streaming queries are not supported by the SQLite group-commit driver');
  }
}

const SAVEPOINT = 'sigil_tx';

class GroupCommitDriver implements Driver {
  private readonly statements = new Map<string, SQLite.Statement>();
  /** Writes not yet committed, and who waits for their commit. */
  private batch: { waiters: Waiter[] } | undefined;
  private flushScheduled = false;
  private txOwner: Connection | undefined;
  /** True between SAVEPOINT and its RELEASE; a commit that fails after the release has nothing to undo. */
  private savepointOpen = false;
  private txEnded: Promise<void> = Promise.resolve();
  private endTx: (() => void) | undefined;

  constructor(
    private readonly db: SQLite.Database,
    private readonly onDestroy: () => Promise<void>,
  ) {}

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new Connection(this);
  }

  async releaseConnection(): Promise<void> {}

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    // The check and what it guards must run with no await between them (see execute).
    while (this.txOwner) await this.txEnded;
    this.txOwner = connection as Connection;
    this.txEnded = new Promise((resolve) => {
      this.endTx = resolve;
    });
    this.openBatch();
    this.run(`SAVEPOINT ${SAVEPOINT}`);
    this.savepointOpen = true;
  }

  async commitTransaction(): Promise<void> {
    this.run(`RELEASE ${SAVEPOINT}`);
    this.savepointOpen = false;
    const committed = this.waitForCommit();
    this.finishTransaction();
    await committed;
  }

  async rollbackTransaction(): Promise<void> {
    if (this.savepointOpen && this.db.inTransaction) {
      this.run(`ROLLBACK TO ${SAVEPOINT}`);
      this.run(`RELEASE ${SAVEPOINT}`);
    }
    this.savepointOpen = false;
    this.finishTransaction();
  }

  async savepoint(): Promise<void> {
    throw new Error('Nested transactions are not supported by the SQLite group-commit driver');
  }
  rollbackToSavepoint = this.savepoint;
  releaseSavepoint = this.savepoint;

  async destroy(): Promise<void> {
    this.flush();
    await this.onDestroy();
    this.db.close(); // closing the last connection checkpoints the WAL
  }

  async execute<R>(connection: Connection, query: CompiledQuery): Promise<QueryResult<R>> {
    // Inline, not in a helper: an `await helper()` would resume one microtask after the helper's last
    // check, and another caller could open a transaction in between.
    while (this.txOwner && this.txOwner !== connection) await this.txEnded;
    const statement = this.prepare(query.sql);
    // Inside a transaction, or a read with nothing uncommitted to see: answer at once.
    if (this.txOwner === connection || (statement.readonly && !this.batch)) return this.runStatement(statement, query);
    this.openBatch();
    const result = this.runStatement<R>(statement, query);
    await this.waitForCommit();
    return result;
  }

  private runStatement<R>(statement: SQLite.Statement, query: CompiledQuery): QueryResult<R> {
    const parameters = query.parameters as unknown[];
    try {
      if (statement.reader) return { rows: statement.all(parameters) as R[] };
      const { changes, lastInsertRowid } = statement.run(parameters);
      return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
    } catch (err) {
      this.failBatchIfRolledBack(err);
      throw err;
    }
  }

  private prepare(sqlText: string): SQLite.Statement {
    let statement = this.statements.get(sqlText);
    if (!statement) {
      if (this.statements.size >= 1000) this.statements.clear();
      statement = this.db.prepare(sqlText);
      this.statements.set(sqlText, statement);
    }
    return statement;
  }

  private run(sqlText: string): void {
    try {
      this.prepare(sqlText).run();
    } catch (err) {
      this.failBatchIfRolledBack(err);
      throw err;
    }
  }

  private openBatch(): void {
    if (this.batch) return;
    this.prepare('BEGIN').run();
    this.batch = { waiters: [] };
  }

  private waitForCommit(): Promise<void> {
    const batch = this.batch;
    if (!batch) return Promise.resolve();
    const committed = new Promise<void>((resolve, reject) => batch.waiters.push({ resolve, reject }));
    this.scheduleFlush();
    return committed;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // setImmediate runs after the I/O callbacks of this turn: every request handled in it joins the batch.
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /** Commits the batch, unless a transaction is still open in it (its end schedules another flush). */
  private flush(): void {
    const batch = this.batch;
    if (!batch || this.txOwner) return;
    this.batch = undefined;
    try {
      this.prepare('COMMIT').run();
    } catch (err) {
      if (this.db.inTransaction) this.prepare('ROLLBACK').run();
      for (const waiter of batch.waiters) waiter.reject(err);
      return;
    }
    for (const waiter of batch.waiters) waiter.resolve();
  }

  private finishTransaction(): void {
    this.txOwner = undefined;
    this.endTx?.();
    this.endTx = undefined;
    this.scheduleFlush();
  }

  /**
   * Some errors (disk full, I/O) make SQLite roll back the whole transaction, not just the statement.
   * Then every write of the batch is gone, and everyone waiting for it must hear so.
   */
  private failBatchIfRolledBack(err: unknown): void {
    if (!this.batch || this.db.inTransaction) return;
    const { waiters } = this.batch;
    this.batch = undefined;
    for (const waiter of waiters) waiter.reject(err);
  }
}
