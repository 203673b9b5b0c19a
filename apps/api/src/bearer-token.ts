import type { FastifyRequest } from 'fastify';

/** The key in `Authorization: Bearer <key>`, whatever the scheme's case and spacing; null if none. */
export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}
