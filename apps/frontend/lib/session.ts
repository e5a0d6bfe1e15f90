/**
 * The httpOnly cookie that holds the backend's JWT. Shared by the proxy and the server pages.
 * Over HTTPS it is `__Host-todo_session`: the browser then accepts it only with Secure, Path=/ and no
 * Domain, so neither a sibling subdomain nor a plain-HTTP page can plant or overwrite it.
 */
export const SESSION_COOKIE = 'todo_session';
export const SECURE_SESSION_COOKIE = `__Host-${SESSION_COOKIE}`;

/** The cookie's name for a response: the `__Host-` one when the cookie is Secure. */
export function sessionCookieName(secure: boolean): string {
  return secure ? SECURE_SESSION_COOKIE : SESSION_COOKIE;
}

/** The session token from a cookie reader (the `__Host-` cookie first). */
export function sessionToken(get: (name: string) => string | undefined): string | undefined {
  return get(SECURE_SESSION_COOKIE) || get(SESSION_COOKIE) || undefined;
}
