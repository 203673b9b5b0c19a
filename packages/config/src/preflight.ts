/**
 * Start-up checks that the services a process needs answer at all. Without them an unreachable
 * Redis showed up as hundreds of ioredis reconnect errors and never as "Redis is not running".
 */

/** Why a service could not be used, in terms an operator can act on. */
export interface PreflightFailure {
  /** The variable that points at the service, e.g. `REDIS_URL`. */
  variable: string;
  /** What the service is, e.g. `Redis`. */
  service: string;
  /** `host:port` only: the URL's user and password never leave the process. */
  address: string;
  problem: string;
  /** How to start the service, or what to change. */
  hint: string;
}

/** Resolves to `null` when the service answered, or to why not; never rejects. */
export type PreflightProbe = Promise<PreflightFailure | null>;

/** Each probe's own connect timeout. A few seconds: long enough for a remote server, short enough to fail fast. */
export const PREFLIGHT_TIMEOUT_MS = 4_000;

/** `host:port` of a service URL, with `defaultPort` when the URL has none. Drops user and password. */
export function serviceAddress(url: string, defaultPort: number): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || String(defaultPort)}`;
  } catch {
    return '(unparseable URL)';
  }
}

export function formatPreflightFailure(failure: PreflightFailure, prefix = 'pubcrawl'): string {
  return `${prefix}: cannot use ${failure.service} at ${failure.address} (${failure.variable}): ${failure.problem}; ${failure.hint}`;
}

export interface PreflightOptions {
  /** Starts every line; default `pubcrawl`. */
  prefix?: string;
  /** Where the lines go; default stderr. */
  write?: (line: string) => void;
  /** Default `process.exit`. */
  exit?: (code: number) => never;
}

/**
 * Waits for every probe (they run in parallel) and, if any failed, prints one line per failed
 * service and exits 1. Nothing else is printed: the line names the variable, the address and how
 * to start the service, which is all an operator needs.
 */
export async function preflight(probes: PreflightProbe[], options: PreflightOptions = {}): Promise<void> {
  const failures = (await Promise.all(probes)).filter((failure): failure is PreflightFailure => failure !== null);
  if (failures.length === 0) return;
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  for (const failure of failures) write(formatPreflightFailure(failure, options.prefix));
  (options.exit ?? process.exit)(1);
}
