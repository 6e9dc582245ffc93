// staff.js - the staff console: certificate login through the local signing agent, review queue
// with material previews, counter entry, payments, fulfilment and shipping, the service point's
// orders, the 24-hour revocation dashboard, the key-recovery officers' approvals, the audit view
// and user administration. Every review decision, counter entry and key-recovery decision is
// signed by the staff member's certificate.
import { h, replace, yuan, shanghai } from './dom.js';
import { t, label, lang, setLang, applyStatic } from './i18n.js';
import { api, setCsrf, ApiError, putBinary } from './api.js';
import { agentUrl, setAgentUrl, agentSign, setPin, hasPin, forgetPin, signedBody, AgentError } from './agent.js';
import { renderOrder, showError, businessLabel, subjectLabel, stateBadge, FORMS } from './orderform.js';
import { GROUPS } from './fields.js';

const main = document.getElementById('main');
let catalog = null;
let staff = null;

const REVEALABLE = ['legal_id_number', 'person_id_number', 'agent_id_number', 'legal_phone', 'person_phone', 'agent_mobile', 'return_phone', 'bank_account'];
const ROLES_BELOW = { 'super-admin': ['business-admin'], 'business-admin': ['operator'], 'audit-admin': ['auditor'] };
const DUTIES = ['entry', 'review', 'production', 'query', 'recovery'];

async function loadCatalog() {
  if (!catalog) catalog = await api('GET', '/catalog');
  return catalog;
}

const duty = (d) => staff && staff.role === 'operator' && (staff.duties || []).includes(d);
const role = (r) => staff && staff.role === r;
const isOperator = () => role('operator');

function menu() {
  if (!staff) return [['#/login', t('staff.nav.login')]];
  const m = [];
  if (duty('review') || role('business-admin')) m.push(['#/queue', t('staff.nav.queue')]);
  if (duty('entry')) m.push(['#/counter', t('staff.nav.counter')]);
  if (duty('entry') || duty('query') || role('business-admin')) m.push(['#/payments', t('staff.nav.payments')]);
  if (duty('production')) m.push(['#/fulfil', t('staff.nav.fulfil')]);
  if (isOperator()) m.push(['#/point', t('staff.nav.point')]);
  if (isOperator() || role('business-admin')) m.push(['#/revocations', t('staff.nav.revocations')]);
  if (duty('recovery') || role('business-admin')) m.push(['#/recoveries', t('staff.nav.recoveries')]);
  if (role('auditor')) m.push(['#/audit', t('staff.nav.audit')]);
  if (ROLES_BELOW[staff.role]) m.push(['#/users', t('staff.nav.users')]);
  return m;
}

function nav() {
  replace(document.getElementById('nav'),
    menu().map(([href, text]) => h('a', { href, class: location.hash.startsWith(href) ? 'active' : '' }, text)),
    staff ? h('span', { class: 'who', id: 'who' }, `${staff.name || staff.login} · ${t(`role.${staff.role}`)}`) : null,
    staff ? h('button', { type: 'button', class: 'link', id: 'logout', onclick: logout }, t('nav.logout')) : null);
}

async function logout() {
  try { await api('DELETE', '/session'); } catch (e) { /* gone already */ }
  staff = null;
  forgetPin();
  setCsrf('');
  location.hash = '#/login';
}

// The PIN for the signing agent, asked once per page (kept only in memory).
function askPin() {
  if (hasPin()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const input = h('input', { type: 'password', id: 'pin-input', autocomplete: 'off' });
    const dlg = h('form', { class: 'modal card', id: 'pin-dialog' }, h('h3', {}, t('staff.pin_title')), h('p', { class: 'hint' }, t('staff.pin_hint')),
      h('div', { class: 'field' }, h('label', { for: 'pin-input' }, t('staff.pin')), input),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('form.ok')),
        h('button', { type: 'button', onclick: () => { dlg.remove(); reject(new AgentError('agent.cancelled', t('staff.pin_cancelled'))); } }, t('form.close'))));
    dlg.addEventListener('submit', (ev) => { ev.preventDefault(); setPin(input.value); dlg.remove(); resolve(); });
    document.body.appendChild(dlg);
    input.focus();
  });
}

async function signed(payload) {
  await askPin();
  try {
    return await signedBody(payload);
  } catch (e) {
    if (e.code === 'agent.bad_pin') forgetPin();
    throw e;
  }
}

function field(name, text, attrs, required) {
  return h('div', { class: 'field' + (required ? ' required' : '') },
    h('label', { for: `f-${name}` }, text, required ? h('span', { class: 'req' }, ' *') : null),
    h('input', { name, id: `f-${name}`, ...attrs }),
    h('span', { class: 'field-error', 'data-err': name }));
}

