export * from './accounts';
export * from './common';
export * from './crawls';
export * from './posts';
export * from './schedules';
export * from './urls';
export * from './crawl-changes';
export * from './post-insights';
