// problem+json -> Chinese. The API's codes are stable; its messages are English, so the
// common rules are translated by pattern and anything else is shown with its original text.
import type { Problem } from './client'

const CODES: Record<string, string> = {
  network: '网络连接失败，请检查网络后重试',
  http_502: '服务器暂时不可用，请稍后重试',
  http_503: '服务暂时不可用，请稍后重试',
  http_504: '服务器响应超时，请稍后重试',
  database_unavailable: '数据库暂时不可用，请稍后重试',
  unavailable: '服务暂时不可用，请稍后重试',
  invalid_credentials: '用户名或密码错误',
  account_locked: '登录失败次数过多，账号已临时锁定，请稍后再试',
  account_disabled: '账号已停用，请联系管理员',
  address_throttled: '本机登录失败次数过多，请稍后再试',
  token_revoked: '登录已失效，请重新登录',
  token_reused: '登录已失效，请重新登录',
  unauthorized: '请先登录',
  forbidden: '您没有权限进行此操作',
  outside_scope: '该区域不在您的管辖范围内',
  unknown_area: '找不到该区域，或不在您的管辖范围内',
  unknown_grid: '找不到该网格，或不在您的管辖范围内',
  unknown_house: '找不到该房屋，或不在您的管辖范围内',
  unknown_person: '找不到该人员，或不在您的管辖范围内',
  unknown_building: '找不到该楼栋，或不在您的管辖范围内',
  unknown_conflict: '找不到该冲突（可能已被处理）',
  unknown_user: '找不到该账号',
  unknown_proposal: '找不到该调整方案',
  unknown_community: '找不到该社区',
  outside_district: '该坐标不在本辖区范围内',
  reveal_not_allowed: '只有街道或区级工作人员可以查看完整号码',
  export_not_allowed: '您没有导出此数据的权限',
  approval_not_allowed: '您没有审批网格调整的权限',
  no_value: '该人员未登记此号码',
  username_taken: '用户名已被使用',
  stale_version: '数据已被他人修改，请刷新后重试',
  stale_proposal: '方案生成后房屋数据已变化，请重新生成方案',
  proposal_closed: '该方案已审批或已关闭',
  validation_failed: '输入有误，请检查标红的字段',
  console_not_built: '工作台尚未构建',
  unknown_transfer: '找不到该迁入申请，或不在您的管辖范围内',
  decided: '该申请已被处理',
  not_on_record: '本区没有此人的登记记录：请拒绝申请，改为新登记',
  pending: '该身份证号已有一份申报正在办理中',
  id_throttled: '该身份证号提交次数过多，请稍后再试',
  http_413: '提交的内容过大',
  unknown_declaration: '找不到该申报，或不在您的管辖范围内',
  declaration_state: '该申报当前状态不能进行此操作',
  house_not_on_record: '申报的房屋尚未登记：请先派网格员上门登记房屋',
  not_desk_route: '只有书面审核类申报可以批量通过',
  stale: '分流后该人员记录已被修改，请核对两个版本后再确认',
  visiting: '该申报正在上门核查中',
  unknown_visit: '找不到该核查任务，或不在您的管辖范围内',
  visit_not_open: '该核查任务已完成或已撤回',
}

const FIELDS: Record<string, string> = {
  username: '用户名',
  password: '密码',
  id_number: '身份证号',
  reason: '查看理由',
  field: '号码类型',
  area: '区域',
  as_of: '统计日期',
  from: '起始月份',
  to: '截止月份',
  lon: '经度',
  lat: '纬度',
  crs: '坐标系',
  code: '编码',
  choice: '处理方式',
  role: '角色',
  areas: '管辖区域',
  effective_date: '生效日期',
  community: '社区',
  min: '最少户数',
  max: '最多户数',
  kind: '人员类别',
  name: '姓名',
  name_prefix: '姓名',
  phone: '联系电话',
  compound: '小区',
  building: '楼栋',
  expiring_within: '登记到期天数',
  special_concern: '重点关注',
  sex_mismatch: '性别不符',
  rented: '出租',
  hazard: '隐患',
  overcrowded: '群租',
  decision: '处理结果',
  moved_in: '迁入日期',
  sex: '性别',
  ethnicity: '民族',
  house_code: '房屋编码',
  community_code: '社区编码',
  unit: '单元',
  room: '房号',
  floating: '流动人口信息',
  arrival_date: '来本地日期',
  inflow_reason: '来本地原因',
  residence_type: '居住方式',
  origin_code: '来源地',
  landlord_name: '房东姓名',
  landlord_phone: '房东电话',
  start: '租期开始',
  end: '租期结束',
  household: '同住人',
  _schema: '',
  body: '',
  confirm_stale: '记录版本',
  ids: '所选申报',
}

