/**
 * Summarises a V8 `.cpuprofile` (node --cpu-prof): self time per function and per file, so the
 * report can say where our client spends its CPU per message.
 */
import { readFileSync } from 'node:fs'
import { round } from './stats.js'

interface ProfileNode {
  readonly id: number
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
  readonly hitCount?: number
  readonly children?: readonly number[]
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[]
  readonly startTime: number
  readonly endTime: number
  readonly samples: readonly number[]
  readonly timeDeltas: readonly number[]
}

export interface ProfileEntry {
  readonly name: string
  readonly selfMs: number
  readonly percent: number
}

export interface ProfileSummary {
  /** Sampled time, idle excluded. */
  readonly totalMs: number
  readonly topFunctions: ProfileEntry[]
  readonly byFile: ProfileEntry[]
  /** Time with the function anywhere on the stack (each sample counted once per function): where a pass goes. */
  readonly inclusive: ProfileEntry[]
}

function shortUrl(url: string): string {
  if (url === '') return '(native)'
  const i = url.indexOf('/dist/')
  if (i !== -1) return url.slice(i + 1)
  const n = url.lastIndexOf('/node_modules/')
  if (n !== -1) return url.slice(n + 1)
  return url.replace(/^file:\/\//, '')
}

export function summariseProfile(path: string, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile
  const byId = new Map<number, ProfileNode>()
  for (const n of profile.nodes) byId.set(n.id, n)
  const selfUs = new Map<number, number>()
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0))
  }
  const fn = new Map<string, number>()
  const file = new Map<string, number>()
  let total = 0
  for (const [id, us] of selfUs) {
    const node = byId.get(id)
    if (node === undefined) continue
    const { functionName, url, lineNumber } = node.callFrame
    // Waiting for I/O is not work.
    if (functionName === '(idle)') continue
    const where = shortUrl(url)
    const key = `${functionName === '' ? '(anonymous)' : functionName} ${where}${url === '' ? '' : `:${String(lineNumber + 1)}`}`
    fn.set(key, (fn.get(key) ?? 0) + us)
    file.set(where, (file.get(where) ?? 0) + us)
    total += us
  }
  // Inclusive time: walk each sampled node up to the root once, counting every function once.
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const incl = new Map<string, number>()
  for (const [id, us] of selfUs) {
    if (byId.get(id)?.callFrame.functionName === '(idle)') continue
    const seen = new Set<string>()
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const node = byId.get(at)
      if (node === undefined || node.callFrame.url === '') continue
      const { functionName, url, lineNumber } = node.callFrame
      seen.add(`${functionName === '' ? '(anonymous)' : functionName} ${shortUrl(url)}:${String(lineNumber + 1)}`)
    }
    for (const key of seen) incl.set(key, (incl.get(key) ?? 0) + us)
  }
  const rank = (m: Map<string, number>): ProfileEntry[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, selfMs: round(us / 1000, 1), percent: round((100 * us) / Math.max(1, total), 1) }))
  return { totalMs: round(total / 1000, 1), topFunctions: rank(fn), byFile: rank(file), inclusive: rank(incl) }
}
