CREATE TYPE "public"."instance_state" AS ENUM('UNPLACED', 'PLACED', 'STARTING', 'RUNNING', 'CRASHED', 'STOPPED');--> statement-breakpoint
CREATE TABLE "applied_events" (
	"event_id" text PRIMARY KEY NOT NULL,
	"applied_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "instances" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"app_id" uuid NOT NULL,
	"index" integer NOT NULL,
	"revision" integer NOT NULL,
	"cell_id" uuid,
	"state" "instance_state" DEFAULT 'UNPLACED' NOT NULL,
	"container_handle" text,
	"address" text,
	"ports" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"crash_count" integer DEFAULT 0 NOT NULL,
	"reason" text,
	"since" timestamp with time zone DEFAULT now() NOT NULL,
	"command_sent_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "instances" ADD CONSTRAINT "instances_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "instances" ADD CONSTRAINT "instances_app_id_apps_id_fk" FOREIGN KEY ("app_id") REFERENCES "public"."apps"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "instances" ADD CONSTRAINT "instances_cell_id_cells_id_fk" FOREIGN KEY ("cell_id") REFERENCES "public"."cells"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "instances_app_idx" ON "instances" USING btree ("app_id","index");--> statement-breakpoint
CREATE INDEX "instances_cell_idx" ON "instances" USING btree ("cell_id");--> statement-breakpoint
CREATE INDEX "instances_state_idx" ON "instances" USING btree ("state");