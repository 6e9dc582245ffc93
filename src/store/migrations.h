/* migrations.h - the versioned schema. */
#ifndef SEALCA_STORE_MIGRATIONS_H
#define SEALCA_STORE_MIGRATIONS_H

int store_migration_count(void);
/* The DDL of version v (1-based). */
const char *store_migration_sql(int v);

#endif