function viewLogin() {
  const box = h('div', { class: 'alert error', role: 'alert' });
  const f = h('form', { class: 'card narrow', id: 'staff-login' },
    h('h2', {}, t('staff.login_title')),
    h('p', { class: 'hint' }, t('staff.login_hint')),
    field('login', t('staff.login'), { autocomplete: 'username' }, true),
    field('password', t('login.password'), { type: 'password', autocomplete: 'current-password' }, true),
    field('agent', t('staff.agent'), { value: agentUrl(), 'data-skip': '1' }, true),
    field('pin', t('staff.pin'), { type: 'password', autocomplete: 'off' }, true),
    box,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', id: 'staff-login-submit' }, t('login.submit'))));
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const login = f.login.value.trim();
    try {
      setAgentUrl(f.agent.value.trim());
      setPin(f.pin.value);
      const ch = await api('POST', '/staff/challenge', { login });
      let s;
      try {
        s = await agentSign(`sealca-staff-login:${login}:${ch.challenge}`);
      } catch (e) {
        forgetPin();
        throw new ApiError(0, e.code, e.code === 'agent.bad_pin' ? t('staff.bad_pin') : t('staff.agent_down', { u: agentUrl() }), e.code === 'agent.bad_pin' ? 'pin' : 'agent');
      }
      const r = await api('POST', '/staff/session', { login, password: f.password.value, challenge: ch.challenge, signature: s.signature, certificate: s.certificate });
      setCsrf(r.csrf);
      staff = r.staff;
      location.hash = menu()[0] ? menu()[0][0] : '#/';
    } catch (e) { showError(f, e, box); }
  });
  replace(main, f);
}

function orderTable(cat, orders, id, extraCols) {
  if (!orders.length) return h('p', { class: 'empty' }, t('orders.none'));
  return h('div', { class: 'scroll' }, h('table', { class: 'list', id },
    h('thead', {}, h('tr', {}, [t('orders.no'), t('order.business'), t('order.subject'), t('order.name'), t('order.state'), t('order.price'), t('orders.updated')].map((x) => h('th', {}, x)),
      (extraCols || []).map((c) => h('th', {}, c.title)))),
    h('tbody', {}, orders.map((o) => h('tr', { 'data-id': o.id },
      h('td', {}, h('a', { href: `#/order/${o.id}`, class: 'mono' }, o.order_no || `#${o.id}`)),
      h('td', {}, businessLabel(cat, o.business)),
      h('td', {}, subjectLabel(cat, o.subject_kind)),
      h('td', {}, o.display_name || o.org_name || o.person_name || ''),
      h('td', {}, stateBadge(cat, o.state)),
      h('td', {}, yuan(o.price_fen)),
      h('td', { class: 'muted small' }, shanghai(o.updated_at || o.created_at)),
      (extraCols || []).map((c) => h('td', {}, c.cell(o))))))));
}

async function viewList(title, states, id) {
  const cat = await loadCatalog();
  const parts = await Promise.all(states.map((s) => api('GET', `/staff/orders?state=${encodeURIComponent(s)}&limit=100`)));
  const orders = parts.flatMap((p) => p.orders || []);
  replace(main, h('section', { class: 'card' }, h('h2', {}, title), orderTable(cat, orders, id)));
}

async function viewPoint() {
  const cat = await loadCatalog();
  const sp = (cat.service_points || []).find((p) => p.id === staff.service_point);
  const r = await api('GET', `/staff/service-points/${encodeURIComponent(staff.service_point || '')}/orders`);
  replace(main, h('section', { class: 'card' }, h('h2', {}, t('staff.point_title')),
    sp ? h('dl', { class: 'kv', id: 'service-point' },
      h('dt', {}, t('sp.name')), h('dd', {}, sp.name), h('dt', {}, t('sp.region')), h('dd', {}, sp.region || ''),
      h('dt', {}, t('sp.address')), h('dd', {}, sp.address || ''), h('dt', {}, t('sp.contact')), h('dd', {}, `${sp.contact || ''} ${sp.phone || ''}`)) : null,
    orderTable(cat, r.orders || [], 'point-orders')));
}

function hoursMinutes(sec) {
  const s = Math.max(0, Math.floor(Number(sec) || 0));
  return `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}`;
}

async function viewRevocations() {
  const r = await api('GET', '/staff/revocations');
  const rows = (r.requests || []).map((q) => {
    const pct = Math.min(100, Math.round(((q.age_seconds || 0) / 86400) * 100));
    return h('tr', { class: q.overdue ? 'overdue' : '', 'data-id': q.id },
      h('td', {}, h('a', { href: `#/order/${q.id}`, class: 'mono' }, q.order_no)),
      h('td', { class: 'mono small' }, q.certificate || ''),
      h('td', {}, shanghai(q.submitted_at)),
      h('td', {}, hoursMinutes(q.age_seconds), ' ', h('progress', { max: 100, value: pct, 'aria-label': t('rev.age') })),
      h('td', {}, shanghai(q.due_at)),
      h('td', {}, q.overdue ? h('span', { class: 'badge bad' }, t('rev.overdue')) : h('span', { class: 'badge good' }, t('rev.in_time'))),
      h('td', {}, q.state || ''));
  });
  replace(main, h('section', { class: 'card' }, h('h2', {}, t('rev.title')), h('p', { class: 'hint' }, t('rev.hint')),
    rows.length ? h('div', { class: 'scroll' }, h('table', { class: 'list', id: 'revocations' },
      h('thead', {}, h('tr', {}, [t('orders.no'), t('cert.serial'), t('rev.submitted'), t('rev.age'), t('rev.due'), t('rev.promise'), t('order.state')].map((x) => h('th', {}, x)))),
      h('tbody', {}, rows))) : h('p', { class: 'empty' }, t('rev.none'))));
}

