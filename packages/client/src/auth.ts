import { AuditumError, errorFromResponse } from './errors.ts';

/** Where a request's Authorization header comes from. */
export interface Auth {
  /** The Authorization header for the next request (an OAuth2 token is fetched or refreshed first when due). */
  header(): Promise<string>;
  /** After a 401 to `header`: forgets it; true when a new credential may help (OAuth2), false for an API key. */
  renew(header: string): boolean;
}

/** An API key, sent as a bearer token. */
export function apiKeyAuth(apiKey: string): Auth {
  const header = `Bearer ${apiKey}`;
  return { header: async () => header, renew: () => false };
}

export interface OauthSettings {
  clientId: string;
  clientSecret: string;
  /** Space-separated scopes to ask for (default: all the client has). */
  scope?: string;
}

export interface OauthAuthOptions extends OauthSettings {
  url: string;
  /** Refresh this long (ms) before the token expires; default a tenth of its lifetime, at most 60 s. */
  refreshMarginMs?: number;
  timeoutMs: number;
}

interface Token {
  header: string;
  refreshAt: number;
}

/**
 * OAuth2 client credentials (RFC 6749 section 4.4) at POST /oauth/token, HTTP Basic client authentication.
 * The token is kept and fetched again before it expires; callers asking at once share one fetch.
 */
export function oauthAuth(options: OauthAuthOptions): Auth {
  let token: Token | undefined;
  let fetching: Promise<Token> | undefined;

  async function fetchToken(): Promise<Token> {
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (options.scope) form.set('scope', options.scope);
    const basic = `${encodeURIComponent(options.clientId)}:${encodeURIComponent(options.clientSecret)}`;
    const timeout = AbortSignal.timeout(options.timeoutMs);
    let response: Response;
    try {
      response = await fetch(new URL('/oauth/token', options.url), {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(basic).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: form.toString(),
        signal: timeout,
      });
    } catch (error) {
      const code = timeout.aborted ? 'timeout' : 'network_error';
      throw new AuditumError(code, `could not get an OAuth2 token: ${(error as Error).message}`, { cause: error });
    }
    if (!response.ok) throw await errorFromResponse(response);
    const body = (await response.json()) as { access_token: string; expires_in: number };
    const lifetimeMs = body.expires_in * 1000;
    const margin = options.refreshMarginMs ?? Math.min(60_000, lifetimeMs / 10);
    return { header: `Bearer ${body.access_token}`, refreshAt: Date.now() + lifetimeMs - margin };
  }

  return {
    async header() {
      if (token && Date.now() < token.refreshAt) return token.header;
      // Shared by every request that finds the token due; it has its own time limit, no caller's signal.
      fetching ??= fetchToken().finally(() => (fetching = undefined));
      token = await fetching;
      return token.header;
    },
    renew(header) {
      if (token?.header === header) token = undefined;
      return true;
    },
  };
}
