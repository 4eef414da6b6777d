// Issue 11: the message log and the dashboard (contracts: src/modules/reporting/contracts.ts).

export type MessageStatus = 'sent' | 'delivered' | 'failed' | 'refused';

export interface MessageRow {
  id: string;
  at: string;
  phoneNumber: string;
  country: string | null;
  prefix: string | null;
  provider: string | null;
  status: MessageStatus;
  vendorError: string | null;
  reason: string | null;
  challengeId: string | null;
  userId: string | null;
  segments: number | null;
}

export interface SummaryFigures {
  sent: number;
  delivered: number;
  failed: number;
  refused: number;
  verified: number;
  /** verified ÷ sent; null when nothing was sent. */
  conversion: number | null;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  segments: number;
  estimatedCost: number | null;
}

export type SummaryGroupBy = 'day' | 'country' | 'prefix' | 'provider';

export interface SmsSummary {
  from: string;
  to: string;
  groupBy: SummaryGroupBy;
  currency: string | null;
  rows: (SummaryFigures & { key: string })[];
  totals: SummaryFigures;
  failuresByReason: { provider: string; reason: string; words: string; count: number }[];
  refusalsByLimit: { defence: string; words: string; count: number }[];
}

export interface ActionOutcomes {
  from: string;
  to: string;
  groupBy: 'day' | 'action';
  rows: { key: string; ALLOW: number; CHALLENGE_REQUIRED: number; REVIEW_REQUIRED: number; BLOCK: number }[];
}

export interface PriceTable {
  currency: string | null;
  perSegment: Record<string, number>;
  default: number | null;
  updatedAt: string | null;
}
