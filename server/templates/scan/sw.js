// The /scan service worker: the page and its code (decoder .wasm included) come from this
// cache when the network does not answer, so a scanner reloaded on a dead link still
// decides. The cache's name is a hash of the files it holds: any change installs afresh.
// API calls are never cached: they go to the network or fail, and the page decides.
const VERSION = {{ version|tojson }};
const CACHE = `admit-scan-${VERSION}`;
const ASSETS = {{ assets|tojson }};
const PAGE = ASSETS[0];
const NAVIGATION_WAIT_MS = 1500;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(ASSETS)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith("admit-scan-") && n !== CACHE)
        .map((n) => caches.delete(n))))
      .then(() => self.clients.claim()));
});

/** The network's page if it answers in time (and refresh the cache), else the cached one. */
async function page(request) {
  const cache = await caches.open(CACHE);
  const controller = new AbortController();
  const network = fetch(request, { signal: controller.signal }).then((response) => {
    if (response.ok) cache.put(PAGE, response.clone());
    return response;
  });
  const timer = new Promise((resolve) => setTimeout(resolve, NAVIGATION_WAIT_MS, null));
  const first = await Promise.race([network.catch(() => null), timer]);
  if (first) return first;
  const cached = await cache.match(PAGE, { ignoreSearch: true });
  if (cached) {
    controller.abort();
    return cached;
  }
  return network;
}

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (event.request.mode === "navigate" && url.pathname === PAGE) {
    event.respondWith(page(event.request));
  } else if (ASSETS.includes(url.pathname)) {
    event.respondWith(caches.open(CACHE).then((cache) => cache.match(url.pathname))
      .then((hit) => hit ?? fetch(event.request)));
  }
});
