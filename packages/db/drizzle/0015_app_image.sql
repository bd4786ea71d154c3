ALTER TABLE "app_revisions" ADD COLUMN "image" jsonb;--> statement-breakpoint
ALTER TABLE "apps" ADD COLUMN "image" jsonb;--> statement-breakpoint
ALTER TABLE "apps" ADD COLUMN "image_credentials" text;