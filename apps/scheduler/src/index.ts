export { startScheduler, type FireCounts, type RunningScheduler, type StartSchedulerOptions } from './scheduler';
export { missedTickToCatchUp } from './catch-up';
export { schedulerEnvSchema, type SchedulerEnv } from './env';
export { realClock, type Clock } from './clock';
export { nodeCronTicks, type TickSource, type TickWatch, type WatchedSchedule } from './ticks';
