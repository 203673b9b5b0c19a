import Fastify, { type FastifySchema } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { registerV1Routes } from '../src/routes/index';
import { tiktokPublicRoutes } from '../src/routes/tiktok';
import { startTestApi, type TestApi } from './harness';

interface RegisteredRoute {
  method: string;
  url: string;
  schema: FastifySchema | undefined;
}

interface OpenApiOperation {
  parameters?: Array<{ in: string; name: string; schema?: unknown }>;
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/**
 * Every route registerV1Routes adds, seen through an onRoute hook on an instance of our own: the
 * real server's hooks are sealed by the time a test gets it, and asking swagger would only check
 * swagger against itself.
 */
async function registeredV1Routes(api: TestApi): Promise<RegisteredRoute[]> {
  const shadow = Fastify({ logger: false }).withTypeProvider<ZodTypeProvider>();
  shadow.setValidatorCompiler(validatorCompiler);
  shadow.setSerializerCompiler(serializerCompiler);
  const routes: RegisteredRoute[] = [];
  shadow.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    // Fastify adds a HEAD twin to every GET; it is not part of the API's contract.
    for (const method of methods) if (method !== 'HEAD') routes.push({ method, url: route.url, schema: route.schema });
  });
  await shadow.register(async (v1) => registerV1Routes(v1, api.context), { prefix: '/v1' });
  // TikTok's callback and webhook live under /v1 too, outside the API key (server.ts).
  const noLimits = { assertAllowed: async () => undefined, recordFailure: async () => undefined };
  await shadow.register(tiktokPublicRoutes(api.context, noLimits), { prefix: '/v1' });
  await shadow.ready();
  await shadow.close();
  return routes;
}

function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function keysOf(schema: unknown): string[] | null {
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : null;
}

/** What is missing from the document for one route, as sentences for the failure message. */
function gaps(route: RegisteredRoute, operation: OpenApiOperation | undefined): string[] {
  const where = `${route.method} ${route.url}`;
  if (operation === undefined) return [`${where}: not in /docs/json`];
  const problems: string[] = [];
  const schema = route.schema ?? {};

  const declared = Object.keys((schema.response ?? {}));
  if (!declared.some((status) => status.startsWith('2'))) problems.push(`${where}: the route declares no 2xx response schema`);
  for (const status of declared) {
    const documented = operation.responses?.[status];
    if (documented === undefined) problems.push(`${where}: response ${status} is not documented`);
    else if (status !== '204' && documented.content?.['application/json']?.schema === undefined) problems.push(`${where}: response ${status} has no schema`);
  }

  if (BODY_METHODS.has(route.method) && schema.body !== undefined && operation.requestBody?.content?.['application/json']?.schema === undefined) {
    problems.push(`${where}: the body schema is not documented as a requestBody`);
  }
  if (route.method === 'GET' && operation.requestBody !== undefined) problems.push(`${where}: a GET documents a requestBody`);

  const parameters = operation.parameters ?? [];
  for (const name of route.url.match(/:([A-Za-z0-9_]+)/g)?.map((part) => part.slice(1)) ?? []) {
    if (!parameters.some((parameter) => parameter.in === 'path' && parameter.name === name)) problems.push(`${where}: path parameter ${name} is not documented`);
  }
  if (schema.querystring !== undefined) {
    const names = keysOf(schema.querystring);
    const documented = parameters.filter((parameter) => parameter.in === 'query').map((parameter) => parameter.name);
    if (names === null ? documented.length === 0 : names.some((name) => !documented.includes(name))) {
      problems.push(`${where}: query parameters ${JSON.stringify(names)} documented as ${JSON.stringify(documented)}`);
    }
  }
  return problems;
}

describe('/docs/json', () => {
  let api: TestApi;
  let document: OpenApiDocument;
  let routes: RegisteredRoute[];

  beforeAll(async () => {
    api = await startTestApi();
    document = (await api.app.inject({ method: 'GET', url: '/docs/json' })).json<OpenApiDocument>();
    routes = await registeredV1Routes(api);
  });
  afterAll(async () => {
    await api.close();
  });

  it('finds the /v1 routes the real server serves', () => {
    expect(routes.length).toBeGreaterThan(10);
    const unserved = routes.filter((route) => !api.app.hasRoute({ method: route.method, url: route.url }));
    expect(unserved).toEqual([]);
  });

  it('lists every /v1 route with its request and response schemas', () => {
    const problems = routes.flatMap((route) => gaps(route, document.paths[openApiPath(route.url)]?.[route.method.toLowerCase()]));
    expect(problems).toEqual([]);
  });

  it('lists no /v1 operation that the server does not have', () => {
    const registered = new Set(routes.map((route) => `${route.method} ${openApiPath(route.url)}`));
    const documented = Object.entries(document.paths)
      .filter(([path]) => path.startsWith('/v1/'))
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`));
    expect(documented.filter((operation) => !registered.has(operation))).toEqual([]);
  });
});
