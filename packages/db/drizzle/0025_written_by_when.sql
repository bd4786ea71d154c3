-- the trigger stamps a row only when its writer did not (a plpgsql call per row was a sixth of an
-- instance event's update): inserts stamp by the column's default, the hot updates in their SET
DROP TRIGGER "instances_written_by" ON "instances";--> statement-breakpoint
CREATE TRIGGER "instances_written_by" BEFORE INSERT OR UPDATE ON "instances"
	FOR EACH ROW WHEN (NEW."written_by" IS DISTINCT FROM pg_current_xact_id())
	EXECUTE FUNCTION "set_written_by"();
