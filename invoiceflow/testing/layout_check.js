// Run in each page by invoiceflow/testing/pages.py (LAYOUT_JS): the problems found, as strings.
() => {
  const width = window.innerWidth;
  const doc = document.documentElement;
  const problems = [];
  const describe = (el) => {
    let name = el.tagName.toLowerCase();
    if (el.id) name += '#' + el.id;
    if (el.classList.length) name += '.' + [...el.classList].join('.');
    return name;
  };
  if (doc.scrollWidth > width) {
    // Name the innermost elements that reach past the screen's right edge.
    const past = [...document.body.querySelectorAll('*')].filter((el) => el.getBoundingClientRect().right > width + 1);
    const innermost = past.filter((el) => !past.some((other) => other !== el && el.contains(other)));
    problems.push(`document is ${doc.scrollWidth}px wide: ${innermost.slice(0, 3).map(describe).join(', ')}`);
  }
  for (const el of document.body.querySelectorAll('*')) {
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    const rect = el.getBoundingClientRect();
    if (rect.width <= 2 || rect.height <= 2) continue;  // visually hidden (sr-only)
    if (el.closest('details:not([open]) > :not(summary)')) continue;
    const ox = style.overflowX;
    if (el.scrollWidth <= el.clientWidth + 1) continue;
    if (style.textOverflow === 'ellipsis') continue;
    if (['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName)) continue;  // a field scrolls its text
    if ((ox === 'auto' || ox === 'scroll') && el.classList.contains('table-scroll')) continue;
    if (ox === 'visible') continue;
    problems.push(`${describe(el)} cuts off ${el.scrollWidth - el.clientWidth}px of its content`);
  }
  // Badges keep a badge's height in any layout (a flex row once stretched one into a tall pill).
  for (const badge of document.querySelectorAll('.badge')) {
    const h = badge.getBoundingClientRect().height;
    if (h > 2.4 * parseFloat(getComputedStyle(badge).fontSize)) problems.push(`badge "${badge.textContent.trim()}" is ${Math.round(h)}px tall`);
  }
  // A separated fact ("a · b") is one piece: its "·" never ends a line on its own.
  for (const item of document.querySelectorAll('.meta__item + .meta__item')) {
    if (item.getClientRects().length > 1) problems.push(`"${item.textContent.trim()}" is split from its separator`);
  }
  // An amount is one piece: a number cell never breaks "$3,635.00" into "$3,635." and "00".
  for (const cell of document.querySelectorAll('td.num, th.num')) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent.trim();
      if (!text || /[ \t\n]/.test(text)) continue;  // several words (no-break spaces are one)
      const range = document.createRange();
      range.selectNodeContents(node);
      const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
      if (lines.size > 1) problems.push(`amount "${text}" breaks across ${lines.size} lines in ${describe(cell)}`);
    }
  }
  // The primary action: the page's main button, fully on screen horizontally.
  const primary = document.querySelector('[data-primary-action]')
    || [...document.querySelectorAll('main .pagehead .button:not(.button--ghost), main form button[type=submit]:not(.linklike):not(.button--ghost):not(.button--danger):not(.iconbtn)')]
       .find((el) => el.getBoundingClientRect().width > 0);
  if (primary) {
    const r = primary.getBoundingClientRect();
    if (r.left < 0 || r.right > width) problems.push(`primary action "${primary.textContent.trim()}" is off screen (${Math.round(r.left)}..${Math.round(r.right)})`);
  }
  return problems;
}
