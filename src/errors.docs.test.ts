import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERRORS_DOC, renderErrorsDoc } from '../scripts/errors-doc.js';
import { errorCatalogue } from './errors.js';

describe('docs/errors.md', () => {
  it('is the text that `npm run docs:errors` writes from the catalogue', () => {
    expect(readFileSync(ERRORS_DOC, 'utf8')).toBe(renderErrorsDoc());
  });

  it('has one heading per code, with its status', () => {
    const doc = renderErrorsDoc();
    for (const [code, entry] of Object.entries(errorCatalogue)) {
      expect(doc).toContain(`## \`${code}\`\n\n- Status: ${entry.status}\n`);
    }
  });
});
