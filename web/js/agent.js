// agent.js - the staff member's local signing agent (`sealca agent`, docs/api.md): it holds the
// staff certificate's key and signs bytes when given the PIN. The page keeps the agent's address
// in localStorage and the PIN only in memory for the open page (never stored).
import { b64utf8 } from './api.js';

const KEY = 'sealca.agent';
let pin = '';

export function agentUrl() {
  return localStorage.getItem(KEY) || 'http://127.0.0.1:7443';
}
export function setAgentUrl(u) { localStorage.setItem(KEY, u); }
export function setPin(p) { pin = p || ''; }
export function forgetPin() { pin = ''; }
export function hasPin() { return pin !== ''; }

export class AgentError extends Error {
  constructor(code, message) { super(message || code); this.code = code; }
}

// Sign the UTF-8 bytes of text; resolves {signature, certificate}.
export async function agentSign(text) {
  let resp;
  try {
    resp = await fetch(agentUrl().replace(/\/+$/, '') + '/sign', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ data: b64utf8(text), pin }),
      credentials: 'omit',
    });
  } catch (e) {
    throw new AgentError('agent.unreachable', String(e && e.message || e));
  }
  let body = null;
  try { body = await resp.json(); } catch (e) { body = null; }
  if (!resp.ok) {
    const er = (body && body.error) || {};
    throw new AgentError(er.code || 'agent.error', er.message || resp.statusText);
  }
  return body;
}

// A signed staff action: {"payload": JSON text, "signature": base64 DER}.
export async function signedBody(payload) {
  const text = JSON.stringify(payload);
  const s = await agentSign(text);
  return { payload: text, signature: s.signature };
}
