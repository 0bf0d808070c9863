// The words for a declaration's states and routes, and a door visit's, shared by the public
// page and the desk screens.
export const DECLARATION_STATES: Record<string, string> = {
  submitted: '已提交',
  triaged: '待审核',
  visiting: '上门核查中',
  reviewed: '已核查待审核',
  approved: '已通过',
  rejected: '未通过',
  withdrawn: '已撤回',
}

export const ROUTES: Record<string, string> = {
  desk: '书面审核',
  visit: '上门核查',
  no_change: '信息无变化',
}

export const VISIT_STATES: Record<string, string> = { open: '待核查', done: '已完成', withdrawn: '已撤回' }

export const VISIT_RESULTS: Record<string, string> = {
  confirmed: '核实无误',
  differs: '与申报不符',
  nobody_there: '无人在家',
  refused: '拒绝核查',
}

/** The declaration fields a diff names, in Chinese. */
export const DIFF_FIELDS: Record<string, string> = {
  name: '姓名',
  sex: '性别',
  ethnicity: '民族',
  phone: '联系电话',
  kind: '人员类别',
  origin_code: '来源地',
  inflow_reason: '来本地原因',
  arrival_date: '来本地日期',
  residence_type: '居住方式',
  capture_method: '证件采集方式',
  house_id: '房屋',
  house: '房屋',
  house_code: '房屋',
}
