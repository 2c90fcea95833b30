import { useId, useState } from 'react'
import type { FormEvent, ReactNode } from 'react'
import { api, problemText } from '../api.js'
import { clearToken, setToken } from '../session.js'

export interface LoginProps {
  readonly notice: string | undefined
  readonly onSignedIn: () => void
}

/** Sign in with the admin token; it is kept in sessionStorage for this tab only. */
export function LoginPage({ notice, onSignedIn }: LoginProps): ReactNode {
  const id = useId()
  const [token, setTokenText] = useState('')
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState(false)

  async function submit(e: FormEvent): Promise<void> {
    e.preventDefault()
    const value = token.trim()
    if (value === '') {
      setError('Enter the admin token.')
      return
    }
    setBusy(true)
    setError(undefined)
    setToken(value)
    // Any authenticated read proves the token; the settings are the first page anyway.
    const res = await api<unknown>('GET', '/api/v1/settings/email')
    setBusy(false)
    if (res.ok) {
      if (window.location.hash === '' || window.location.hash === '#/' || window.location.hash === '#')
        window.location.hash = '#/system/email'
      onSignedIn()
      return
    }
    clearToken()
    setError(
      res.status === 401 || res.status === 403
        ? 'That token was not accepted.'
        : `Sign-in failed: ${problemText(res.problem)}`,
    )
  }

  return (
    <main className="login" id="main">
      <form
        className="card login-card"
        onSubmit={(e) => void submit(e)}
        noValidate
        aria-labelledby={`${id}-h`}
      >
        <div className="brand brand-large" aria-hidden="true">
          <span className="brand-mark">✉</span> alertmail
        </div>
        <h1 id={`${id}-h`}>Sign in</h1>
        {notice !== undefined && (
          <p className="alert alert-info" role="status">
            {notice}
          </p>
        )}
        <div className="field field-secret">
          <label className="label" htmlFor={`${id}-token`}>
            Admin token
          </label>
          <div className="control">
            <input
              id={`${id}-token`}
              name="token"
              type="password"
              autoComplete="current-password"
              value={token}
              onChange={(e) => setTokenText(e.currentTarget.value)}
              aria-invalid={error !== undefined ? true : undefined}
              aria-describedby={`${id}-help${error !== undefined ? ` ${id}-err` : ''}`}
              autoFocus
            />
            <p className="help" id={`${id}-help`}>
              The value of ALERTMAIL_ADMIN_TOKEN, or the token printed when the server first started. Kept for
              this browser tab only.
            </p>
            {error !== undefined && (
              <p className="error" id={`${id}-err`} role="alert">
                {error}
              </p>
            )}
          </div>
        </div>
        <button type="submit" className="button button-wide" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  )
}
