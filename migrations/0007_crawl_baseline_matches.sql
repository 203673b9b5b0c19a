ALTER TABLE "crawls" ADD COLUMN "baseline_crawl_id" uuid;--> statement-breakpoint
ALTER TABLE "crawls" ADD COLUMN "baseline_matches" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "crawls" ADD CONSTRAINT "crawls_baseline_crawl_id_crawls_id_fk" FOREIGN KEY ("baseline_crawl_id") REFERENCES "public"."crawls"("id") ON DELETE set null ON UPDATE no action;