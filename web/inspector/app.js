// The inspector: a thin page over the admin plane (/_sandbox/). It polls the
// state and acts through the same actions a scenario uses.
(function () {
  const $ = (id) => document.getElementById(id);
  let account = null;
  let chat = null;

  async function get(path) {
    const r = await fetch(path);
    return r.json();
  }

  async function act(action, body) {
    const r = await fetch(`/_sandbox/accounts/${account}/actions/${action}`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
    });
    const out = await r.json();
    $('flash').textContent = r.ok ? '' : `${out.code}: ${out.error}`;
    refresh();
    return out;
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function renderChats(state) {
    const all = state.scopes.flatMap((s) => s.conversations);
    if (!chat && all.length) chat = all[all.length - 1].id;
    const box = $('chats');
    box.replaceChildren();
    for (const scope of state.scopes) {
      for (const c of scope.conversations) {
        const client = scope.participants.find((p) => p.id === c.client_participant_id);
        const item = el('div', 'chat' + (c.id === chat ? ' active' : ''), client ? client.name || client.phone : c.id);
        item.append(el('div', 'meta', c.client_id || 'write first (unbound)'));
        item.onclick = () => { chat = c.id; refresh(); };
        box.append(item);
      }
    }
    const leads = $('leads');
    leads.replaceChildren(...state.account.incoming_leads.map((l) => el('div', 'meta', `${l.client_name} · pipeline ${l.pipeline_id} · ${l.state}`)));
  }

  function statusText(m) {
    const s = m.statuses[m.statuses.length - 1];
    if (!s) return '';
    return s.status + (s.error_code ? ` ${s.error_code} ${s.error || ''}` : '');
  }

  function renderMessages(state) {
    const box = $('messages');
    box.replaceChildren();
    for (const scope of state.scopes) {
      const c = scope.conversations.find((x) => x.id === chat);
      if (!c) continue;
      $('chat-title').textContent = `Chat ${c.client_id || c.id}`;
      for (const m of scope.messages.filter((x) => x.conversation_id === chat)) {
        const item = el('div', 'msg ' + m.direction, m.message.text || `[${m.message.type}] ${m.message.media || ''}`);
        const reactions = m.reactions.map((r) => r.emoji).join(' ');
        const meta = el('div', 'meta' + (statusText(m).startsWith('error') ? ' status-error' : ''), `${new Date(m.timestamp * 1000).toISOString()} ${statusText(m)} ${reactions}`);
        item.append(meta);
        item.title = 'Click to react 👍';
        item.onclick = () => act('reaction', { message_id: m.id, emoji: '👍' });
        box.append(item);
      }
    }
  }

  function renderLog(hooks, journal) {
    $('hooks').replaceChildren(...hooks.attempts.slice(-30).reverse().map((a) => {
      const ok = a.status === 200;
      return el('div', 'entry' + (ok ? '' : ' bad'), `${a.hook} → ${a.status || a.error} (${a.latency_ms} ms)\n${a.request_body}`);
    }));
    $('journal').replaceChildren(...journal.entries.slice(-30).reverse().map((e) => {
      const sig = e.signature;
      const why = sig && !sig.ok ? `\n${sig.problems.join('\n')}` : '';
      return el('div', 'entry' + (e.status >= 400 ? ' bad' : ''), `${e.method} ${e.path} → ${e.status}${why}`);
    }));
  }

  async function refresh() {
    if (!account) return;
    const [state, hooks, journal, clock] = await Promise.all([
      get(`/_sandbox/accounts/${account}`),
      get(`/_sandbox/webhooks?account_id=${account}&limit=30`),
      get(`/_sandbox/journal?account_id=${account}&limit=30`),
      get('/_sandbox/clock'),
    ]);
    $('clock').textContent = clock.date + (clock.frozen ? ' (frozen)' : '');
    renderChats(state);
    renderMessages(state);
    renderLog(hooks, journal);
  }

  $('compose').onsubmit = (e) => {
    e.preventDefault();
    if (chat) act('message', { chat_id: chat, text: $('text').value });
    $('text').value = '';
  };
  $('as-bot').onclick = () => chat && act('message', { chat_id: chat, author: 'bot', text: $('text').value });
  $('as-template').onclick = () => chat && act('template', { chat_id: chat, template: { content: $('text').value } });
  $('typing').onclick = () => chat && act('typing', { chat_id: chat });
  $('close-talk').onclick = () => chat && act('close_talk', { chat_id: chat });
  $('write-first').onsubmit = async (e) => {
    e.preventDefault();
    const out = await act('write_first', { phone: $('wf-phone').value, text: $('wf-text').value });
    if (out.chat_id) chat = out.chat_id;
  };
  $('account').onchange = () => { account = $('account').value; chat = null; refresh(); };

  get('/_sandbox/accounts').then((v) => {
    for (const a of v.accounts) $('account').append(new Option(`${a.name} (${a.amojo_id})`, a.amojo_id));
    account = v.accounts.length ? v.accounts[0].amojo_id : null;
    refresh();
    setInterval(refresh, 1000);
  });
})();
