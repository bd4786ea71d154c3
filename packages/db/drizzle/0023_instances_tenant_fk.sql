ALTER TABLE "instances" DROP CONSTRAINT "instances_tenant_id_tenants_id_fk";
