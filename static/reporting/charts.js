/* Draws the reporting charts from the JSON the server embeds with json_script.
   Every chart has a data table beside it, so nothing depends on this script. */
(function () {
  "use strict";
  if (typeof Chart === "undefined") { return; }
  var palette = ["#1f3a5f", "#2e7d32", "#b26a00", "#6a1b9a", "#00838f", "#ad1457"];
  function dataFor(canvas) {
    var node = document.getElementById(canvas.dataset.source);
    return node ? JSON.parse(node.textContent) : null;
  }
  var builders = {
    funnel: function (d) {
      return { type: "bar", data: { labels: d.funnel.labels, datasets: [{ label: "", data: d.funnel.counts, backgroundColor: palette[0] }] },
        options: { indexAxis: "y", plugins: { legend: { display: false } }, maintainAspectRatio: false } };
    },
    distribution: function (d) {
      return { type: "bar", data: { labels: d.distribution.labels, datasets: [{ label: "", data: d.distribution.counts, backgroundColor: palette[4] }] },
        options: { plugins: { legend: { display: false } }, maintainAspectRatio: false } };
    },
    trend: function (d) {
      if (!d.trend) { return null; }
      var sets = d.trend.series.map(function (s, i) {
        return { label: s.label, data: s.data, borderColor: palette[i % palette.length], backgroundColor: palette[i % palette.length], spanGaps: true, yAxisID: "y" };
      }).concat(d.trend.rates.map(function (s, i) {
        return { label: s.label + " (%)", data: s.data, borderColor: palette[(i + 3) % palette.length], borderDash: [4, 3], spanGaps: true, yAxisID: "rate" };
      }));
      return { type: "line", data: { labels: d.trend.labels, datasets: sets },
        options: { maintainAspectRatio: false, scales: { rate: { position: "right", min: 0, max: 100 } }, plugins: { legend: { position: "bottom" } } } };
    }
  };
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var data = dataFor(canvas);
    var build = builders[canvas.dataset.chart];
    var config = data && build ? build(data) : null;
    if (config) { new Chart(canvas, config); }
  });
})();
