/* yiwang 一网统管 — maps with the vendored Leaflet. By default no base
   map is drawn: only yiwang's own data (unit grids, case markers). A tile
   URL configured on the server adds a base map; when that map is in
   GCJ-02 (AMap, Tencent) the WGS-84 data is shifted to match it, and a
   point picked on it is sent as GCJ-02 for the server to convert. */
(function () {
  'use strict';
  var body = document.body;
  var maps = document.querySelectorAll('div.map[id]');
  if (!maps.length) { return; }
  if (!window.L) {
    maps.forEach(function (el) {
      var p = document.createElement('p');
      p.className = 'map-missing';
      p.setAttribute('role', 'note');
      p.textContent = body.getAttribute('data-map-missing');
      el.replaceWith(p);
    });
    return;
  }
  var tiles = body.getAttribute('data-tiles');
  var attribution = body.getAttribute('data-attribution');
  var gcj = body.getAttribute('data-coord') === 'gcj02';

  // WGS-84 → GCJ-02, the published algorithm (Krasovsky ellipsoid).
  function outOfChina(lat, lng) { return lng < 72.004 || lng > 137.8347 || lat < 0.8293 || lat > 55.8271; }
  function tLat(x, y) {
    var r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3;
    r += (20 * Math.sin(y * Math.PI) + 40 * Math.sin(y / 3 * Math.PI)) * 2 / 3;
    r += (160 * Math.sin(y / 12 * Math.PI) + 320 * Math.sin(y * Math.PI / 30)) * 2 / 3;
    return r;
  }
  function tLng(x, y) {
    var r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3;
    r += (20 * Math.sin(x * Math.PI) + 40 * Math.sin(x / 3 * Math.PI)) * 2 / 3;
    r += (150 * Math.sin(x / 12 * Math.PI) + 300 * Math.sin(x / 30 * Math.PI)) * 2 / 3;
    return r;
  }
  function wgs2gcj(lat, lng) {
    if (outOfChina(lat, lng)) { return [lat, lng]; }
    var a = 6378245.0, ee = 0.00669342162296594323;
    var dLat = tLat(lng - 105, lat - 35), dLng = tLng(lng - 105, lat - 35);
    var rad = lat / 180 * Math.PI, magic = Math.sin(rad);
    magic = 1 - ee * magic * magic;
    var sq = Math.sqrt(magic);
    dLat = (dLat * 180) / ((a * (1 - ee)) / (magic * sq) * Math.PI);
    dLng = (dLng * 180) / (a / sq * Math.cos(rad) * Math.PI);
    return [lat + dLat, lng + dLng];
  }
  function toMap(lat, lng) { return gcj ? wgs2gcj(lat, lng) : [lat, lng]; }

  var palette = ['#0b4f9c', '#c8161d', '#1a7f37', '#9a6700', '#6f42c1', '#0a7a8a', '#b35900', '#5a6b00', '#a3166b', '#1f6feb', '#7d4e24', '#2f6f4f', '#8250df'];
  function colour(v) { return palette[Math.abs(parseInt(v, 10) || 0) % palette.length]; }

  function getJSON(url) {
    return fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/geo+json, application/json' } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); });
  }

  function tooltip(layer, lines) {
    var div = document.createElement('div');
    lines.forEach(function (t, i) {
      if (!t) { return; }
      var s = document.createElement(i === 0 ? 'strong' : 'div');
      s.textContent = t;
      div.appendChild(s);
    });
    layer.bindTooltip(div, { sticky: true });
  }

  maps.forEach(function (el) {
    var map = L.map(el, { zoomSnap: 0.25, scrollWheelZoom: false });
    map.attributionControl.setPrefix('Leaflet');
    if (tiles) {
      L.tileLayer(tiles, { attribution: attribution || '', maxZoom: 18, subdomains: '01234567' }).addTo(map);
    }
    map.setView(toMap(27.73, 111.99), 12);
    var hasPoint = false;
    var colourBy = el.getAttribute('data-color-by');

    var lat = parseFloat(el.getAttribute('data-lat')), lng = parseFloat(el.getAttribute('data-lng'));
    var marker = null;
    if (!isNaN(lat) && !isNaN(lng)) {
      marker = L.circleMarker(toMap(lat, lng), { radius: 9, color: '#fff', weight: 3, fillColor: '#c8161d', fillOpacity: 1 }).addTo(map);
      map.setView(toMap(lat, lng), 16);
      hasPoint = true;
    }

    var grids = el.getAttribute('data-grids');
    if (grids) {
      getJSON(grids).then(function (gj) {
        var layer = L.geoJSON(gj, {
          coordsToLatLng: function (c) { var p = toMap(c[1], c[0]); return L.latLng(p[0], p[1]); },
          style: function (f) {
            var c = colourBy ? colour(f.properties[colourBy]) : '#0b4f9c';
            return { color: c, weight: 1, opacity: 0.8, fillColor: c, fillOpacity: colourBy ? 0.18 : 0.1 };
          },
          onEachFeature: function (f, l) {
            var p = f.properties || {};
            tooltip(l, [p.name, p.code, [p.street, p.community].filter(Boolean).join(' · ')]);
          }
        }).addTo(map);
        var bounds = layer.getBounds();
        if (marker) {
          marker.bringToFront();
          if (hasPoint && bounds.isValid()) { bounds.extend(marker.getLatLng()); }
        }
        if (bounds.isValid()) { map.fitBounds(bounds, { padding: [12, 12], maxZoom: 17 }); }
      }).catch(function () {});
    }

    var cases = el.getAttribute('data-cases');
    if (cases) {
      getJSON(cases).then(function (gj) {
        (gj.features || []).forEach(function (f) {
          var c = f.geometry.coordinates;
          var m = L.circleMarker(toMap(c[1], c[0]), { radius: 7, color: '#fff', weight: 2, fillColor: '#c8161d', fillOpacity: 0.95 }).addTo(map);
          tooltip(m, [f.properties.title, f.properties.status]);
          m.on('click', function () { window.location.href = f.properties.url; });
        });
      }).catch(function () {});
    }

    // Picking a point: fills the form's coordinate fields.
    if (el.getAttribute('data-pick')) {
      var latIn = document.querySelector(el.getAttribute('data-lat-input'));
      var lngIn = document.querySelector(el.getAttribute('data-lng-input'));
      var coordIn = document.querySelector(el.getAttribute('data-coord-input'));
      var put = function (p) {
        if (marker) { marker.setLatLng(p); } else {
          marker = L.circleMarker(p, { radius: 9, color: '#fff', weight: 3, fillColor: '#c8161d', fillOpacity: 1 }).addTo(map);
        }
      };
      map.on('click', function (e) {
        put(e.latlng);
        latIn.value = e.latlng.lat.toFixed(6);
        lngIn.value = e.latlng.lng.toFixed(6);
        if (coordIn) { coordIn.value = gcj ? 'gcj02' : 'wgs84'; }
      });
      document.addEventListener('yw:location', function (e) {
        var p = toMap(e.detail.lat, e.detail.lng);
        put(p);
        map.setView(p, 17);
      });
      var typed = function () {
        var a = parseFloat(latIn.value), b = parseFloat(lngIn.value);
        if (!isNaN(a) && !isNaN(b)) {
          var p = (coordIn && coordIn.value === 'gcj02') ? [a, b] : toMap(a, b);
          put(p);
        }
      };
      latIn.addEventListener('change', typed);
      lngIn.addEventListener('change', typed);
      typed();
    }
  });
})();
