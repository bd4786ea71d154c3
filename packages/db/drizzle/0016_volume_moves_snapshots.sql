CREATE TYPE "public"."volume_state" AS ENUM('ready', 'moving', 'restoring');--> statement-breakpoint
CREATE TABLE "volume_snapshots" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"volume_id" uuid NOT NULL,
	"name" text NOT NULL,
	"size_mb" integer NOT NULL,
	"bytes" bigint NOT NULL,
	"sha256" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "volumes" ADD COLUMN "state" "volume_state" DEFAULT 'ready' NOT NULL;--> statement-breakpoint
ALTER TABLE "volumes" ADD COLUMN "source_object" text;--> statement-breakpoint
ALTER TABLE "volumes" ADD COLUMN "reason" text;--> statement-breakpoint
ALTER TABLE "volume_snapshots" ADD CONSTRAINT "volume_snapshots_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "volume_snapshots" ADD CONSTRAINT "volume_snapshots_volume_id_volumes_id_fk" FOREIGN KEY ("volume_id") REFERENCES "public"."volumes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "volume_snapshots_volume_name_key" ON "volume_snapshots" USING btree ("volume_id","name");