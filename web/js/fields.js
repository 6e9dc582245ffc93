// fields.js - every field of the guide's two forms (签章业务申请表 and 证书业务申请单), in the
// order the forms have them, grouped as the forms group them. Names are the API's order fields
// (= the PDF form keys); labels live in the i18n dictionaries under "f.<name>".

const ID_TYPES = ['id-card', 'other'];

// type: text | email | tel | date | textarea | select | int
// show(order): whether the field applies to this order (subject kind, business, handling…)
export const GROUPS = [
  {
    key: 'business',
    fields: [
      { name: 'project', type: 'text', max: 200 },
      { name: 'medium', type: 'select', options: 'media' },
      { name: 'years', type: 'int', min: 1, max: 5, show: (o, bt) => bt && bt.effect === 'issue' },
      { name: 'quantity', type: 'int', min: 1, max: 100, show: (o, bt) => bt && bt.effect === 'issue' },
      { name: 'invoice_email', type: 'email' },
      { name: 'rekey_reason', type: 'textarea', max: 500,
        show: (o, bt) => (bt && bt.needs_reason) || o.business === 'rekey' || o.business === 'renew-without-rekey' },
      { name: 'recovery_kind', type: 'select', options: ['damaged', 'judicial'],
        show: (o) => o.business === 'key-recovery' },
      { name: 'case_ref', type: 'text', max: 120,
        show: (o) => o.business === 'key-recovery' && o.recovery_kind === 'judicial' },
      { name: 'service_point', type: 'select', options: 'service_points' },
    ],
  },
  {
    key: 'org',
    show: (o) => o.subject_kind === 'organization',
    fields: [
      { name: 'org_name', type: 'text', max: 200 },
      { name: 'org_uscc', type: 'text', max: 18, mono: true },
      { name: 'org_address', type: 'text', max: 300 },
      { name: 'legal_name', type: 'text', max: 100 },
      { name: 'legal_phone', type: 'tel' },
      { name: 'legal_id_type', type: 'select', options: ID_TYPES },
      { name: 'legal_id_type_other', type: 'text', show: (o) => o.legal_id_type === 'other' },
      { name: 'legal_id_number', type: 'text', max: 40, mono: true },
      { name: 'other_licence_name', type: 'text', max: 100 },
      { name: 'other_licence_number', type: 'text', max: 100 },
    ],
  },
  {
    key: 'bank',
    show: (o) => o.subject_kind === 'organization',
    fields: [
      { name: 'bank_account_name', type: 'text', max: 200 },
      { name: 'bank_name', type: 'text', max: 200 },
      { name: 'bank_branch', type: 'text', max: 200 },
      { name: 'bank_account', type: 'text', max: 32, mono: true },
    ],
  },
  {
    key: 'person',
    show: (o) => o.subject_kind !== 'organization',
    fields: [
      { name: 'person_name', type: 'text', max: 100 },
      { name: 'person_phone', type: 'tel' },
      { name: 'person_id_type', type: 'select', options: ID_TYPES },
      { name: 'person_id_type_other', type: 'text', show: (o) => o.person_id_type === 'other' },
      { name: 'person_id_number', type: 'text', max: 40, mono: true },
      { name: 'person_org', type: 'text', max: 200 },
      { name: 'person_email', type: 'email' },
    ],
  },
  {
    key: 'agent',
    fields: [
      { name: 'agent_name', type: 'text', max: 100 },
      { name: 'agent_mobile', type: 'tel' },
      { name: 'agent_id_type', type: 'select', options: ID_TYPES },
      { name: 'agent_id_number', type: 'text', max: 40, mono: true },
      { name: 'agent_email', type: 'email' },
      { name: 'auth_from', type: 'date' },
      { name: 'auth_to', type: 'date' },
    ],
  },
  {
    key: 'handling',
    fields: [
      { name: 'handling', type: 'select', options: ['onsite', 'mail'] },
      { name: 'return_address', type: 'text', max: 300, show: (o) => o.handling === 'mail' },
      { name: 'return_phone', type: 'tel', show: (o) => o.handling === 'mail' },
    ],
  },
];

export const ALL_FIELDS = GROUPS.flatMap((g) => g.fields.map((f) => f.name));

// The price of an order's business for its subject kind: the catalog's business type names a
// price for organizations (price_org) and one for persons (price_person).
export function priceFor(catalog, order) {
  if (!catalog || !order) return null;
  const bt = (catalog.business_types || []).find((b) => b.key === order.business);
  if (!bt) return null;
  const person = order.subject_kind && order.subject_kind !== 'organization';
  const key = (person ? bt.price_person : bt.price_org) || bt.price_key || null;
  if (!key) return null;
  return (catalog.prices || []).find((p) => p.key === key) || null;
}
