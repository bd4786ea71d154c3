ALTER TABLE "api_tokens" ADD COLUMN "expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "api_tokens" ADD COLUMN "revoked_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "api_tokens" ADD COLUMN "last_used_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "idempotency_keys" ADD COLUMN "withheld_field" text;--> statement-breakpoint
ALTER TABLE "join_tokens" ADD COLUMN "max_uses" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "join_tokens" ADD COLUMN "uses" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "join_tokens" ADD COLUMN "revoked_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "join_tokens" ADD CONSTRAINT "join_tokens_uses_within_max" CHECK ("join_tokens"."uses" >= 0 and "join_tokens"."uses" <= "join_tokens"."max_uses");--> statement-breakpoint
-- cached responses of token creation held plain secrets: forget them (their keys may be reused)
DELETE FROM "idempotency_keys" WHERE "response_body" LIKE '%"token":"grove%';
