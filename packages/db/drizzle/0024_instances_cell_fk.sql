ALTER TABLE "instances" DROP CONSTRAINT "instances_cell_id_cells_id_fk";