// Key-recovery officers: the queue, signed approve/reject decisions, the judicial release.
async function viewRecoveries() {
  const r = await api('GET', '/staff/recoveries');
  const box = h('div', { class: 'alert error', role: 'alert', id: 'kr-error' });
  const out = h('div', { id: 'kr-released' });
  const rows = (r.recoveries || []).map((q) => {
    const reason = h('input', { type: 'text', name: `kr-reason-${q.order_id}`, placeholder: t('kr.reason'), class: 'reason-input' });
    const decide = (decision) => async () => {
      const payload = { action: 'recovery', order: q.order_id, at: Math.floor(Date.now() / 1000), decision };
      if (reason.value.trim()) payload.reason = reason.value.trim();
      try {
        const body = await signed(payload);
        await api('POST', `/orders/${q.order_id}/recovery`, body);
        await viewRecoveries();
      } catch (e) { showError(box, e instanceof AgentError ? new ApiError(0, e.code, t('staff.agent_failed', { m: e.message }), '') : e, box); }
    };
    const release = async () => {
      const password = window.prompt(t('kr.password'));
      if (password === null) return;
      try {
        const x = await api('POST', `/orders/${q.order_id}/recovery/release`, { password });
        replace(out, h('section', { class: 'card' }, h('p', {}, t('kr.released_pem')),
          h('textarea', { class: 'mono', rows: 8, readonly: true }, x.pkcs8)));
      } catch (e) { showError(box, e, box); }
    };
    return h('tr', { 'data-order': q.order_id, 'data-state': q.state },
      h('td', {}, h('span', { class: 'mono' }, q.order_no)),
      h('td', {}, t(`kr.${q.kind}`)), h('td', { class: 'small' }, q.case_ref || ''), h('td', { class: 'small' }, q.requester || ''),
      h('td', { class: 'small' }, `${(q.approvals || []).length}/${q.approvals_needed || 2} `, (q.approvals || []).join('、')),
      h('td', {}, t(`kr.${q.state}`)),
      h('td', {}, q.can_decide ? [reason, ' ', h('button', { type: 'button', class: 'primary', onclick: decide('approve') }, t('kr.approve')), ' ',
        h('button', { type: 'button', class: 'danger', onclick: decide('reject') }, t('kr.reject'))] : null,
      q.kind === 'judicial' && q.state === 'approved' && duty('recovery') ? h('button', { type: 'button', onclick: release }, t('kr.release')) : null));
  });
  replace(main, h('section', { class: 'card' }, h('h2', {}, t('kr.title')), h('p', { class: 'hint' }, t('kr.hint')), box,
    rows.length ? h('div', { class: 'scroll' }, h('table', { class: 'list', id: 'recoveries' },
      h('thead', {}, h('tr', {}, [t('kr.order'), t('kr.kind'), t('kr.case'), t('kr.requester'), t('kr.approvals'), t('kr.state'), ''].map((x) => h('th', {}, x)))),
      h('tbody', {}, rows))) : h('p', { class: 'empty' }, t('kr.none')), out));
}

// A long audit detail (a signed payload with its signature) folds to its first characters.
function detailCell(text) {
  if (text.length <= 60) return text;
  return h('details', {}, h('summary', {}, `${text.slice(0, 48)}…`), h('div', { class: 'mono' }, text));
}

async function viewAudit(after) {
  const r = await api('GET', `/staff/audit?limit=100${after ? `&after=${after}` : ''}`);
  const events = r.events || [];
  const rows = events.map((e) => h('tr', { 'data-seq': e.seq },
    h('td', { class: 'mono' }, e.seq), h('td', { class: 'small' }, shanghai(e.at)), h('td', {}, e.actor || ''),
    h('td', {}, e.action || ''), h('td', { class: 'small' }, e.object || ''),
    h('td', { class: 'small detail' }, detailCell(typeof e.detail === 'string' ? e.detail : JSON.stringify(e.detail || ''))),
    h('td', {}, e.signature_ok === true ? h('span', { class: 'badge good', 'data-sig': 'ok' }, t('audit.sig_ok'))
      : e.signature_ok === false ? h('span', { class: 'badge bad', 'data-sig': 'bad' }, t('audit.sig_bad')) : h('span', { class: 'muted' }, '—'))));
  const last = events.length ? events[events.length - 1].seq : null;
  // auditors often want only the signed staff actions (review decisions, counter entries)
  const signedOnly = h('input', { type: 'checkbox', id: 'signed-only', onchange: () => {
    rows.forEach((tr, i) => { tr.hidden = signedOnly.checked && (events[i].signature_ok === null || events[i].signature_ok === undefined); });
  } });
  replace(main, h('section', { class: 'card' }, h('h2', {}, t('audit.title')),
    // the hash chain's verdict, when the server gives one (docs/api.md: chain_ok)
    h('label', { class: 'inline' }, signedOnly, ' ', t('audit.signed_only')),
    typeof r.chain_ok === 'boolean' ? h('p', { class: `alert ${r.chain_ok ? 'ok' : 'error'}`, id: 'chain' }, r.chain_ok ? t('audit.chain_ok') : t('audit.chain_bad')) : null,
    h('div', { class: 'scroll' }, h('table', { class: 'list', id: 'audit' },
      h('thead', {}, h('tr', {}, [t('audit.seq'), t('audit.at'), t('audit.actor'), t('audit.action'), t('audit.object'), t('audit.detail'), t('audit.signature')].map((x) => h('th', {}, x)))),
      h('tbody', {}, rows))),
    h('div', { class: 'actions' }, after ? h('a', { href: '#/audit' }, t('audit.first')) : null,
      last !== null && events.length >= 100 ? h('a', { href: `#/audit?after=${last}` }, t('audit.more')) : null)));
}

