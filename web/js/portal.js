// portal.js - the applicant portal: register, log in, choose a business, fill and submit the
// order, track it, and act on one's certificates. Hash routes: #/login #/register #/new
// #/orders #/orders/ID #/certs.
import { h, replace, yuan, shanghai } from './dom.js';
import { t, label, lang, setLang, applyStatic } from './i18n.js';
import { api, setCsrf, ApiError } from './api.js';
import { renderOrder, showError, businessLabel, subjectLabel, stateBadge } from './orderform.js';
import { priceFor } from './fields.js';
import { agentSign, agentUrl, setAgentUrl, setPin, forgetPin } from './agent.js';

const main = document.getElementById('main');
let catalog = null;
let account = null;

async function loadCatalog() {
  if (!catalog) catalog = await api('GET', '/catalog');
  return catalog;
}

async function loadSession() {
  try {
    const s = await api('GET', '/session');
    setCsrf(s.csrf);
    account = s.account || null;
  } catch (e) {
    account = null;
  }
}

function nav() {
  const n = document.getElementById('nav');
  const links = account ? [
    ['#/new', t('nav.new')], ['#/orders', t('nav.orders')], ['#/certs', t('nav.certs')],
  ] : [['#/login', t('nav.login')], ['#/register', t('nav.register')]];
  replace(n, links.map(([href, text]) => h('a', { href, class: location.hash.startsWith(href) ? 'active' : '' }, text)),
    account ? h('span', { class: 'who', id: 'who' }, account.name) : null,
    account ? h('button', { type: 'button', class: 'link', id: 'logout', onclick: logout }, t('nav.logout')) : null);
}

async function logout() {
  try { await api('DELETE', '/session'); } catch (e) { /* already gone */ }
  account = null;
  setCsrf('');
  location.hash = '#/login';
}

function field(name, labelText, attrs, required) {
  return h('div', { class: 'field' + (required ? ' required' : '') },
    h('label', { for: `f-${name}` }, labelText, required ? h('span', { class: 'req' }, ' *') : null),
    h('input', { name, id: `f-${name}`, ...attrs }),
    h('span', { class: 'field-error', 'data-err': name, 'aria-live': 'polite' }));
}

function viewLogin() {
  const box = h('div', { class: 'alert error', role: 'alert' });
  const f = h('form', { class: 'card narrow', id: 'login-form' },
    h('h2', {}, t('login.title')),
    field('login', t('login.login'), { autocomplete: 'username', required: true }, true),
    field('password', t('login.password'), { type: 'password', autocomplete: 'current-password', required: true }, true),
    box,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', id: 'login-submit' }, t('login.submit'))),
    h('p', {}, t('login.noaccount'), ' ', h('a', { href: '#/register' }, t('nav.register'))));
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const r = await api('POST', '/session', { login: f.login.value.trim(), password: f.password.value });
      setCsrf(r.csrf);
      account = r.account;
      location.hash = '#/orders';
    } catch (e) { showError(f, e, box); }
  });
  replace(main, f);
}

function viewRegister() {
  const box = h('div', { class: 'alert error', role: 'alert' });
  const f = h('form', { class: 'card narrow', id: 'register-form' },
    h('h2', {}, t('reg.title')),
    field('name', t('reg.name'), { autocomplete: 'name', maxlength: 100 }, true),
    field('phone', t('reg.phone'), { type: 'tel', inputmode: 'tel', autocomplete: 'tel', maxlength: 11 }, true),
    field('email', t('reg.email'), { type: 'email', autocomplete: 'email' }, true),
    field('password', t('reg.password'), { type: 'password', autocomplete: 'new-password', minlength: 10 }, true),
    h('p', { class: 'hint' }, t('reg.password_hint')),
    box,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', id: 'register-submit' }, t('reg.submit'))));
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = { phone: f.phone.value.trim(), email: f.email.value.trim(), password: f.password.value, name: f.name.value.trim() };
    try {
      await api('POST', '/accounts', body);
      const r = await api('POST', '/session', { login: body.phone, password: body.password });
      setCsrf(r.csrf);
      account = r.account;
      location.hash = '#/new';
    } catch (e) { showError(f, e, box); }
  });
  replace(main, f);
}

