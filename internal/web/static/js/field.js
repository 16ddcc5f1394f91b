/* yiwang 一网统管 — the grid worker's field app (/work/field).

   Works offline after the first visit: the service worker (field-sw.js)
   keeps the page and its code, this script keeps the worker's data (tasks,
   grid) in the Cache API and every report or 核查 result in an outbox in
   IndexedDB until the server has answered it.

   Exactly once: an item gets a random key when it is saved, in the same
   IndexedDB write as its content. Every send of the item carries that key
   (Idempotency-Key); the server keeps the key with the case (or with the
   核查 entry) in the transaction that writes it and answers a repeat with
   the first result. The item leaves the outbox only after a 2xx answer, so
   a lost answer, a closed browser or a second tab costs a resend, never a
   second case. An answer that is not a success (a conflict, a refused
   field) keeps the item, with its state, until the worker dismisses it.

   Messages come from the page (#field-strings), rendered from the
   catalogue. */
(function () {
  'use strict';
  var app = document.getElementById('field-app');
  if (!app) { return; }
  var S = JSON.parse(document.getElementById('field-strings').textContent || '{}');
  function t(key) {
    var s = S[key] || '';
    for (var i = 1; i < arguments.length; i++) { s = s.replace(/%[ds]/, String(arguments[i])); }
    return s;
  }
  var userID = parseInt(app.getAttribute('data-user'), 10) || 0;
  var csrf = app.getAttribute('data-csrf');
  var DATA_CACHE = 'yw-field-data';
  var DATA_URL = '/work/field/data';
  var data = null; // the last /work/field/data seen
  var online = navigator.onLine;

  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/work/field/sw.js', { scope: '/work/field' }).catch(function () {});
  }

  // ---- the outbox in IndexedDB -------------------------------------------
  var DB_NAME = 'yw-field', STORE = 'outbox';
  function openDB() {
    return new Promise(function (resolve, reject) {
      var r = indexedDB.open(DB_NAME, 1);
      r.onupgradeneeded = function () { r.result.createObjectStore(STORE, { keyPath: 'key' }); };
      r.onsuccess = function () { resolve(r.result); };
      r.onerror = function () { reject(r.error); };
    });
  }
  function withStore(mode, fn) {
    return openDB().then(function (db) {
      return new Promise(function (resolve, reject) {
        // A saved report must survive a crash or a flat battery: strict
        // durability waits for the disk before the write counts as done.
        var tx = mode === 'readwrite' ? db.transaction(STORE, mode, { durability: 'strict' }) : db.transaction(STORE, mode);
        var req = fn(tx.objectStore(STORE));
        tx.oncomplete = function () { db.close(); resolve(req ? req.result : undefined); };
        tx.onerror = tx.onabort = function () { db.close(); reject(tx.error); };
      });
    });
  }
  function allItems() {
    return withStore('readonly', function (s) { return s.getAll(); }).then(function (items) {
      return (items || []).sort(function (a, b) { return a.created < b.created ? -1 : 1; });
    });
  }
  function putItem(item) { return withStore('readwrite', function (s) { return s.put(item); }); }
  function deleteItem(key) { return withStore('readwrite', function (s) { return s.delete(key); }); }

  function newKey() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return ('0' + x.toString(16)).slice(-2); }).join('');
  }

  // ---- network state -------------------------------------------------------
  var netEl = document.getElementById('field-net');
  function setOnline(v) {
    online = v;
    netEl.textContent = v ? t('web.field.online') : t('web.field.offline');
    netEl.className = 'net ' + (v ? 'net-online' : 'net-offline');
    app.setAttribute('data-online', v ? '1' : '0');
  }
  setOnline(navigator.onLine);
  window.addEventListener('online', function () { setOnline(true); sync(); });
  window.addEventListener('offline', function () { setOnline(false); });

  // ---- the outbox on the page ---------------------------------------------
  var outboxEl = document.getElementById('outbox');
  var countEl = document.getElementById('outbox-count');
  var stateKey = {
    queued: 'web.field.state_queued', sending: 'web.field.state_sending', failed: 'web.field.state_failed',
    conflict: 'web.field.state_conflict', auth: 'web.field.state_auth', invalid: 'web.field.state_invalid',
    other_user: 'web.field.state_other_user'
  };
  function localTime(iso) {
    var d = new Date(iso);
    var p = function (n) { return ('0' + n).slice(-2); };
    return d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate()) + ' ' + p(d.getHours()) + ':' + p(d.getMinutes());
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function render() {
    return allItems().then(function (items) {
      countEl.textContent = items.length ? t('web.field.outbox_count', items.length) : t('web.field.outbox_empty');
      app.setAttribute('data-outbox', String(items.length));
      outboxEl.textContent = '';
      items.forEach(function (it) {
        var li = el('li', 'outbox-item state-' + it.state);
        li.setAttribute('data-key', it.key);
        li.setAttribute('data-state', it.state);
        var head = el('p', 'outbox-head');
        head.appendChild(el('strong', '', it.kind === 'verify' ? t('web.field.kind_verify', it.case_id) : t('web.field.kind_report')));
        head.appendChild(el('span', 'outbox-state', it.state === 'failed' && it.message ? t('web.field.state_failed', it.message) : t(stateKey[it.state] || 'web.field.state_queued')));
        li.appendChild(head);
        var desc = it.kind === 'verify' ? (it.result_label + (it.note ? ' · ' + it.note : '')) : it.fields.description;
        li.appendChild(el('p', 'desc', desc));
        var meta = t('web.field.captured', localTime(it.observed_at));
        if (it.kind === 'report') { meta += ' · ' + it.fields.lat + ', ' + it.fields.lng; }
        if (it.photos && it.photos.length) { meta += ' · ' + t('web.field.photos_count', it.photos.length); }
        li.appendChild(el('p', 'note', meta));
        if (it.state === 'invalid' && it.message) { li.appendChild(el('p', 'field-error', it.message)); }
        var acts = el('p', 'outbox-actions');
        if (it.case_url) {
          var a = el('a', 'button', t('web.field.open_case'));
          a.href = it.case_url;
          acts.appendChild(a);
        }
        if (it.state === 'conflict' || it.state === 'invalid' || it.state === 'failed' || it.state === 'other_user') {
          var dismiss = el('button', 'button dismiss', t('web.field.dismiss'));
          dismiss.type = 'button';
          dismiss.addEventListener('click', function () { deleteItem(it.key).then(render); });
          acts.appendChild(dismiss);
        }
        if (acts.childNodes.length) { li.appendChild(acts); }
        outboxEl.appendChild(li);
      });
      return items;
    }).catch(function () {
      countEl.textContent = t('web.field.storage_failed');
    });
  }

  // ---- the worker's data: tasks and grid ----------------------------------
  var tasksEl = document.getElementById('tasks');
  var tasksStatus = document.getElementById('tasks-status');
  // fetchData asks the server (never a cache) and keeps a good answer for
  // offline visits. It resolves to null when the server cannot be reached.
  function fetchData() {
    return fetch(DATA_URL, { credentials: 'same-origin', cache: 'no-store', headers: { 'Accept': 'application/json' } }).then(function (res) {
      setOnline(true);
      if (res.status === 401) { return { unauthorized: true }; }
      if (!res.ok) { return null; }
      var copy = res.clone();
      if (window.caches) { caches.open(DATA_CACHE).then(function (c) { return c.put(DATA_URL, copy); }).catch(function () {}); }
      return res.json();
    }, function () {
      setOnline(false);
      return null;
    });
  }
  function cachedData() {
    if (!window.caches) { return Promise.resolve(null); }
    return caches.open(DATA_CACHE).then(function (c) { return c.match(DATA_URL); }).then(function (res) {
      return res ? res.json() : null;
    }).catch(function () { return null; });
  }
  function loadData() {
    return fetchData().then(function (d) {
      if (d && !d.unauthorized) { return { d: d, fresh: true }; }
      return cachedData().then(function (c) { return { d: c, fresh: false, unauthorized: d && d.unauthorized }; });
    }).then(function (r) {
      if (r.d && r.d.user && r.d.user.id !== userID) { r.d = null; } // another account's copy
      if (!r.d) {
        tasksStatus.textContent = t('web.field.tasks_unavailable');
        return null;
      }
      data = r.d;
      if (r.fresh) { csrf = data.csrf || csrf; }
      tasksStatus.textContent = r.fresh ? '' : t('web.field.tasks_stale', data.at);
      renderTasks();
      checkPlace();
      return data;
    });
  }
  function renderTasks() {
    var tasks = (data && data.tasks) || [];
    if (!tasks.length) { tasksEl.replaceChildren(el('li', 'empty', t('web.field.tasks_none'))); return; }
    allItems().then(function (items) {
      var list = [];
      var queued = {};
      items.forEach(function (it) { if (it.kind === 'verify') { queued[it.case_id] = true; } });
      tasks.forEach(function (task) {
        var li = el('li', 'task' + (task.verify ? ' task-verify' : ''));
        li.setAttribute('data-case', String(task.id));
        var head = el('p', 'task-head');
        var a = el('a', 'case-link', '#' + task.id + ' ' + task.category);
        a.href = task.url;
        head.appendChild(a);
        head.appendChild(el('span', 'status-tag', task.verify ? t('web.field.task_verify') : task.status_label));
        li.appendChild(head);
        li.appendChild(el('p', 'desc', task.description));
        if (task.address) { li.appendChild(el('p', 'note', task.address)); }
        if (task.verify) {
          if (queued[task.id]) {
            li.appendChild(el('p', 'note', t('web.field.verify_queued')));
          } else {
            li.appendChild(verifyForm(task));
          }
        }
        list.push(li);
      });
      // One swap, so that the list never shows half drawn.
      tasksEl.replaceChildren.apply(tasksEl, list);
    });
  }
  function verifyForm(task) {
    var f = el('form', 'verify-form');
    f.noValidate = true;
    var id = 'v' + task.id;
    var fs = el('fieldset', 'results');
    fs.appendChild(el('legend', 'visually-hidden', t('web.field.verify_submit')));
    ['pass', 'fail'].forEach(function (r) {
      var lab = el('label', 'radio');
      var inp = document.createElement('input');
      inp.type = 'radio'; inp.name = 'result'; inp.value = r; inp.id = id + '-' + r;
      lab.appendChild(inp);
      lab.appendChild(el('span', '', t('web.result.' + r)));
      fs.appendChild(lab);
    });
    f.appendChild(fs);
    var nl = el('label', '', t('web.field.note'));
    nl.htmlFor = id + '-note';
    var note = document.createElement('input');
    note.type = 'text'; note.name = 'note'; note.id = id + '-note'; note.className = 'input'; note.maxLength = 500;
    f.appendChild(nl);
    f.appendChild(note);
    var pl = el('label', '', t('web.field.verify_photos'));
    pl.htmlFor = id + '-photos';
    var pics = document.createElement('input');
    pics.type = 'file'; pics.name = 'photos'; pics.id = id + '-photos'; pics.className = 'input-file';
    pics.accept = 'image/*'; pics.multiple = true; pics.setAttribute('capture', 'environment');
    f.appendChild(pl);
    f.appendChild(pics);
    var err = el('p', 'field-error', t('web.field.required'));
    err.hidden = true;
    f.appendChild(err);
    var b = el('button', 'button button-primary', t('web.field.verify_submit'));
    b.type = 'submit';
    b.id = 'verify-' + task.id;
    f.appendChild(b);
    f.addEventListener('submit', function (e) {
      e.preventDefault();
      var r = f.querySelector('input[name=result]:checked');
      if (!r) { err.hidden = false; return; }
      var now = new Date().toISOString();
      var max = parseInt(photosIn.getAttribute('data-max'), 10) || 6;
      b.disabled = true;
      Promise.all(Array.prototype.slice.call(pics.files || [], 0, max).map(function (file) {
        return resize(file).catch(function () { return null; });
      })).then(function (blobs) {
        return putItem({ key: newKey(), kind: 'verify', user: userID, created: now, observed_at: now, state: 'queued',
          case_id: task.id, version: task.version, result: r.value, result_label: t('web.result.' + r.value),
          note: note.value.trim(), case_url: task.url, photos: blobs.filter(Boolean) });
      }).then(function () { renderTasks(); return render(); }, function () {
        b.disabled = false;
        err.textContent = t('web.field.storage_failed');
        err.hidden = false;
      }).then(sync);
    });
    return f;
  }

  // ---- the place: the device's position, checked against the grid -------
  var latIn = document.getElementById('lat'), lngIn = document.getElementById('lng');
  var geoCheck = document.getElementById('geo-check');
  var locateBtn = document.getElementById('field-locate');
  var locateStatus = document.getElementById('field-locate-status');
  var accuracy = null;
  // inRing is the even-odd ray test on one ring of [lng, lat] points.
  function inRing(x, y, ring) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if (((yi > y) !== (yj > y)) && (x < (xj - xi) * (y - yi) / (yj - yi) + xi)) { inside = !inside; }
    }
    return inside;
  }
  function inPolygon(x, y, rings) {
    if (!rings.length || !inRing(x, y, rings[0])) { return false; }
    for (var i = 1; i < rings.length; i++) { if (inRing(x, y, rings[i])) { return false; } }
    return true;
  }
  function inGrid(lat, lng, geom) {
    if (geom.type === 'Polygon') { return inPolygon(lng, lat, geom.coordinates); }
    if (geom.type === 'MultiPolygon') { return geom.coordinates.some(function (p) { return inPolygon(lng, lat, p); }); }
    return false;
  }
  function checkPlace() {
    var lat = parseFloat(latIn.value), lng = parseFloat(lngIn.value);
    if (isNaN(lat) || isNaN(lng)) { geoCheck.hidden = true; return; }
    geoCheck.hidden = false;
    if (!data || !data.grid || !data.grid.geometry) {
      geoCheck.textContent = t('web.field.no_grid');
      geoCheck.className = 'geo-check';
      return;
    }
    var ok = inGrid(lat, lng, data.grid.geometry);
    geoCheck.textContent = ok ? t('web.field.inside') : t('web.field.outside');
    geoCheck.className = 'geo-check ' + (ok ? 'geo-in' : 'geo-out');
    geoCheck.setAttribute('data-inside', ok ? '1' : '0');
  }
  latIn.addEventListener('input', checkPlace);
  lngIn.addEventListener('input', checkPlace);
  latIn.addEventListener('change', checkPlace);
  function locate() {
    if (!('geolocation' in navigator)) { locateStatus.textContent = t('web.field.no_geolocation'); return; }
    locateStatus.textContent = t('web.field.locating');
    navigator.geolocation.getCurrentPosition(function (pos) {
      latIn.value = pos.coords.latitude.toFixed(6);
      lngIn.value = pos.coords.longitude.toFixed(6);
      accuracy = Math.round(pos.coords.accuracy);
      locateStatus.textContent = t('web.field.located', accuracy);
      document.dispatchEvent(new CustomEvent('yw:location', { detail: { lat: pos.coords.latitude, lng: pos.coords.longitude } }));
      checkPlace();
    }, function () {
      locateStatus.textContent = t('web.field.locate_failed');
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 });
  }
  locateBtn.addEventListener('click', locate);
  // Where the permission was given before, the position comes by itself.
  if (navigator.permissions && navigator.permissions.query) {
    navigator.permissions.query({ name: 'geolocation' }).then(function (p) {
      if (p.state === 'granted' && !latIn.value) { locate(); }
    }).catch(function () {});
  }

  // ---- photos: resized on the device --------------------------------------
  var MAX_SIDE = 1600, QUALITY = 0.85;
  function resize(file) {
    return createImageBitmap(file, { imageOrientation: 'from-image' }).then(function (bmp) {
      var scale = Math.min(1, MAX_SIDE / Math.max(bmp.width, bmp.height));
      var w = Math.max(1, Math.round(bmp.width * scale)), h = Math.max(1, Math.round(bmp.height * scale));
      var c = document.createElement('canvas');
      c.width = w; c.height = h;
      c.getContext('2d').drawImage(bmp, 0, 0, w, h);
      if (bmp.close) { bmp.close(); }
      return new Promise(function (resolve, reject) {
        c.toBlob(function (b) { if (b) { resolve(b); } else { reject(new Error('toBlob')); } }, 'image/jpeg', QUALITY);
      });
    });
  }

  // ---- the report form ------------------------------------------------------
  var form = document.getElementById('field-form');
  var photosIn = document.getElementById('photos');
  var saved = document.getElementById('field-saved');
  function fieldError(name, msg) {
    var e = document.getElementById(name + '-error');
    if (!e) { return; }
    e.textContent = msg || '';
    e.hidden = !msg;
    var wrap = document.getElementById('field-' + name);
    if (wrap) { wrap.classList.toggle('has-error', !!msg); }
  }
  form.addEventListener('submit', function (e) {
    e.preventDefault();
    var desc = form.description.value.trim(), cat = form.category.value;
    var lat = parseFloat(latIn.value), lng = parseFloat(lngIn.value);
    fieldError('description', desc ? '' : t('web.field.required'));
    fieldError('category', cat ? '' : t('web.field.required'));
    fieldError('location', (!isNaN(lat) && !isNaN(lng)) ? '' : t('web.field.required'));
    fieldError('photos', '');
    var max = parseInt(photosIn.getAttribute('data-max'), 10) || 6;
    var files = Array.prototype.slice.call(photosIn.files || [], 0, max);
    if (!desc || !cat || isNaN(lat) || isNaN(lng)) {
      var first = form.querySelector('.has-error input, .has-error textarea, .has-error select');
      if (first) { first.focus(); }
      return;
    }
    var observed = new Date().toISOString(); // the capture time, kept with the item
    var submit = document.getElementById('field-submit');
    submit.disabled = true;
    Promise.all(files.map(function (f) {
      return resize(f).catch(function () { return null; });
    })).then(function (blobs) {
      var photos = blobs.filter(Boolean);
      if (photos.length < files.length) { fieldError('photos', t('web.field.photo_failed')); }
      var opt = form.category.options[form.category.selectedIndex];
      return putItem({ key: newKey(), kind: 'report', user: userID, created: observed, observed_at: observed, state: 'queued',
        fields: { description: desc, category: cat, category_label: opt ? opt.textContent : '', lat: lat.toFixed(6), lng: lng.toFixed(6), accuracy: accuracy },
        photos: photos });
    }).then(function () {
      form.reset();
      document.getElementById('photos-picked').textContent = '';
      geoCheck.hidden = true;
      saved.textContent = t('web.field.saved');
      return render();
    }).catch(function () {
      saved.textContent = t('web.field.storage_failed');
    }).then(function () {
      submit.disabled = false;
      sync();
    });
  });

  // ---- sending the outbox ---------------------------------------------------
  function send(item, token) {
    var body = new FormData();
    var url;
    body.append('observed_at', item.observed_at);
    if (item.kind === 'report') {
      url = '/work/field/reports';
      ['description', 'category', 'lat', 'lng'].forEach(function (k) { body.append(k, item.fields[k]); });
      (item.photos || []).forEach(function (b, i) { body.append('photos', b, 'photo-' + (i + 1) + '.jpg'); });
    } else {
      url = '/work/field/verify/' + item.case_id;
      body.append('result', item.result);
      body.append('note', item.note);
      body.append('version', String(item.version));
    }
    if (item.kind === 'verify') {
      (item.photos || []).forEach(function (b, i) { body.append('photos', b, 'photo-' + (i + 1) + '.jpg'); });
    }
    return fetch(url, { method: 'POST', body: body, credentials: 'same-origin', cache: 'no-store',
      headers: { 'Idempotency-Key': item.key, 'X-CSRF-Token': token, 'Accept': 'application/json' } });
  }
  function errorText(body) {
    if (!body || !body.error) { return ''; }
    var fields = body.error.fields || {};
    var parts = Object.keys(fields).map(function (k) { return fields[k]; });
    return parts.length ? parts.join('；') : body.error.message;
  }
  var RETRY = { queued: 1, sending: 1, failed: 1, auth: 1, other_user: 1 };
  var busy = false;
  function sync() {
    if (busy) { return Promise.resolve(); }
    busy = true;
    var run = function () { return syncOnce(); };
    var p = (navigator.locks && navigator.locks.request) ? navigator.locks.request('yw-field-sync', run) : run();
    return p.catch(function () {}).then(function () { busy = false; return render(); });
  }
  function syncOnce() {
    return allItems().then(function (items) {
      items = items.filter(function (it) { return RETRY[it.state]; });
      if (!items.length) { return; }
      // A fresh token (the page may be an old copy) and a check that the
      // session is this worker's.
      return fetchData().then(function (d) {
        if (!d) { return; }
        var unauthorized = !!d.unauthorized;
        var token = unauthorized ? '' : d.csrf;
        var sentAny = false;
        var next = function (i) {
          if (i >= items.length) { return sentAny ? loadData() : null; }
          var it = items[i];
          if (unauthorized) { it.state = 'auth'; return putItem(it).then(function () { return next(i + 1); }); }
          if (it.user !== d.user.id) { it.state = 'other_user'; return putItem(it).then(function () { return next(i + 1); }); }
          it.state = 'sending';
          return putItem(it).then(render).then(function () { return send(it, token); }).then(function (res) {
            return res.json().catch(function () { return null; }).then(function (body) {
              if (res.ok) { sentAny = true; return deleteItem(it.key); }
              if (body && body.case && body.case.url) { it.case_url = body.case.url; }
              if (res.status === 409) {
                it.state = 'conflict';
              } else if (res.status === 401) {
                it.state = 'auth';
              } else if (res.status === 422 || res.status === 400 || res.status === 404 || res.status === 413) {
                it.state = 'invalid';
                it.message = errorText(body);
              } else {
                it.state = 'failed';
                it.message = errorText(body) || String(res.status);
              }
              return putItem(it);
            });
          }, function () {
            // The connection dropped during the send: the item stays as it
            // was and goes again with the same key.
            setOnline(false);
            it.state = 'queued';
            return putItem(it).then(function () { throw new Error('offline'); });
          }).then(function () { return next(i + 1); });
        };
        return next(0);
      });
    });
  }

  // An item left "sending" by a closed page was maybe sent, maybe not: it
  // waits again, and goes with its key, which settles which.
  allItems().then(function (items) {
    return Promise.all(items.filter(function (it) { return it.state === 'sending'; }).map(function (it) {
      it.state = 'queued';
      return putItem(it);
    }));
  }).catch(function () {}).then(render).then(function () { return loadData(); }).then(sync);
  // Until the outbox is empty, try again now and then: the "online" event
  // does not come on every network that returns.
  setInterval(function () {
    if (app.getAttribute('data-outbox') !== '0') { sync(); }
  }, 5000);
})();
