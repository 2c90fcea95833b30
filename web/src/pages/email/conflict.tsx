import type { ReactNode } from 'react'
import { displayValue } from '../../schema.js'
import type { FieldChange } from './form-state.js'

export interface ConflictProps {
  readonly changes: readonly FieldChange[]
  readonly onReload: () => void
  readonly onOverwrite: () => void
}

/** 409: someone saved since this page loaded. Show what they changed and let the admin choose. */
export function ConflictPanel({ changes, onReload, onOverwrite }: ConflictProps): ReactNode {
  return (
    <div className="alert alert-warning conflict" role="alert" data-testid="conflict">
      <h3>Someone else saved these settings while you were editing</h3>
      {changes.length === 0 ? (
        <p>The saved values match yours; only the version moved on.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Fields that differ from the saved settings</caption>
            <thead>
              <tr>
                <th scope="col">Field</th>
                <th scope="col">Saved now</th>
                <th scope="col">Your edit</th>
              </tr>
            </thead>
            <tbody>
              {changes.map((c) => (
                <tr key={c.path}>
                  <th scope="row">{c.title}</th>
                  <td>{displayValue(c.theirs)}</td>
                  <td>{displayValue(c.mine)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div className="actions">
        <button type="button" className="button" onClick={onReload}>
          Reload saved settings
        </button>
        <button type="button" className="button button-secondary" onClick={onOverwrite}>
          Keep my edits (save again to overwrite)
        </button>
      </div>
    </div>
  )
}
