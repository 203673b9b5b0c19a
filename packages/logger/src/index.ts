import pino, { type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/**
 * Every place a secret can appear in a log line. Redaction is central so that a new call site
 * cannot forget it: headers from Fastify's request serializer and upstream clients, account
 * credentials, passwords, and our own config objects.
 */
export const REDACT_PATHS = [
  'authorization',
  'password',
  'credentials',
  'apiKey',
  'accountKey',
  'secret',
  '*.authorization',
  '*.password',
  '*.credentials',
  '*.apiKey',
  '*.accountKey',
  '*.secret',
  '*.*.authorization',
  '*.*.password',
  '*.*.credentials',
  '*.*.apiKey',
  '*.*.accountKey',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers["x-account-key"]',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers["X-API-KEY"]',
  'headers["X-API-Key"]',
  'headers["x-account-key"]',
  'headers["X-ACCOUNT-KEY"]',
  '*.headers.authorization',
  '*.headers["x-api-key"]',
  '*.headers["X-API-KEY"]',
  '*.headers["X-API-Key"]',
  '*.headers["x-account-key"]',
  '*.headers["X-ACCOUNT-KEY"]',
  'CREDENTIALS_KEY',
  'API_KEYS',
  'TIKAPI_API_KEY',
  'POSTING_API_KEY',
  'TIKTOK_CLIENT_SECRET',
  'WEBHOOK_SECRET',
  'BOARD_PASSWORD',
  '*.CREDENTIALS_KEY',
  '*.API_KEYS',
  '*.TIKAPI_API_KEY',
  '*.POSTING_API_KEY',
  '*.TIKTOK_CLIENT_SECRET',
  // TikTok tokens, should an answer carrying them ever reach a log (errors keep their body).
  '*.accessToken',
  '*.refreshToken',
  '*.access_token',
  '*.refresh_token',
  '*.*.accessToken',
  '*.*.refreshToken',
  '*.*.access_token',
  '*.*.refresh_token',
  '*.WEBHOOK_SECRET',
  '*.BOARD_PASSWORD',
];

export interface CreateLoggerOptions {
  name: string;
  level?: LoggerOptions['level'];
  /** Human-readable (pino-pretty) output; default: when stdout is a terminal (see `isTTY`). */
  pretty?: boolean;
  /** Whether stdout is a terminal; default `process.stdout.isTTY`. Decides `pretty` when that is unset. */
  isTTY?: boolean;
  destination?: pino.DestinationStream;
}

/**
 * A person at a terminal gets pino-pretty; a pipe, a file or a log collector gets one JSON object
 * per line, which is what they parse.
 */
export function usePrettyOutput(options: Pick<CreateLoggerOptions, 'pretty' | 'isTTY'> = {}): boolean {
  return options.pretty ?? options.isTTY ?? process.stdout.isTTY === true;
}

export function createLogger(options: CreateLoggerOptions): Logger {
  const pretty = usePrettyOutput(options);
  const base: LoggerOptions = {
    name: options.name,
    level: options.level ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
  };
  if (options.destination) return pino(base, options.destination);
  if (pretty) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } });
  }
  return pino(base);
}

/** The identifiers a log line about one piece of work carries, so a reader can follow it. */
export interface WorkContext {
  jobId?: string | undefined;
  queue?: string | undefined;
  postId?: string | undefined;
  crawlId?: string | undefined;
  accountId?: string | undefined;
}

export function childFor(logger: Logger, context: WorkContext): Logger {
  const bindings: Record<string, string> = {};
  for (const [key, value] of Object.entries(context) as Array<[string, string | undefined]>) {
    if (value !== undefined) bindings[key] = value;
  }
  return logger.child(bindings);
}
export { exitOnSignal } from './shutdown';
