export * from './states';
export * from './jobs';
export * from './api/common';
export * from './api/accounts';
export * from './api/crawls';
