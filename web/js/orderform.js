// orderform.js - one order on one page: what state it is in and what to fix, the guided form
// with every field of the guide's two forms, the materials checklist with upload progress, the
// price confirmation, the agreements, the PDF forms and the history. Used by the applicant
// portal and by counter operators in the staff console (who fill the order for a walk-in).
import { h, replace, yuan, shanghai } from './dom.js';
import { t, label, lang } from './i18n.js';
import { api, upload, ApiError } from './api.js';
import { GROUPS, priceFor } from './fields.js';

export const FORMS = ['certificate-application', 'seal-application', 'service-agreement', 'ca-agreement', 'receipt'];

function stateLabel(catalog, key) {
  const s = (catalog.order_states || []).find((x) => x.key === key);
  return s ? label(s) : key;
}

export function businessLabel(catalog, key) {
  const b = (catalog.business_types || []).find((x) => x.key === key);
  return b ? label(b) : key;
}

export function subjectLabel(catalog, key) {
  const b = (catalog.subject_kinds || []).find((x) => x.key === key);
  return b ? label(b) : key;
}

export function stateBadge(catalog, key) {
  return h('span', { class: `badge state-${key}`, 'data-state': key }, stateLabel(catalog, key));
}

// The required fields (the forms' *) of this business for this subject kind.
function requiredSet(catalog, order) {
  const bt = (catalog.business_types || []).find((b) => b.key === order.business) || {};
  const r = (bt.required_fields || {})[order.subject_kind] ||
    ((catalog.required_fields || {})[order.business] || {})[order.subject_kind] || [];
  return new Set(r);
}

function optionList(catalog, f) {
  if (f.options === 'media') return (catalog.media || []).map((m) => [m.key, label(m)]);
  if (f.options === 'service_points') {
    return (catalog.service_points || []).map((p) => [p.id, `${p.name}（${p.region || ''}）`]);
  }
  return f.options.map((k) => [k, t(`opt.${f.name.replace(/^(legal|person|agent)_/, '')}.${k}`)]);
}

// Show an API error beside its field when the page has that field, else in the page's box.
export function showError(root, err, box) {
  for (const el of root.querySelectorAll('.field-error')) el.textContent = '';
  for (const el of root.querySelectorAll('.invalid')) el.classList.remove('invalid');
  const msg = err instanceof ApiError ? err.message : String(err && err.message || err);
  const field = err instanceof ApiError ? err.field : '';
  if (field) {
    const slot = root.querySelector(`[data-err="${CSS.escape(field)}"]`);
    if (slot) {
      slot.textContent = msg;
      const input = root.querySelector(`[name="${CSS.escape(field)}"]`);
      if (input) {
        input.classList.add('invalid');
        input.focus();
      }
      slot.scrollIntoView({ block: 'center' });
      if (box) box.textContent = t('err.see_field');
      return;
    }
  }
  if (box) {
    box.textContent = msg;
    box.scrollIntoView({ block: 'center' });
  }
}

function fieldInput(catalog, f, order, editable) {
  const v = order[f.name];
  const common = { name: f.name, id: `f-${f.name}`, disabled: !editable };
  if (f.type === 'select') {
    const sel = h('select', common, h('option', { value: '' }, t('form.choose')));
    for (const [k, lab] of optionList(catalog, f)) {
      sel.appendChild(h('option', { value: k, selected: v === k }, lab));
    }
    return sel;
  }
  if (f.type === 'textarea') return h('textarea', { ...common, maxlength: f.max || 500, rows: 3, value: v || '' });
  const type = { email: 'email', tel: 'tel', date: 'date', int: 'number' }[f.type] || 'text';
  const attrs = { ...common, type, value: v === undefined || v === null ? '' : String(v) };
  if (f.max && f.type !== 'int') attrs.maxlength = f.max;
  if (f.type === 'int') { attrs.min = f.min; attrs.max = f.max; attrs.step = 1; }
  if (f.type === 'tel') { attrs.inputmode = 'tel'; attrs.maxlength = 11; }
  if (f.mono) attrs.class = 'mono';
  return h('input', attrs);
}

