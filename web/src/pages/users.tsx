import { useCallback, useEffect, useRef, useState } from 'react'
import type { ReactNode } from 'react'
import { api, listOf, problemText } from '../api.js'
import type { FieldIssue } from '../api.js'
import { ConfirmDialog } from '../components/confirm-dialog.js'
import { UserForm } from './user-form.js'
import type { User, UserInput } from './user-form.js'

type Editing = { readonly mode: 'add' } | { readonly mode: 'edit'; readonly user: User } | undefined

/** System → Users: who receives alerts, for which severities, and when they are quiet. */
export function UsersPage(): ReactNode {
  const [users, setUsers] = useState<User[]>()
  const [error, setError] = useState<string>()
  const [status, setStatus] = useState<string>()
  const [editing, setEditing] = useState<Editing>()
  const [issues, setIssues] = useState<FieldIssue[]>([])
  const [busy, setBusy] = useState(false)
  const [deleting, setDeleting] = useState<User>()
  const addRef = useRef<HTMLButtonElement>(null)

  const load = useCallback(async (): Promise<void> => {
    const res = await api<unknown>('GET', '/api/v1/users')
    if (res.ok) {
      setUsers(listOf<User>(res.data, 'users'))
      setError(undefined)
    } else setError(problemText(res.problem))
  }, [])

  useEffect(() => {
    void load()
  }, [load])

  async function submit(input: UserInput): Promise<void> {
    setBusy(true)
    setIssues([])
    const res =
      editing?.mode === 'edit'
        ? await api<unknown>('PATCH', `/api/v1/users/${encodeURIComponent(String(editing.user.id))}`, input)
        : await api<unknown>('POST', '/api/v1/users', input)
    setBusy(false)
    if (!res.ok) {
      setIssues(
        res.problem.errors.length > 0
          ? [...res.problem.errors]
          : [{ field: '', message: problemText(res.problem) }],
      )
      return
    }
    setStatus(editing?.mode === 'edit' ? `Saved ${input.name}.` : `Added ${input.name}.`)
    setEditing(undefined)
    await load()
    addRef.current?.focus()
  }

  async function setEnabled(user: User, enabled: boolean): Promise<void> {
    const res = await api<unknown>('PATCH', `/api/v1/users/${encodeURIComponent(String(user.id))}`, {
      enabled,
    })
    setStatus(
      res.ok
        ? `${enabled ? 'Enabled' : 'Disabled'} ${user.name}.`
        : `Could not change ${user.name}: ${problemText(res.problem)}`,
    )
    await load()
  }

  async function remove(user: User): Promise<void> {
    setDeleting(undefined)
    const res = await api<unknown>('DELETE', `/api/v1/users/${encodeURIComponent(String(user.id))}`)
    setStatus(res.ok ? `Deleted ${user.name}.` : `Could not delete ${user.name}: ${problemText(res.problem)}`)
    await load()
    addRef.current?.focus()
  }

  return (
    <div className="users-page">
      <header className="page-header with-action">
        <div>
          <h1>Users</h1>
          <p className="lead">Registered users receive the alerts whose severity they ticked.</p>
        </div>
        <button
          ref={addRef}
          type="button"
          className="button"
          onClick={() => {
            setIssues([])
            setEditing({ mode: 'add' })
          }}
        >
          Add user
        </button>
      </header>
      <p role="status" className="page-status">
        {status}
      </p>
      {editing !== undefined && (
        <UserForm
          key={editing.mode === 'edit' ? String(editing.user.id) : 'new'}
          initial={editing.mode === 'edit' ? editing.user : undefined}
          issues={issues}
          busy={busy}
          onSubmit={(input) => void submit(input)}
          onCancel={() => {
            setEditing(undefined)
            addRef.current?.focus()
          }}
        />
      )}
      {error !== undefined && (
        <p className="alert alert-error" role="alert">
          Could not load users: {error}
        </p>
      )}
      {users === undefined && error === undefined && <p role="status">Loading users…</p>}
      {users !== undefined && users.length === 0 && (
        <p className="empty">No users yet. Add one to start receiving alerts.</p>
      )}
      {users !== undefined && users.length > 0 && (
        <div className="table-wrap card">
          <table className="data-table" data-testid="users-table">
            <caption className="visually-hidden">Registered users</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">E-mail</th>
                <th scope="col">Severities</th>
                <th scope="col">Quiet hours</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {users.map((u) => (
                <tr key={String(u.id)} className={u.enabled ? '' : 'is-muted'}>
                  <th scope="row" data-label="Name">
                    {u.name}
                  </th>
                  <td data-label="E-mail">{u.email}</td>
                  <td data-label="Severities">
                    {u.severities.map((s) => (
                      <span key={s} className={`sev sev-${s}`}>
                        {s}
                      </span>
                    ))}
                  </td>
                  <td data-label="Quiet hours">
                    {u.quietHours !== undefined && u.quietHours !== null
                      ? `${u.quietHours.start}–${u.quietHours.end} ${u.quietHours.timeZone}`
                      : '—'}
                  </td>
                  <td data-label="Status">
                    {u.enabled ? (
                      <span className="badge badge-ok">enabled</span>
                    ) : (
                      <span className="badge badge-muted">disabled</span>
                    )}
                  </td>
                  <td className="row-actions">
                    <button
                      type="button"
                      className="button button-small button-secondary"
                      aria-label={`Edit ${u.name}`}
                      onClick={() => {
                        setIssues([])
                        setEditing({ mode: 'edit', user: u })
                      }}
                    >
                      Edit
                    </button>
                    <button
                      type="button"
                      className="button button-small button-secondary"
                      aria-label={`${u.enabled ? 'Disable' : 'Enable'} ${u.name}`}
                      onClick={() => void setEnabled(u, !u.enabled)}
                    >
                      {u.enabled ? 'Disable' : 'Enable'}
                    </button>
                    <button
                      type="button"
                      className="button button-small button-danger"
                      aria-label={`Delete ${u.name}`}
                      onClick={() => setDeleting(u)}
                    >
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {deleting !== undefined && (
        <ConfirmDialog
          title={`Delete ${deleting.name}?`}
          confirmLabel="Delete user"
          onConfirm={() => void remove(deleting)}
          onCancel={() => setDeleting(undefined)}
        >
          <p>
            {deleting.email} will stop receiving alerts. Past deliveries stay in the log. This cannot be
            undone.
          </p>
        </ConfirmDialog>
      )}
    </div>
  )
}
