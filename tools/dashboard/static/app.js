/*
 * The dashboard page: one EventSource (the whole state, then patches), three views (#services,
 * #passes, #logs), and the actions, which POST with the session's token. No framework: the DOM is
 * built with h() and text only goes in through textContent. State is always colour AND text.
 */
'use strict';
(() => {
  const token = document.querySelector('meta[name="dashboard-token"]').content;
  let state = { info: { actions: [] }, services: [], passes: [], logs: [], actions: [], metrics: false };
  const $ = (id) => document.getElementById(id);

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children.flat(Infinity)) if (c !== undefined && c !== null && c !== false) el.append(c instanceof Node ? c : String(c));
    return el;
  }
  const badge = (tone, text) => h('span', { class: `badge ${tone}` }, text);
  const age = (iso) => {
    if (!iso) return '';
    const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    return s < 90 ? `${s}s` : s < 5400 ? `${Math.round(s / 60)}m` : `${Math.round(s / 3600)}h`;
  };
  const clock = (iso) => (iso ? new Date(iso).toLocaleTimeString() : '');
  const size = (n) => (n ? `${(n / 1e6).toFixed(0)} MB` : '');
  const fileName = (f) => f.split('/').pop();

  // ------------------------------------------------------------------------------------ services

  function podState(p) {
    if (p.deleting) return ['warn', 'Terminating'];
    if (p.waiting && !/ContainerCreating|PodInitializing/.test(p.waiting)) return ['bad', p.waiting];
    if (p.ready) return ['ok', 'Ready'];
    return ['warn', p.waiting || p.phase || 'Not ready'];
  }
  function serviceState(s) {
    const live = s.pods.filter((p) => !p.deleting);
    if (!live.length) return ['bad', 'No pods'];
    const ready = live.filter((p) => p.ready).length;
    const trouble = live.map(podState).find(([t]) => t === 'bad');
    if (trouble) return ['bad', `${trouble[1]} (${ready}/${live.length} ready)`];
    return ready === live.length ? ['ok', `Ready ${ready}/${live.length}`] : ['warn', `Starting ${ready}/${live.length} ready`];
  }

  function renderServices() {
    const box = $('services');
    box.replaceChildren(
      ...state.services.map((s) => {
        const [tone, text] = serviceState(s);
        const synced = s.pods.filter((p) => p.syncedAt && !p.deleting);
        const can = state.info.actions;
        const pending = (kind) => state.actions.some((a) => a.kind === kind && a.service === s.name && (a.status === 'queued' || a.status === 'running'));
        return h('article', { class: 'card', 'aria-labelledby': `svc-${s.name}`, 'data-service': s.name },
          h('header', {}, h('h3', { id: `svc-${s.name}` }, s.name), h('span', { class: 'service-state' }, badge(tone, text)),
            can.includes('rebuild') && h('button', { type: 'button', 'data-action': 'rebuild', disabled: pending('rebuild'), onclick: () => act('rebuild', s.name) }, `Rebuild ${s.name}`),
            can.includes('restart') && h('button', { type: 'button', 'data-action': 'restart', disabled: pending('restart'), onclick: () => act('restart', s.name) }, `Restart ${s.name} pods`)),
          h('dl', {},
            h('dt', {}, 'Image'), h('dd', {}, s.image ? [h('code', {}, s.image.ref), s.image.builtAt ? ` built ${clock(s.image.builtAt)} (${age(s.image.builtAt)} ago)` : '', s.image.size ? `, ${size(s.image.size)}` : ''] : 'unknown'),
            h('dt', {}, 'Files'), h('dd', { class: 'sync-state' }, synced.length ? badge('info', `synced files since ${clock(synced[0].syncedAt)} (not only the image)`) : badge('ok', 'image-built (no synced files)')),
            s.url && [h('dt', {}, 'URL'), h('dd', {}, h('a', { href: s.url, target: '_blank', rel: 'noopener' }, s.url))],
            s.portForward && [h('dt', {}, 'Port-forward'), h('dd', {}, h('code', {}, s.portForward))]),
          h('div', { class: 'scroll' }, h('table', {},
            h('caption', { class: 'visually-plain' }, `Pods of ${s.name}`),
            h('thead', {}, h('tr', {}, ['Pod', 'State', 'Restarts', 'Node', 'Age', ...(state.metrics ? ['CPU', 'Memory'] : [])].map((c) => h('th', { scope: 'col' }, c)))),
            h('tbody', {}, s.pods.map((p) => {
              const [t, label] = podState(p);
              return h('tr', { 'data-uid': p.uid },
                h('td', {}, h('code', {}, p.name)), h('td', {}, badge(t, label), p.lastExit ? ` last exit: ${p.lastExit}` : ''),
                h('td', {}, String(p.restarts)), h('td', {}, p.node || ''), h('td', {}, age(p.createdAt)),
                state.metrics && [h('td', {}, p.cpu || '–'), h('td', {}, p.memory || '–')]);
            })))));
      }),
    );
  }

  // -------------------------------------------------------------------------------------- passes

  const passTone = { running: ['warn', 'running'], ok: ['ok', 'done'], failed: ['bad', 'failed'], nothing: ['info', 'nothing to do'] };
  const stepTone = { running: 'warn', ran: 'ok', skipped: 'info', failed: 'bad' };

  function steps(list) {
    if (!list.length) return '';
    return h('div', { class: 'scroll' }, h('table', {},
      h('thead', {}, h('tr', {}, ['Step', 'Outcome', 'Seconds', 'Why'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, list.map((s) => h('tr', {}, h('td', {}, s.name), h('td', {}, badge(stepTone[s.outcome], s.outcome)), h('td', {}, s.seconds === undefined ? '…' : s.seconds.toFixed(1)), h('td', {}, s.reason))))));
  }

  function renderPasses() {
    $('passes').replaceChildren(
      ...(state.passes.length ? [] : [h('p', {}, 'No pass yet: save a file.')]),
      ...[...state.passes].reverse().map((p) => {
        const [tone, text] = passTone[p.status];
        return h('article', { class: 'card pass', 'data-pass': p.id, 'data-status': p.status, 'aria-labelledby': `pass-${p.id}` },
          h('header', {}, h('h3', { id: `pass-${p.id}` }, p.title), badge(tone, text), h('span', {}, ` started ${clock(p.startedAt)}${p.seconds !== undefined ? `, ${p.seconds.toFixed(1)} s` : ''}`)),
          p.files.length ? h('p', { class: 'files' }, `${p.files.length} changed file${p.files.length === 1 ? '' : 's'}: `, p.files.slice(0, 8).map((f, i) => [i ? ', ' : '', h('code', { title: f }, f)]), p.files.length > 8 ? ` and ${p.files.length - 8} more` : '') : '',
          p.lines.length ? h('ul', { class: 'lines' }, p.lines.map((l) => h('li', {}, l))) : '',
          steps(p.steps),
          p.failures.map((f) => [h('p', {}, badge('bad', 'failure'), ` ${f.what}`), f.output ? h('pre', { class: 'output' }, f.output) : '']));
      }),
    );
  }

  function renderDeploy() {
    const d = state.lastDeploy;
    $('last-deploy').replaceChildren(
      d
        ? h('article', { class: 'card' },
            h('header', {}, h('h3', {}, `deploy-${d.environment}`), d.success ? badge('ok', 'succeeded') : badge('bad', 'failed'), h('span', {}, ` ${d.at ? clock(d.at) : ''}, ${d.seconds.toFixed(1)} s`)),
            steps(d.steps), d.error ? h('pre', { class: 'output' }, d.error) : '')
        : h('p', {}, 'No deploy record (dist/deploy/<env>.json) in this workspace yet.'),
    );
  }

  // ---------------------------------------------------------------------------------------- logs

  const logBox = $('log-lines');
  const matches = (l) => {
    const svc = $('log-service').value;
    const f = $('log-filter').value.toLowerCase();
    return (!svc || l.service === svc) && (!f || l.text.toLowerCase().includes(f));
  };
  const logNode = (l) => h('span', { 'data-seq': l.seq }, h('span', { class: 'svc' }, `[${l.service}] `), l.text, '\n');
  function renderLogs() {
    logBox.replaceChildren(...state.logs.filter(matches).map(logNode));
    if ($('log-follow').checked) logBox.scrollTop = logBox.scrollHeight;
  }
  function appendLogs(lines) {
    const shown = lines.filter(matches);
    if (!shown.length) return;
    logBox.append(...shown.map(logNode));
    while (logBox.childNodes.length > 2000) logBox.firstChild.remove();
    if ($('log-follow').checked) logBox.scrollTop = logBox.scrollHeight;
  }
  for (const id of ['log-service', 'log-filter']) $(id).addEventListener('input', renderLogs);
  $('log-follow').addEventListener('change', renderLogs);
  $('log-controls').addEventListener('submit', (e) => e.preventDefault());

  // ------------------------------------------------------------------------------------- actions

  const actionText = (a) => (a.kind === 'deploy' ? 'the deploy' : `${a.kind} ${a.service}`);
  function renderProgress() {
    const a = state.actions[state.actions.length - 1];
    if (!a) return;
    const pass = state.passes.find((p) => p.id === a.passId);
    const step = pass && [...pass.steps].reverse().find((s) => s.outcome === 'running');
    const what = { queued: 'queued (after the running pass)', running: `running${step ? `: ${step.name} (${step.reason})` : pass && pass.lines.length ? `: ${pass.lines[pass.lines.length - 1]}` : ''}`, ok: 'done', failed: `failed${a.message ? `: ${a.message}` : ''}` }[a.status];
    $('progress').textContent = `${actionText(a)}: ${what}`;
    $('deploy').disabled = state.actions.some((x) => x.kind === 'deploy' && (x.status === 'queued' || x.status === 'running'));
  }
  async function act(kind, service) {
    $('progress').textContent = `${kind === 'deploy' ? 'the deploy' : `${kind} ${service}`}: asking…`;
    const r = await fetch('/api/actions', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Dashboard-Token': token }, body: JSON.stringify({ kind, service }) });
    if (!r.ok) $('progress').textContent = `refused: ${await r.text()}`;
  }
  $('deploy').addEventListener('click', () => act('deploy'));

  // ------------------------------------------------------------------------------- frame, views

  function renderInfo() {
    const i = state.info;
    $('title').textContent = `${i.mode === 'dev' ? 'dev' : 'ui'}-${i.environment}`;
    document.title = `${$('title').textContent} · todo dashboard`;
    $('where').textContent = `${i.cluster}, namespace ${i.namespace}`;
    const open = $('open-app');
    open.hidden = !i.appUrl;
    if (i.appUrl) open.href = i.appUrl;
    $('deploy').hidden = !i.actions.includes('deploy');
    const select = $('log-service');
    if (select.options.length === 1) for (const s of state.services) select.append(h('option', { value: s.name }, s.name));
  }
  function show() {
    const view = (location.hash || '#services').slice(1);
    for (const v of ['services', 'passes', 'logs']) {
      $(`view-${v}`).hidden = v !== view;
      if (v === view) $(`tab-${v}`).setAttribute('aria-current', 'page');
      else $(`tab-${v}`).removeAttribute('aria-current');
    }
    if (view === 'logs') renderLogs();
  }
  window.addEventListener('hashchange', show);

  function renderAll() {
    renderInfo();
    renderServices();
    renderPasses();
    renderDeploy();
    renderLogs();
    renderProgress();
  }

  const upsert = (list, item, key) => {
    const i = list.findIndex((x) => x[key] === item[key]);
    if (i >= 0) list[i] = item;
    else list.push(item);
  };
  function apply(patches) {
    const dirty = new Set();
    for (const p of patches) {
      if (p.kind === 'info') (state.info = p.data), dirty.add('info');
      else if (p.kind === 'service') upsert(state.services, p.data, 'name'), dirty.add('services');
      else if (p.kind === 'pass') upsert(state.passes, p.data, 'id'), dirty.add('passes');
      else if (p.kind === 'deploy') (state.lastDeploy = p.data), dirty.add('deploy');
      else if (p.kind === 'metrics') (state.metrics = p.data), dirty.add('services');
      else if (p.kind === 'action') upsert(state.actions, p.data, 'id'), dirty.add('services'), dirty.add('progress');
      else if (p.kind === 'logs') {
        state.logs.push(...p.data);
        if (state.logs.length > 2000) state.logs.splice(0, state.logs.length - 2000);
        appendLogs(p.data);
      }
    }
    if (dirty.has('info')) renderInfo();
    if (dirty.has('services')) renderServices();
    if (dirty.has('passes')) renderPasses(), dirty.add('progress');
    if (dirty.has('deploy')) renderDeploy();
    if (dirty.has('progress')) renderProgress();
  }

  const connection = $('connection');
  const events = new EventSource(`/events?token=${encodeURIComponent(token)}`);
  events.addEventListener('snapshot', (e) => {
    state = JSON.parse(e.data);
    connection.className = 'badge ok';
    connection.textContent = 'live';
    renderAll();
  });
  events.addEventListener('patch', (e) => apply(JSON.parse(e.data)));
  events.addEventListener('error', () => {
    connection.className = 'badge bad';
    connection.textContent = 'disconnected: is the loop still running? (retrying)';
  });
  setInterval(renderServices, 10_000); // ages
  show();
})();