// The values of the form that differ from the order, as a PATCH body.
function changes(form, order) {
  const out = {};
  for (const el of form.querySelectorAll('input[name], select[name], textarea[name]')) {
    if (el.disabled || el.dataset.skip || el.closest('[hidden]')) continue;
    let v;
    if (el.type === 'checkbox') v = el.checked;
    else if (el.type === 'number') v = el.value === '' ? null : Number(el.value);
    else v = el.value.trim();
    const old = order[el.name];
    if (v === null && (old === null || old === undefined)) continue;
    if (v === '' && (old === null || old === undefined || old === '')) continue;
    if (v !== old) out[el.name] = v;
  }
  return out;
}

// ctx: {catalog, order, staff, onChange(order), title}
export function renderOrder(root, ctx) {
  const { catalog } = ctx;
  let order = ctx.order;
  const bt = (catalog.business_types || []).find((b) => b.key === order.business) || null;
  const actions = new Set(order.actions || []);
  const editable = actions.has('patch');
  const req = requiredSet(catalog, order);
  const box = h('div', { class: 'alert error', role: 'alert', 'aria-live': 'polite', id: 'order-error' });
  const note = h('div', { class: 'alert ok', role: 'status', 'aria-live': 'polite', id: 'order-note' });

  async function reload(o) {
    order = o || (await api('GET', ctx.path ? ctx.path(order.id) : `/orders/${order.id}`));
    if (ctx.onChange) ctx.onChange(order);
    renderOrder(root, { ...ctx, order });
  }

  // --- header: number, state, business, price
  const price = order.price_fen !== undefined && order.price_fen !== null
    ? { fen: order.price_fen } : priceFor(catalog, order);
  const head = h('section', { class: 'card order-head' },
    h('h2', {}, t('order.title'), ' ', h('span', { class: 'mono', id: 'order-no' }, order.order_no || `#${order.id}`)),
    h('dl', { class: 'kv' },
      h('dt', {}, t('order.state')), h('dd', {}, stateBadge(catalog, order.state)),
      h('dt', {}, t('order.business')), h('dd', {}, businessLabel(catalog, order.business)),
      h('dt', {}, t('order.subject')), h('dd', {}, subjectLabel(catalog, order.subject_kind)),
      order.display_name || order.org_name || order.person_name ? [h('dt', {}, t('order.name')),
        h('dd', {}, order.display_name || order.org_name || order.person_name)] : null,
      order.certificate ? [h('dt', {}, t('f.certificate')), h('dd', { class: 'mono small', id: 'order-certificate' }, order.certificate)] : null,
      h('dt', {}, t('order.price')), h('dd', { id: 'order-price' }, price ? yuan(price.fen) : t('order.free')),
      h('dt', {}, t('order.created')), h('dd', {}, shanghai(order.created_at)),
    ));

  // --- what to fix after a return
  let fix = null;
  if (order.state === 'returned' || order.state === 'rejected') {
    const bad = (order.materials || []).filter((m) => m.review === 'returned');
    fix = h('section', { class: 'card fix', id: 'what-to-fix' },
      h('h3', {}, order.state === 'rejected' ? t('fix.rejected') : t('fix.title')),
      order.review && order.review.reason ? h('p', { class: 'reason' }, order.review.reason) : null,
      bad.length ? h('ul', {}, bad.map((m) => h('li', {},
        h('strong', {}, materialLabel(catalog, order, m.kind)), '：', m.review_reason || t('fix.reupload')))) : null,
      order.state === 'returned' ? h('p', { class: 'hint' }, t('fix.hint')) : null);
  }

  // --- guided form
  const form = h('form', { class: 'card order-form', id: 'order-form', novalidate: true });
  form.addEventListener('submit', (ev) => ev.preventDefault());
  const conditional = [];
  const updateVisibility = () => {
    const now = { ...order };
    for (const el of form.querySelectorAll('select[name], input[name]')) if (el.type !== 'checkbox') now[el.name] = el.value;
    for (const { wrap, f } of conditional) wrap.hidden = !f.show(now, bt);
  };
  form.appendChild(h('h3', {}, t('form.title')));
  form.appendChild(h('p', { class: 'hint' }, t('form.required_hint')));
  for (const g of GROUPS) {
    if (g.show && !g.show(order)) continue;
    const fs = h('fieldset', { class: `group group-${g.key}` }, h('legend', {}, t(`group.${g.key}`)));
    if (g.key === 'bank') fs.appendChild(h('p', { class: 'hint' }, t('group.bank_hint')));
    if (g.key === 'agent') fs.appendChild(h('p', { class: 'hint' }, t('group.agent_hint')));
    for (const f of g.fields) {
      const required = req.has(f.name);
      const input = fieldInput(catalog, f, order, editable);
      const wrap = h('div', { class: 'field' + (required ? ' required' : ''), 'data-field': f.name },
        h('label', { for: `f-${f.name}` }, t(`f.${f.name}`), required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null),
        input,
        h('span', { class: 'field-error', 'data-err': f.name, 'aria-live': 'polite' }));
      // fields that depend on another one (return address on "by mail", the other ID type…)
      // are shown or hidden as the applicant chooses, before anything is saved
      if (f.show) conditional.push({ wrap, f });
      if (f.type === 'select') input.addEventListener('change', () => updateVisibility());
      fs.appendChild(wrap);
    }
    form.appendChild(fs);
  }
  updateVisibility();
  if (editable) {
    form.appendChild(h('div', { class: 'actions' },
      h('button', { type: 'button', id: 'save', onclick: async () => {
        note.textContent = '';
        try {
          const ch = changes(root, order);
          if (Object.keys(ch).length) await reload(await api('PATCH', `/orders/${order.id}`, ch));
          root.querySelector('#order-note').textContent = t('form.saved');
        } catch (e) { showError(root, e, box); }
      } }, t('form.save'))));
  }

  // --- materials
  const mats = h('section', { class: 'card materials', id: 'materials' },
    h('h3', {}, t('mat.title')),
    h('p', { class: 'rule', id: 'material-rule' }, catalog.material_rule ? label(catalog.material_rule) : t('mat.rule')),
    h('p', { class: 'hint' }, t('mat.types', { max: Math.round(((catalog.limits || {}).material_max_bytes || 10485760) / 1048576) })));
  const list = h('ul', { class: 'checklist' });
  for (const c of order.checklist || []) {
    const m = (order.materials || []).filter((x) => x.kind === c.kind).sort((a, b) => b.version - a.version)[0];
    const prog = h('progress', { max: 100, value: 0, hidden: true, 'aria-label': t('mat.progress') });
    const pct = h('span', { class: 'pct' });
    const status = m ? (m.review === 'returned' ? h('span', { class: 'badge bad' }, t('mat.returned'))
      : m.review === 'accepted' ? h('span', { class: 'badge good' }, t('mat.accepted'))
        : h('span', { class: 'badge' }, t('mat.uploaded', { v: m.version })))
      : h('span', { class: 'badge muted' }, c.required ? t('mat.missing') : t('mat.optional'));
    const file = h('input', { type: 'file', name: `file-${c.kind}`, 'data-kind': c.kind, 'data-skip': '1',
      accept: '.pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png', disabled: !editable });
    file.addEventListener('change', async () => {
      const f = file.files && file.files[0];
      if (!f) return;
      prog.hidden = false; prog.value = 0; pct.textContent = '0%';
      try {
        await upload(`/orders/${order.id}/materials/${encodeURIComponent(c.kind)}`, f, (l, tot) => {
          const p = tot ? Math.round((l / tot) * 100) : 0;
          prog.value = p; pct.textContent = `${p}%`;
        });
        pct.textContent = '100%';
        await reload();
      } catch (e) {
        prog.hidden = true; pct.textContent = '';
        showError(root, e, box);
      }
    });
    list.appendChild(h('li', { class: 'material' + (c.required ? ' required' : ''), 'data-kind': c.kind },
      h('div', { class: 'mat-name' }, label(c), c.required ? h('span', { class: 'req' }, ' *') : null),
      h('div', { class: 'mat-status' }, status,
        m ? h('span', { class: 'muted small' }, ` ${Math.ceil(m.bytes / 1024)} KiB · SM3 ${String(m.sm3 || '').slice(0, 12)}…`) : null),
      m && m.review === 'returned' && m.review_reason ? h('div', { class: 'mat-reason' }, m.review_reason) : null,
      editable ? h('label', { class: 'file' }, h('span', {}, m ? t('mat.reupload') : t('mat.upload')), file) : null,
      prog, pct,
      h('span', { class: 'field-error', 'data-err': c.kind })));
  }
  mats.appendChild(list);

  // --- price, agreements, declarations
  const confirm = h('section', { class: 'card confirm', id: 'confirm' }, h('h3', {}, t('price.title')));
  const table = h('table', { class: 'prices' }, h('thead', {}, h('tr', {}, h('th', {}, t('price.item')), h('th', {}, t('price.amount')))));
  const tb = h('tbody');
  const mine = priceFor(catalog, order);
  for (const p of catalog.prices || []) {
    tb.appendChild(h('tr', { class: mine && mine.key === p.key ? 'mine' : '' }, h('td', {}, label(p)), h('td', {}, yuan(p.fen))));
  }
  table.appendChild(tb);
  confirm.appendChild(table);
  const checkbox = (name, text) => h('div', { class: 'field check' },
    h('label', {}, h('input', { type: 'checkbox', name, id: `f-${name}`, checked: !!order[name], disabled: !editable,
      onchange: async (ev) => {
        // saved at once, without redrawing the page under the applicant's hands
        try {
          order = await api('PATCH', `/orders/${order.id}`, changes(root, order));
          if (ctx.onChange) ctx.onChange(order);
          const fe = root.querySelector(`[data-err="${name}"]`);
          if (fe) fe.textContent = '';
        } catch (e) { ev.target.checked = !ev.target.checked; showError(root, e, box); }
      } }), ' ', text),
    h('span', { class: 'field-error', 'data-err': name }));
  confirm.appendChild(checkbox('price_confirmed', t('price.confirm')));
  confirm.appendChild(h('h3', {}, t('agr.title')));
  // at the counter the applicant signs and stamps the paper agreements, which are scanned as
  // materials; online the applicant accepts each version here
  if (ctx.staff) confirm.appendChild(h('p', { class: 'hint', id: 'agreements-paper' }, t('agr.paper')));
  for (const a of ctx.staff ? [] : catalog.agreements || []) {
    const accepted = (order.agreements || []).find((x) => x.key === a.key && x.version === a.version);
    const cb = h('input', { type: 'checkbox', name: `agreement-${a.key}`, 'data-skip': '1', checked: !!accepted || !!ctx[`accepted_${a.key}`], disabled: !editable || !!accepted });
    cb.addEventListener('change', async () => {
      if (!cb.checked) return;
      try {
        const r = await api('POST', `/agreements/${encodeURIComponent(a.key)}/accept`, { version: a.version, order_id: order.id });
        ctx[`accepted_${a.key}`] = true;
        stamp.textContent = t('agr.accepted_at', { v: a.version, at: shanghai(r && r.accepted_at) });
        cb.disabled = true;
      } catch (e) { cb.checked = false; showError(root, e, box); }
    });
    const stamp = h('span', { class: 'muted small' }, accepted ? t('agr.accepted_at', { v: a.version, at: shanghai(accepted.accepted_at) }) : '');
    confirm.appendChild(h('details', { class: 'agreement' },
      h('summary', {}, label(a), ` (${t('agr.version')} ${a.version})`),
      h('div', { class: 'agreement-text' }, a.text || '')));
    confirm.appendChild(h('div', { class: 'field check' }, h('label', {}, cb, ' ', t('agr.accept', { name: label(a) })), ' ', stamp,
      h('span', { class: 'field-error', 'data-err': `agreement-${a.key}` })));
  }
  confirm.appendChild(h('h3', {}, t('decl.title')));
  confirm.appendChild(h('ol', { class: 'declarations' }, [1, 2, 3, 4].map((i) => h('li', {}, t(`decl.${i}`)))));
  confirm.appendChild(checkbox('declarations_accepted', t('decl.accept')));

  // --- renewal with seals: the certificate's seals (the holder approves the same image) and,
  // once completed, the new certificate's seals with their .esl files
  const sealsCard = renewSeals(order, editable, checkbox);

  // --- forms to print
  const q = lang() === 'en' ? '?lang=en' : '';
  const pdfs = h('section', { class: 'card forms', id: 'forms' }, h('h3', {}, t('pdf.title')), h('p', { class: 'hint' }, t('pdf.hint')),
    h('ul', { class: 'links' }, FORMS.map((f) => h('li', {}, h('a', {
      href: `/api/v1/orders/${order.id}/forms/${f}.pdf${q}`, download: `${order.order_no || order.id}-${f}.pdf`, 'data-form': f,
    }, t(`pdf.${f}`))))));

  // --- the order's own buttons
  const buttons = h('div', { class: 'actions order-actions' });
  if (actions.has('submit')) {
    buttons.appendChild(h('button', { type: 'button', class: 'primary', id: 'submit', onclick: async () => {
      try {
        const ch = changes(root, order);
        if (Object.keys(ch).length) await api('PATCH', `/orders/${order.id}`, ch);
        await reload(await api('POST', `/orders/${order.id}/submit`, {}));
        root.querySelector('#order-note').textContent = t('order.submitted');
      } catch (e) { showError(root, e, box); }
    } }, order.state === 'returned' ? t('order.resubmit') : t('order.submit')));
  }
  if (actions.has('complete')) {
    buttons.appendChild(h('button', { type: 'button', class: 'primary', id: 'complete', onclick: async () => {
      try { await reload(await api('POST', `/orders/${order.id}/complete`, {})); } catch (e) { showError(root, e, box); }
    } }, order.business === 'change' ? t('order.complete_change')
      : ['renew', 'rekey', 'renew-without-rekey'].includes(order.business) && order.state === 'paid' ? t('order.complete_renew')
        : t('order.confirm_receipt')));
  }
  if (actions.has('cancel')) {
    buttons.appendChild(h('button', { type: 'button', id: 'cancel', onclick: async () => {
      const reason = window.prompt(t('order.cancel_reason'));
      if (reason === null) return;
      try { await reload(await api('POST', `/orders/${order.id}/cancel`, { reason })); } catch (e) { showError(root, e, box); }
    } }, t('order.cancel')));
  }

  let csr = null;
  if (actions.has('csr')) {
    const ta = h('textarea', { name: 'csr', rows: 6, class: 'mono', 'data-skip': '1', placeholder: '-----BEGIN CERTIFICATE REQUEST-----' });
    csr = h('section', { class: 'card', id: 'csr' }, h('h3', {}, t('csr.title')), h('p', { class: 'hint' }, t('csr.hint')),
      order.has_csr ? h('p', { class: 'muted', id: 'csr-sent' }, '✓ ', t('csr.sent')) : null, ta,
      h('span', { class: 'field-error', 'data-err': 'csr' }),
      h('div', { class: 'actions' }, h('button', { type: 'button', onclick: async () => {
        try { await api('PUT', `/orders/${order.id}/csr`, { csr: ta.value }); await reload(); } catch (e) { showError(root, e, box); }
      } }, t('csr.send'))));
  }

  replace(root, head, box, note, fix, tracking(catalog, order), editable || order.state === 'draft' ? form : null,
    (order.checklist || []).length ? mats : null, sealsCard, editable ? confirm : null, csr, buttons, pdfs, history(catalog, order));
  // read-only view of the filled fields when the order can no longer be edited
  if (!editable) root.insertBefore(form, pdfs);
  return root;
}

