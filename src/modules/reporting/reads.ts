import type { Db } from '../../storage/db.js';
import { ActionActivityQueries } from '../actions/activity-queries.js';
import { ChallengeActivityQueries } from '../challenges/activity-queries.js';
import { RefusedSendQueries } from '../limits/refused-sends-queries.js';
import { SmsReportQueries } from '../sms/report-queries.js';
import { PriceStore } from './prices.js';

/** What the message log and dashboard compose, each read on its own module's tables. */
export interface ReportingReads {
  sends: SmsReportQueries;
  refused: RefusedSendQueries;
  challenges: ChallengeActivityQueries;
  actions: ActionActivityQueries;
  prices: PriceStore;
}

export function createReportingReads(db: Db): ReportingReads {
  return {
    sends: new SmsReportQueries(db),
    refused: new RefusedSendQueries(db),
    challenges: new ChallengeActivityQueries(db),
    actions: new ActionActivityQueries(db),
    prices: new PriceStore(db),
  };
}
