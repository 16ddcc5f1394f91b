/* yiwang 一网统管 — charts over the dashboard's tables with the vendored
   ECharts. The tables stay the source and the accessible version: each
   chart reads the rows of the table after it (data-* attributes), so the
   figures are exactly the ones printed, and a page without the library
   still shows every number. */
(function () {
  'use strict';
  if (!window.echarts) { return; }
  var TOP = 15; // the longest list a bar chart stays readable with

  function ratio(s) {
    var p = (s || '').split('/');
    var d = Number(p[1]);
    return d > 0 ? Math.round(Number(p[0]) / d * 1000) / 10 : null;
  }
  function heading(table, col) {
    var th = table.querySelectorAll('thead th')[col];
    return th ? th.textContent.trim() : '';
  }
  function draw(el, option) {
    el.classList.add('chart-on');
    var chart = window.echarts.init(el, null, { renderer: 'canvas' });
    chart.setOption(option);
    window.addEventListener('resize', function () { chart.resize(); });
  }
  function bars(names) {
    return {
      grid: { left: 8, right: 24, top: 32, bottom: 8, containLabel: true },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      yAxis: { type: 'category', inverse: true, data: names, axisLabel: { width: 160, overflow: 'truncate' } }
    };
  }

  document.querySelectorAll('table[data-chart="ranking"]').forEach(function (table) {
    var el = table.closest('.table-wrap').previousElementSibling;
    if (!el || !el.classList.contains('chart')) { return; }
    var rows = Array.prototype.slice.call(table.querySelectorAll('tbody tr')).slice(0, TOP);
    var names = rows.map(function (r) { return r.getAttribute('data-name'); });
    var opt = bars(names);
    opt.legend = { top: 0 };
    opt.xAxis = { type: 'value', max: 100, axisLabel: { formatter: '{value}%' } };
    opt.series = [
      { name: heading(table, 3), type: 'bar', data: rows.map(function (r) { return ratio(r.getAttribute('data-cr')); }) },
      { name: heading(table, 4), type: 'bar', data: rows.map(function (r) { return ratio(r.getAttribute('data-ot')); }) }
    ];
    draw(el, opt);
  });

  document.querySelectorAll('table[data-chart="hotspots"]').forEach(function (table) {
    var el = table.closest('.table-wrap').previousElementSibling;
    if (!el || !el.classList.contains('chart')) { return; }
    var rows = Array.prototype.slice.call(table.querySelectorAll('tbody tr')).slice(0, TOP);
    var opt = bars(rows.map(function (r) { return r.getAttribute('data-name'); }));
    opt.xAxis = { type: 'value', minInterval: 1 };
    opt.series = [{ name: heading(table, 2), type: 'bar', data: rows.map(function (r) { return Number(r.getAttribute('data-value')); }) }];
    draw(el, opt);
  });
}());
