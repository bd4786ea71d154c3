ALTER TABLE "space_quotas" DROP CONSTRAINT "space_quotas_not_negative";--> statement-breakpoint
ALTER TABLE "tenant_quotas" DROP CONSTRAINT "tenant_quotas_not_negative";--> statement-breakpoint
ALTER TABLE "app_revisions" ADD COLUMN "volumes" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "apps" ADD COLUMN "volumes" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "space_quotas" ADD COLUMN "volumes" integer;--> statement-breakpoint
ALTER TABLE "space_quotas" ADD COLUMN "volume_mb" integer;--> statement-breakpoint
ALTER TABLE "tenant_quotas" ADD COLUMN "volumes" integer;--> statement-breakpoint
ALTER TABLE "tenant_quotas" ADD COLUMN "volume_mb" integer;--> statement-breakpoint
-- existing volumes belong to their tenant's default space (made if the tenant has none yet)
INSERT INTO "spaces" ("tenant_id", "name") SELECT DISTINCT "tenant_id", 'default' FROM "volumes" ON CONFLICT DO NOTHING;--> statement-breakpoint
ALTER TABLE "volumes" ADD COLUMN "space_id" uuid;--> statement-breakpoint
UPDATE "volumes" SET "space_id" = "spaces"."id" FROM "spaces" WHERE "spaces"."tenant_id" = "volumes"."tenant_id" AND "spaces"."name" = 'default';--> statement-breakpoint
ALTER TABLE "volumes" ALTER COLUMN "space_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "volumes" ADD CONSTRAINT "volumes_space_id_spaces_id_fk" FOREIGN KEY ("space_id") REFERENCES "public"."spaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "space_quotas" ADD CONSTRAINT "space_quotas_not_negative" CHECK (coalesce(least("space_quotas"."memory_mb", "space_quotas"."instance_memory_mb", "space_quotas"."instances", "space_quotas"."apps", "space_quotas"."disk_mb", "space_quotas"."routes", "space_quotas"."log_lines_per_second", "space_quotas"."volumes", "space_quotas"."volume_mb"), 0) >= 0);--> statement-breakpoint
ALTER TABLE "tenant_quotas" ADD CONSTRAINT "tenant_quotas_not_negative" CHECK (coalesce(least("tenant_quotas"."memory_mb", "tenant_quotas"."instance_memory_mb", "tenant_quotas"."instances", "tenant_quotas"."apps", "tenant_quotas"."disk_mb", "tenant_quotas"."routes", "tenant_quotas"."log_lines_per_second", "tenant_quotas"."volumes", "tenant_quotas"."volume_mb"), 0) >= 0);