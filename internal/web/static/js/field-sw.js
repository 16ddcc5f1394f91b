/* yiwang 一网统管 — the field app's service worker, served at
   /work/field/sw.js with scope /work/field. It keeps the app's code
   (cache-first, one cache per version of the binary) and the field page
   with the grid and case points it draws (network-first, the last copy
   when offline). It never touches a POST: the page's outbox (field.js)
   sends reports itself, so that it can read every answer. Logging out
   clears all of this (Clear-Site-Data on the logout response). */
'use strict';

var VERSION = '__VERSION__';
var LEAFLET = __LEAFLET__;
var SHELL = 'yw-field-shell-' + VERSION; // code, replaced with the binary
var DATA = 'yw-field-data';              // the page and the worker's data: personal
var PAGE = '/work/field';
var CODE = ['/static/css/app.css', '/static/js/app.js', '/static/js/map.js', '/static/js/field.js',
  '/work/field/manifest.webmanifest', '/work/field/icon-192.png', '/work/field/icon-512.png'];
if (LEAFLET) { CODE.push('/static/vendor/leaflet/leaflet.js', '/static/vendor/leaflet/leaflet.css'); }
// Network-first paths: what the page shows of the worker's grid.
var FRESH = ['/map/grids.geojson', '/work/cases.geojson'];

self.addEventListener('install', function (e) {
  e.waitUntil(Promise.all([
    caches.open(SHELL).then(function (c) {
      return c.addAll(CODE.map(function (u) { return new Request(u, { cache: 'reload' }); }));
    }),
    // The page that registered the worker, so that the first reload
    // offline already finds it.
    fetch(PAGE, { credentials: 'same-origin' }).then(function (res) {
      if (res.ok && !res.redirected) {
        return caches.open(DATA).then(function (c) { return c.put(PAGE, res); });
      }
    }).catch(function () {})
  ]).then(function () { return self.skipWaiting(); }));
});

self.addEventListener('activate', function (e) {
  e.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) {
      return k.indexOf('yw-field-shell-') === 0 && k !== SHELL;
    }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

// networkFirst answers from the network and keeps a good answer under key;
// without a network it answers the last kept copy.
function networkFirst(req, key) {
  return fetch(req).then(function (res) {
    if (res.ok && res.type === 'basic' && !res.redirected) {
      var copy = res.clone();
      caches.open(DATA).then(function (c) { return c.put(key, copy); });
    }
    return res;
  }).catch(function (err) {
    return caches.open(DATA).then(function (c) { return c.match(key); }).then(function (hit) {
      if (hit) { return hit; }
      throw err;
    });
  });
}

function cacheFirst(req) {
  return caches.open(SHELL).then(function (c) {
    return c.match(req, { ignoreSearch: true }).then(function (hit) {
      return hit || fetch(req).then(function (res) {
        if (res.ok && res.type === 'basic') { c.put(req, res.clone()); }
        return res;
      });
    });
  });
}

self.addEventListener('fetch', function (e) {
  var req = e.request;
  if (req.method !== 'GET') { return; }
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) { return; }
  if (url.pathname === PAGE && req.mode === 'navigate') {
    e.respondWith(networkFirst(req, PAGE));
  } else if (FRESH.indexOf(url.pathname) >= 0) {
    e.respondWith(networkFirst(req, url.pathname + url.search));
  } else if (CODE.indexOf(url.pathname) >= 0 || url.pathname.indexOf('/static/') === 0) {
    e.respondWith(cacheFirst(req));
  }
  // Everything else (the data the page fetches itself, other pages) goes
  // to the network as if there were no worker.
});
