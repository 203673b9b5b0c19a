import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import type { App } from './app-type';

/**
 * The OpenAPI document is generated from the same zod schemas the routes validate with, so it
 * cannot drift from what the server actually accepts. UI at /docs, JSON at /docs/json.
 */
export async function registerDocs(app: App): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'pubcrawl',
        description: 'Scheduled TikTok publishing and scraping. Every /v1 route needs `Authorization: Bearer <key>`.',
        version: '1.0.0',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
}