async function viewNew(params) {
  const cat = await loadCatalog();
  const box = h('div', { class: 'alert error', role: 'alert' });
  const certsP = api('GET', '/certificates').catch(() => ({ certificates: [] }));
  const state = { subject_kind: params.get('subject') || 'organization', business: params.get('business') || 'new', certificate: params.get('cert') || '' };
  const root = h('div');
  const certs = (await certsP).certificates || [];
  function draw() {
    const kinds = h('div', { class: 'choices', role: 'radiogroup', id: 'subject-kinds' }, (cat.subject_kinds || []).map((k) => h('label', { class: 'choice' + (state.subject_kind === k.key ? ' on' : '') },
      h('input', { type: 'radio', name: 'subject_kind', value: k.key, checked: state.subject_kind === k.key, onchange: () => { state.subject_kind = k.key; draw(); } }),
      h('span', {}, label(k)), k.person ? h('small', { class: 'muted' }, t('new.person')) : null)));
    const types = (cat.business_types || []).filter((b) => (b.subject_kinds || []).includes(state.subject_kind) && b.key !== 'suspend');
    if (!types.find((b) => b.key === state.business)) state.business = types.length ? types[0].key : '';
    const bt = types.find((b) => b.key === state.business);
    const biz = h('div', { class: 'choices grid', role: 'radiogroup', id: 'business-types' }, types.map((b) => {
      const price = priceFor(cat, { business: b.key, subject_kind: state.subject_kind });
      return h('label', { class: 'choice' + (state.business === b.key ? ' on' : ''), 'data-business': b.key },
        h('input', { type: 'radio', name: 'business', value: b.key, checked: state.business === b.key, onchange: () => { state.business = b.key; draw(); } }),
        h('span', { class: 'b-name' }, label(b)),
        h('small', { class: 'muted' }, price ? yuan(price.fen) : t('order.free')));
    }));
    const extra = [];
    if (bt && bt.effect === 'issue') {
      extra.push(h('div', { class: 'field' }, h('label', { for: 'f-medium' }, t('f.medium')),
        h('select', { id: 'f-medium', name: 'medium' }, (cat.media || []).map((m) => h('option', { value: m.key }, label(m))))));
      const y = cat.years || { min: 1, max: 5 };
      const sel = h('select', { id: 'f-years', name: 'years' });
      for (let i = y.min; i <= y.max; i++) sel.appendChild(h('option', { value: i }, t('new.years', { n: i })));
      extra.push(h('div', { class: 'field' }, h('label', { for: 'f-years' }, t('f.years')), sel));
    }
    if (bt && bt.needs_certificate) {
      const sel = h('select', { id: 'f-certificate', name: 'certificate' }, h('option', { value: '' }, t('form.choose')),
        certs.map((c) => h('option', { value: c.serial, selected: c.serial === state.certificate }, `${c.subject} · ${c.serial.slice(0, 12)}… · ${t('cert.until')} ${shanghai(c.not_after)}`)));
      sel.addEventListener('change', () => { state.certificate = sel.value; });
      extra.push(h('div', { class: 'field required' }, h('label', { for: 'f-certificate' }, t('f.certificate'), h('span', { class: 'req' }, ' *')), sel,
        h('span', { class: 'field-error', 'data-err': 'certificate' })));
      if (!certs.length) extra.push(h('p', { class: 'hint' }, t('new.nocert')));
    }
    const needsPop = bt && (bt.needs_proof_of_possession || ['renew', 'rekey', 'renew-without-rekey'].includes(bt.key));
    if (needsPop) {
      const text = h('code', { class: 'mono small', id: 'pop-text' });
      const sig = h('textarea', { id: 'f-pop', name: 'pop', rows: 3, class: 'mono', placeholder: 'MEUCIQ…' });
      extra.push(h('section', { class: 'pop', id: 'pop' }, h('h3', {}, t('pop.title')), h('p', { class: 'hint' }, t('pop.hint')),
        h('button', { type: 'button', id: 'pop-challenge', onclick: async () => {
          if (!state.certificate) { showError(root, new ApiError(400, 'field.required', t('pop.pick_cert'), 'certificate'), box); return; }
          try {
            const r = await api('POST', `/certificates/${state.certificate}/challenge`, {});
            state.challenge = r.challenge;
            text.textContent = `sealca-pop:${state.certificate}:${r.challenge}`;
          } catch (e) { showError(root, e, box); }
        } }, t('pop.get')),
        h('p', {}, t('pop.sign_this')), text,
        // the holder's local signing agent (`sealca agent` with the certificate's key, like a USB
        // key's middleware) signs the challenge; pasting a signature made elsewhere still works
        h('div', { class: 'field' }, h('label', { for: 'pop-agent-url' }, t('pop.agent_url')),
          h('input', { id: 'pop-agent-url', type: 'url', value: agentUrl(), 'data-skip': '1' })),
        h('div', { class: 'field' }, h('label', { for: 'pop-agent-pin' }, t('pop.agent_pin')),
          h('input', { id: 'pop-agent-pin', type: 'password', autocomplete: 'off', 'data-skip': '1' })),
        h('button', { type: 'button', id: 'pop-agent', onclick: async () => {
          const txt = text.textContent;
          if (!txt) { showError(root, new ApiError(400, 'field.required', t('pop.get'), 'pop'), box); return; }
          try {
            setAgentUrl(root.querySelector('#pop-agent-url').value.trim());
            setPin(root.querySelector('#pop-agent-pin').value);
            const r = await agentSign(txt);
            forgetPin();
            root.querySelector('#pop-agent-pin').value = '';
            sig.value = r.signature;
            box.textContent = '';
          } catch (e) { forgetPin(); showError(root, new ApiError(400, e.code || 'agent.error', e.message, 'pop'), box); }
        } }, t('pop.agent')),
        h('div', { class: 'field' }, h('label', { for: 'f-pop' }, t('pop.signature')), sig, h('span', { class: 'field-error', 'data-err': 'pop' }))));
    }
    if (bt && bt.key === 'revoke') extra.push(h('p', { class: 'alert warn', id: 'revoke-warning' }, revokeWarning(cat)));
    const btn = h('button', { type: 'button', class: 'primary', id: 'create-order', disabled: !bt, onclick: async () => {
      const body = { business: state.business, subject_kind: state.subject_kind };
      const m = root.querySelector('#f-medium');
      const yy = root.querySelector('#f-years');
      if (m) body.medium = m.value;
      if (yy) body.years = Number(yy.value);
      if (bt.needs_certificate) body.certificate = state.certificate;
      if (needsPop) body.pop = { challenge: state.challenge || '', signature: (root.querySelector('#f-pop').value || '').trim() };
      try {
        const r = await api('POST', '/orders', body);
        location.hash = `#/orders/${r.id}`;
      } catch (e) { showError(root, e, box); }
    } }, t('new.create'));
    replace(root,
      h('section', { class: 'card' }, h('h2', {}, t('new.title')),
        h('h3', {}, t('new.subject')), kinds,
        h('h3', {}, t('new.business')), biz,
        extra, box, h('div', { class: 'actions' }, btn)),
      h('section', { class: 'card muted-card' }, h('h3', {}, t('new.help')),
        h('p', {}, t('new.hotline'), ' ', cat.hotline || '—', ' · ', cat.opening_hours ? label(cat.opening_hours) : ''),
        h('ul', { class: 'points' }, (cat.service_points || []).map((p) => h('li', {},
          h('strong', {}, p.name), ` ${p.region || ''} · ${p.address || ''} · ${p.contact || ''} ${p.phone || ''}`)))));
  }
  draw();
  replace(main, root);
}

