export { ConfigError, parseEnv, loadEnv, formatConfigError } from './parse';
export { accountPolicyEnv, type AccountPolicyEnv, commonEnv, commonEnvFields, upstreamEnv, decodeKey, type CommonEnv, type UpstreamEnv, resolveUpstreams, type Upstreams, type TikTokApp, checkTikTokApp, DEFAULT_TIKTOK_SCOPES, SANDBOX_TIKTOK_APP } from './common';
export {
  DEFAULT_REDIS_URL,
  REDIS_TOPOLOGY_VARIABLE,
  checkRedisTopology,
  endpointAddress,
  hashTag,
  redisEnv,
  redisEnvFields,
  redisTopology,
  redisTopologyEnv,
  type RedisEndpoint,
  type RedisEnv,
  type RedisTopology,
  type RedisTopologyKind,
} from './redis-topology';
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
