// Mentions by name, as progressive enhancement: typing "@" then a few letters in a textarea
// that lists the people of its commons (data-people: [[name, did], ...]) offers their names;
// choosing one writes "@Name". Without JavaScript, "@Name" typed in full works the same.
(function () {
  const list = document.createElement("ul");
  list.className = "mention-list";
  list.setAttribute("role", "listbox");
  list.hidden = true;
  document.body.appendChild(list);
  let field = null, start = 0, chosen = 0;
  const plain = (text) => text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  const typed = (area) => {
    const before = area.value.slice(0, area.selectionStart);
    const found = /(^|[^\w@.])@([^\s@]{0,30})$/u.exec(before);
    return found ? { at: before.length - found[2].length, word: found[2] } : null;
  };
  function close() { list.hidden = true; field = null; }
  function show(area) {
    const now = typed(area);
    if (!now) return close();
    const people = JSON.parse(area.dataset.people || "[]");
    const matches = people.filter(([name]) => plain(name).startsWith(plain(now.word))).slice(0, 8);
    if (!matches.length) return close();
    field = area; start = now.at; chosen = 0;
    list.replaceChildren(...matches.map(([name, did], i) => {
      const item = document.createElement("li");
      item.textContent = "@" + name;
      item.title = did;
      item.dataset.name = name;
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", String(i === 0));
      item.addEventListener("mousedown", (event) => { event.preventDefault(); pick(name); });
      return item;
    }));
    const box = area.getBoundingClientRect();
    list.style.left = `${window.scrollX + box.left}px`;
    list.style.top = `${window.scrollY + box.bottom}px`;
    list.hidden = false;
  }
  function pick(name) {
    const end = field.selectionStart;
    field.value = field.value.slice(0, start) + name + " " + field.value.slice(end);
    field.selectionStart = field.selectionEnd = start + name.length + 1;
    field.focus();
    close();
  }
  function move(by) {
    const items = [...list.children];
    chosen = (chosen + by + items.length) % items.length;
    items.forEach((item, i) => item.setAttribute("aria-selected", String(i === chosen)));
  }
  document.addEventListener("input", (event) => {
    if (event.target.matches("textarea[data-people]")) show(event.target);
  });
  document.addEventListener("keydown", (event) => {
    if (list.hidden || event.target !== field) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault(); move(event.key === "ArrowDown" ? 1 : -1);
    } else if (event.key === "Enter" || event.key === "Tab") {
      event.preventDefault(); pick(list.children[chosen].dataset.name);
    } else if (event.key === "Escape") { close(); }
  });
  document.addEventListener("focusout", (event) => { if (event.target === field) setTimeout(close, 150); });
})();