// The catalog's warning (注销前请先解密…) with the 24-hour promise after it.
function revokeWarning(cat) {
  return `${cat.revoke_warning ? label(cat.revoke_warning) : ''} ${t('cert.revoke_warning')}`.trim();
}

async function viewOrders() {
  const cat = await loadCatalog();
  const r = await api('GET', '/orders');
  const rows = (r.orders || []).map((o) => h('tr', { 'data-id': o.id },
    h('td', {}, h('a', { href: `#/orders/${o.id}`, class: 'mono' }, o.order_no || `#${o.id}`)),
    h('td', {}, businessLabel(cat, o.business)),
    h('td', {}, o.display_name || subjectLabel(cat, o.subject_kind)),
    h('td', {}, stateBadge(cat, o.state)),
    h('td', {}, yuan(o.price_fen)),
    h('td', { class: 'muted small' }, shanghai(o.updated_at || o.created_at))));
  replace(main, h('section', { class: 'card' }, h('h2', {}, t('orders.title')),
    rows.length ? h('div', { class: 'scroll' }, h('table', { class: 'list', id: 'orders' },
      h('thead', {}, h('tr', {}, [t('orders.no'), t('order.business'), t('order.subject'), t('order.state'), t('order.price'), t('orders.updated')].map((x) => h('th', {}, x)))),
      h('tbody', {}, rows)))
      : h('p', { class: 'empty' }, t('orders.none'), ' ', h('a', { href: '#/new' }, t('nav.new')))));
}

async function viewOrder(id) {
  const cat = await loadCatalog();
  const order = await api('GET', `/orders/${encodeURIComponent(id)}`);
  const root = h('div', { class: 'order' });
  replace(main, root);
  renderOrder(root, { catalog: cat, order });
}

