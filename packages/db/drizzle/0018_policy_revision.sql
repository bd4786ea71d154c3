CREATE TABLE "policy_revision" (
	"id" integer PRIMARY KEY DEFAULT 1 NOT NULL,
	"revision" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "policy_revision_one_row" CHECK ("policy_revision"."id" = 1)
);
--> statement-breakpoint
INSERT INTO "policy_revision" ("id", "revision") VALUES (1, 0);--> statement-breakpoint
CREATE FUNCTION "bump_policy_revision"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE "policy_revision" SET "revision" = "revision" + 1 WHERE "id" = 1;
	RETURN NULL;
END;
$$;--> statement-breakpoint
CREATE TRIGGER "network_policies_bump_revision" AFTER INSERT OR UPDATE OR DELETE ON "network_policies"
	FOR EACH STATEMENT EXECUTE FUNCTION "bump_policy_revision"();--> statement-breakpoint
CREATE TRIGGER "egress_rules_bump_revision" AFTER INSERT OR UPDATE OR DELETE ON "egress_rules"
	FOR EACH STATEMENT EXECUTE FUNCTION "bump_policy_revision"();
