import { useEffect, useState } from 'react'

/** Hash routing: the server serves one index.html, so deep links never hit the API router. */
export const ROUTES = {
  email: '#/system/email',
  users: '#/system/users',
  deliveries: '#/system/deliveries',
  audit: '#/system/audit',
} as const
export type RouteName = keyof typeof ROUTES

export function routeOf(hash: string): RouteName {
  for (const [name, value] of Object.entries(ROUTES) as [RouteName, string][]) {
    if (hash === value || hash.startsWith(`${value}/`) || hash.startsWith(`${value}?`)) return name
  }
  return 'email'
}

export function useRoute(): RouteName {
  const [route, setRoute] = useState<RouteName>(() => routeOf(window.location.hash))
  useEffect(() => {
    const onChange = (): void => setRoute(routeOf(window.location.hash))
    window.addEventListener('hashchange', onChange)
    return () => window.removeEventListener('hashchange', onChange)
  }, [])
  return route
}

export function navigate(route: RouteName): void {
  window.location.hash = ROUTES[route]
}
