ALTER TABLE "cells" ADD COLUMN "nats_public_key" text;--> statement-breakpoint
ALTER TABLE "cells" ADD COLUMN "removed_at" timestamp with time zone;