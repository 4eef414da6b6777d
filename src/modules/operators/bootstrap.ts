import { provisionOperator } from './accounts.js';
import type { OperatorContext } from './context.js';

const DEV_OPERATOR_EMAIL = 'admin@localhost';

/**
 * Development only (SIGIL_BOOTSTRAP_DEV_TENANT): the first start with no operator account makes
 * `admin@localhost` an owner of the development tenant, without a password, and answers the token of a
 * one-time sign-in link (24 hours) that sets one. Later starts find an account and do nothing.
 */
export async function bootstrapDevOperator(ctx: OperatorContext, tenantId: string): Promise<string | undefined> {
  if ((await ctx.accounts.count()) > 0) return undefined;
  const made = await provisionOperator(ctx, { email: DEV_OPERATOR_EMAIL, tenantId, role: 'owner' });
  return made.link?.token;
}
