/**
 * The admin token lives in sessionStorage only: it is gone when the tab closes and is never
 * written to localStorage or a cookie.
 */
const KEY = 'alertmail.token'

export function getToken(): string | null {
  try {
    return sessionStorage.getItem(KEY)
  } catch {
    return null
  }
}

export function setToken(token: string): void {
  sessionStorage.setItem(KEY, token)
}

export function clearToken(): void {
  try {
    sessionStorage.removeItem(KEY)
  } catch {
    // Storage unavailable: nothing was stored.
  }
}
