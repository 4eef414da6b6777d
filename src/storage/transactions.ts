import { AsyncLocalStorage } from 'node:async_hooks';
import type {
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely';
import type { Db } from './db.js';

/** Set while a unit of work runs, for every async step that descends from it. */
const openUnitOfWork = new AsyncLocalStorage<true>();

/**
 * A query made outside the open transaction. On SQLite it would wait for that transaction to end, which
 * cannot happen while the transaction waits for it: the request would hang. On PostgreSQL it would read
 * around the transaction. Either way it is a bug in the caller, so it fails at once, saying so.
 */
export class OutsideTransactionError extends Error {
  constructor(what: string) {
    super(`${what} while a transaction is open: inside deps.transaction(async (tx) => …) use only the stores on tx`);
    this.name = 'OutsideTransactionError';
  }
}

/**
 * Installed on the database that stores use outside transactions (never on a transaction itself): it
 * refuses every query made through it while a unit of work is open in the same async context.
 */
class OutsideTransactionGuard implements KyselyPlugin {
  transformQuery({ node }: PluginTransformQueryArgs): RootOperationNode {
    if (openUnitOfWork.getStore()) throw new OutsideTransactionError('A query went to a store outside the transaction');
    return node;
  }

  async transformResult({ result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return result;
  }
}

/** The database as stores outside a transaction see it: guarded, sharing the same connections. */
function guarded(db: Db): Db {
  return db.withPlugin(new OutsideTransactionGuard());
}

/**
 * The guard follows the async context with AsyncLocalStorage, which on Node 20 turns on V8's promise hooks
 * for the whole process: every promise pays for it. Measured on the adaptive MFA flow: 25 % fewer flows
 * per second. So it is a development and test check (SIGIL_TRANSACTION_GUARD, on unless NODE_ENV=production):
 * the test suite runs every use case under it, and production does not pay for it.
 */
export function transactions<Tx>(
  db: Db,
  bind: (trx: Db) => Tx,
  guard: boolean,
): { storesDb: Db; transaction: UnitOfWork<Tx> } {
  if (!guard) return { storesDb: db, transaction: (work) => db.transaction().execute((trx) => work(bind(trx))) };
  return { storesDb: guarded(db), transaction: unitOfWork(db, bind) };
}

/** Runs `work` in one transaction with the stores `bind` makes for it; commits when it resolves. */
export type UnitOfWork<Tx> = <T>(work: (tx: Tx) => Promise<T>) => Promise<T>;

/**
 * The only way use cases open a transaction. `db` must be the unguarded database, so that the
 * transaction's stores can query; `bind` builds the stores on the transaction. Nesting is refused for
 * the same reason as a stray query: on SQLite the inner transaction would wait for the outer forever.
 */
function unitOfWork<Tx>(db: Db, bind: (trx: Db) => Tx): UnitOfWork<Tx> {
  return (work) => {
    if (openUnitOfWork.getStore()) {
      return Promise.reject(new OutsideTransactionError('A second transaction was opened'));
    }
    return openUnitOfWork.run(true, () => db.transaction().execute((trx) => work(bind(trx))));
  };
}
