CREATE TABLE "speakup"."detail_paths" (
	"path" text PRIMARY KEY NOT NULL,
	"first_seen_run" bigint NOT NULL,
	"first_seen_at" timestamp(3) with time zone NOT NULL,
	"last_seen_run" bigint NOT NULL,
	"last_seen_at" timestamp(3) with time zone NOT NULL,
	"missing_since_run" bigint,
	"details_seen" integer DEFAULT 0 NOT NULL,
	"details_total" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "speakup"."settings" (
	"key" text PRIMARY KEY NOT NULL,
	"value" text NOT NULL,
	"updated_at" timestamp(3) with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "speakup"."sync_runs" ADD COLUMN "new_paths" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "speakup"."sync_runs" ADD COLUMN "lost_paths" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "speakup"."sync_runs" ADD COLUMN "remapped" integer DEFAULT 0 NOT NULL;