import type { App } from '../app-type';
import type { ApiContext } from '../context';
import { accountsRoutes } from './accounts';
import { crawlsRoutes } from './crawls';
import { crawlChangesRoutes } from './crawl-changes';
import { pingRoutes } from './ping';
import { postsRoutes } from './posts';
import { postInsightsRoutes } from './post-insights';
import { schedulesRoutes } from './schedules';
import { insightsRoutes } from './insights';
import { tiktokConnectRoutes } from './tiktok';

/**
 * Every authenticated /v1 resource registers here, one plugin per resource file. The auth hook is
 * installed on the enclosing scope by server.ts, so nothing in this list can forget it.
 */
export async function registerV1Routes(app: App, context: ApiContext): Promise<void> {
  await app.register(pingRoutes(context));
  await app.register(accountsRoutes(context));
  await app.register(postsRoutes(context));
  await app.register(postInsightsRoutes(context));
  await app.register(crawlsRoutes(context));
  await app.register(crawlChangesRoutes(context));
  await app.register(schedulesRoutes(context));
  await app.register(insightsRoutes(context));
  await app.register(tiktokConnectRoutes(context));
}
