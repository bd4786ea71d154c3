CREATE TYPE "public"."cell_state" AS ENUM('active', 'draining', 'lost');--> statement-breakpoint
CREATE TABLE "cells" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"zone" text DEFAULT 'default' NOT NULL,
	"address" text NOT NULL,
	"memory_mb" integer NOT NULL,
	"disk_mb" integer NOT NULL,
	"max_containers" integer NOT NULL,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"stacks" text[] DEFAULT '{}'::text[] NOT NULL,
	"state" "cell_state" DEFAULT 'active' NOT NULL,
	"credential_hash" text NOT NULL,
	"last_heartbeat_at" timestamp with time zone,
	"last_report" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "join_tokens" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"token_hash" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "join_tokens_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
CREATE TABLE "tenants" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tenants_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE UNIQUE INDEX "cells_name_key" ON "cells" USING btree ("name");--> statement-breakpoint
CREATE INDEX "cells_state_idx" ON "cells" USING btree ("state");