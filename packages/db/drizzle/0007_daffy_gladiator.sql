CREATE TYPE "public"."policy_protocol" AS ENUM('tcp', 'udp');--> statement-breakpoint
CREATE TABLE "network_policies" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"source_app_id" uuid NOT NULL,
	"destination_app_id" uuid NOT NULL,
	"destination_tenant_id" uuid NOT NULL,
	"protocol" "policy_protocol" NOT NULL,
	"port_start" integer NOT NULL,
	"port_end" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "network_policies_ports" CHECK ("network_policies"."port_start" between 1 and "network_policies"."port_end" and "network_policies"."port_end" <= 65535)
);
--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "container_ip" text;--> statement-breakpoint
ALTER TABLE "network_policies" ADD CONSTRAINT "network_policies_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "network_policies" ADD CONSTRAINT "network_policies_source_app_id_apps_id_fk" FOREIGN KEY ("source_app_id") REFERENCES "public"."apps"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "network_policies" ADD CONSTRAINT "network_policies_destination_app_id_apps_id_fk" FOREIGN KEY ("destination_app_id") REFERENCES "public"."apps"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "network_policies" ADD CONSTRAINT "network_policies_destination_tenant_id_tenants_id_fk" FOREIGN KEY ("destination_tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "network_policies_rule_key" ON "network_policies" USING btree ("source_app_id","destination_app_id","protocol","port_start","port_end");--> statement-breakpoint
CREATE INDEX "network_policies_tenant_idx" ON "network_policies" USING btree ("tenant_id");--> statement-breakpoint
CREATE INDEX "network_policies_destination_tenant_idx" ON "network_policies" USING btree ("destination_tenant_id");--> statement-breakpoint
CREATE INDEX "network_policies_destination_idx" ON "network_policies" USING btree ("destination_app_id");