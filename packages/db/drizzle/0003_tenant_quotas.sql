CREATE TABLE "tenant_quotas" (
	"tenant_id" uuid PRIMARY KEY NOT NULL,
	"memory_mb" integer,
	"instance_memory_mb" integer,
	"instances" integer,
	"apps" integer,
	"disk_mb" integer,
	"routes" integer,
	"log_lines_per_second" integer,
	"version" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tenant_quotas_not_negative" CHECK (coalesce(least("tenant_quotas"."memory_mb", "tenant_quotas"."instance_memory_mb", "tenant_quotas"."instances", "tenant_quotas"."apps", "tenant_quotas"."disk_mb", "tenant_quotas"."routes", "tenant_quotas"."log_lines_per_second"), 0) >= 0)
);
--> statement-breakpoint
ALTER TABLE "tenant_quotas" ADD CONSTRAINT "tenant_quotas_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;