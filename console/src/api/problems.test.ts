import { describe, expect, it } from 'vitest'
import { fieldMessages, problemMessage, ruleMessage } from './problems'

describe('problem+json in Chinese', () => {
  it('names the field and the rule it broke', () => {
    const p = {
      status: 422,
      code: 'validation_failed',
      errors: [{ field: 'reason', message: 'Length must be between 4 and 200.' }],
    }
    expect(fieldMessages(p)).toEqual({ reason: '查看理由长度应为 4–200 个字符' })
    expect(problemMessage(p)).toBe('查看理由长度应为 4–200 个字符')
  })

  it('says why a reveal reason was refused', () => {
    const p = { status: 422, code: 'validation_failed', errors: [{ field: 'reason', message: 'must say why, in at least 2 letters or characters (not only spaces or punctuation)' }] }
    expect(fieldMessages(p).reason).toBe('查看理由须写明理由（至少2个字，不能只有空格或标点）')
  })

  it('keys a nested field by its last part', () => {
    const p = { status: 422, code: 'validation_failed', errors: [{ field: 'data.id_number', message: 'Missing data for required field.' }] }
    expect(fieldMessages(p)).toEqual({ id_number: '身份证号必填' })
  })

  it('translates known codes and keeps unknown rules readable', () => {
    expect(problemMessage({ status: 403, code: 'outside_scope' })).toBe('该区域不在您的管辖范围内')
    expect(problemMessage({ status: 0, code: 'network' })).toContain('网络')
    expect(ruleMessage('is odd')).toBe('不符合要求（is odd）')
    expect(problemMessage({ status: 500, code: 'boom' })).toContain('500')
  })

  it('words the declaration rules a resident meets', () => {
    const p = {
      status: 422,
      code: 'validation_failed',
      errors: [
        { field: 'floating.lease.end', message: 'the lease must not end before it starts' },
        { field: 'floating.arrival_date', message: 'must not be in the future' },
        { field: 'house_code', message: '4403030019990009999999999 is not a known house' },
        { field: 'expiring_within', message: 'Must be greater than or equal to 0 and less than or equal to 3660.' },
      ],
    }
    expect(fieldMessages(p)).toEqual({
      end: '租期结束不能早于租期开始',
      arrival_date: '来本地日期不能晚于今天',
      house_code: '房屋编码不存在（请核对门牌上的编码）',
      expiring_within: '登记到期天数应在 0 与 3660 之间',
    })
  })
})