async function viewUsers() {
  const cat = await loadCatalog();
  const r = await api('GET', '/staff/users');
  const box = h('div', { class: 'alert error', role: 'alert' });
  const out = h('div', { id: 'user-created' });
  const roles = ROLES_BELOW[staff.role] || [];
  const f = h('form', { class: 'card', id: 'user-form' }, h('h3', {}, t('users.add')),
    field('login', t('staff.login'), {}, true), field('name', t('reg.name'), {}, true),
    field('password', t('login.password'), { type: 'password', autocomplete: 'new-password' }, true),
    h('div', { class: 'field required' }, h('label', { for: 'f-role' }, t('users.role')),
      h('select', { id: 'f-role', name: 'role' }, roles.map((x) => h('option', { value: x }, t(`role.${x}`))))),
    roles.includes('operator') ? h('fieldset', { class: 'duties' }, h('legend', {}, t('users.duties')),
      DUTIES.map((d) => h('label', { class: 'inline' }, h('input', { type: 'checkbox', name: 'duty', value: d }), ' ', t(`duty.${d}`))),
      h('span', { class: 'field-error', 'data-err': 'duties' })) : null,
    roles.includes('operator') ? h('div', { class: 'field' }, h('label', { for: 'f-service_point' }, t('f.service_point')),
      h('select', { id: 'f-service_point', name: 'service_point' }, (cat.service_points || []).map((p) => h('option', { value: p.id }, p.name))),
      h('span', { class: 'field-error', 'data-err': 'service_point' })) : null,
    h('div', { class: 'field required' }, h('label', { for: 'f-csr' }, t('users.csr')),
      h('textarea', { id: 'f-csr', name: 'csr', rows: 5, class: 'mono', placeholder: '-----BEGIN CERTIFICATE REQUEST-----' }),
      h('span', { class: 'field-error', 'data-err': 'csr' })),
    h('p', { class: 'hint' }, t('users.csr_hint')),
    box, h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('users.create'))), out);
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = { login: f.login.value.trim(), name: f.name.value.trim(), password: f.password.value, role: f.role.value, csr: f.csr.value.trim() };
    if (body.role === 'operator') {
      body.duties = [...f.querySelectorAll('input[name=duty]:checked')].map((x) => x.value);
      body.service_point = f.service_point.value;
    }
    try {
      const u = await api('POST', '/staff/users', body);
      replace(out, h('p', { class: 'alert ok' }, t('users.created', { s: u.serial })), h('pre', { class: 'mono small' }, u.certificate || ''));
      await viewUsersTable(r);
    } catch (e) { showError(f, e, box); }
  });
  const table = h('div', { id: 'users-table' });
  async function viewUsersTable() {
    const rr = await api('GET', '/staff/users');
    replace(table, h('div', { class: 'scroll' }, h('table', { class: 'list', id: 'users' },
      h('thead', {}, h('tr', {}, [t('staff.login'), t('reg.name'), t('users.role'), t('users.duties'), t('f.service_point'), t('users.state'), ''].map((x) => h('th', {}, x)))),
      h('tbody', {}, (rr.users || []).map((u) => h('tr', {},
        h('td', { class: 'mono' }, u.login), h('td', {}, u.name || ''), h('td', {}, t(`role.${u.role}`)),
        h('td', {}, (Array.isArray(u.duties) ? u.duties : String(u.duties || '').split(',')).filter(Boolean).map((d) => t(`duty.${d}`)).join('、')), h('td', {}, u.service_point || ''),
        h('td', {}, u.disabled ? t('users.disabled') : t('users.active')),
        h('td', {}, u.disabled ? null : h('button', { type: 'button', class: 'danger', onclick: async () => {
          if (!window.confirm(t('users.disable_confirm', { l: u.login }))) return;
          try { await api("POST", `/staff/users/${encodeURIComponent(u.login)}/disable`, {}); await viewUsersTable(); } catch (e) { showError(table, e, box); }
        } }, t('users.disable')))))))));
  }
  void r;
  await viewUsersTable();
  replace(main, h('section', { class: 'card' }, h('h2', {}, t('users.title')), table), f);
}

