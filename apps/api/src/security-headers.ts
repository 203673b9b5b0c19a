import helmet from '@fastify/helmet';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from './app-type';

/**
 * helmet's headers on every route: nosniff, framing denied (X-Frame-Options and CSP
 * frame-ancestors, so neither /docs nor the board can be clickjacked), no referrer leaking ids.
 * The CSP is the narrowest that Swagger UI and Bull Board still run under: both load only their
 * own scripts, style with inline attributes, and the board takes its font from Google Fonts.
 */
export async function registerSecurityHeaders(app: App): Promise<void> {
  await app.register(helmet, {
    global: true,
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'", 'https://fonts.googleapis.com'],
        fontSrc: ["'self'", 'data:', 'https://fonts.gstatic.com'],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
  });
}

/**
 * /v1 answers carry account data and post timelines: no shared cache, proxy or browser history may
 * keep them.
 */
export async function noStore(_request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
  void reply.header('cache-control', 'no-store');
  return payload;
}
