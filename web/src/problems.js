// Server problems in the user's words: every problem+json answer carries a stable `code`, the
// `field` at fault (as the API names it: `spacing_m`, `properties.range_m`, `grids[2].name`)
// and the figures its wording needs (`min`, `max`, `unit`, `limit`, `role`, `line`). This
// module words them in the page's language, naming the field as a planner knows it; the
// server's English `detail` is never shown as the message (it stays on the error for
// developers). A code this module does not know yet is worded from the HTTP status and field.

import { language, t } from './i18n.js';

const WORDS = {
  'zh-CN': {
    unauthenticated: '请先登录',
    'unknown-token': '登录已失效或令牌无效，请重新登录',
    forbidden: '当前身份（{role}）无权进行此操作',
    'forbidden-anyone': '当前身份无权进行此操作',
    'not-found': '找不到{layer}「{key}」',
    'not-found-plain': '找不到要操作的对象',
    'grid-overlap': '与相邻网格重叠：{list}',
    exists: '{field}已被使用，请换一个',
    'code-retired': '{field}曾属于已撤销的网格，编码不再复用，请换一个',
    'unknown-reference': '{field}指向的对象不存在',
    'in-use': '仍有其他数据引用它，请先移除或调整这些数据',
    duplicate: '{field}重复',
    missing: '请填写{field}',
    'wrong-type': '{field}格式不对',
    'unknown-field': '无法识别的字段：{field}',
    invalid: '{field}不符合要求',
    'out-of-range': '{field}须在 {min}–{max}{unit}之间',
    'too-many': '{field}超过上限（{limit}）',
    'bad-position': '{field}中有无效的经纬度',
    'bad-shape': '{field}不是有效的图形',
    'self-intersection': '边界自相交，请调整顶点',
    'too-complex': '{field}过于复杂，请简化或拆分后再试',
    'area-too-large': '{field}过大，请缩小到镇街、村社区、网格或重点区域',
    'outside-city': '{field}超出本市范围',
    'malformed-json': '请求内容格式错误（第 {line} 行）',
    'unsupported-media-type': '请求格式不受支持',
    'too-large': '数据太大',
    internal: '服务器出错，请稍后重试',
    'rows-invalid': '{bad} 行数据有误（共 {rows} 行），未导入任何数据',
    overlap: '新网格之间有重叠',
    'outside-parent': '网格超出所属村（社区）范围',
    'cuts-micro-grid': '边界切开了微网格：请沿微网格边界划分，或先拆分该微网格',
    'leaves-micro-grid': '有微网格不在任何新网格内',
    'bad-cut-line': '切割线需从网格一侧外穿到另一侧外，把网格分成两部分',
    'different-villages': '不同村（社区）的网格不能合并',
    'different-levels': '网格与微网格（或不同网格的微网格）不能合并',
    'not-adjacent': '只有共边相邻的网格才能合并',
    at_line: '第 {n} 行',
    at_row: '第 {n} 行',
    at_feature: '第 {n} 个要素',
    at_record: '第 {n} 条记录',
    overlap_item: '{grid}（{area} 平方米）',
    list_sep: '、',
    unit_m: ' 米',
    unit_deg: ' 度',
    unit_m2: ' 平方米',
    fallback_field: '输入',
  },
  en: {
    unauthenticated: 'Please sign in',
    'unknown-token': 'Your sign-in is no longer valid; please sign in again',
    forbidden: 'Your role ({role}) may not do this',
    'forbidden-anyone': 'Your role may not do this',
    'not-found': '{layer} “{key}” was not found',
    'not-found-plain': 'What you asked for was not found',
    'grid-overlap': 'Overlaps neighbouring grids: {list}',
    exists: 'This {field} is already taken; choose another',
    'code-retired': 'This {field} belonged to a retired grid and codes are not reused; choose another',
    'unknown-reference': '{field} refers to something that does not exist',
    'in-use': 'Other data still refers to it; remove or change that first',
    duplicate: '{field} is given twice',
    missing: 'Please fill in {field}',
    'wrong-type': '{field} has the wrong format',
    'unknown-field': 'Unknown field: {field}',
    invalid: '{field} is not valid',
    'out-of-range': '{field} must be between {min} and {max}{unit}',
    'too-many': '{field} is over the limit ({limit})',
    'bad-position': '{field} has a position that is not a valid longitude/latitude',
    'bad-shape': '{field} is not a valid shape',
    'self-intersection': 'The boundary crosses itself; move its vertices',
    'too-complex': '{field} is too complex to check; simplify or split it',
    'area-too-large': '{field} is too large: narrow it to a town, village, grid or key area',
    'outside-city': '{field} reaches outside the city',
    'malformed-json': 'The request is not well-formed (line {line})',
    'unsupported-media-type': 'The request format is not supported',
    'too-large': 'Too large',
    internal: 'The server failed; please try again later',
    'rows-invalid': '{bad} of {rows} rows are invalid; nothing was imported',
    overlap: 'The new grids overlap each other',
    'outside-parent': 'A grid lies outside its village',
    'cuts-micro-grid': 'A boundary cuts a micro-grid in two: follow the micro-grid’s edge, or split that micro-grid first',
    'leaves-micro-grid': 'A micro-grid would lie in none of the new grids',
    'bad-cut-line': 'The cut line must run from outside the grid to outside it, leaving two pieces',
    'different-villages': 'Grids of different villages do not merge',
    'different-levels': 'A grid and a micro-grid (or micro-grids of different grids) do not merge',
    'not-adjacent': 'Only grids that share an edge merge',
    at_line: 'line {n}',
    at_row: 'row {n}',
    at_feature: 'feature {n}',
    at_record: 'record {n}',
    overlap_item: '{grid} ({area} m²)',
    list_sep: ', ',
    unit_m: ' m',
    unit_deg: '°',
    unit_m2: ' m²',
    fallback_field: 'The input',
  },
};

