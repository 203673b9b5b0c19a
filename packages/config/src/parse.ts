import type { z } from 'zod';

/** Raised when the environment does not satisfy a schema; names the first offending variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly variable: string,
    readonly problem: string,
  ) {
    super(`${variable}: ${problem}`);
  }
}

/**
 * Parses an environment object with a zod schema. Empty strings count as unset, because
 * `FOO= pnpm api` and docker-compose's `FOO: ""` both mean "use the default".
 */
export function parseEnv<Schema extends z.ZodType>(
  schema: Schema,
  source: Record<string, string | undefined> = process.env,
): z.infer<Schema> {
  const cleaned: Record<string, string> = {};
  for (const [key, value] of Object.entries(source)) {
    if (value !== undefined && value !== '') cleaned[key] = value;
  }
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const variable = issue?.path.map(String).join('.') || 'environment';
  throw new ConfigError(variable, issue?.message ?? 'invalid');
}

export function formatConfigError(error: ConfigError): string {
  return `pubcrawl: invalid configuration: ${error.variable}: ${error.problem}`;
}

/**
 * Parses the environment once at process start. Bad configuration prints one line naming the
 * variable and exits non-zero: an operator needs the name, not a stack trace.
 */
export function loadEnv<Schema extends z.ZodType>(schema: Schema, source?: Record<string, string | undefined>): z.infer<Schema> {
  try {
    return parseEnv(schema, source);
  } catch (caught) {
    if (caught instanceof ConfigError) {
      process.stderr.write(`${formatConfigError(caught)}\n`);
      process.exit(1);
    }
    throw caught;
  }
}