// base64 -> a blob: URL (the page's CSP allows blob: images, not data:)
function b64Blob(b64, type) {
  const bin = atob(b64 || '');
  const u8 = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) u8[i] = bin.charCodeAt(i);
  return URL.createObjectURL(new Blob([u8], { type }));
}

function sealFigure(s, withFile) {
  const img = s.picture_png ? h('img', { src: b64Blob(s.picture_png, 'image/png'), alt: s.name, class: 'seal-image', 'data-esid': s.esid, width: 120 }) : null;
  const dl = withFile && s.seal ? h('button', { type: 'button', class: 'link', 'data-seal-download': s.esid, onclick: () => {
    const a = h('a', { href: b64Blob(s.seal, 'application/octet-stream'), download: `${s.esid}.esl` });
    document.body.appendChild(a);
    a.click();
    a.remove();
  } }, t('seal.download')) : null;
  return h('figure', { class: 'seal', 'data-esid': s.esid }, img,
    h('figcaption', {}, h('strong', {}, s.name), h('div', { class: 'muted small' }, `${t('seal.kind')}: ${s.kind}`),
      h('div', { class: 'muted small' }, `${t('seal.valid_to')} ${shanghai(s.valid_to)}`),
      h('div', { class: 'mono small' }, s.esid), dl));
}

