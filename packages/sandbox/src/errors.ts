// The repo's one error normaliser, re-exported for this package's modules.
import { toError } from '@pubcrawl/errors';

export { toError };

/** The HTTP status Fastify attached to a framework error (bad JSON, body too large), if any. */
export function clientErrorStatus(error: Error): number | null {
  const status = 'statusCode' in error ? error.statusCode : undefined;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : null;
}
