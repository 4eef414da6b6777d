import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Deps } from '../../deps.js';
import { IsoDate, Nullable, Opt, Query, Reply, responses, Str } from '../../http/contract.js';
import { DECISION_LIMIT, decisionLog, defenceReport, REPORT_DAYS } from './report.js';

const tags = ['Management API'];
const security = [{ managementKey: [] }];

const ReportQuery = Query({
  days: Opt(
    Type.String({
      pattern: '^[0-9]{1,4}$',
      description: `Days back from now, ${REPORT_DAYS.min} to ${REPORT_DAYS.max}; default ${REPORT_DAYS.default}.`,
    }),
  ),
});

const DefenceCounts = Reply({
  defence: Type.String(),
  mode: Type.String({ description: 'The mode the defence had when it triggered.' }),
  refused: Type.Integer({ description: 'Sends and submissions it refused (enforce).' }),
  wouldRefuse: Type.Integer({ description: 'Those it would have refused, let through (record_only).' }),
  laterVerified: Type.Integer({ description: 'Would-refuse ones whose challenge was later verified.' }),
});

const ReportReply = Reply({
  days: Type.Integer(),
  since: IsoDate(),
  defences: Type.Array(DefenceCounts, { description: 'One row per defence and mode that triggered.' }),
  summaries: Type.Array(
    Reply({
      defence: Type.String(),
      mode: Type.String({ description: 'The mode the defence has now.' }),
      summary: Type.String(),
    }),
    { description: 'One sentence per defence, every defence listed.' },
  ),
});

const DecisionsQuery = Query({
  challengeId: Opt(Str(64)),
  limit: Opt(
    Type.String({
      pattern: '^[0-9]{1,4}$',
      description: `${DECISION_LIMIT.min} to ${DECISION_LIMIT.max}; default ${DECISION_LIMIT.default}.`,
    }),
  ),
});

const Decision = Reply({
  id: Type.String(),
  at: IsoDate(),
  kind: Type.String({ description: 'send or submission' }),
  outcome: Type.String({ description: 'allowed, refused, or test (a test number)' }),
  defence: Nullable(Type.String({ description: 'The defence that refused, or the first that would have.' })),
  challengeId: Nullable(Type.String()),
  phoneNumber: Type.String(),
  country: Nullable(Type.String()),
  prefix: Type.String(),
  ipAddress: Nullable(Type.String()),
  userId: Nullable(Type.String()),
  provider: Nullable(Type.String()),
  triggers: Type.Array(
    Reply({ defence: Type.String(), mode: Type.String(), retryAfterMs: Type.Integer({ minimum: 0 }) }),
  ),
});

const DecisionsReply = Reply({ decisions: Type.Array(Decision) });

/** Management API: the shadow report of the SMS defences, and the decision log behind it. */
export const limitsReportRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  app.get(
    '/sms-defences/report',
    {
      config: { permission: 'activity:read' },
      schema: {
        tags,
        security,
        description: 'What each defence refused, and what it would have refused in record_only, with the cost.',
        querystring: ReportQuery,
        response: responses(ReportReply),
      },
    },
    (req) => defenceReport(deps, req.tenantId, req.query.days),
  );

  app.get(
    '/sms-decisions',
    {
      config: { permission: 'activity:read' },
      schema: {
        tags,
        security,
        description: 'Decision records, newest first, each with the defences it triggered.',
        querystring: DecisionsQuery,
        response: responses(DecisionsReply),
      },
    },
    (req) => decisionLog(deps, req.tenantId, req.query),
  );
};