function renewSeals(order, editable, checkbox) {
  const olds = order.seals || [], news = order.new_seals || [];
  if (!olds.length && !news.length) return null;
  const card = h('section', { class: 'card seals', id: 'renew-seals' }, h('h3', {}, t('seal.renew_title')));
  if (olds.length) {
    card.appendChild(h('p', { class: 'hint' }, t('seal.renew_hint')));
    card.appendChild(h('div', { class: 'seal-list', id: 'seals-old' }, olds.map((s) => sealFigure(s, false))));
    if (editable) card.appendChild(checkbox('seal_keep_image', t('seal.keep_image')));
    else if (order.seal_keep_image) card.appendChild(h('p', { class: 'muted' }, '✓ ', t('seal.keep_image')));
  }
  if (news.length) {
    card.appendChild(h('h4', {}, t('seal.new_title')));
    card.appendChild(h('div', { class: 'seal-list', id: 'seals-new' }, news.map((s) => sealFigure(s, true))));
  }
  return card;
}

function materialLabel(catalog, order, kind) {
  const c = (order.checklist || []).find((x) => x.kind === kind);
  return c ? label(c) : kind;
}

function tracking(catalog, order) {
  const p = order.payment || {};
  const s = order.shipping || {};
  const rows = [];
  if (p.amount_fen !== undefined) {
    rows.push(h('dt', {}, t('track.payment')), h('dd', { id: 'payment-state' },
      p.state === 'paid' ? t('track.paid', { at: shanghai(p.paid_at), m: p.method ? t(`pay.${p.method}`) : '' }) : t('track.unpaid'),
      ' · ', yuan(p.amount_fen)));
    if (p.invoice_state && p.invoice_state !== 'none') {
      rows.push(h('dt', {}, t('track.invoice')), h('dd', {}, t(`inv.${p.invoice_state}`), p.invoice_no ? ` ${p.invoice_no}` : ''));
    }
  }
  if (s.carrier || s.tracking_no) {
    rows.push(h('dt', {}, t('track.shipping')), h('dd', { id: 'shipping' }, `${s.carrier || ''} ${s.tracking_no || ''}`,
      s.promise_by ? h('span', { class: 'muted' }, ' · ', t('track.promise', { d: s.promise_by })) : null));
  }
  if ((order.certificates || []).length) {
    // the issued certificates as PEM files, fetched with the session and saved from a blob
    const dl = h('button', { type: 'button', class: 'link', id: 'download-certs', onclick: async () => {
      const r = await api('GET', `/orders/${order.id}/certificates`);
      const pem = (r.certificates || []).map((c) => c.pem).join('');
      const url = URL.createObjectURL(new Blob([pem], { type: 'application/x-pem-file' }));
      const a = h('a', { href: url, download: `${order.order_no || order.id}.pem` });
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } }, t('track.download'));
    rows.push(h('dt', {}, t('track.certificates')), h('dd', {}, order.certificates.map((c) => h('div', { class: 'mono small' }, c)), dl));
  }
  const k = order.kmc;
  if (k && k.recovery) {
    rows.push(h('dt', {}, t('track.recovery')), h('dd', { id: 'recovery-state' },
      t(`kr.${k.recovery.state}`), ' · ', t('track.approvals', { n: (k.recovery.approvals || []).length })));
  }
  if (k && k.has_response) {
    // the GM/T 0092 CSRResponse (signing certificate, enveloped encryption key, encryption
    // certificate) for `sealca token import` or the key's own software
    const dl = h('button', { type: 'button', class: 'link', id: 'download-csr-response', onclick: async () => {
      const r = await api('GET', `/orders/${order.id}/csr-response`);
      const bin = Uint8Array.from(atob(r.response), (ch) => ch.charCodeAt(0));
      const url = URL.createObjectURL(new Blob([bin], { type: 'application/octet-stream' }));
      const a = h('a', { href: url, download: `${order.order_no || order.id}-csr-response.der` });
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } }, t('track.csr_response'));
    rows.push(h('dt', {}, t('track.enc_key')), h('dd', {}, h('div', { class: 'mono small' }, k.enc_serial || ''), dl));
  }
  if (!rows.length) return null;
  return h('section', { class: 'card tracking', id: 'tracking' }, h('h3', {}, t('track.title')), h('dl', { class: 'kv' }, rows));
}

function history(catalog, order) {
  if (!(order.history || []).length) return null;
  return h('section', { class: 'card history', id: 'history' }, h('h3', {}, t('hist.title')),
    h('ol', { class: 'timeline' }, order.history.map((e) => h('li', {},
      h('span', { class: 'muted small' }, shanghai(e.at)), ' ',
      e.from ? stateBadge(catalog, e.from) : null, e.from ? ' → ' : '', stateBadge(catalog, e.to),
      e.reason ? h('div', { class: 'reason' }, e.reason) : null))));
}