async function viewCounter() {
  const cat = await loadCatalog();
  const box = h('div', { class: 'alert error', role: 'alert' });
  const sp = (cat.service_points || []).find((p) => p.id === staff.service_point);
  const kinds = (cat.subject_kinds || []);
  const bizSel = h('select', { id: 'f-business', name: 'business' });
  const skSel = h('select', { id: 'f-subject_kind', name: 'subject_kind' }, kinds.map((k) => h('option', { value: k.key }, label(k))));
  const fill = () => {
    replace(bizSel, (cat.business_types || []).filter((b) => (b.subject_kinds || []).includes(skSel.value) && b.key !== 'suspend')
      .map((b) => h('option', { value: b.key }, label(b))));
  };
  skSel.addEventListener('change', fill);
  fill();
  const f = h('form', { class: 'card', id: 'counter-form' },
    h('h2', {}, t('counter.title')),
    h('p', { class: 'hint' }, t('counter.point', { p: sp ? sp.name : (staff.service_point || '') })),
    h('fieldset', {}, h('legend', {}, t('counter.applicant')),
      field('phone', t('reg.phone'), { type: 'tel', maxlength: 11 }, true),
      field('email', t('reg.email'), { type: 'email' }, true),
      field('name', t('reg.name'), {}, true)),
    h('fieldset', {}, h('legend', {}, t('new.business')),
      h('div', { class: 'field' }, h('label', { for: 'f-subject_kind' }, t('order.subject')), skSel),
      h('div', { class: 'field' }, h('label', { for: 'f-business' }, t('order.business')), bizSel),
      h('div', { class: 'field' }, h('label', { for: 'f-medium' }, t('f.medium')),
        h('select', { id: 'f-medium', name: 'medium' }, (cat.media || []).map((m) => h('option', { value: m.key }, label(m))))),
      field('years', t('f.years'), { type: 'number', min: 1, max: 5, value: 1 }),
      field('certificate', t('f.certificate'), { class: 'mono', placeholder: t('counter.cert_hint') })),
    box,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', id: 'counter-submit' }, t('counter.create'))));
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const order = { business: bizSel.value, subject_kind: skSel.value, medium: f.medium.value, years: Number(f.years.value || 1), service_point: staff.service_point };
    if (f.certificate.value.trim()) order.certificate = f.certificate.value.trim();
    const payload = { action: 'counter-entry', at: Math.floor(Date.now() / 1000), applicant: { phone: f.phone.value.trim(), email: f.email.value.trim(), name: f.name.value.trim() }, order };
    try {
      const body = await signed(payload);
      const r = await api('POST', '/staff/counter/orders', body);
      location.hash = `#/order/${r.id}`;
    } catch (e) { showError(f, e instanceof AgentError ? new ApiError(0, e.code, t('staff.agent_failed', { m: e.message }), '') : e, box); }
  });
  replace(main, f);
}

// --- one order, staff side
async function viewOrder(id) {
  const cat = await loadCatalog();
  const order = await api('GET', `/staff/orders/${encodeURIComponent(id)}`);
  const root = h('div', { class: 'order staff-order' });
  const box = h('div', { class: 'alert error', role: 'alert', id: 'staff-error' });
  const reload = () => viewOrder(id);
  const acts = new Set(order.actions || []);
  const sections = [];

  // counter operators fill a draft/returned counter order like the applicant would
  const editorRoot = h('div', { class: 'order' });
  if (duty('entry') && acts.has('patch')) {
    renderOrder(editorRoot, { catalog: cat, order, staff: true, path: (x) => `/staff/orders/${x}` });
    sections.push(editorRoot);
  } else {
    sections.push(staffSummary(cat, order, box));
  }

  // the server says what this staff member may do now (docs/api.md "actions"); the page's own
  // rule by state and duty is only the fallback for a server that sends none
  const bt = (cat.business_types || []).find((b) => b.key === order.business) || {};
  const can = (name, fallback) => (acts.size ? acts.has(name) : fallback);
  const money = duty('entry') || duty('query') || role('business-admin');
  // review: previews, per-material accept/return, decision
  if (can('review', duty('review') && order.state === 'submitted')) sections.push(reviewPanel(cat, order, box, reload));
  // payment and invoice
  if (can('payment', money && order.state === 'approved')) sections.push(paymentPanel(order, box, reload));
  if (money && order.payment && order.payment.state === 'paid') sections.push(invoicePanel(order, box, reload));
  // production: issue, ship, counter pick-up
  const issuable = order.state === 'paid' || (order.state === 'approved' && bt.needs_payment === false);
  if (can('issue', duty('production') && issuable && !(order.certificates || []).length)) sections.push(issuePanel(order, box, reload));
  if (can('ship', duty('production') && order.state === 'fulfilling')) sections.push(shipPanel(order, box, reload));
  if (can('pickup', duty('entry') && order.state === 'fulfilling')) sections.push(pickupPanel(order, box, reload));
  if (isOperator() && (order.certificates || []).length) sections.push(certPanel(order, box, reload));
  replace(main, h('p', {}, h('a', { href: '#/', class: 'back', onclick: (ev) => { ev.preventDefault(); history.back(); } }, t('form.back'))), box, root);
  replace(root, sections);
}

