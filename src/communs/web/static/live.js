// Live updates, as progressive enhancement: without JavaScript every page still works.
// An element with data-live="/c/ID/live" subscribes to the commons' server-sent events; on
// each change the page is fetched again and every [data-refresh] region is swapped in place,
// except a region where someone is typing.
(function () {
  const source = document.querySelector("[data-live]");
  if (!source || !window.EventSource) return;
  let pending = null;
  const edited = (region) => [...region.querySelectorAll("input, textarea")].some(
    (field) => field.type !== "hidden" && field.value !== field.defaultValue);
  async function refresh() {
    pending = null;
    const response = await fetch(location.href, { headers: { "X-Live": "1" } });
    if (!response.ok) return;
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    const now = fresh.querySelectorAll("[data-refresh]");
    document.querySelectorAll("[data-refresh]").forEach((region, i) => {
      // Never throw away what someone is typing: a region being edited waits for a reload.
      if (!now[i] || region.contains(document.activeElement) || edited(region)) return;
      region.innerHTML = now[i].innerHTML;
    });
    source.classList.add("pulse");
    setTimeout(() => source.classList.remove("pulse"), 600);
  }
  const events = new EventSource(source.dataset.live);
  events.addEventListener("change", () => { if (!pending) pending = setTimeout(refresh, 150); });
  events.onopen = () => source.classList.add("on");
  events.onerror = () => source.classList.remove("on");
})();
