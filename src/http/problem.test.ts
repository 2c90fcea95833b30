import { describe, expect, it } from 'vitest'
import { HttpProblem, problemFromError, validationProblem } from './problem.js'

describe('problem details (RFC 9457)', () => {
  it('keeps a thrown HttpProblem with its code, errors and extensions', () => {
    const p = problemFromError(new HttpProblem(409, 'ERR_X', 'conflict', { errors: [{ field: 'email', message: 'taken' }], extensions: { current: { a: 1 } } }))
    expect(p).toEqual({
      type: 'urn:alertmail:problem:ERR_X',
      title: 'Conflict',
      status: 409,
      detail: 'conflict',
      code: 'ERR_X',
      errors: [{ field: 'email', message: 'taken' }],
      current: { a: 1 },
    })
  })

  it('summarises validation errors with the first field', () => {
    expect(validationProblem([{ field: 'port', message: 'must be ≤ 65535' }]).message).toBe('port: must be ≤ 65535')
    // Settings messages already start with their field: it is named once, not twice.
    expect(validationProblem([{ field: 'retry.maxAttempts', message: 'retry.maxAttempts: must be an integer from 1 to 100 (got 1000)' }]).message)
      .toBe('retry.maxAttempts: must be an integer from 1 to 100 (got 1000)')
  })

  it('turns Ajv errors into dotted field names, unknown keys named as such', () => {
    const err = Object.assign(new Error('body/quietHours/start must match pattern'), {
      validation: [
        { instancePath: '/quietHours/start', keyword: 'pattern', params: {}, message: 'must match pattern' },
        { instancePath: '', keyword: 'additionalProperties', params: { additionalProperty: 'phone' }, message: 'must NOT have additional properties' },
      ],
      validationContext: 'body',
    })
    const p = problemFromError(err)
    expect(p.status).toBe(400)
    expect(p.errors).toEqual([
      { field: 'quietHours.start', message: 'must match pattern' },
      { field: 'phone', message: 'is not a known field' },
    ])
  })

  it('maps settings validation errors with their issues to 400', () => {
    const err = Object.assign(new Error('invalid'), { code: 'ERR_CONFIG_INVALID', issues: [{ field: 'host', message: 'bad' }] })
    expect(problemFromError(err)).toMatchObject({ status: 400, errors: [{ field: 'host', message: 'bad' }] })
  })

  it('never leaks the message of an unexpected error or a secret-key failure', () => {
    for (const err of [new Error('connect ECONNREFUSED with password hunter2'), Object.assign(new Error('key file /data/secret.key'), { code: 'ERR_CONFIG_SECRET_UNSEAL' })]) {
      const p = problemFromError(err)
      expect(p.status).toBe(500)
      expect(JSON.stringify(p)).not.toMatch(/hunter2|secret\.key/)
    }
  })

  it('answers 413 for a body over the limit', () => {
    expect(problemFromError(Object.assign(new Error('Request body is too large'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 })).status).toBe(413)
  })
})
