CREATE TYPE "public"."egress_protocol" AS ENUM('tcp', 'udp', 'icmp', 'all');--> statement-breakpoint
CREATE TABLE "egress_rules" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid,
	"space_id" uuid,
	"network" text NOT NULL,
	"protocol" "egress_protocol" NOT NULL,
	"port_start" integer,
	"port_end" integer,
	"control_plane" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "egress_rules_ports" CHECK (("egress_rules"."port_start" is null and "egress_rules"."port_end" is null) or ("egress_rules"."port_start" between 1 and "egress_rules"."port_end" and "egress_rules"."port_end" <= 65535)),
	CONSTRAINT "egress_rules_space_in_tenant" CHECK ("egress_rules"."space_id" is null or "egress_rules"."tenant_id" is not null),
	CONSTRAINT "egress_rules_control_plane_platform" CHECK (not "egress_rules"."control_plane" or "egress_rules"."tenant_id" is null)
);
--> statement-breakpoint
ALTER TABLE "egress_rules" ADD CONSTRAINT "egress_rules_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "egress_rules" ADD CONSTRAINT "egress_rules_space_id_spaces_id_fk" FOREIGN KEY ("space_id") REFERENCES "public"."spaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "egress_rules_tenant_idx" ON "egress_rules" USING btree ("tenant_id");