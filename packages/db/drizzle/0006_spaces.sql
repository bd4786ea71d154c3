CREATE TABLE "space_quotas" (
	"space_id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"memory_mb" integer,
	"instance_memory_mb" integer,
	"instances" integer,
	"apps" integer,
	"disk_mb" integer,
	"routes" integer,
	"log_lines_per_second" integer,
	"version" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "space_quotas_not_negative" CHECK (coalesce(least("space_quotas"."memory_mb", "space_quotas"."instance_memory_mb", "space_quotas"."instances", "space_quotas"."apps", "space_quotas"."disk_mb", "space_quotas"."routes", "space_quotas"."log_lines_per_second"), 0) >= 0)
);
--> statement-breakpoint
CREATE TABLE "spaces" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "space_quotas" ADD CONSTRAINT "space_quotas_space_id_spaces_id_fk" FOREIGN KEY ("space_id") REFERENCES "public"."spaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "space_quotas" ADD CONSTRAINT "space_quotas_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "spaces" ADD CONSTRAINT "spaces_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "spaces_tenant_name_key" ON "spaces" USING btree ("tenant_id","name");--> statement-breakpoint
-- existing apps move to a `default` space of their tenant
INSERT INTO "spaces" ("tenant_id", "name") SELECT "id", 'default' FROM "tenants";--> statement-breakpoint
ALTER TABLE "apps" ADD COLUMN "space_id" uuid;--> statement-breakpoint
UPDATE "apps" SET "space_id" = "spaces"."id" FROM "spaces" WHERE "spaces"."tenant_id" = "apps"."tenant_id" AND "spaces"."name" = 'default';--> statement-breakpoint
ALTER TABLE "apps" ALTER COLUMN "space_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "apps" ADD CONSTRAINT "apps_space_id_spaces_id_fk" FOREIGN KEY ("space_id") REFERENCES "public"."spaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "apps_space_idx" ON "apps" USING btree ("space_id");