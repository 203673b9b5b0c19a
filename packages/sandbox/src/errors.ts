/** Turns whatever was thrown into an Error, so handlers can rely on `.message` and `.stack`. */
export function toError(caught: unknown): Error {
  if (caught instanceof Error) return caught;
  if (typeof caught === 'string') return new Error(caught);
  try {
    return new Error(JSON.stringify(caught));
  } catch {
    return new Error(String(caught));
  }
}

/** The HTTP status Fastify attached to a framework error (bad JSON, body too large), if any. */
export function clientErrorStatus(error: Error): number | null {
  const status = 'statusCode' in error ? error.statusCode : undefined;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : null;
}
