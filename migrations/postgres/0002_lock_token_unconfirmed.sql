ALTER TABLE "speakup"."sync_lock" ADD COLUMN "token" text;--> statement-breakpoint
ALTER TABLE "speakup"."sync_runs" ADD COLUMN "unconfirmed" integer DEFAULT 0 NOT NULL;