import { useEffect, useState } from 'react'
import type { ReactNode } from 'react'
import { onUnauthorized } from './api.js'
import { HealthBanner } from './components/health-banner.js'
import { TopBar } from './components/top-bar.js'
import { AuditPage } from './pages/audit.js'
import { DeliveriesPage } from './pages/deliveries.js'
import { EmailPage } from './pages/email/email-page.js'
import { LoginPage } from './pages/login.js'
import { UsersPage } from './pages/users.js'
import { useRoute } from './route.js'
import type { RouteName } from './route.js'
import { clearToken, getToken } from './session.js'

const TITLES: Record<RouteName, string> = {
  email: 'E-Mail',
  users: 'Users',
  deliveries: 'Delivery log',
  audit: 'Audit',
}

/** The shell: login gate, top bar with the System menu, health banner, and the routed page. */
export function App(): ReactNode {
  const [signedIn, setSignedIn] = useState(() => getToken() !== null)
  const [notice, setNotice] = useState<string>()
  const route = useRoute()

  useEffect(
    () =>
      onUnauthorized(() => {
        setSignedIn(false)
        setNotice('Your session has ended: the server no longer accepts that token. Sign in again.')
      }),
    [],
  )

  useEffect(() => {
    document.title = signedIn ? `${TITLES[route]} · System · alertmail` : 'Sign in · alertmail'
  }, [route, signedIn])

  if (!signedIn) {
    return (
      <LoginPage
        notice={notice}
        onSignedIn={() => {
          setNotice(undefined)
          setSignedIn(true)
        }}
      />
    )
  }

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <TopBar
        current={route}
        onLogout={() => {
          clearToken()
          setNotice('You have signed out.')
          setSignedIn(false)
        }}
      />
      <HealthBanner />
      <main id="main" className="page" tabIndex={-1}>
        <nav className="breadcrumb" aria-label="Breadcrumb">
          <span>System</span> <span aria-hidden="true">›</span>{' '}
          <span aria-current="page">{TITLES[route]}</span>
        </nav>
        {route === 'email' && <EmailPage />}
        {route === 'users' && <UsersPage />}
        {route === 'deliveries' && <DeliveriesPage />}
        {route === 'audit' && <AuditPage />}
      </main>
    </>
  )
}
