// Cron arithmetic: what the API validates, what `nextRunAt` shows, and what the scheduler fires and
// catches up. No zod, no Postgres: the schemas package builds its contracts on top of this one.
export * from './cron';
