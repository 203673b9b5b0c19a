import { defineConfig } from 'drizzle-kit';

// Migrations live at the repository root so deploy tooling finds them without knowing the layout.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/schema/index.ts',
  out: '../../migrations',
  dbCredentials: { url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/pubcrawl' },
});
