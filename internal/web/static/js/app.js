/* yiwang 一网统管 — the little JavaScript the pages use. Every page works
   without it; it adds the category search, the browser's location, the
   list of chosen photos and protection against a double submit. Messages
   come from data attributes rendered from the catalogue. */
(function () {
  'use strict';

  // Category search: hide the chips that do not match the words typed.
  document.querySelectorAll('input[data-filter]').forEach(function (input) {
    var list = document.querySelector(input.getAttribute('data-filter'));
    if (!list) { return; }
    var none = list.querySelector('.chip-none');
    input.addEventListener('input', function () {
      var words = input.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      list.querySelectorAll('.chip-group').forEach(function (group) {
        var groupShown = 0;
        group.querySelectorAll('.chip').forEach(function (chip) {
          var text = (chip.getAttribute('data-keywords') + ' ' + chip.textContent).toLowerCase();
          var match = words.every(function (w) { return text.indexOf(w) >= 0; });
          chip.hidden = !match;
          if (match) { groupShown++; }
        });
        group.hidden = groupShown === 0;
        shown += groupShown;
      });
      if (none) { none.hidden = shown !== 0; }
    });
    // Enter in the search box picks the only match instead of submitting.
    input.addEventListener('keydown', function (e) {
      if (e.key !== 'Enter') { return; }
      e.preventDefault();
      var visible = Array.prototype.filter.call(list.querySelectorAll('.chip'), function (c) { return !c.hidden; });
      if (visible.length >= 1) {
        var radio = visible[0].querySelector('input');
        radio.checked = true;
        radio.focus();
      }
    });
  });

  // The browser's location (WGS-84) into the latitude and longitude fields.
  var locate = document.getElementById('locate');
  if (locate) {
    var status = document.getElementById('locate-status');
    var say = function (msg) { if (status) { status.textContent = msg; } };
    if (!('geolocation' in navigator)) {
      locate.hidden = true;
    }
    locate.addEventListener('click', function () {
      say(locate.getAttribute('data-busy'));
      navigator.geolocation.getCurrentPosition(function (pos) {
        var lat = document.getElementById('lat'), lng = document.getElementById('lng'), coord = document.getElementById('coord');
        lat.value = pos.coords.latitude.toFixed(6);
        lng.value = pos.coords.longitude.toFixed(6);
        if (coord) { coord.value = 'wgs84'; }
        say(locate.getAttribute('data-ok') + ' ±' + Math.round(pos.coords.accuracy) + ' m');
        document.dispatchEvent(new CustomEvent('yw:location', { detail: { lat: pos.coords.latitude, lng: pos.coords.longitude } }));
      }, function () {
        say(locate.getAttribute('data-fail'));
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }
  // Typing coordinates by hand means WGS-84 unless a map pick said otherwise.
  ['lat', 'lng'].forEach(function (id) {
    var el = document.getElementById(id);
    var coord = document.getElementById('coord');
    if (el && coord) {
      el.addEventListener('input', function () { coord.value = 'wgs84'; });
    }
  });

  // The names of the photos chosen, and a warning when there are too many.
  var photos = document.getElementById('photos');
  if (photos) {
    var picked = document.getElementById('photos-picked');
    photos.addEventListener('change', function () {
      picked.textContent = '';
      var max = parseInt(photos.getAttribute('data-max'), 10) || 6;
      Array.prototype.forEach.call(photos.files, function (f) {
        var li = document.createElement('li');
        li.textContent = f.name + ' (' + Math.max(1, Math.round(f.size / 1024)) + ' KB)';
        picked.appendChild(li);
      });
      if (photos.files.length > max) {
        var li = document.createElement('li');
        li.textContent = photos.getAttribute('data-too-many');
        picked.appendChild(li);
      }
    });
  }

  // Anonymous: the name and phone fields are not sent, so hide them.
  var anon = document.getElementById('anonymous');
  var contact = document.getElementById('contact-fields');
  if (anon && contact) {
    var sync = function () { contact.classList.toggle('is-hidden', anon.checked); };
    anon.addEventListener('change', sync);
    sync();
  }

  // Logging out clears what the field app keeps on this device (the
  // server's Clear-Site-Data, and here as well for browsers without it),
  // its outbox too: when reports wait there, ask first.
  var logout = document.getElementById('logout');
  if (logout && window.indexedDB && indexedDB.databases) {
    var clearField = function () {
      var jobs = [];
      if (window.caches) {
        jobs.push(caches.keys().then(function (keys) {
          return Promise.all(keys.filter(function (k) { return k.indexOf('yw-field') === 0; }).map(function (k) { return caches.delete(k); }));
        }));
      }
      jobs.push(new Promise(function (resolve) {
        var r = indexedDB.deleteDatabase('yw-field');
        r.onsuccess = r.onerror = r.onblocked = function () { resolve(); };
      }));
      return Promise.all(jobs).catch(function () {});
    };
    var outboxCount = function () {
      return indexedDB.databases().then(function (dbs) {
        if (!dbs.some(function (d) { return d.name === 'yw-field'; })) { return -1; }
        return new Promise(function (resolve) {
          var r = indexedDB.open('yw-field');
          r.onerror = function () { resolve(0); };
          r.onsuccess = function () {
            var db = r.result;
            if (!db.objectStoreNames.contains('outbox')) { db.close(); resolve(0); return; }
            var c = db.transaction('outbox').objectStore('outbox').count();
            c.onsuccess = function () { db.close(); resolve(c.result); };
            c.onerror = function () { db.close(); resolve(0); };
          };
        });
      }).catch(function () { return 0; });
    };
    logout.form.addEventListener('submit', function (e) {
      e.preventDefault();
      outboxCount().then(function (n) {
        if (n > 0 && !window.confirm(logout.getAttribute('data-outbox-confirm').replace('%d', n))) { return; }
        return (n >= 0 ? clearField() : Promise.resolve()).then(function () { logout.form.submit(); });
      });
    });
  }

  // One submit per form: a second tap while the first is on its way
  // would only wait for the same answer.
  document.querySelectorAll('form[method="post"]').forEach(function (form) {
    form.addEventListener('submit', function (e) {
      if (e.defaultPrevented) { return; }
      var btn = form.querySelector('button[type="submit"]');
      if (btn) { window.setTimeout(function () { btn.disabled = true; }, 0); }
    });
  });
})();
