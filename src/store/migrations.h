/* migrations.h - the versioned schema. */
#ifndef SEALCA_STORE_MIGRATIONS_H
#define SEALCA_STORE_MIGRATIONS_H

/* Markers of driver-specific parts in a migration's text (see migrations.c STORE_DIALECTS). */
#define STORE_DIALECT_SQLITE "-- sqlite\n"
#define STORE_DIALECT_PG     "-- postgresql\n"
#define STORE_DIALECT_END    "-- end\n"

int store_migration_count(void);
/* The DDL of version v (1-based). */
const char *store_migration_sql(int v);

#endif
