import type { FastifyInstance } from 'fastify';

/**
 * JSON bodies, parsed with Fastify's prototype-poisoning protection. An empty body counts as `{}`:
 * the browser SDK sends POSTs with no body at all (spec §5.2).
 */
export function installJsonParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  // JSON is the only body type of every API; anything else is a 415, not a string for schemas to reject.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, {});
    parse(request, text, (err, value) => {
      if (err) {
        Object.assign(err, { statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY' });
        return done(err, undefined);
      }
      done(null, value);
    });
  });
}
