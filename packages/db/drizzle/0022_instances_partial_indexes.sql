DROP INDEX "instances_cell_idx";--> statement-breakpoint
DROP INDEX "instances_state_idx";--> statement-breakpoint
CREATE INDEX "instances_unplaced_idx" ON "instances" USING btree ("app_id") WHERE "instances"."state" = 'UNPLACED';--> statement-breakpoint
CREATE INDEX "instances_stopped_idx" ON "instances" USING btree ("since") WHERE "instances"."state" = 'STOPPED';