/**
 * The service half of the bench: `alertmail serve` as a child process. Filled in once src/app.ts
 * and `alertmail serve` exist; until then `runServiceSuite` reports why nothing was measured.
 */

export interface IngestFigure {
  readonly db: 'sqlite' | 'postgres'
  /** Events per request. */
  readonly batch: number
  readonly eventsPerSecond: number
  readonly requests: number
  readonly errors: number
  readonly seconds: number
}

export interface ServiceSuiteResult {
  readonly measured: boolean
  readonly note?: string
  readonly ingest: IngestFigure[]
  readonly latency?: { readonly offeredPerSecond: number; readonly events: number; readonly delivered: number; readonly p50Ms: number; readonly p99Ms: number }
  readonly memory?: {
    readonly idleRssMb: number
    readonly queued: number
    readonly queuedRssMb: number
    readonly drainPeakRssMb: number
    readonly drainGrowthPercent: number
    readonly drainSeconds: number
    readonly drainedMessages: number
  }
}

export interface ServiceSuiteOptions {
  readonly quick: boolean
  readonly log: (line: string) => void
}

export async function runServiceSuite(_opts: ServiceSuiteOptions): Promise<ServiceSuiteResult> {
  return { measured: false, note: 'alertmail serve is not built yet (src/app.ts missing)', ingest: [] }
}