// The request fields as planners know them; a path is looked up whole, then without array
// indices and `properties.`, then by its last and first names.
const FIELDS = {
  'zh-CN': {
    code: '编码', name: '名称', kind: '类型', geometry: '边界', target: '目标范围',
    'target.geometry': '目标范围', 'target.grid': '目标网格', 'target.village': '目标村社',
    'target.key_area': '目标重点区域', spacing_m: '候选点间距', k: '摄像头数量',
    range_m: '可视距离', hfov_deg: '水平视场角', height_m: '安装高度', azimuth_deg: '朝向',
    tilt_deg: '俯角', vfov_deg: '垂直视场角', parent_code: '上级编码', grids: '网格数量',
    grid: '网格', households_per_grid: '每格户数', event_weight: '事件权重', village: '村（社区）',
    weight: '权重方式', candidates: '候选点', body: '请求内容', file: '文件', format: '文件格式',
    map: '字段对应', layer: '图层', crs: '坐标系', limit: '每页数量', bbox: '范围',
    'lon,lat': '经纬度', lon: '经度', lat: '纬度', route_within_m: '巡查路线距离',
    references: '关联数据', workers: '网格员', category: '类别', deadline: '整改期限',
    phone: '电话', names: '名称', line: '分割线', status: '状态', at: '时间', cursor: '翻页位置',
    coordinates: '坐标', camera: '摄像头', reports: '状态报告',
  },
  en: {
    code: 'code', name: 'name', kind: 'type', geometry: 'boundary', target: 'target area',
    'target.geometry': 'target area', 'target.grid': 'target grid', 'target.village': 'target village',
    'target.key_area': 'target key area', spacing_m: 'candidate spacing', k: 'number of cameras',
    range_m: 'range', hfov_deg: 'horizontal field of view', height_m: 'mounting height',
    azimuth_deg: 'heading', tilt_deg: 'tilt', vfov_deg: 'vertical field of view',
    parent_code: 'parent code', grids: 'number of grids', grid: 'grid',
    households_per_grid: 'households per grid', event_weight: 'event weight', village: 'village',
    weight: 'weighting', candidates: 'candidate sites', body: 'request', file: 'file',
    format: 'file format', map: 'column mapping', layer: 'layer', crs: 'coordinate system',
    limit: 'page size', bbox: 'extent', 'lon,lat': 'coordinates', lon: 'longitude',
    lat: 'latitude', route_within_m: 'patrol route distance', references: 'linked data',
    workers: 'workers', category: 'category', deadline: 'deadline', phone: 'phone', names: 'names',
    line: 'cutting line', status: 'status', at: 'time', cursor: 'page position',
    coordinates: 'coordinates', camera: 'camera', reports: 'status reports',
  },
};

