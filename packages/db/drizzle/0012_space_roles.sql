CREATE TYPE "public"."space_role" AS ENUM('developer', 'viewer');--> statement-breakpoint
CREATE TABLE "space_roles" (
	"space_id" uuid NOT NULL,
	"token_id" uuid NOT NULL,
	"tenant_id" uuid NOT NULL,
	"role" "space_role" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "space_roles_space_id_token_id_pk" PRIMARY KEY("space_id","token_id")
);
--> statement-breakpoint
DROP INDEX "apps_tenant_name_key";--> statement-breakpoint
DROP INDEX "apps_space_idx";--> statement-breakpoint
ALTER TABLE "space_roles" ADD CONSTRAINT "space_roles_space_id_spaces_id_fk" FOREIGN KEY ("space_id") REFERENCES "public"."spaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "space_roles" ADD CONSTRAINT "space_roles_token_id_api_tokens_id_fk" FOREIGN KEY ("token_id") REFERENCES "public"."api_tokens"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "space_roles" ADD CONSTRAINT "space_roles_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "space_roles_token_idx" ON "space_roles" USING btree ("token_id");--> statement-breakpoint
CREATE UNIQUE INDEX "apps_space_name_key" ON "apps" USING btree ("space_id","name");--> statement-breakpoint
CREATE INDEX "apps_tenant_name_idx" ON "apps" USING btree ("tenant_id","name");--> statement-breakpoint
-- existing developer tokens keep what they could do: developer in their tenant's default space
INSERT INTO "spaces" ("tenant_id", "name") SELECT "id", 'default' FROM "tenants" ON CONFLICT ("tenant_id", "name") DO NOTHING;--> statement-breakpoint
INSERT INTO "space_roles" ("space_id", "token_id", "tenant_id", "role") SELECT "spaces"."id", "api_tokens"."id", "api_tokens"."tenant_id", 'developer' FROM "api_tokens" INNER JOIN "spaces" ON "spaces"."tenant_id" = "api_tokens"."tenant_id" AND "spaces"."name" = 'default' WHERE "api_tokens"."role" = 'developer' AND "api_tokens"."revoked_at" IS NULL;
