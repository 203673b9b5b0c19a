export { ConfigError, parseEnv, loadEnv, formatConfigError } from './parse';
export { commonEnv, upstreamEnv, decodeKey, type CommonEnv, type UpstreamEnv, resolveUpstreams, type Upstreams } from './common';
export { booleanFlag, commaList, port, durationMs } from './fields';
