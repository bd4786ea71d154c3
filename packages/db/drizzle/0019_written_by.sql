ALTER TABLE "apps" ADD COLUMN "written_by" "xid8" DEFAULT pg_current_xact_id() NOT NULL;--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "written_by" "xid8" DEFAULT pg_current_xact_id() NOT NULL;--> statement-breakpoint
CREATE INDEX "apps_written_by_idx" ON "apps" USING btree ("written_by");--> statement-breakpoint
CREATE INDEX "instances_written_by_idx" ON "instances" USING btree ("written_by");--> statement-breakpoint
CREATE FUNCTION "set_written_by"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	NEW."written_by" := pg_current_xact_id();
	RETURN NEW;
END;
$$;--> statement-breakpoint
CREATE TRIGGER "apps_written_by" BEFORE INSERT OR UPDATE ON "apps"
	FOR EACH ROW EXECUTE FUNCTION "set_written_by"();--> statement-breakpoint
CREATE TRIGGER "instances_written_by" BEFORE INSERT OR UPDATE ON "instances"
	FOR EACH ROW EXECUTE FUNCTION "set_written_by"();
