/**
 * Writes docs/errors.md from the error catalogue in src/errors.ts: `npm run docs:errors`.
 * src/errors.docs.test.ts renders the same text in memory and fails when the file is not current.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type ErrorCode, errorCatalogue } from '../src/errors.js';

export const ERRORS_DOC = new URL('../docs/errors.md', import.meta.url);

export function renderErrorsDoc(): string {
  const lines = [
    '# Error codes',
    '',
    '<!-- Generated from src/errors.ts by `npm run docs:errors`; do not edit by hand. -->',
    '',
    'Every error leaves Sigil with its status and this body (docs/wire-protocol.md §3):',
    '',
    '```json',
    '{"error": "<code>", "errorCode": "<code>", "errorDescription": "<text>"}',
    '```',
    '',
    '`error` and `errorCode` both hold the code, because the SDKs disagree on which one they read.',
    '`errorDescription` is written for a person: most throw sites say exactly what was wrong, and the',
    'default description below is sent when one does not. A code always has the same status.',
    '',
  ];
  for (const [code, entry] of Object.entries(errorCatalogue) as [ErrorCode, (typeof errorCatalogue)[ErrorCode]][]) {
    lines.push(
      `## \`${code}\``,
      '',
      `- Status: ${entry.status}`,
      `- Meaning: ${entry.meaning}`,
      `- Default description: "${entry.message}"`,
      '',
      '```json',
      JSON.stringify({ error: code, errorCode: code, errorDescription: entry.message }),
      '```',
      '',
    );
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(ERRORS_DOC, renderErrorsDoc());
  console.log(`wrote ${fileURLToPath(ERRORS_DOC)}`);
}
