CREATE TYPE "public"."account_status" AS ENUM('active', 'reauth_required');--> statement-breakpoint
CREATE TYPE "public"."crawl_kind" AS ENUM('followers', 'hashtag');--> statement-breakpoint
CREATE TYPE "public"."crawl_status" AS ENUM('queued', 'running', 'completed', 'failed', 'reauth_required', 'cancelled');--> statement-breakpoint
CREATE TYPE "public"."post_status" AS ENUM('scheduled', 'publishing', 'processing', 'published', 'failed', 'unconfirmed', 'cancelled', 'reauth_required');--> statement-breakpoint
CREATE TYPE "public"."provider" AS ENUM('posting', 'tikapi');--> statement-breakpoint
CREATE TYPE "public"."schedule_catch_up" AS ENUM('none', 'last');--> statement-breakpoint
CREATE TYPE "public"."schedule_overlap" AS ENUM('skip', 'queue');--> statement-breakpoint
CREATE TYPE "public"."schedule_run_outcome" AS ENUM('started', 'skipped', 'queued');--> statement-breakpoint
CREATE TYPE "public"."webhook_delivery_status" AS ENUM('pending', 'delivered', 'failed');--> statement-breakpoint
CREATE TABLE "accounts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"label" text NOT NULL,
	"provider" "provider" NOT NULL,
	"external_id" text NOT NULL,
	"credentials_encrypted" text,
	"status" "account_status" DEFAULT 'active' NOT NULL,
	"reauth_reason" text,
	"reauth_required_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "post_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"post_id" uuid NOT NULL,
	"from_status" "post_status",
	"to_status" "post_status" NOT NULL,
	"code" text,
	"message" text,
	"data" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "posts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"account_id" uuid NOT NULL,
	"request" jsonb NOT NULL,
	"media_type" text NOT NULL,
	"status" "post_status" DEFAULT 'scheduled' NOT NULL,
	"idempotency_key" text,
	"request_hash" text NOT NULL,
	"scheduled_at" timestamp with time zone NOT NULL,
	"publish_id" text,
	"public_url" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"generation" integer DEFAULT 0 NOT NULL,
	"last_error_code" text,
	"last_error_message" text,
	"submitted_at" timestamp with time zone,
	"poll_deadline_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "schedule_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"schedule_id" uuid NOT NULL,
	"fire_time" timestamp with time zone NOT NULL,
	"outcome" "schedule_run_outcome" NOT NULL,
	"crawl_id" uuid,
	"reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "schedules" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"cron" text NOT NULL,
	"timezone" text NOT NULL,
	"crawl_spec" jsonb NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"overlap" "schedule_overlap" DEFAULT 'skip' NOT NULL,
	"catch_up" "schedule_catch_up" DEFAULT 'last' NOT NULL,
	"last_fired_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "crawl_checkpoints" (
	"crawl_id" uuid PRIMARY KEY NOT NULL,
	"cursor" text,
	"has_more" boolean DEFAULT true NOT NULL,
	"pages" integer DEFAULT 0 NOT NULL,
	"items" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "crawl_items" (
	"crawl_id" uuid NOT NULL,
	"item_id" text NOT NULL,
	"position" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "crawls" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"kind" "crawl_kind" NOT NULL,
	"target" jsonb NOT NULL,
	"resolved_id" text,
	"account_id" uuid,
	"max_items" integer,
	"max_pages" integer,
	"status" "crawl_status" DEFAULT 'queued' NOT NULL,
	"pages" integer DEFAULT 0 NOT NULL,
	"items" integer DEFAULT 0 NOT NULL,
	"generation" integer DEFAULT 0 NOT NULL,
	"error_code" text,
	"error_message" text,
	"finish_reason" text,
	"schedule_id" uuid,
	"fire_time" timestamp with time zone,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tiktok_users" (
	"id" text PRIMARY KEY NOT NULL,
	"sec_uid" text,
	"unique_id" text,
	"nickname" text,
	"follower_count" integer,
	"raw" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tiktok_videos" (
	"id" text PRIMARY KEY NOT NULL,
	"author_id" text,
	"description" text,
	"posted_at" timestamp with time zone,
	"raw" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhook_attempts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"delivery_id" uuid NOT NULL,
	"attempt" integer NOT NULL,
	"status_code" integer,
	"error" text,
	"duration_ms" integer NOT NULL,
	"data" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhook_deliveries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"event_key" text NOT NULL,
	"dedupe_key" text,
	"url" text NOT NULL,
	"body" text NOT NULL,
	"status" "webhook_delivery_status" DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_status_code" integer,
	"last_error" text,
	"delivered_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "webhook_deliveries_dedupe_key_unique" UNIQUE("dedupe_key")
);
--> statement-breakpoint
ALTER TABLE "post_events" ADD CONSTRAINT "post_events_post_id_posts_id_fk" FOREIGN KEY ("post_id") REFERENCES "public"."posts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "posts" ADD CONSTRAINT "posts_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "schedule_runs" ADD CONSTRAINT "schedule_runs_schedule_id_schedules_id_fk" FOREIGN KEY ("schedule_id") REFERENCES "public"."schedules"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "crawl_checkpoints" ADD CONSTRAINT "crawl_checkpoints_crawl_id_crawls_id_fk" FOREIGN KEY ("crawl_id") REFERENCES "public"."crawls"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "crawl_items" ADD CONSTRAINT "crawl_items_crawl_id_crawls_id_fk" FOREIGN KEY ("crawl_id") REFERENCES "public"."crawls"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "crawls" ADD CONSTRAINT "crawls_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "crawls" ADD CONSTRAINT "crawls_schedule_id_schedules_id_fk" FOREIGN KEY ("schedule_id") REFERENCES "public"."schedules"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_attempts" ADD CONSTRAINT "webhook_attempts_delivery_id_webhook_deliveries_id_fk" FOREIGN KEY ("delivery_id") REFERENCES "public"."webhook_deliveries"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "accounts_provider_external_id_key" ON "accounts" USING btree ("provider","external_id");--> statement-breakpoint
CREATE INDEX "accounts_status_idx" ON "accounts" USING btree ("status");--> statement-breakpoint
CREATE INDEX "accounts_created_at_id_idx" ON "accounts" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "post_events_post_id_id_idx" ON "post_events" USING btree ("post_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "posts_idempotency_key_key" ON "posts" USING btree ("idempotency_key");--> statement-breakpoint
CREATE INDEX "posts_status_scheduled_at_idx" ON "posts" USING btree ("status","scheduled_at");--> statement-breakpoint
CREATE INDEX "posts_account_id_status_idx" ON "posts" USING btree ("account_id","status");--> statement-breakpoint
CREATE INDEX "posts_created_at_id_idx" ON "posts" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "posts_status_created_at_id_idx" ON "posts" USING btree ("status","created_at","id");--> statement-breakpoint
CREATE INDEX "posts_account_created_at_id_idx" ON "posts" USING btree ("account_id","created_at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "posts_publish_id_key" ON "posts" USING btree ("publish_id") WHERE "posts"."publish_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "schedule_runs_schedule_id_fire_time_key" ON "schedule_runs" USING btree ("schedule_id","fire_time");--> statement-breakpoint
CREATE INDEX "schedules_enabled_idx" ON "schedules" USING btree ("enabled");--> statement-breakpoint
CREATE INDEX "schedules_created_at_id_idx" ON "schedules" USING btree ("created_at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "crawl_items_crawl_id_item_id_key" ON "crawl_items" USING btree ("crawl_id","item_id");--> statement-breakpoint
CREATE UNIQUE INDEX "crawl_items_crawl_id_position_key" ON "crawl_items" USING btree ("crawl_id","position");--> statement-breakpoint
CREATE UNIQUE INDEX "crawls_schedule_id_fire_time_key" ON "crawls" USING btree ("schedule_id","fire_time");--> statement-breakpoint
CREATE INDEX "crawls_status_idx" ON "crawls" USING btree ("status");--> statement-breakpoint
CREATE INDEX "crawls_created_at_id_idx" ON "crawls" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "crawls_status_created_at_id_idx" ON "crawls" USING btree ("status","created_at","id");--> statement-breakpoint
CREATE INDEX "crawls_account_id_status_idx" ON "crawls" USING btree ("account_id","status");--> statement-breakpoint
CREATE INDEX "crawls_schedule_active_idx" ON "crawls" USING btree ("schedule_id") WHERE "crawls"."status" in ('queued', 'running');--> statement-breakpoint
CREATE INDEX "tiktok_users_unique_id_idx" ON "tiktok_users" USING btree ("unique_id");--> statement-breakpoint
CREATE INDEX "tiktok_videos_author_id_idx" ON "tiktok_videos" USING btree ("author_id");--> statement-breakpoint
CREATE INDEX "webhook_attempts_delivery_id_idx" ON "webhook_attempts" USING btree ("delivery_id");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_status_idx" ON "webhook_deliveries" USING btree ("status");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_created_at_id_idx" ON "webhook_deliveries" USING btree ("created_at","id");