export { ConfigError, parseEnv, loadEnv, formatConfigError } from './parse';
export { commonEnv, upstreamEnv, decodeKey, type CommonEnv, type UpstreamEnv, resolveUpstreams, type Upstreams } from './common';
export { booleanFlag, commaList, port, durationMs } from './fields';
export { CREDENTIALS_KEY_HINT, derivedCredentialsKeyWarning, requireCredentialsKeyInProduction } from './secrets';
export {
  PREFLIGHT_TIMEOUT_MS,
  formatPreflightFailure,
  preflight,
  serviceAddress,
  type PreflightFailure,
  type PreflightOptions,
  type PreflightProbe,
} from './preflight';
