import type { App } from './app-type';

/**
 * Many HTTP clients send `Content-Type: application/json` on every request, bodies or not, so a
 * DELETE or a body-less POST arrived as "not valid JSON". An empty (or all-blank) JSON body now
 * counts as no body at all: routes whose body is optional accept it, and routes that need one
 * report the missing `body` through their schema like any other missing field. Everything else is
 * Fastify's own parser, with its prototype-poisoning protection.
 */
export function registerJsonBodyParser(app: App): void {
  const defaultParser = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    // Fastify's parser answers through `done`; whatever it returns carries nothing more.
    void defaultParser(request, text, done);
  });
}
