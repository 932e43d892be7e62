import type { Me } from './types.ts';

/** What the signed-in member may do, decided in one place (the server checks every request again). */
export const isOwner = (me: Me) => me.role === 'owner';
/** Owners and admins read the audit log and manage settings; members do not. */
export const isAdmin = (me: Me) => me.role === 'owner' || me.role === 'admin';
