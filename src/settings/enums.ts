import type { AuthMethod, DsnNotify, DsnRet, Encryption, TlsVersion } from '../smtp/index.js'

/**
 * The value sets of the settings, kept here as values so that settings/ depends on smtp/ for
 * types only (STYLE.md §2.2); `Exact` fails to compile the day the two drift apart.
 */
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never

export const ENCRYPTIONS = ['NONE', 'SSL', 'TLS'] as const satisfies readonly Encryption[]
export const AUTH_METHODS = ['AUTO', 'PLAIN', 'LOGIN', 'CRAM-MD5', 'XOAUTH2'] as const satisfies readonly AuthMethod[]
export const DSN_RETS = ['NONE', 'FULL', 'HDRS'] as const satisfies readonly DsnRet[]
export const DSN_NOTIFY_VALUES = ['NEVER', 'SUCCESS', 'FAILURE', 'DELAY'] as const satisfies readonly DsnNotify[]
export const TLS_VERSIONS = ['TLSv1.2', 'TLSv1.3'] as const satisfies readonly TlsVersion[]

export const ENUMS_MATCH_SMTP: [
  Exact<(typeof ENCRYPTIONS)[number], Encryption>,
  Exact<(typeof AUTH_METHODS)[number], AuthMethod>,
  Exact<(typeof DSN_RETS)[number], DsnRet>,
  Exact<(typeof DSN_NOTIFY_VALUES)[number], DsnNotify>,
  Exact<(typeof TLS_VERSIONS)[number], TlsVersion>,
] = [true, true, true, true, true]