async function viewCerts() {
  const cat = await loadCatalog();
  const r = await api('GET', '/certificates');
  const box = h('div', { class: 'alert error', role: 'alert' });
  const list = h('div', { class: 'certs', id: 'certs' });
  for (const c of r.certificates || []) {
    const acts = new Set(c.actions || []);
    const buttons = [];
    const go = (business) => { location.hash = `#/new?business=${business}&cert=${c.serial}&subject=${encodeURIComponent(c.subject_kind || 'organization')}`; };
    const order = async (business) => {
      // the subject kind of a certificate is the one of the order that issued it
      let sk = c.subject_kind;
      if (!sk && c.order_id) {
        try { sk = (await api('GET', `/orders/${c.order_id}`)).subject_kind; } catch (e) { sk = ''; }
      }
      if (!sk) { go(business); return; }
      try {
        const o = await api('POST', '/orders', { business, certificate: c.serial, subject_kind: sk });
        location.hash = `#/orders/${o.id}`;
      } catch (e) { if (e instanceof ApiError && e.field === 'subject_kind') go(business); else showError(list, e, box); }
    };
    if (acts.has('renew')) buttons.push(h('button', { type: 'button', 'data-act': 'renew', onclick: () => go('renew') }, t('cert.renew')));
    if (acts.has('change')) buttons.push(h('button', { type: 'button', 'data-act': 'change', onclick: () => order('change') }, t('cert.change')));
    if (acts.has('replace')) buttons.push(h('button', { type: 'button', 'data-act': 'replace', onclick: () => order('replace') }, t('cert.replace')));
    if (acts.has('suspend')) buttons.push(h('button', { type: 'button', 'data-act': 'suspend', onclick: async () => {
      const reason = window.prompt(t('cert.suspend_reason'), t('cert.suspend_default'));
      if (reason === null) return;
      try { await api('POST', `/certificates/${c.serial}/suspend`, { reason }); await viewCerts(); } catch (e) { showError(list, e, box); }
    } }, t('cert.suspend')));
    if (acts.has('resume')) buttons.push(h('button', { type: 'button', 'data-act': 'resume', onclick: () => order('resume') }, t('cert.resume')));
    if (acts.has('revoke')) buttons.push(h('button', { type: 'button', class: 'danger', 'data-act': 'revoke', onclick: () => {
      const dlg = h('div', { class: 'card warn', id: 'revoke-dialog', role: 'dialog' },
        h('h3', {}, t('cert.revoke_title')),
        h('p', { class: 'alert warn' }, revokeWarning(cat)),
        h('label', {}, h('input', { type: 'checkbox', id: 'revoke-ack' }), ' ', t('cert.revoke_ack')),
        h('div', { class: 'actions' },
          h('button', { type: 'button', class: 'danger', id: 'revoke-go', onclick: () => {
            if (!dlg.querySelector('#revoke-ack').checked) { box.textContent = t('cert.revoke_need_ack'); return; }
            order('revoke');
          } }, t('cert.revoke_confirm')),
          h('button', { type: 'button', onclick: () => dlg.remove() }, t('form.close'))));
      card.appendChild(dlg);
    } }, t('cert.revoke')));
    const days = c.days_left;
    const card = h('article', { class: `card cert status-${c.status}`, 'data-serial': c.serial },
      h('h3', {}, c.subject),
      h('dl', { class: 'kv' },
        h('dt', {}, t('cert.serial')), h('dd', { class: 'mono small' }, c.serial),
        h('dt', {}, t('cert.profile')), h('dd', {}, c.profile || '—'),
        h('dt', {}, t('cert.valid')), h('dd', {}, `${shanghai(c.not_before)} — ${shanghai(c.not_after)}`),
        h('dt', {}, t('cert.status')), h('dd', {}, h('span', { class: `badge cert-${c.status}`, 'data-status': c.status }, t(`cert.st.${c.status}`))),
        h('dt', {}, t('cert.days_left')), h('dd', { class: days !== undefined && days <= 30 ? 'expiring' : '' }, days === undefined ? '—' : t('cert.days', { n: days }))),
      h('div', { class: 'actions' }, buttons));
    list.appendChild(card);
  }
  replace(main, h('section', {}, h('h2', {}, t('certs.title')), box,
    (r.certificates || []).length ? list : h('p', { class: 'card empty' }, t('certs.none'))));
}

async function route() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, qs] = raw.split('?');
  const params = new URLSearchParams(qs || '');
  const parts = path.split('/').filter(Boolean);
  applyStatic();
  if (account === null && !['login', 'register'].includes(parts[0])) {
    await loadSession();
  }
  nav();
  const top = document.getElementById('error');
  top.textContent = '';
  try {
    if (parts[0] === 'register') return viewRegister();
    if (!account || parts[0] === 'login') return viewLogin();
    if (parts[0] === 'new') return await viewNew(params);
    if (parts[0] === 'orders' && parts[1]) return await viewOrder(parts[1]);
    if (parts[0] === 'orders') return await viewOrders();
    if (parts[0] === 'certs') return await viewCerts();
    location.hash = '#/orders';
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) { account = null; location.hash = '#/login'; return; }
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
