/** Name of the httpOnly cookie that holds the backend's JWT. Shared by the proxy and the server pages. */
export const SESSION_COOKIE = 'todo_session';