function staffSummary(cat, order, box) {
  const rows = [];
  for (const g of GROUPS) {
    if (g.show && !g.show(order)) continue;
    for (const f of g.fields) {
      const v = order[f.name];
      if (v === undefined || v === null || v === '') continue;
      let shown = String(v);
      if (f.type === 'select' && Array.isArray(f.options)) shown = t(`opt.${f.name.replace(/^(legal|person|agent)_/, '')}.${v}`);
      else if (f.options === 'media') shown = label((cat.media || []).find((m) => m.key === v) || v);
      else if (f.options === 'service_points') shown = ((cat.service_points || []).find((p) => p.id === v) || { name: v }).name;
      const dd = h('dd', { 'data-field': f.name }, shown);
      if (REVEALABLE.includes(f.name)) {
        dd.appendChild(h('button', { type: 'button', class: 'link small', onclick: async () => {
          try { const r = await api('GET', `/staff/orders/${order.id}/reveal/${f.name}`); dd.firstChild.textContent = r.value; } catch (e) { showError(dd, e, box); }
        } }, t('staff.reveal')));
      }
      rows.push(h('dt', {}, t(`f.${f.name}`)), dd);
    }
  }
  const q = lang() === 'en' ? '?lang=en' : '';
  return h('section', { class: 'card' },
    h('h2', {}, t('order.title'), ' ', h('span', { class: 'mono', id: 'order-no' }, order.order_no || `#${order.id}`), ' ', stateBadge(cat, order.state)),
    h('dl', { class: 'kv' },
      h('dt', {}, t('order.business')), h('dd', {}, businessLabel(cat, order.business)),
      h('dt', {}, t('order.subject')), h('dd', {}, subjectLabel(cat, order.subject_kind)),
      h('dt', {}, t('order.price')), h('dd', {}, yuan(order.price_fen)),
      order.certificate ? [h('dt', {}, t('f.certificate')), h('dd', { class: 'mono small' }, order.certificate)] : null,
      order.shipping && order.shipping.tracking_no ? [h('dt', {}, t('track.shipping')), h('dd', { id: 'shipping' }, `${order.shipping.carrier} ${order.shipping.tracking_no} · ${t('track.promise', { d: order.shipping.promise_by || '' })}`)] : null,
      order.payment ? [h('dt', {}, t('track.payment')), h('dd', { id: 'payment-state' }, order.payment.state === 'paid' ? t('track.paid', { at: shanghai(order.payment.paid_at), m: order.payment.method ? t(`pay.${order.payment.method}`) : '' }) : t('track.unpaid'))] : null,
      rows),
    h('ul', { class: 'links' }, FORMS.map((f) => h('li', {}, h('a', { href: `/api/v1/orders/${order.id}/forms/${f}.pdf${q}`, 'data-form': f }, t(`pdf.${f}`))))),
    (order.history || []).length ? h('ol', { class: 'timeline' }, order.history.map((e) => h('li', {}, h('span', { class: 'muted small' }, shanghai(e.at)), ' ',
      e.from ? stateBadge(cat, e.from) : null, e.from ? ' → ' : '', stateBadge(cat, e.to), ' ', h('span', { class: 'small' }, e.actor || ''),
      e.reason ? h('div', { class: 'reason' }, e.reason) : null))) : null);
}

// The reviewer's manual adjustment of a seal / signature picture: threshold and crop, answered
// by PUT /staff/seal-images/extract with a preview (the original never leaves the server's view
// except to the staff member who may already read it).
function sealAdjust(src, m) {
  const num = (name, min, max, val) => h('input', { type: 'number', name, min: String(min), max: String(max), value: val, class: 'num' });
  const thr = h('input', { type: 'number', name: 'threshold', min: '0.01', max: '0.99', step: '0.01', value: '', class: 'num', placeholder: t('sealimg.auto') });
  const x = num('crop-x', 0, 8000, ''), y = num('crop-y', 0, 8000, ''), w = num('crop-w', 0, 8000, ''), hh = num('crop-h', 0, 8000, '');
  const kind = h('select', { name: 'kind' }, h('option', { value: 'seal' }, t('sealimg.seal')), h('option', { value: 'signature' }, t('sealimg.signature')));
  const size = num('size-mm', 10, 80, '42');
  // perspective correction of a photo taken at an angle (frame rectified, outline made round)
  const deskew = h('select', { name: 'deskew' }, h('option', { value: 'auto' }, t('sealimg.deskew_auto')), h('option', { value: 'off' }, t('sealimg.deskew_off')));
  const out = h('div', { class: 'sealimg-out' });
  const btn = h('button', { type: 'button', class: 'secondary' }, t('sealimg.run'));
  btn.addEventListener('click', async () => {
    replace(out, h('span', { class: 'muted small' }, t('sealimg.working')));
    try {
      const orig = await fetch(`${src}?version=${m.version}`, { credentials: 'same-origin' });
      if (!orig.ok) throw new ApiError(orig.status, `http.${orig.status}`, orig.statusText, '');
      const q = new URLSearchParams({ kind: kind.value, preview: '1', size_mm: size.value || '42', deskew: deskew.value });
      if (thr.value) q.set('threshold', thr.value);
      if (w.value && hh.value) q.set('crop', `${x.value || 0},${y.value || 0},${w.value},${hh.value}`);
      const png = await putBinary(`/staff/seal-images/extract?${q}`, await orig.blob(), m.mime);
      replace(out, h('img', { src: URL.createObjectURL(png), alt: t('sealimg.result'), class: 'sealimg-preview' }));
    } catch (e) {
      replace(out, h('span', { class: 'error' }, e.message || String(e)));
    }
  });
  return h('details', { class: 'sealimg' }, h('summary', {}, t('sealimg.title')),
    h('div', { class: 'choices inline small' },
      h('label', {}, t('sealimg.kind'), ' ', kind), h('label', {}, t('sealimg.threshold'), ' ', thr),
      h('label', {}, t('sealimg.size'), ' ', size), h('label', {}, t('sealimg.deskew'), ' ', deskew)),
    h('div', { class: 'choices inline small' }, h('span', {}, t('sealimg.crop')), x, y, w, hh), btn, out);
}