const RULES: [RegExp, (m: RegExpMatchArray) => string][] = [
  [/^Missing data for required field\.?$/i, () => '必填'],
  [/^Field may not be null\.?$/i, () => '必填'],
  [/^must say why/i, () => '须写明理由（至少2个字，不能只有空格或标点）'],
  [/says why, in at least (\d+) characters/i, (m) => `须写明理由（至少${m[1]}个字）`],
  [/^Must be greater than or equal to (\S+) and less than or equal to (\S+?)\.?$/i, (m) => `应在 ${m[1]} 与 ${m[2]} 之间`],
  [/^Not a valid boolean\.?$/i, () => '应为是或否'],
  [/^must not be in the future/i, () => '不能晚于今天'],
  [/must not end before it starts/i, () => '不能早于租期开始'],
  [/is not a known house/i, () => '不存在（请核对门牌上的编码）'],
  [/is not a community of the district/i, () => '不是本区的社区'],
  [/name the house by exactly one/i, () => '请填写房屋编码或选择地址（二选一）'],
  [/needs the floating block/i, () => '外来人员须填写来本地信息'],
  [/^SB[0-9A-Z]{12}$/, (m) => `已有申报正在办理，申报编号 ${m[0]}`],
  [/is before the last move-in (\S+)/i, (m) => `早于此人上次迁入日期 ${m[1]}`],
  [/^must be at most (\d+) characters/i, (m) => `最多 ${m[1]} 个字符`],
  [/^Length must be between (\d+) and (\d+)\.?$/i, (m) => `长度应为 ${m[1]}–${m[2]} 个字符`],
  [/^Shorter than minimum length (\d+)\.?$/i, (m) => `至少 ${m[1]} 个字符`],
  [/^Longer than maximum length (\d+)\.?$/i, (m) => `最多 ${m[1]} 个字符`],
  [/^Must be one of: (.*)\.?$/i, (m) => `只能是：${m[1]}`],
  [/^Not a valid (integer|number)\.?$/i, () => '应为数字'],
  [/^Not a valid date\.?$/i, () => '日期格式不正确'],
  [/^Unknown field\.?$/i, () => '不认识的字段'],
  [/check (character|digit)/i, () => '校验位不正确'],
  [/birth date/i, () => '出生日期不正确'],
  [/region/i, () => '行政区划代码不正确'],
  [/^must be an? (\d+)(?:-digit| or ).*$/i, () => '位数或格式不正确'],
  [/must be between (\S+) and (\S+)/i, (m) => `应在 ${m[1]} 与 ${m[2]} 之间`],
]

export function fieldLabel(path: string): string {
  const last = path.split('.').pop() || path
  return FIELDS[last] || last
}

/** The Chinese form of one field's rule; unknown rules keep the API's words after a Chinese lead. */
export function ruleMessage(message: string): string {
  for (const [pattern, text] of RULES) {
    const m = message.match(pattern)
    if (m) return text(m)
  }
  return `不符合要求（${message}）`
}

export function fieldMessages(p: Problem): Record<string, string> {
  const out: Record<string, string> = {}
  for (const e of p.errors || []) {
    const key = e.field.split('.').pop() || e.field
    out[key] = `${fieldLabel(e.field)}${ruleMessage(e.message)}`
  }
  return out
}

export function problemMessage(p: Problem): string {
  if (p.errors && p.errors.length) {
    return Object.values(fieldMessages(p)).join('；')
  }
  if (CODES[p.code]) return CODES[p.code]
  if (p.status >= 500) return `服务器出错（${p.status}），请稍后重试`
  return `操作失败：${p.detail || p.title || p.code}`
}