// What a layer's item is called, for "not found".
const ITEMS = {
  'zh-CN': {
    regions: '区划', villages: '村（社区）', towns: '镇街', grids: '网格', workers: '网格员', cameras: '摄像头', 'patrol-routes': '巡查路线',
    'key-areas': '重点区域', events: '事件', buildings: '房屋', obstacles: '遮挡物',
  },
  en: {
    regions: 'Region', villages: 'Village', towns: 'Town', grids: 'Grid', workers: 'Worker', cameras: 'Camera', 'patrol-routes': 'Patrol route',
    'key-areas': 'Key area', events: 'Event', buildings: 'Building', obstacles: 'Obstacle',
  },
};

function words(key) {
  return WORDS[language()][key] ?? WORDS['zh-CN'][key];
}

function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ''));
}

/** The field `path` as the user knows it, in the page's language. */
export function fieldName(path) {
  const names = FIELDS[language()];
  if (!path) return words('fallback_field');
  const plain = path.replace(/\[\d+\]/g, '').replace(/^properties\./, '');
  const parts = plain.split('.');
  return names[path] ?? names[plain] ?? names[parts.at(-1)] ?? names[parts[0]] ?? path;
}

function capitalised(text) {
  return language() === 'en' ? text.charAt(0).toUpperCase() + text.slice(1) : text;
}

function number(n) {
  return new Intl.NumberFormat(language()).format(n);
}

/** Where in a file a bad row is (`row 4`, `line 7`, `feature 3`, `record 12`), in the page's
 * language. */
export function wordPlace(at) {
  const found = /^(line|row|feature|record) (\d+)$/.exec(at ?? '');
  return found ? fill(words(`at_${found[1]}`), { n: found[2] }) : at;
}

/**
 * The sentence for one problem (a problem+json body, or one entry of a check report's
 * `errors`), in the page's language; `null` when `problem` has no code this module knows.
 */
export function wordProblem(problem) {
  const code = problem?.code;
  // The table also holds the parts of sentences (`list_sep`, `at_row`, …): codes never have `_`.
  if (!code || code.includes('_') || !(code in WORDS['zh-CN'])) return null;
  const field = fieldName(problem.field);
  const unit = problem.unit ? words(`unit_${problem.unit}`) ?? '' : '';
  const values = {
    field,
    min: number(problem.min ?? 0),
    max: number(problem.max ?? 0),
    unit,
    limit: number(problem.limit ?? 0),
    line: problem.line ?? '',
    bad: number(problem.bad?.length ?? 0),
    rows: number(problem.rows ?? 0),
    key: problem.key ?? '',
    layer: ITEMS[language()][problem.layer] ?? problem.layer ?? '',
    role: problem.role ? t(`roles.${problem.role}`) : '',
    list: (problem.overlaps ?? [])
      .map((o) => fill(words('overlap_item'), { grid: o.code ?? o.grid, area: number(Math.round(o.area_m2 ?? 0)) }))
      .join(words('list_sep')),
  };
  let key = code;
  if (code === 'forbidden' && !problem.role) key = 'forbidden-anyone';
  if (code === 'not-found' && !problem.key) key = 'not-found-plain';
  const template = words(key);
  // A field-led sentence starts with the field's name: capitalise it in English.
  return template.startsWith('{field}') ? capitalised(fill(template, values)) : fill(template, values);
}
