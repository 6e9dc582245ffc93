// api.js - the JSON API client: CSRF token on every state-changing request, the UI language in
// Accept-Language, errors as ApiError {status, code, message, field}. Uploads go through
// XMLHttpRequest so that the page can show upload progress.
import { lang } from './i18n.js';

let csrf = '';
export function setCsrf(t) { csrf = t || ''; }

export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.field = field || '';
  }
}

async function parse(resp) {
  const ct = resp.headers.get('Content-Type') || '';
  let body = null;
  if (ct.includes('json')) {
    try { body = await resp.json(); } catch (e) { body = null; }
  }
  if (!resp.ok) {
    const er = (body && body.error) || {};
    throw new ApiError(resp.status, er.code || `http.${resp.status}`, er.message || resp.statusText, er.field);
  }
  return body;
}

export async function api(method, path, body) {
  const headers = { 'Accept': 'application/json', 'Accept-Language': lang() === 'en' ? 'en' : 'zh-CN' };
  const opts = { method, headers, credentials: 'same-origin' };
  if (method !== 'GET' && method !== 'HEAD' && csrf) headers['X-CSRF-Token'] = csrf;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  let resp;
  try {
    resp = await fetch('/api/v1' + path, opts);
  } catch (e) {
    throw new ApiError(0, 'network', String(e && e.message || e), '');
  }
  if (resp.status === 204) return null;
  return parse(resp);
}

// PUT a file with progress: onProgress(loaded, total). Resolves with the JSON answer.
export function upload(path, file, onProgress) {
  return new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open('PUT', '/api/v1' + path);
    x.setRequestHeader('X-CSRF-Token', csrf);
    x.setRequestHeader('Accept-Language', lang() === 'en' ? 'en' : 'zh-CN');
    x.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
    x.responseType = 'text';
    x.upload.onprogress = (ev) => { if (onProgress) onProgress(ev.loaded, ev.lengthComputable ? ev.total : file.size); };
    x.onerror = () => reject(new ApiError(0, 'network', 'network error', ''));
    x.onload = () => {
      let body = null;
      try { body = JSON.parse(x.responseText); } catch (e) { body = null; }
      if (x.status >= 200 && x.status < 300) resolve(body);
      else {
        const er = (body && body.error) || {};
        reject(new ApiError(x.status, er.code || `http.${x.status}`, er.message || x.statusText, er.field));
      }
    };
    x.send(file);
  });
}

// PUT bytes and get bytes back (the seal-image extraction): resolves with a Blob.
export async function putBinary(path, blob, ctype) {
  const headers = { 'Accept-Language': lang() === 'en' ? 'en' : 'zh-CN', 'X-CSRF-Token': csrf, 'Content-Type': ctype };
  let resp;
  try {
    resp = await fetch('/api/v1' + path, { method: 'PUT', headers, body: blob, credentials: 'same-origin' });
  } catch (e) {
    throw new ApiError(0, 'network', String(e && e.message || e), '');
  }
  if (!resp.ok) await parse(resp);
  return resp.blob();
}

// base64 of a UTF-8 string / of bytes
export function b64utf8(s) {
  const bytes = new TextEncoder().encode(s);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}
export function b64decodeToString(b64) {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new TextDecoder().decode(bytes);
}
