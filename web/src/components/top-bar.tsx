import { useEffect, useRef, useState } from 'react'
import type { KeyboardEvent, ReactNode } from 'react'
import { ROUTES } from '../route.js'
import type { RouteName } from '../route.js'

const ITEMS: readonly { route: RouteName; label: string }[] = [
  { route: 'email', label: 'E-Mail' },
  { route: 'users', label: 'Users' },
  { route: 'deliveries', label: 'Delivery log' },
  { route: 'audit', label: 'Audit' },
]

export interface TopBarProps {
  readonly current: RouteName
  readonly onLogout: () => void
}

/**
 * The top bar. As on the seed's console, **System** sits at the top right and opens the menu
 * (WAI-ARIA menu button: Enter/Space/ArrowDown open, arrows move, Escape closes and returns focus).
 */
export function TopBar({ current, onLogout }: TopBarProps): ReactNode {
  const [open, setOpen] = useState(false)
  const buttonRef = useRef<HTMLButtonElement>(null)
  const menuRef = useRef<HTMLUListElement>(null)
  const wrapRef = useRef<HTMLDivElement>(null)

  const items = (): HTMLAnchorElement[] => [
    ...(menuRef.current?.querySelectorAll<HTMLAnchorElement>('[role="menuitem"]') ?? []),
  ]

  useEffect(() => {
    if (!open) return
    const onDown = (e: MouseEvent): void => {
      if (wrapRef.current !== null && !wrapRef.current.contains(e.target as Node)) setOpen(false)
    }
    document.addEventListener('mousedown', onDown)
    return () => document.removeEventListener('mousedown', onDown)
  }, [open])

  function openAt(index: number): void {
    setOpen(true)
    requestAnimationFrame(() => {
      const list = items()
      list[(index + list.length) % list.length]?.focus()
    })
  }

  function onButtonKey(e: KeyboardEvent<HTMLButtonElement>): void {
    if (e.key === 'ArrowDown' || e.key === 'Enter' || e.key === ' ') {
      e.preventDefault()
      openAt(0)
    } else if (e.key === 'ArrowUp') {
      e.preventDefault()
      openAt(-1)
    }
  }

  function onMenuKey(e: KeyboardEvent<HTMLUListElement>): void {
    const list = items()
    const i = list.indexOf(document.activeElement as HTMLAnchorElement)
    const move = (to: number): void => {
      e.preventDefault()
      list[(to + list.length) % list.length]?.focus()
    }
    if (e.key === 'ArrowDown') move(i + 1)
    else if (e.key === 'ArrowUp') move(i - 1)
    else if (e.key === 'Home') move(0)
    else if (e.key === 'End') move(list.length - 1)
    else if (e.key === 'Escape') {
      e.preventDefault()
      setOpen(false)
      buttonRef.current?.focus()
    } else if (e.key === 'Tab') setOpen(false)
  }

  return (
    <header className="top-bar">
      <a className="brand" href={ROUTES.email}>
        <span className="brand-mark" aria-hidden="true">
          ✉
        </span>
        alertmail
      </a>
      <div className="top-actions">
        <div className="menu-wrap" ref={wrapRef}>
          <button
            ref={buttonRef}
            type="button"
            className="menu-button"
            id="system-menu-button"
            aria-haspopup="menu"
            aria-expanded={open}
            aria-controls="system-menu"
            onClick={() => (open ? setOpen(false) : openAt(0))}
            onKeyDown={onButtonKey}
          >
            System <span aria-hidden="true">▾</span>
          </button>
          <ul
            id="system-menu"
            role="menu"
            aria-labelledby="system-menu-button"
            className="menu"
            hidden={!open}
            ref={menuRef}
            onKeyDown={onMenuKey}
          >
            {ITEMS.map((item) => (
              <li role="none" key={item.route}>
                <a
                  role="menuitem"
                  href={ROUTES[item.route]}
                  tabIndex={-1}
                  aria-current={item.route === current ? 'page' : undefined}
                  onClick={() => {
                    setOpen(false)
                    buttonRef.current?.focus()
                  }}
                >
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </div>
        <button type="button" className="button button-ghost" onClick={onLogout}>
          Log out
        </button>
      </div>
    </header>
  )
}
