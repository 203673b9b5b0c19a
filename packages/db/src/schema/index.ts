export * from './enums';
export * from './accounts';
export * from './posts';
export * from './schedules';
export * from './crawls';
export * from './webhooks';
export * from './insights';
