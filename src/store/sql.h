/* sql.h - ids of every SQL statement sealca runs (the text is in sql.c). */
#ifndef SEALCA_STORE_SQL_H
#define SEALCA_STORE_SQL_H

typedef enum store_sql_id {
    ST_SCHEMA_VERSION,
    ST_SCHEMA_RECORD,
    ST_COUNTER_INIT,
    ST_COUNTER_NEXT,
    ST_COUNTER_GET,
    ST_ISSUER_INSERT,
    ST_ISSUER_LIST,
    ST_ISSUER_SET_STATUS,
    ST_CERT_INSERT,
    ST_CERT_GET,
    ST_CERT_LIST,
    ST_CERT_SET_STATUS,
    ST_CERT_COUNT,
    ST_CERT_CHANGED_SINCE,
    ST_CERT_STATUS,
    ST_CRL_FULL_ENTRIES,
    ST_CRL_DELTA_ENTRIES,
    ST_CRL_INSERT,
    ST_CRL_LAST_FULL,
    ST_CRL_LATEST,
    ST_CRL_PRUNE,
    ST_CRL_LATEST_META,
    ST_CRL_COUNT_ENTRIES,
    ST_PROFILE_INSERT,
    ST_PROFILE_GET,
    ST_PROFILE_LIST,
    ST_PROFILE_SET_STATUS,
    ST_AUDIT_HEAD,
    ST_AUDIT_INSERT,
    ST_AUDIT_ALL,
    ST_AUDIT_CP_INSERT,
    ST_AUDIT_CP_ALL,
    ST_AUDIT_CP_LAST,
    ST_OUTBOX_INSERT,
    ST_OUTBOX_DUE,
    ST_OUTBOX_CLAIM,
    ST_OUTBOX_DONE,
    ST_OUTBOX_RETRY,
    ST_OUTBOX_NEWER,
    ST_OUTBOX_PENDING,
    ST_OUTBOX_PRUNE,
    ST_OUTBOX_RESET,
    /* ra/notify.c: the e-mail outbox */
    ST_NOTIFY_INSERT,
    ST_NOTIFY_DUE,
    ST_NOTIFY_CLAIM,
    ST_NOTIFY_SENT,
    ST_NOTIFY_RETRY,
    ST_NOTIFY_LIST,
    ST_NOTIFY_COUNTS,
    ST_NOTIFY_REQUEUE,
    ST__COUNT
} store_sql_id;

/* The portable SQL text (`?` placeholders) for a statement id. */
const char *store_sql_text(store_sql_id id);

#endif
