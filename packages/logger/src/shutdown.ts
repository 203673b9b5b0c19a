import type { Logger } from 'pino';
import { toError } from '@pubcrawl/errors';

/**
 * Every pubcrawl process stops the same way: on the first SIGTERM or SIGINT it runs `stop` once
 * (a second Ctrl-C must not start a second close), then exits 0, or logs why and exits 1.
 */
export function exitOnSignal(logger: Logger, stop: (signal: NodeJS.Signals) => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    stop(signal).then(
      () => process.exit(0),
      (caught: unknown) => {
        logger.error({ err: toError(caught) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
