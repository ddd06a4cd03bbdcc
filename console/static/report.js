// 月度通报: loaded before app.js, which routes to showReport and provides h, s, table, getJson.
// The figures of a month per district (exact counts: staff only), with the change on the month
// before, a bar chart of the share fully served and a trend chart per district, both SVG built
// with DOM APIs (the CSP allows no inline script or style). The .xlsx download hides small counts.
"use strict";

const monthlyReport = {month: ""};  // the month chosen on the page ("" = the current month)
const MONTHLY_SUMMARY = ["listed", "reached", "share_reached", "registered", "owed", "served", "share_served", "difficulty_short"];
const MONTHLY_DETAIL = ["employed", "seeking", "study", "no_wish", "startup", "unknown", "guidance", "recommendations", "training", "difficulty"];
const MONTHLY_WORSE_WHEN_UP = new Set(["difficulty_short"]);
const MONTHLY_COLOURS = {share_reached: "#1f6fb2", share_served: "#2e7d32"};

function monthlyPercent(share) {
  return share === null || share === undefined ? "—" : `${(share * 100).toFixed(1)}%`;
}

function monthlyChange(key, change, isShare) {
  // ▲ / ▼ and the change (persons, or percentage points for a share); green when better
  if (change === null || change === undefined) return h("span", {class: "mom muted", "data-change": ""}, "—");
  const amount = isShare ? Math.round(change * 1000) / 10 : change;
  if (amount === 0) return h("span", {class: "mom same", "data-change": "0"}, "持平");
  const up = amount > 0;
  const better = MONTHLY_WORSE_WHEN_UP.has(key) ? !up : up;
  const text = `${up ? "▲" : "▼"}${Math.abs(amount)}${isShare ? "个百分点" : ""}`;
  return h("span", {class: `mom ${better ? "better" : "worse"}`, "data-change": String(amount), title: "较上月"}, text);
}

function monthlyCell(data, row, key) {
  const isShare = key in data.shares;
  const value = row.current[key];
  const shown = isShare ? monthlyPercent(value) : String(value);
  const change = data.main.includes(key) ? monthlyChange(key, row.change[key], isShare) : null;
  return h("td", {"data-key": key, class: "num"}, h("span", {class: "value"}, shown), change ? " " : null, change);
}

function monthlyLabel(data, key) {
  return data.counts[key] || data.shares[key];
}

function monthlyTables(data) {
  const all = [...data.rows, data.total];
  const summaryRows = all.map((row) => h("tr", {"data-district": row.label, class: row.total ? "total" : null},
    h("td", null, row.rank ? String(row.rank) : ""), h("th", {scope: "row"}, row.label),
    MONTHLY_SUMMARY.map((key) => monthlyCell(data, row, key))));
  const detailRows = all.map((row) => h("tr", {"data-district": row.label, class: row.total ? "total" : null},
    h("th", {scope: "row"}, row.label), MONTHLY_DETAIL.map((key) => monthlyCell(data, row, key))));
  return [
    table(["排序", "区", ...MONTHLY_SUMMARY.map((key) => monthlyLabel(data, key))], summaryRows, {id: "monthly-summary"}),
    h("h3", {class: "monthly-gap"}, "就业状态与服务（人数）"),
    table(["区", ...MONTHLY_DETAIL.map((key) => monthlyLabel(data, key))], detailRows, {id: "monthly-detail"}),
  ];
}

function monthlyBarChart(data) {
  // the share fully served by district, furthest behind first, the city total last
  const all = [...data.rows, data.total];
  const rowHeight = 26;
  const labelWidth = 130;
  const width = 620;
  const barSpace = width - labelWidth - 70;
  const height = all.length * rowHeight + 30;
  const chart = s("svg", {id: "monthly-served-chart", class: "monthly-chart", width, height, viewBox: `0 0 ${width} ${height}`,
    role: "img", "aria-label": "各区服务达标率柱状图"});
  for (const tick of [0, 0.5, 1]) {
    const x = labelWidth + tick * barSpace;
    chart.appendChild(s("line", {x1: x, x2: x, y1: 0, y2: height - 22, class: "grid"}));
    chart.appendChild(s("text", {x, y: height - 6, class: "chart-value", "text-anchor": "middle"}, `${tick * 100}%`));
  }
  all.forEach((row, index) => {
    const share = row.current.share_served;
    const y = 4 + index * rowHeight;
    const length = share ? Math.max(2, share * barSpace) : 0;
    chart.appendChild(s("text", {x: 0, y: y + 16, class: "chart-label"}, row.label));
    chart.appendChild(s("rect", {x: labelWidth, y: y + 4, width: length, height: rowHeight - 8,
      class: row.total ? "bar total" : "bar", "data-district": row.label, "data-share": share === null ? "" : String(share)}));
    chart.appendChild(s("text", {x: labelWidth + length + 6, y: y + 16, class: "chart-value"}, monthlyPercent(share)));
  });
  return chart;
}