function reviewPanel(cat, order, box, reload) {
  const latest = {};
  for (const m of order.materials || []) if (!latest[m.kind] || latest[m.kind].version < m.version) latest[m.kind] = m;
  const items = Object.values(latest).map((m) => {
    const c = (order.checklist || []).find((x) => x.kind === m.kind);
    const reason = h('input', { type: 'text', name: `reason-${m.kind}`, placeholder: t('review.reason_ph'), class: 'reason-input' });
    const src = `/api/v1/orders/${order.id}/materials/${encodeURIComponent(m.kind)}`;
    return h('li', { class: 'review-item', 'data-kind': m.kind },
      h('div', { class: 'preview' }, h('a', { href: `${src}?version=${m.version}`, target: '_blank', rel: 'noopener' },
        h('img', { src: `${src}?preview=1&version=${m.version}`, alt: c ? label(c) : m.kind, }))),
      h('div', { class: 'review-body' },
        h('strong', {}, c ? label(c) : m.kind), ' ', h('span', { class: 'muted small' }, `v${m.version} · ${m.mime} · ${Math.ceil(m.bytes / 1024)} KiB · SM3 ${String(m.sm3 || '').slice(0, 16)}…`),
        h('div', { class: 'choices inline' },
          h('label', {}, h('input', { type: 'radio', name: `m-${m.kind}`, value: 'ok', checked: true }), ' ', t('review.accept')),
          h('label', {}, h('input', { type: 'radio', name: `m-${m.kind}`, value: 'return' }), ' ', t('review.return_material'))),
        reason, /seal|signature/.test(m.kind) && /image/.test(m.mime || '') ? sealAdjust(src, m) : null));
  });
  const missing = (order.checklist || []).filter((c) => c.required && !latest[c.kind]);
  const reason = h('textarea', { name: 'reason', id: 'review-reason', rows: 2 });
  const panel = h('section', { class: 'card review', id: 'review' }, h('h3', {}, t('review.title')),
    h('p', { class: 'rule' }, cat.material_rule ? label(cat.material_rule) : t('mat.rule')),
    missing.length ? h('p', { class: 'alert warn' }, t('review.missing'), ' ', missing.map((c) => label(c)).join('、')) : null,
    h('ul', { class: 'review-list' }, items),
    h('div', { class: 'field' }, h('label', { for: 'review-reason' }, t('review.reason')), reason, h('span', { class: 'field-error', 'data-err': 'reason' })),
    h('div', { class: 'actions' },
      ['approve', 'return', 'reject'].map((d) => h('button', { type: 'button', class: d === 'approve' ? 'primary' : d === 'reject' ? 'danger' : '', id: `review-${d}`, onclick: async () => {
        const materials = {};
        for (const kind of Object.keys(latest)) {
          const ok = panel.querySelector(`input[name="m-${CSS.escape(kind)}"]:checked`).value === 'ok';
          const r = panel.querySelector(`input[name="reason-${CSS.escape(kind)}"]`).value.trim();
          materials[kind] = ok ? { ok: true } : { ok: false, reason: r };
        }
        const payload = { action: 'review', order: order.id, at: Math.floor(Date.now() / 1000), decision: d, reason: reason.value.trim(), materials };
        try {
          const body = await signed(payload);
          await api('POST', `/orders/${order.id}/review`, body);
          await reload();
        } catch (e) { showError(panel, e instanceof AgentError ? new ApiError(0, e.code, t('staff.agent_failed', { m: e.message }), '') : e, box); }
      } }, t(`review.${d}`)))));
  return panel;
}

function paymentPanel(order, box, reload) {
  const f = h('form', { class: 'card', id: 'payment' }, h('h3', {}, t('pay.title')),
    h('div', { class: 'field' }, h('label', { for: 'f-method' }, t('pay.method')),
      h('select', { id: 'f-method', name: 'method' }, ['bank-transfer', 'counter'].map((m) => h('option', { value: m }, t(`pay.${m}`))))),
    field('amount_fen', t('pay.amount'), { type: 'number', min: 0, step: 1, value: order.price_fen || 0 }),
    h('p', { class: 'hint' }, t('pay.amount_hint', { y: yuan(order.price_fen) })),
    field('reference', t('pay.reference'), {}),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', id: 'pay-submit' }, t('pay.mark'))));
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await api('POST', `/orders/${order.id}/payment`, { method: f.method.value, amount_fen: Number(f.amount_fen.value), reference: f.reference.value.trim() });
      await reload();
    } catch (e) { showError(f, e, box); }
  });
  return f;
}

