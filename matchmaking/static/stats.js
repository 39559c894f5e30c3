// The bureau's dashboard: charts drawn from the same JSON the stats API serves.
// No inline scripts (the Content-Security-Policy forbids them): everything starts here.
(function () {
  "use strict";

  var METRICS = [
    { key: "posted", label: "发榜数", color: "#0d6efd" },
    { key: "matched", label: "对接数", color: "#fd7e14" },
    { key: "converted", label: "转化数", color: "#198754" }
  ];

  document.querySelectorAll("[data-width]").forEach(function (bar) {
    bar.style.width = bar.getAttribute("data-width") + "%";
  });
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  if (typeof window.echarts === "undefined") { return; }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      });
  }

  function chartFor(el) {
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    window.addEventListener("resize", function () { chart.resize(); });
    window.addEventListener("beforeprint", function () { chart.resize(); });
    return chart;
  }

  function failed(el) {
    el.textContent = "图表数据加载失败，请刷新页面重试。";
    el.classList.add("text-muted", "small");
  }

  function sortedKeys(objects) {
    var seen = {};
    objects.forEach(function (o) { Object.keys(o || {}).forEach(function (k) { seen[k] = 1; }); });
    return Object.keys(seen).sort();
  }

  var cumulativeEl = document.getElementById("chart-cumulative");
  var yearlyEl = document.getElementById("chart-yearly");
  var progressUrl = (cumulativeEl || yearlyEl || { getAttribute: function () { return null; } })
    .getAttribute("data-progress-url");
  if (progressUrl) {
    getJSON(progressUrl).then(function (data) {
      var m = data.metrics;
      if (cumulativeEl) {
        var years = sortedKeys([m.posted.cumulative, m.posted.targets, m.converted.targets,
          m.matched.cumulative, m.matched.targets]);
        var series = [];
        METRICS.forEach(function (metric) {
          var d = m[metric.key];
          series.push({ name: metric.label + "累计", type: "line", color: metric.color,
            data: years.map(function (y) { return y in d.cumulative ? d.cumulative[y] : null; }),
            label: { show: true, position: "top" } });
          if (Object.keys(d.targets).length) {
            // Only the years the plan names: no line through years without a target.
            series.push({ name: metric.label + "目标", type: "line", color: metric.color,
              lineStyle: { type: "dashed" }, symbol: "diamond", symbolSize: 10,
              connectNulls: false,
              data: years.map(function (y) { return y in d.targets ? d.targets[y] : null; }) });
          }
        });
        chartFor(cumulativeEl).setOption({
          tooltip: { trigger: "axis" }, legend: { top: 0 },
          grid: { left: 40, right: 20, top: 50, bottom: 30 },
          xAxis: { type: "category", data: years }, yAxis: { type: "value", minInterval: 1 },
          series: series
        });
      }
      if (yearlyEl) {
        var allYears = sortedKeys([m.posted.by_year, m.matched.by_year, m.converted.by_year]);
        chartFor(yearlyEl).setOption({
          tooltip: { trigger: "axis" }, legend: { top: 0 },
          grid: { left: 40, right: 20, top: 40, bottom: 30 },
          xAxis: { type: "category", data: allYears }, yAxis: { type: "value", minInterval: 1 },
          series: METRICS.map(function (metric) {
            return { name: metric.label, type: "bar", color: metric.color,
              data: allYears.map(function (y) { return m[metric.key].by_year[y] || 0; }) };
          })
        });
      }
    }).catch(function () {
      [cumulativeEl, yearlyEl].forEach(function (el) { if (el) { failed(el); } });
    });
  }

  // Breakdowns: posted, matched and converted by one dimension; a click opens the drill-down.
  document.querySelectorAll("[data-breakdown-url]").forEach(function (el) {
    var base = el.getAttribute("data-breakdown-url");
    var join = base.indexOf("?") >= 0 ? "&" : "?";
    Promise.all(METRICS.map(function (metric) {
      return getJSON(base + join + "metric=" + metric.key);
    })).then(function (results) {
      var order = results[0].items.filter(function (item, i) {
        return results.some(function (r) { return r.items[i] && r.items[i].count; });
      }).map(function (item) { return item.label; }).reverse();
      var chart = chartFor(el);
      chart.setOption({
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } }, legend: { top: 0 },
        grid: { left: 90, right: 30, top: 40, bottom: 20 },
        xAxis: { type: "value", minInterval: 1 },
        yAxis: { type: "category", data: order },
        series: results.map(function (r, i) {
          var byLabel = {};
          r.items.forEach(function (item) { byLabel[item.label] = item; });
          return { name: METRICS[i].label, type: "bar", color: METRICS[i].color,
            data: order.map(function (label) {
              var item = byLabel[label];
              return { value: item ? item.count : 0, url: item ? item.drill_url : null };
            }) };
        })
      });
      chart.on("click", function (params) {
        if (params.data && params.data.url) { window.location.href = params.data.url; }
      });
      if (!order.length) { el.textContent = "统计期间内没有数据。"; }
    }).catch(function () { failed(el); });
  });
}());
