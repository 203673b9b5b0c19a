import { timingSafeEqual, createHash } from 'node:crypto';
import basicAuth from '@fastify/basic-auth';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance } from 'fastify';
import type { App } from './app-type';
import type { ApiContext } from './context';

export const BOARD_PATH = '/admin/queues';

function sameSecret(presented: string, expected: string): boolean {
  // Digests first: equal lengths for timingSafeEqual, and no length leak through timing.
  return timingSafeEqual(createHash('sha256').update(presented).digest(), createHash('sha256').update(expected).digest());
}

/**
 * Bull Board at /admin/queues behind HTTP basic auth. Without BOARD_USERNAME and BOARD_PASSWORD it
 * is not mounted at all: an open board can delete, retry and promote jobs.
 */
export async function registerBoard(app: App, context: ApiContext): Promise<boolean> {
  const { BOARD_USERNAME: username, BOARD_PASSWORD: password, BOARD_READ_ONLY: readOnlyMode } = context.env;
  if (!username || !password) return false;

  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(BOARD_PATH);
  createBullBoard({
    queues: Object.values(context.queues).map((queue) => new BullMQAdapter(queue, { readOnlyMode })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'pubcrawl' } },
  });

  // The board's routes carry no zod schemas; its own scope keeps our validator out of its way.
  await app.register(async (scope: FastifyInstance) => {
    await scope.register(basicAuth, {
      validate: async (presentedUser, presentedPassword) => {
        const userOk = sameSecret(presentedUser, username);
        const passwordOk = sameSecret(presentedPassword, password);
        if (!(userOk && passwordOk)) throw new Error('Invalid board credentials');
      },
      authenticate: { realm: 'pubcrawl board' },
    });
    scope.addHook('onRequest', scope.basicAuth);
    await scope.register(serverAdapter.registerPlugin(), { prefix: BOARD_PATH });
  });
  return true;
}
