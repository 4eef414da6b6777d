/**
 * Delivery failures told in plain words, for operators: the portal's "Send test SMS" result and each
 * provider's last failure in its health. Built from the failure's reason word alone, so no secret,
 * code or phone number that a vendor echoed can reach it.
 */
const REASONS = new Map<string, string>([
  ['invalid_number', 'refused the number as not valid'],
  ['not_sms_capable', 'says the number cannot receive SMS (a landline, say)'],
  ['opted_out', 'says the number opted out (replied STOP); it will not deliver to it'],
  ['unsupported_destination', 'cannot deliver to that destination from this account'],
  ['sender_not_allowed', 'refused the sender: check that the From number or sender ID belongs to the account'],
  ['auth_failed', 'refused the credentials: check them in the vendor console'],
  ['insufficient_funds', 'refused the message because the account is out of funds or not active'],
  ['misconfigured', 'refused the configuration: check the account, channel, region permissions or base URL'],
  ['bad_request', 'refused the request as it was configured'],
  ['rate_limited', 'is limiting the rate of messages; try again shortly'],
  ['server_error', 'had a fault of its own; try again shortly'],
  ['send_failed', 'could not send the message this time; try again shortly'],
  ['bad_response', 'answered in a way that Sigil could not read'],
  ['timeout', 'did not answer in time'],
  ['network', 'could not be reached over the network'],
  ['address_refused', "is at an address that this server's network policy refuses"],
  ['budget_spent', 'ran out of the time allowed for one message'],
  ['circuit_open', 'is skipped for now after repeated failures'],
]);

/** "refused the credentials: …", completing a sentence that starts with the vendor's name. */
export function reasonInWords(reason: string): string {
  const known = REASONS.get(reason);
  if (known) return known;
  if (/^http_5\d\d$/.test(reason)) return 'had an outage or a fault of its own; try again shortly';
  if (/^http_4\d\d$/.test(reason)) return 'refused the request';
  return 'failed for a reason Sigil does not know';
}

/**
 * A failed send attempt in words, for the message log and the dashboard: the vendor's refusal (its reason
 * word) when it did not accept the message, else the carrier's failure (the receipt's error or status).
 */
export function failureInWords(provider: string, reason: string, accepted: boolean): string {
  return accepted ? `The carrier did not deliver it (${reason || 'failed'})` : `${provider} ${reasonInWords(reason)}`;
}

/** The answer of `POST /v1/management/sms-providers/test`, as one sentence or two. */
export function testResultInWords(
  title: string,
  result: { providerMessageId: string } | undefined,
  error: { kind: string; reason: string } | undefined,
  vendorSaid?: string,
): string {
  if (result) return `Sent through ${title}; the vendor accepted it (${result.providerMessageId}).`;
  if (!error) return `${title} did not send the message.`;
  const said = vendorSaid ? ` In its words: "${vendorSaid}".` : '';
  const what = `Not sent: ${title} ${reasonInWords(error.reason)}.${said}`;
  if (error.kind === 'number') return `${what} The provider is fine; try another number.`;
  if (error.kind === 'route') return `${what} Live messages would fail over to the next provider.`;
  return `${what} Live messages are retried, then fail over to the next provider.`;
}
