import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ApiContext } from '../context';

// Placeholder until its issue lands; registers no routes.
export const accountsRoutes = (_context: ApiContext): FastifyPluginAsyncZod =>
  async function accounts() {};
