/**
 * The events key: pk = occurred_at in ms * PK_SLOTS + a slot, so key order is time order and a
 * newest-first page is a backwards index walk. A safe integer until the year 2248.
 */
export const PK_SLOTS = 1024;
