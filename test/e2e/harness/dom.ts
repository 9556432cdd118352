// Runs inside the Playground page (added with page.addInitScript, so it is plain JS in a string: nothing the
// test transpiler adds can leak into it). It exposes window.__e2e.messages(me) and window.__e2e.shown().
//
// DOM facts it relies on (Playground 0.2.28, Fluent UI v9 with hashed class names, so no class-based paths):
// - every message, in chats and channels, has one header button with aria-label "Show more information";
// - chats: the header is [aria-label="Message header"], the sender (others only) is [aria-label="Message author"],
//   and the body is the header's next sibling(s);
// - channels: each thread is a .fui-Card[role=group]; the root post's header is .fui-CardHeader, followed by
//   the post text; each reply's header is the smallest element holding the menu button and the avatar
//   ([role=img][aria-label=<sender name>]), followed by the reply body;
// - after an Action.Execute, the card's message gets a notice, [aria-label="Display Invoked Message"]
//   ("Your response was sent to the app", or "Unable to reach app. Please try again."); it is reported apart;
// - adaptive cards render as .ac-adaptiveCard (class names from the adaptivecards library);
// - channel threads are listed newest first, so DOM order is not time order: a MutationObserver numbers
//   messages (data-e2e-seq) as they appear instead.
export const DOM_SCRIPT = `(() => {
  if (window.__e2e) return;
  const MENU = 'button[aria-label="Show more information"]';
  const POST = '.fui-Card[role="group"]';
  let seq = 0;
  const tagNew = () => {
    const fresh = [...document.querySelectorAll(MENU + ':not([data-e2e-seq])')];
    if (fresh.length === 0) return;
    // A batch is a re-rendered history: number channel threads oldest first (they are shown newest first).
    const posts = [...document.querySelectorAll(POST)];
    const key = (b) => { const p = b.closest(POST); return p ? posts.length - posts.indexOf(p) : 0; };
    fresh.map((b, i) => ({ b, i, k: key(b) }))
      .sort((x, y) => x.k - y.k || x.i - y.i)
      .forEach(({ b }) => b.setAttribute('data-e2e-seq', String(++seq)));
  };
  new MutationObserver(tagNew).observe(document, { childList: true, subtree: true });

  const headerOf = (btn) => {
    const labelled = btn.closest('[aria-label="Message header"]');
    if (labelled) return labelled;
    const postHeader = btn.closest('.fui-CardHeader');
    if (postHeader) return postHeader;
    let el = btn.parentElement;
    while (el && !el.querySelector('[role="img"]')) el = el.parentElement;
    return el;
  };
  const isStop = (el) =>
    el.matches('[role="separator"], .fui-CardFooter') || el.querySelector(MENU + ', [contenteditable="true"]') !== null;
  const bodyOf = (header) => {
    const parts = [];
    for (let s = header.nextElementSibling; s && !isStop(s); s = s.nextElementSibling) parts.push(s);
    return parts;
  };
  const authorOf = (header, me) => {
    const a = header.querySelector('[aria-label="Message author"]');
    if (a) return a.textContent.trim();
    const img = header.querySelector('[role="img"][aria-label]');
    return img ? img.getAttribute('aria-label') : me;
  };
  const NOTICE = '[aria-label="Display Invoked Message"]';
  // innerText needs layout; hide the notices for a moment (synchronously, so nothing repaints) to leave them out.
  const textOf = (els) => {
    const notices = els.flatMap((el) => [...el.querySelectorAll(NOTICE)]);
    const saved = notices.map((n) => n.style.display);
    notices.forEach((n) => { n.style.display = 'none'; });
    const text = els.map((el) => el.innerText).join('\\n').trim();
    notices.forEach((n, i) => { n.style.display = saved[i]; });
    return { text, notice: notices.map((n) => n.innerText.trim()).join('\\n') || undefined };
  };
  const messages = (me) => {
    tagNew();
    document.querySelectorAll('[data-e2e-part]').forEach((el) => el.removeAttribute('data-e2e-part'));
    const out = [];
    for (const btn of document.querySelectorAll(MENU)) {
      const header = headerOf(btn);
      if (!header) continue;
      const n = btn.getAttribute('data-e2e-seq');
      const body = bodyOf(header);
      for (const el of [header, ...body]) el.setAttribute('data-e2e-part', n);
      const cards = body.flatMap((el) => [...el.querySelectorAll('.ac-adaptiveCard')]);
      out.push({
        seq: Number(n),
        author: authorOf(header, me),
        ...textOf(body),
        cards: cards.map((c) => c.innerText.trim()),
        inChannel: btn.closest(POST) !== null,
      });
    }
    return out.sort((a, b) => a.seq - b.seq);
  };
  // How many messages have appeared so far: a new one shows that the client has taken it in.
  const shown = () => { tagNew(); return seq; };
  window.__e2e = { messages, shown };
})();`;