function invoicePanel(order, box, reload) {
  const p = order.payment || {};
  const f = h('form', { class: 'card', id: 'invoice' }, h('h3', {}, t('inv.title')),
    h('p', {}, t('track.invoice'), ': ', t(`inv.${p.invoice_state || 'none'}`), p.invoice_no ? ` ${p.invoice_no}` : '', order.invoice_email ? ` · ${order.invoice_email}` : ''),
    h('div', { class: 'field' }, h('label', { for: 'f-inv-state' }, t('inv.state')),
      h('select', { id: 'f-inv-state', name: 'state' }, ['requested', 'issued', 'sent'].map((s) => h('option', { value: s, selected: p.invoice_state === s }, t(`inv.${s}`))))),
    field('invoice_no', t('inv.no'), { value: p.invoice_no || '' }),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('form.save'))));
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try { await api('POST', `/orders/${order.id}/invoice`, { state: f.state.value, invoice_no: f.invoice_no.value.trim() }); await reload(); } catch (e) { showError(f, e, box); }
  });
  return f;
}

function issuePanel(order, box, reload) {
  const f = h('form', { class: 'card', id: 'issue' }, h('h3', {}, t('issue.title')), h('p', { class: 'hint' }, t('issue.hint')),
    h('div', { class: 'field' }, h('label', { for: 'f-issue-csr' }, 'CSR'),
      h('textarea', { id: 'f-issue-csr', name: 'csr', rows: 6, class: 'mono', placeholder: '-----BEGIN CERTIFICATE REQUEST-----' }),
      h('span', { class: 'field-error', 'data-err': 'csr' })),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', id: 'issue-submit' }, t('issue.go'))));
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const csr = f.csr.value.trim();
    try { await api('POST', `/orders/${order.id}/issue`, csr ? { csr } : {}); await reload(); } catch (e) { showError(f, e, box); }
  });
  return f;
}

function shipPanel(order, box, reload) {
  const f = h('form', { class: 'card', id: 'ship' }, h('h3', {}, t('ship.title')), h('p', { class: 'hint' }, t('ship.promise')),
    order.handling === 'mail' ? h('p', {}, t('f.return_address'), ': ', order.return_address || '', ' ', order.return_phone || '') : null,
    h('div', { class: 'field' }, h('label', { for: 'f-carrier' }, t('ship.carrier')),
      h('input', { id: 'f-carrier', name: 'carrier', list: 'carriers', value: 'EMS' }),
      h('datalist', { id: 'carriers' }, ['EMS', '顺丰速运', '中通快递', '圆通速递', '京东物流'].map((c) => h('option', { value: c }))),
      h('span', { class: 'field-error', 'data-err': 'carrier' })),
    field('tracking_no', t('ship.tracking'), { class: 'mono' }, true),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', id: 'ship-submit' }, t('ship.go'))));
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try { await api('POST', `/orders/${order.id}/ship`, { carrier: f.carrier.value.trim(), tracking_no: f.tracking_no.value.trim() }); await reload(); } catch (e) { showError(f, e, box); }
  });
  return f;
}

function pickupPanel(order, box, reload) {
  const f = h('form', { class: 'card', id: 'pickup' }, h('h3', {}, t('pickup.title')),
    field('picked_up_by', t('pickup.by'), {}, true),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('pickup.go'))));
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try { await api('POST', `/orders/${order.id}/pickup`, { picked_up_by: f.picked_up_by.value.trim() }); await reload(); } catch (e) { showError(f, e, box); }
  });
  return f;
}

function certPanel(order, box, reload) {
  return h('section', { class: 'card', id: 'order-certs' }, h('h3', {}, t('track.certificates')),
    h('ul', {}, order.certificates.map((s) => h('li', {}, h('span', { class: 'mono small' }, s), ' ',
      h('button', { type: 'button', onclick: async () => {
        const reason = window.prompt(t('cert.suspend_reason'), t('cert.suspend_default'));
        if (reason === null) return;
        try { await api('POST', `/staff/certificates/${s}/suspend`, { reason }); await reload(); } catch (e) { showError(box, e, box); }
      } }, t('cert.suspend'))))));
}

async function route() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, qs] = raw.split('?');
  const params = new URLSearchParams(qs || '');
  const parts = path.split('/').filter(Boolean);
  applyStatic();
  if (staff === null && parts[0] !== 'login') {
    try {
      const s = await api('GET', '/session');
      if (s.staff) { staff = s.staff; setCsrf(s.csrf); }
    } catch (e) { staff = null; }
  }
  nav();
  const top = document.getElementById('error');
  top.textContent = '';
  try {
    if (!staff || parts[0] === 'login') return viewLogin();
    switch (parts[0]) {
      case 'queue': return await viewList(t('staff.nav.queue'), ['submitted'], 'queue');
      case 'payments': return await viewList(t('staff.nav.payments'), ['approved'], 'payments-list');
      case 'fulfil': return await viewList(t('staff.nav.fulfil'), ['paid', 'fulfilling', 'shipped'], 'fulfil-list');
      case 'point': return await viewPoint();
      case 'counter': return await viewCounter();
      case 'revocations': return await viewRevocations();
      case 'recoveries': return await viewRecoveries();
      case 'audit': return await viewAudit(params.get('after'));
      case 'users': return await viewUsers();
      case 'order': return await viewOrder(parts[1]);
      default: {
        const m = menu();
        if (m.length) location.hash = m[0][0];
      }
    }
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) { staff = null; location.hash = '#/login'; return; }
    top.textContent = e.message || String(e);
  }
}

document.getElementById('lang').addEventListener('click', () => {
  setLang(lang() === 'en' ? 'zh-CN' : 'en');
  catalog = null;
  route();
});
window.addEventListener('hashchange', route);
route();
