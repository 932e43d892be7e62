import type { SecretBox } from '../access/secret-box.ts';

/**
 * The webhook URL is stored encrypted like the signing secret: hooks often carry a secret in their
 * path. Bound to the organization, so a ciphertext copied to another row does not open.
 */
const urlContext = (orgId: string) => `alert-webhook-url:${orgId}`;

/** Encrypts an organization's webhook URL for storage. */
export const sealWebhookUrl = (secrets: SecretBox, orgId: string, url: string) =>
  secrets.seal(url, urlContext(orgId));

/** Decrypts what sealWebhookUrl stored. */
export const openWebhookUrl = (secrets: SecretBox, orgId: string, sealed: string) =>
  secrets.open(sealed, urlContext(orgId));
