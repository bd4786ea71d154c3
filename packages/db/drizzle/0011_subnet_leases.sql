CREATE TABLE "subnet_leases" (
	"subnet" text PRIMARY KEY NOT NULL,
	"cell_id" uuid NOT NULL,
	"leased_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "subnet_leases" ADD CONSTRAINT "subnet_leases_cell_id_cells_id_fk" FOREIGN KEY ("cell_id") REFERENCES "public"."cells"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "subnet_leases_cell_key" ON "subnet_leases" USING btree ("cell_id");