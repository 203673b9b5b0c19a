CREATE TYPE "public"."account_link_status" AS ENUM('new', 'scanned', 'confirmed', 'expired', 'utilised');--> statement-breakpoint
ALTER TYPE "public"."account_status" ADD VALUE 'unlinked';--> statement-breakpoint
ALTER TYPE "public"."account_status" ADD VALUE 'deleted';--> statement-breakpoint
CREATE TABLE "account_links" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"provider" "provider" NOT NULL,
	"label" text,
	"token_encrypted" text NOT NULL,
	"unique_id" text NOT NULL,
	"status" "account_link_status" DEFAULT 'new' NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"account_id" uuid,
	"message" text,
	"checked_at" timestamp with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "post_batches" (
	"idempotency_key" text PRIMARY KEY NOT NULL,
	"request_hash" text NOT NULL,
	"response" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "paused" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "username" text;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "display_name" text;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "profile" jsonb;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "synced_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "unlinked_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "creator_info" jsonb;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "creator_info_fetched_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "daily_cap_until" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "posts" ADD COLUMN "waiting" jsonb;--> statement-breakpoint
ALTER TABLE "posts" ADD COLUMN "content_hash" text;--> statement-breakpoint
ALTER TABLE "account_links" ADD CONSTRAINT "account_links_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "account_links_status_expires_at_idx" ON "account_links" USING btree ("status","expires_at");--> statement-breakpoint
CREATE INDEX "posts_account_content_hash_idx" ON "posts" USING btree ("account_id","content_hash","created_at");--> statement-breakpoint
CREATE INDEX "posts_account_submitted_at_idx" ON "posts" USING btree ("account_id","submitted_at") WHERE "posts"."submitted_at" is not null;