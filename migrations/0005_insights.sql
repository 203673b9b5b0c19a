ALTER TYPE "public"."crawl_kind" ADD VALUE 'profile';--> statement-breakpoint
ALTER TYPE "public"."crawl_kind" ADD VALUE 'user_posts';--> statement-breakpoint
CREATE TABLE "post_metric_offsets" (
	"post_id" uuid NOT NULL,
	"offset_label" text NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"taken_at" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "post_metric_offsets_post_id_offset_label_pk" PRIMARY KEY("post_id","offset_label")
);
--> statement-breakpoint
CREATE TABLE "profile_snapshots" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"username" text NOT NULL,
	"followers" bigint,
	"following" bigint,
	"likes" bigint,
	"videos" bigint,
	"crawl_id" uuid,
	"taken_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tiktok_profiles" (
	"username" text PRIMARY KEY NOT NULL,
	"user_id" text,
	"sec_uid" text,
	"nickname" text,
	"private_account" boolean DEFAULT false NOT NULL,
	"raw" jsonb NOT NULL,
	"fetched_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "video_snapshots" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"video_id" text NOT NULL,
	"plays" bigint,
	"likes" bigint,
	"comments" bigint,
	"shares" bigint,
	"crawl_id" uuid,
	"post_id" uuid,
	"offset_label" text,
	"taken_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "posts" ADD COLUMN "video_id" text;--> statement-breakpoint
ALTER TABLE "tiktok_videos" ADD COLUMN "fetched_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "post_metric_offsets" ADD CONSTRAINT "post_metric_offsets_post_id_posts_id_fk" FOREIGN KEY ("post_id") REFERENCES "public"."posts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "profile_snapshots" ADD CONSTRAINT "profile_snapshots_crawl_id_crawls_id_fk" FOREIGN KEY ("crawl_id") REFERENCES "public"."crawls"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "video_snapshots" ADD CONSTRAINT "video_snapshots_crawl_id_crawls_id_fk" FOREIGN KEY ("crawl_id") REFERENCES "public"."crawls"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "video_snapshots" ADD CONSTRAINT "video_snapshots_post_id_posts_id_fk" FOREIGN KEY ("post_id") REFERENCES "public"."posts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "post_metric_offsets_pending_idx" ON "post_metric_offsets" USING btree ("due_at") WHERE "post_metric_offsets"."taken_at" is null;--> statement-breakpoint
CREATE INDEX "profile_snapshots_username_taken_at_idx" ON "profile_snapshots" USING btree ("username","taken_at");--> statement-breakpoint
CREATE INDEX "video_snapshots_video_id_taken_at_idx" ON "video_snapshots" USING btree ("video_id","taken_at");--> statement-breakpoint
CREATE INDEX "video_snapshots_post_id_idx" ON "video_snapshots" USING btree ("post_id");