function monthlyTrendChart(months, series) {
  // the share reached and the share fully served over the campaign's months, one chart per district
  const width = 300;
  const height = 170;
  const left = 40;
  const right = 24;
  const top = 12;
  const bottom = 28;
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const x = (index) => left + (months.length === 1 ? plotWidth / 2 : (index / (months.length - 1)) * plotWidth);
  const y = (share) => top + (1 - share) * plotHeight;
  const chart = s("svg", {class: "monthly-chart trend-chart", width, height, viewBox: `0 0 ${width} ${height}`,
    role: "img", "aria-label": `${series.label}联系率和服务达标率趋势`, "data-district": series.label});
  for (const tick of [0, 0.5, 1]) {
    chart.appendChild(s("line", {x1: left, x2: width - right, y1: y(tick), y2: y(tick), class: "grid"}));
    chart.appendChild(s("text", {x: left - 4, y: y(tick) + 4, class: "chart-value", "text-anchor": "end"}, `${tick * 100}%`));
  }
  months.forEach((month, index) => {
    if (months.length <= 6 || (months.length - 1 - index) % 2 === 0) {
      chart.appendChild(s("text", {x: x(index), y: height - 8, class: "chart-value", "text-anchor": "middle"}, month.slice(2)));
    }
  });
  for (const key of ["share_reached", "share_served"]) {
    const points = series[key].map((share, index) => [index, share]).filter(([, share]) => share !== null);
    if (points.length > 1) {
      chart.appendChild(s("polyline", {class: `line ${key}`, "data-series": key, fill: "none", stroke: MONTHLY_COLOURS[key],
        points: points.map(([index, share]) => `${x(index).toFixed(1)},${y(share).toFixed(1)}`).join(" ")}));
    }
    for (const [index, share] of points) {
      chart.appendChild(s("circle", {class: `point ${key}`, "data-series": key, "data-month": months[index],
        "data-share": String(share), cx: x(index).toFixed(1), cy: y(share).toFixed(1), r: 3, fill: MONTHLY_COLOURS[key]},
        s("title", null, `${months[index]} ${key === "share_reached" ? "联系率" : "服务达标率"} ${monthlyPercent(share)}`)));
    }
  }
  return chart;
}

function monthlyLegend() {
  return h("p", {class: "monthly-legend"}, h("span", {class: "key share_reached"}, "联系率"), h("span", {class: "key share_served"}, "服务达标率"));
}

function monthlyControls(data) {
  const input = h("input", {type: "month", id: "report-month", value: data.month, max: data.current_month, min: "2000-01", required: true});
  const error = h("span", {class: "error", role: "alert", id: "report-error"});
  const form = h("form", {class: "actions", id: "report-form"}, h("label", {class: "inline", for: "report-month"}, "月份"), input,
    h("button", {type: "submit", class: "primary"}, "查看"),
    h("a", {id: "report-download", href: `${location.origin}/console/api/report.xlsx?month=${encodeURIComponent(data.month)}`,
      download: `report-${data.month}.xlsx`}, "下载 Excel（1–4 人显示为“<5”）"), error);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!/^\d{4}-\d{2}$/.test(input.value)) { error.textContent = "请选择月份"; return; }
    monthlyReport.month = input.value;
    route();
  });
  return form;
}

async function showReport() {
  const query = monthlyReport.month ? `?month=${encodeURIComponent(monthlyReport.month)}` : "";
  const data = await getJson(`/report${query}`);
  const city = state.user.role === "city";
  const heading = `${data.label}月度通报（${city ? "全市各区" : data.scope + "，附全市合计"}）`;
  const head = h("section", {class: "card"}, h("h2", {id: "report-title"}, heading),
    h("p", {class: "muted", id: "report-note"}, `截至 ${data.as_of}（北京时间）。较上月与 ${data.previous} 月末相比。${data.order_rule}`,
      city ? "" : `本区在 ${data.districts} 个区中排第 ${data.rows[0].rank || "—"} 位（落后在前）。`),
    monthlyControls(data));
  if (!data.total.current.listed) return [head, h("section", {class: "card"}, h("p", {class: "muted", id: "report-empty"}, "这个月末名单上还没有毕业生。"))];
  return [
    head,
    h("section", {class: "card"}, h("h3", null, "各区进度"), monthlyTables(data),
      h("p", {class: "muted"}, "屏幕上显示准确人数，仅供工作人员查看；下载的 Excel 中 1–4 人显示为“<5”，并隐藏可据合计推算出小数的格。")),
    h("section", {class: "card"}, h("h3", null, "服务达标率（按区）"), monthlyBarChart(data)),
    h("section", {class: "card"}, h("h3", null, "趋势：联系率与服务达标率"), monthlyLegend(),
      h("div", {class: "trend-grid", id: "monthly-trends"}, data.trend.series.map((series) => h("figure", {class: "trend"},
        h("figcaption", null, series.label), monthlyTrendChart(data.trend.months, series))))),
  ];
}
