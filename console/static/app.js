"use strict";
// The staff console: one page, hash routes, JSON to /console/api. Every text from the server is
// put into the page with textContent (never parsed as HTML); the chart is SVG built with DOM APIs.

const view = document.getElementById("view");
const nav = document.getElementById("nav");
const who = document.getElementById("who");
const SVG_NS = "http://www.w3.org/2000/svg";
const POLL_MS = 2000;
const state = {user: null, csrf: "", lists: null, ticket: 0, poll: null, ledgerFilters: {}, ledgerPage: 1};

const BROADCAST_STATUS = {pending_approval: "待审批", ready: "待发送", scheduled: "已定时", running: "发送中",
  cancelled: "已取消", done: "已完成", finished: "已完成", failed: "失败"};
const DELIVERY_STATUS = {pending: "待发送", sending: "发送中", sent: "已送达", failed: "发送失败",
  blocked: "已屏蔽/退订", skipped: "已跳过", unknown: "结果未知"};
const NOTICE_STATUS = {draft: "草稿", published: "已发布", withdrawn: "已撤回"};
const CHANNELS = {tg: "Telegram", wx: "微信", web: "网页"};
const REPORT_STATUSES = ["sent", "failed", "blocked", "skipped"];
const BAR_COLOURS = {sent: "#2e7d32", failed: "#c62828", blocked: "#6d6d6d", skipped: "#ef8f00"};
const SAFE_HREF = /^(#|https?:\/\/|blob:)/;

// ---- building the page ---------------------------------------------------------------------

function setAttributes(node, attrs) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "href" && !SAFE_HREF.test(String(value))) continue;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
}

function appendAll(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
  return node;
}

function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  setAttributes(node, attrs);
  return appendAll(node, children);
}

function s(tag, attrs, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  setAttributes(node, attrs);
  return appendAll(node, children);
}

function table(headers, rows, attrs) {
  return h("table", attrs,
    h("thead", null, h("tr", null, headers.map((text) => h("th", null, text)))),
    h("tbody", null, rows));
}

function field(label, input) {
  return h("div", null, h("label", {for: input.id}, label), input);
}

function select(id, options, value) {
  // options: [[value, label], ...]
  const node = h("select", {id, name: id}, options.map(([v, text]) => h("option", {value: v}, text)));
  node.value = value === undefined || value === null ? "" : String(value);
  return node;
}

function pairs(object) {
  return Object.entries(object).map(([key, label]) => [key, label]);
}

function isoDay(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

function daysFromToday(days) {
  const date = new Date();
  date.setDate(date.getDate() + days);
  return isoDay(date);
}

function area(district) {
  return district || "全市";
}

function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

// ---- talking to the API --------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function api(method, path, body) {
  const init = {method, credentials: "same-origin", headers: {Accept: "application/json"}};
  if (method !== "GET") {
    init.headers["Content-Type"] = "application/json";
    init.headers["X-CSRF-Token"] = state.csrf;
    init.body = JSON.stringify(body || {});
  }
  let response;
  try {
    response = await fetch("/console/api" + path, init);
  } catch (error) {
    throw new ApiError(0, "网络连接失败，请稍后再试");
  }
  if (response.status === 401 && path !== "/login") {
    signedOut();
    throw new ApiError(401, "登录已过期，请重新登录");
  }
  if (!response.ok) {
    let message = `操作失败（${response.status}）`;
    try {
      const data = await response.json();
      if (data.error) message = data.error;
    } catch (error) { /* not JSON */ }
    throw new ApiError(response.status, message);
  }
  return response;
}

async function getJson(path) {
  return (await api("GET", path)).json();
}

async function postJson(path, body) {
  return (await api("POST", path, body)).json();
}

// ---- signing in and out, navigation --------------------------------------------------------

function signedIn(data) {
  state.user = data.user;
  state.csrf = data.csrf;
  state.lists = data.lists;
  renderNav();
}

function signedOut() {
  state.user = null;
  state.csrf = "";
  state.ticket += 1;
  stopPolling();
  renderNav();
  showLogin();
}

function renderNav() {
  const user = state.user;
  nav.hidden = !user;
  if (!user) {
    nav.replaceChildren();
    who.replaceChildren();
    return;
  }
  const links = [["#/notices", "通知"], ["#/compose", "发布通知"], ["#/broadcasts", "推送记录"]];
  if (user.role === "city") links.push(["#/approvals", "待审批"]);
  links.push(["#/ledger", "登记台账"], ["#/import", "名单导入"], ["#/contacts", "联系跟进"], ["#/report", "月度通报"],
    ["#/handoffs", "转人工"], ["#/unanswered", "未答问题"]);
  nav.replaceChildren(...links.map(([href, text]) => h("a", {href, "data-route": href}, text)));
  markCurrent();
  const logout = h("button", {type: "button", id: "logout", onclick: async () => {
    try { await postJson("/logout", {}); } catch (error) { /* signed out anyway */ }
    signedOut();
  }}, "退出");
  who.replaceChildren(`${user.username} · ${user.role === "city" ? "市级" : user.district}`, logout);
}

function markCurrent() {
  const hash = location.hash.split("/").slice(0, 2).join("/");
  for (const link of nav.querySelectorAll("a")) {
    link.classList.toggle("current", link.dataset.route === hash || (hash === "#/notice" && link.dataset.route === "#/notices")
      || (hash === "#/broadcast" && link.dataset.route === "#/broadcasts")
      || (hash === "#/handoff" && link.dataset.route === "#/handoffs"));
  }
}

function showLogin() {
  const error = h("p", {class: "error", role: "alert", id: "login-error"});
  const username = h("input", {id: "username", name: "username", autocomplete: "username", maxlength: 32, required: true});
  const password = h("input", {id: "password", name: "password", type: "password", autocomplete: "current-password", required: true});
  const button = h("button", {type: "submit", class: "primary", id: "login"}, "登录");
  const form = h("form", {class: "card narrow", id: "login-form"}, h("h2", null, "工作人员登录"),
    field("用户名", username), field("密码", password), h("div", {class: "actions"}, button), error);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    button.disabled = true;
    try {
      signedIn(await postJson("/login", {username: username.value.trim(), password: password.value}));
      go(location.hash && location.hash !== "#/login" ? location.hash : "#/notices");
    } catch (failure) {
      error.textContent = failure.message;
      password.value = "";
    } finally {
      button.disabled = false;
    }
  });
  view.replaceChildren(form);
  username.focus();
}

// ---- routes --------------------------------------------------------------------------------

const ROUTES = [
  [/^#\/notices$/, showNotices],
  [/^#\/compose$/, showCompose],
  [/^#\/notice\/(\d+)$/, showNotice],
  [/^#\/broadcasts$/, showBroadcasts],
  [/^#\/approvals$/, showApprovals],
  [/^#\/broadcast\/(\d+)$/, showBroadcast],
  [/^#\/ledger$/, showLedger],
  [/^#\/handoffs$/, showHandoffs],
  [/^#\/handoffs\/closed$/, showClosedHandoffs],
  [/^#\/handoff\/(\d+)$/, showHandoff],
  [/^#\/unanswered$/, showUnanswered],
  [/^#\/import$/, showImport],        // import.js
  [/^#\/contacts$/, showContacts],    // contacts.js
  [/^#\/report$/, showReport],        // report.js
];

function stopPolling() {
  if (state.poll) clearTimeout(state.poll);
  state.poll = null;
}

async function route() {
  stopPolling();
  const ticket = ++state.ticket;
  if (!state.user) { showLogin(); return; }
  markCurrent();
  const hash = location.hash || "#/notices";
  const found = ROUTES.map(([pattern, show]) => [hash.match(pattern), show]).find(([match]) => match);
  if (!found) { go("#/notices"); return; }
  const [match, show] = found;
  view.replaceChildren(h("p", {class: "muted"}, "加载中…"));
  try {
    const nodes = await show(ticket, ...match.slice(1));
    if (ticket === state.ticket && nodes) view.replaceChildren(...[nodes].flat());
  } catch (error) {
    if (ticket === state.ticket && error.status !== 401) view.replaceChildren(h("p", {class: "error"}, error.message));
  }
}

function current(ticket) {
  return ticket === state.ticket;
}

// ---- notices -------------------------------------------------------------------------------

async function showNotices() {
  const data = await getJson("/notices");
  const rows = data.notices.map((n) => h("tr", null,
    h("td", null, String(n.id)), h("td", null, n.kind_label),
    h("td", null, h("a", {href: `#/notice/${n.id}`}, n.title)), h("td", null, area(n.district)),
    h("td", null, NOTICE_STATUS[n.status] || n.status), h("td", null, `${n.valid_from} 至 ${n.valid_until}`),
    h("td", null, n.created_by)));
  return h("section", {class: "card"}, h("h2", null, "通知"),
    h("div", {class: "actions"}, h("a", {href: "#/compose"}, "＋ 发布新通知")),
    rows.length ? table(["编号", "类别", "标题", "区域", "状态", "有效期", "发布人"], rows, {id: "notices"})
      : h("p", {class: "muted"}, "还没有通知。"));
}

function showCompose() {
  const lists = state.lists;
  const user = state.user;
  const districtOptions = user.role === "city"
    ? [["", "全市（发送需另一位市级人员审批）"], ...lists.districts.map((d) => [d, d])]
    : [[user.district, user.district]];
  const inputs = {
    kind: select("kind", pairs(lists.kinds), "fair"),
    title: h("input", {id: "title", maxlength: 200, class: "wide", required: true}),
    body: h("textarea", {id: "body", maxlength: 2000, required: true}),
    district: select("district", districtOptions, user.role === "city" ? "" : user.district),
    industry: h("input", {id: "industry", maxlength: 64}),
    degree: select("degree", [["", "不限"], ...lists.degrees.map((d) => [d, `${d}及以上`])], ""),
    event_date: h("input", {id: "event_date", type: "date"}),
    event_time: h("input", {id: "event_time", maxlength: 32, placeholder: "如 9:00-12:00"}),
    place: h("input", {id: "place", maxlength: 200, class: "wide"}),
    online_link: h("input", {id: "online_link", type: "url", maxlength: 500, class: "wide", placeholder: "https://"}),
    organiser: h("input", {id: "organiser", maxlength: 200, class: "wide"}),
    valid_from: h("input", {id: "valid_from", type: "date", value: daysFromToday(0), required: true}),
    valid_until: h("input", {id: "valid_until", type: "date", value: daysFromToday(30), required: true}),
  };
  if (user.role !== "city") inputs.district.disabled = true;
  const fair = h("fieldset", {id: "fair-details"}, h("legend", null, "招聘会信息"),
    h("div", {class: "grid"}, field("举办日期", inputs.event_date), field("举办时间", inputs.event_time)),
    field("举办地点", inputs.place), field("线上参会链接", inputs.online_link), field("主办单位", inputs.organiser));
  const showFair = () => { fair.hidden = inputs.kind.value !== "fair"; };
  inputs.kind.addEventListener("change", showFair);
  showFair();
  const error = h("p", {class: "error", role: "alert", id: "compose-error"});
  const submit = h("button", {type: "submit", class: "primary", id: "publish"}, "保存并发布");
  const form = h("form", {class: "card", id: "compose-form"}, h("h2", null, "发布通知"),
    h("div", {class: "grid"}, field("类别", inputs.kind), field("区域", inputs.district),
      field("行业（选填）", inputs.industry), field("学历要求", inputs.degree)),
    field("标题", inputs.title), field("正文", inputs.body), fair,
    h("div", {class: "grid"}, field("有效期自", inputs.valid_from), field("有效期至", inputs.valid_until)),
    h("div", {class: "actions"}, submit), error);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const body = {};
    for (const [name, input] of Object.entries(inputs)) body[name] = input.value;
    if (body.kind !== "fair") for (const name of ["event_date", "event_time", "place", "online_link", "organiser"]) delete body[name];
    submit.disabled = true;
    try {
      const created = await postJson("/notices", body);
      go(`#/notice/${created.id}`);
    } catch (failure) {
      error.textContent = failure.message;
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

function noticeDetails(n) {
  const rows = [["类别", n.kind_label], ["区域", area(n.district)], ["行业", n.industry], ["学历要求", n.degree ? `${n.degree}及以上` : "不限"]];
  if (n.kind === "fair") {
    rows.push(["举办日期", n.event_date], ["举办时间", n.event_time], ["举办地点", n.place], ["主办单位", n.organiser]);
  }
  rows.push(["有效期", `${n.valid_from} 至 ${n.valid_until}`], ["状态", NOTICE_STATUS[n.status] || n.status],
    ["发布", `${n.created_by} ${n.published_at || n.created_at}`]);
  const items = rows.filter(([, value]) => value).map(([label, value]) => [h("dt", null, label), h("dd", null, value)]);
  if (n.online_link) items.push([h("dt", null, "线上链接"),
    h("dd", null, h("a", {href: n.online_link, target: "_blank", rel: "noopener noreferrer"}, n.online_link))]);
  return h("dl", null, items);
}

async function showNotice(ticket, id) {
  const data = await getJson(`/notices/${id}`);
  const n = data.notice;
  const parts = [h("section", {class: "card"}, h("h2", {id: "notice-title"}, n.title), noticeDetails(n),
    h("p", {class: "pre", id: "notice-body"}, n.body))];
  if (n.status === "published") parts.push(sendCard(n, data.audience));
  if (data.broadcasts.length) parts.push(h("section", {class: "card"}, h("h3", null, "这条通知的推送"), broadcastTable(data.broadcasts)));
  return parts;
}

function sendCard(n, audience) {
  const user = state.user;
  const message = h("p", {id: "send-message", role: "status"});
  const at = h("input", {id: "schedule-at", type: "datetime-local"});
  const send = async (mode, button) => {
    message.className = "";
    message.textContent = "";
    button.disabled = true;
    try {
      const body = {mode};
      if (mode === "schedule") body.scheduled_at = at.value;
      const created = await postJson(`/notices/${n.id}/broadcasts`, body);
      if (mode === "test") {
        message.className = "ok";
        message.replaceChildren(`测试推送已提交，将发到你的账号 ${user.identity}。`, h("a", {href: `#/broadcast/${created.id}`}, "查看进度"));
      } else {
        go(`#/broadcast/${created.id}`);
      }
    } catch (failure) {
      message.className = "error";
      message.textContent = failure.message;
    } finally {
      button.disabled = false;
    }
  };
  const testButton = h("button", {type: "button", id: "send-test", disabled: !user.identity, onclick: (e) => send("test", e.target)},
    "发送测试给我自己");
  const nowButton = h("button", {type: "button", class: "primary", id: "send-now", onclick: (e) => send("now", e.target)}, "立即发送");
  const laterButton = h("button", {type: "button", id: "send-later", onclick: (e) => send("schedule", e.target)}, "定时发送");
  const withdraw = h("button", {type: "button", id: "withdraw", onclick: async () => {
    if (!window.confirm("撤回后，这条通知不再向毕业生展示，也不能再发送。确定撤回？")) return;
    try { await postJson(`/notices/${n.id}/withdraw`, {}); route(); } catch (failure) { message.textContent = failure.message; }
  }}, "撤回通知");
  return h("section", {class: "card", id: "send-card"}, h("h3", null, "发送"),
    h("p", {id: "audience"}, "预计覆盖 ", h("strong", {id: "audience-count"}, String(audience)), " 人",
      h("span", {class: "muted"}, "（订阅了这类通知的用户，以及符合条件、希望获得岗位推介的登记毕业生；已屏蔽或退订的不计）")),
    n.district ? null : h("p", {class: "muted"}, "全市通知需另一位市级工作人员在“待审批”中批准后才会发送。"),
    user.identity ? null : h("p", {class: "muted"}, "你的账号未设置接收测试的聊天账号，无法发送测试。"),
    h("div", {class: "actions"}, testButton, nowButton, h("span", null, "或定时："), at, laterButton, withdraw), message);
}

// ---- broadcasts ----------------------------------------------------------------------------

function broadcastKind(b) {
  return b.test_identity ? `测试（${b.test_identity}）` : "正式";
}

function broadcastTable(list) {
  const rows = list.map((b) => h("tr", null,
    h("td", null, h("a", {href: `#/broadcast/${b.id}`}, String(b.id))),
    h("td", null, h("a", {href: `#/notice/${b.notice_id}`}, b.title)), h("td", null, area(b.district)),
    h("td", null, broadcastKind(b)), h("td", null, BROADCAST_STATUS[b.status] || b.status),
    h("td", null, b.scheduled_at || "立即"), h("td", null, b.created_by), h("td", null, b.approved_by || ""),
    h("td", null, String(b.total)), h("td", null, b.created_at)));
  return table(["编号", "通知", "区域", "类型", "状态", "发送时间", "发起人", "审批人", "总数", "创建时间"], rows, {class: "broadcasts"});
}

async function showBroadcasts() {
  const data = await getJson("/broadcasts");
  return h("section", {class: "card"}, h("h2", null, "推送记录"),
    data.broadcasts.length ? broadcastTable(data.broadcasts) : h("p", {class: "muted"}, "还没有推送。"));
}

async function showApprovals() {
  const data = await getJson("/broadcasts?status=pending_approval");
  const message = h("p", {role: "status", id: "approval-message"});
  const rows = data.broadcasts.map((b) => {
    const mine = b.created_by === state.user.username;
    const approve = h("button", {type: "button", class: "primary approve", "data-id": b.id, disabled: mine, onclick: async (event) => {
      event.target.disabled = true;
      try {
        await postJson(`/broadcasts/${b.id}/approve`, {});
        route();
      } catch (failure) {
        message.className = "error";
        message.textContent = failure.message;
        event.target.disabled = false;
      }
    }}, "批准发送");
    return h("tr", null, h("td", null, h("a", {href: `#/broadcast/${b.id}`}, String(b.id))),
      h("td", null, h("a", {href: `#/notice/${b.notice_id}`}, b.title)), h("td", null, b.created_by),
      h("td", null, b.scheduled_at || "立即"), h("td", null, b.created_at),
      h("td", null, approve, mine ? h("span", {class: "muted"}, " 需由其他市级工作人员审批") : null));
  });
  return h("section", {class: "card"}, h("h2", null, "待审批的全市推送"), message,
    rows.length ? table(["编号", "通知", "发起人", "发送时间", "创建时间", ""], rows, {id: "approvals"})
      : h("p", {class: "muted"}, "没有待审批的推送。"));
}

async function showBroadcast(ticket, id) {
  const data = await getJson(`/broadcasts/${id}`);
  const b = data.broadcast;
  const parts = {
    status: h("span", {id: "broadcast-status"}),
    progress: h("progress", {id: "progress", max: 1, value: 0}),
    progressText: h("p", {id: "progress-text"}),
    counts: h("ul", {class: "counts", id: "counts"}),
    cancel: h("button", {type: "button", id: "cancel"}, "取消推送"),
    message: h("p", {role: "status", id: "broadcast-message"}),
    report: h("div", {id: "report"}),
  };
  parts.cancel.addEventListener("click", async () => {
    if (!window.confirm("取消后，尚未发出的消息不再发送。确定取消？")) return;
    parts.cancel.disabled = true;
    try {
      const result = await postJson(`/broadcasts/${id}/cancel`, {});
      parts.message.className = "ok";
      parts.message.textContent = `已取消，${result.skipped} 条未发出的消息不再发送。`;
      await refresh();
    } catch (failure) {
      parts.message.className = "error";
      parts.message.textContent = failure.message;
      parts.cancel.disabled = false;
    }
  });
  const refresh = async () => {
    const latest = await getJson(`/broadcasts/${id}`);
    if (!current(ticket)) return;
    updateBroadcast(parts, latest);
    schedulePoll(ticket, latest, refresh);
  };
  updateBroadcast(parts, data);
  schedulePoll(ticket, data, refresh);
  return [
    h("section", {class: "card"}, h("h2", null, `推送 #${b.id}：`, h("a", {href: `#/notice/${b.notice_id}`}, b.title)),
      h("dl", null, h("dt", null, "状态"), h("dd", null, parts.status), h("dt", null, "类型"), h("dd", null, broadcastKind(b)),
        h("dt", null, "区域"), h("dd", null, area(b.district)), h("dt", null, "发起人"), h("dd", null, b.created_by),
        h("dt", null, "审批人"), h("dd", null, b.approved_by || (b.district || b.test_identity ? "无需审批" : "待审批")),
        h("dt", null, "发送时间"), h("dd", null, b.scheduled_at || "立即"))),
    h("section", {class: "card", id: "progress-card"}, h("h3", null, "发送进度"), parts.progress, parts.progressText, parts.counts,
      h("div", {class: "actions"}, parts.cancel), parts.message),
    h("section", {class: "card"}, h("h3", null, "投递报告"), parts.report),
  ];
}

function schedulePoll(ticket, data, refresh) {
  if (!current(ticket) || data.finished) return;
  stopPolling();
  state.poll = setTimeout(() => { refresh().catch(() => schedulePoll(ticket, data, refresh)); }, POLL_MS);
}

function updateBroadcast(parts, data) {
  const b = data.broadcast;
  const counts = data.counts;
  const total = b.total || Object.values(counts).reduce((a, n) => a + n, 0);
  const settled = total - (counts.pending || 0) - (counts.sending || 0);
  const label = data.finished && b.status === "running" ? "已完成" : (BROADCAST_STATUS[b.status] || b.status);
  parts.status.textContent = label;
  parts.status.dataset.finished = data.finished ? "yes" : "no";
  parts.progress.max = Math.max(total, 1);
  parts.progress.value = settled;
  parts.progressText.textContent = b.status === "ready" || b.status === "scheduled" || b.status === "pending_approval"
    ? `${label}：推送服务开始后这里会显示进度。`
    : `共 ${total} 条，已处理 ${settled} 条${data.finished ? "，已结束" : "，每 2 秒刷新"}`;
  parts.progressText.dataset.total = String(total);
  parts.counts.replaceChildren(...Object.entries(counts).map(([status, n]) =>
    h("li", {"data-status": status}, `${DELIVERY_STATUS[status] || status} ${n}`)));
  parts.cancel.hidden = !b.active || data.finished;
  parts.report.replaceChildren(reportTable(data.report), reportChart(data.report));
}

function reportTable(report) {
  const channels = Object.keys(report).sort();
  if (!channels.length) return h("p", {class: "muted"}, "还没有投递记录。");
  const rows = channels.map((channel) => {
    const byStatus = report[channel];
    const other = Object.entries(byStatus).filter(([status]) => !REPORT_STATUSES.includes(status)).reduce((a, [, n]) => a + n, 0);
    return h("tr", {"data-channel": channel}, h("td", null, CHANNELS[channel] || channel),
      REPORT_STATUSES.map((status) => h("td", {"data-status": status}, String(byStatus[status] || 0))), h("td", null, String(other)));
  });
  return table(["渠道", ...REPORT_STATUSES.map((status) => DELIVERY_STATUS[status]), "其他（待发送等）"], rows, {id: "report-table"});
}

function reportChart(report) {
  const channels = Object.keys(report).sort();
  if (!channels.length) return null;
  const bars = channels.flatMap((channel) => REPORT_STATUSES.map((status) => [channel, status, report[channel][status] || 0]));
  const rowHeight = 24;
  const labelWidth = 150;
  const width = 560;
  const barSpace = width - labelWidth - 60;
  const most = Math.max(1, ...bars.map(([, , n]) => n));
  const height = bars.length * rowHeight + 8;
  const chart = s("svg", {id: "report-chart", width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": "投递报告柱状图"});
  bars.forEach(([channel, status, n], index) => {
    const y = 4 + index * rowHeight;
    const length = n ? Math.max(2, (n / most) * barSpace) : 0;
    chart.appendChild(s("text", {x: 0, y: y + 15, class: "chart-label"}, `${CHANNELS[channel] || channel} · ${DELIVERY_STATUS[status]}`));
    chart.appendChild(s("rect", {x: labelWidth, y: y + 4, width: length, height: rowHeight - 8, fill: BAR_COLOURS[status],
      class: "bar", "data-channel": channel, "data-status": status, "data-count": n}));
    chart.appendChild(s("text", {x: labelWidth + length + 6, y: y + 15, class: "chart-value"}, String(n)));
  });
  return chart;
}

// ---- the registration ledger ---------------------------------------------------------------

function ledgerQuery() {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(state.ledgerFilters)) if (value) params.set(key, value === true ? "1" : value);
  params.set("page", String(state.ledgerPage));
  return params.toString();
}

function ledgerFilterForm() {
  const lists = state.lists;
  const f = state.ledgerFilters;
  const inputs = {
    status: select("filter-status", [["", "全部"], ...lists.statuses.map((x) => [x, x])], f.status),
    grad_year: h("input", {id: "filter-grad-year", inputmode: "numeric", maxlength: 4, size: 6, value: f.grad_year || ""}),
    needs: select("filter-needs", [["", "全部"], ...pairs(lists.services)], f.needs),
  };
  if (state.user.role === "city") inputs.district = select("filter-district", [["", "全市"], ...lists.districts.map((d) => [d, d])], f.district);
  const difficulty = h("input", {type: "checkbox", id: "filter-difficulty", checked: !!f.difficulty});
  const owed = h("input", {type: "checkbox", id: "filter-owed", checked: !!f.owed});
  const form = h("form", {class: "card", id: "ledger-filters"},
    h("div", {class: "grid"}, inputs.district ? field("居住区", inputs.district) : null, field("就业状态", inputs.status),
      field("毕业年份", inputs.grad_year), field("服务需求", inputs.needs)),
    h("div", {class: "actions"}, h("label", {class: "inline"}, difficulty, "仅困难家庭"), h("label", {class: "inline"}, owed, "仅尚欠服务"),
      h("button", {type: "submit", class: "primary"}, "筛选"),
      h("button", {type: "button", id: "export-csv", onclick: () => download("csv")}, "导出 CSV"),
      h("button", {type: "button", id: "export-xlsx", onclick: () => download("xlsx")}, "导出 Excel")),
    h("p", {class: "muted"}, "导出文件中手机号和身份证号已打码；每次导出都记入审计日志。"),
    h("p", {class: "error", id: "ledger-error", role: "alert"}));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    state.ledgerFilters = {difficulty: difficulty.checked, owed: owed.checked};
    for (const [name, input] of Object.entries(inputs)) state.ledgerFilters[name] = input.value.trim();
    state.ledgerPage = 1;
    route();
  });
  return form;
}

async function download(format) {
  const error = document.getElementById("ledger-error");
  error.textContent = "";
  try {
    const response = await api("POST", "/export", {format, filters: state.ledgerFilters});
    const blob = await response.blob();
    const match = (response.headers.get("Content-Disposition") || "").match(/filename="([^"]+)"/);
    const url = URL.createObjectURL(blob);
    const link = h("a", {href: url, download: match ? match[1] : `ledger.${format}`});
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 30000);
  } catch (failure) {
    error.textContent = failure.message;
  }
}

function followUpRow(row, columns) {
  const lists = state.lists;
  const kind = select(`fu-kind-${row.ref}`, pairs(lists.follow_up_kinds), "guidance");
  const day = h("input", {type: "date", id: `fu-date-${row.ref}`, value: daysFromToday(0), max: daysFromToday(0)});
  const note = h("input", {id: `fu-note-${row.ref}`, maxlength: 500, placeholder: "备注（选填）", size: 30});
  const message = h("span", {class: "error", role: "alert"});
  const save = h("button", {type: "submit", class: "primary"}, "保存");
  const form = h("form", {class: "actions follow-up"}, `记录为 ${row.ref} 提供的服务：`, kind, day, note, save, message);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    save.disabled = true;
    try {
      await postJson(`/ledger/${encodeURIComponent(row.ref)}/follow-ups`, {kind: kind.value, date: day.value, note: note.value});
      route();
    } catch (failure) {
      message.textContent = failure.message;
      save.disabled = false;
    }
  });
  return h("tr", {class: "follow-up-form", hidden: true}, h("td", {colspan: columns}, form));
}

async function showLedger() {
  const data = await getJson(`/ledger?${ledgerQuery()}`);
  const headers = ["登记编号", "姓名", "手机号", "学校", "专业", "学历", "毕业年份", "居住区", "就业状态", "已提供服务", "尚欠服务", ""];
  const rows = data.rows.flatMap((row) => {
    const form = followUpRow(row, headers.length);
    const toggle = h("button", {type: "button", class: "record", onclick: () => { form.hidden = !form.hidden; }}, "记录服务");
    return [h("tr", {class: "registration", "data-ref": row.ref},
      h("td", null, row.ref), h("td", {class: "name"}, row.name), h("td", {class: "phone"}, row.phone),
      h("td", {class: "school"}, row.school || ""), h("td", null, row.major || ""), h("td", null, row.degree || ""),
      h("td", null, row.grad_year ? String(row.grad_year) : ""), h("td", null, row.district || ""),
      h("td", null, row.status || "", row.difficulty ? h("span", {class: "owed"}, "（困难家庭）") : null),
      h("td", null, row.received.join("；") || "—"), h("td", {class: "owed"}, row.owed.join("；") || "已达标"),
      h("td", null, toggle)), form];
  });
  const pages = Math.max(1, Math.ceil(data.total / data.page_size));
  const turn = (page) => { state.ledgerPage = page; route(); };
  return [
    ledgerFilterForm(),
    h("section", {class: "card"}, h("h2", null, state.user.role === "city" ? "登记台账" : `登记台账（${state.user.district}）`),
      h("ul", {class: "counts", id: "ledger-summary"}, data.summary.map((line) => h("li", null, line))),
      rows.length ? table(headers, rows, {id: "ledger"}) : h("p", {class: "muted"}, "没有符合条件的登记。"),
      h("div", {class: "pager"}, h("span", null, `共 ${data.total} 人，第 ${data.page}/${pages} 页`),
        h("button", {type: "button", disabled: data.page <= 1, onclick: () => turn(data.page - 1)}, "上一页"),
        h("button", {type: "button", disabled: data.page >= pages, onclick: () => turn(data.page + 1)}, "下一页"))),
  ];
}

// ---- handoff to a person (转人工) -----------------------------------------------------------

function handoffTable(cases, closed) {
  const rows = cases.map((c) => h("tr", {class: c.waiting && !closed ? "waiting" : null, "data-id": c.id},
    h("td", null, h("a", {href: `#/handoff/${c.id}`}, `#${c.id}`)), h("td", null, c.channel_label),
    h("td", null, c.district || "未知"), h("td", null, closed ? c.closed_at : c.opened_at),
    h("td", null, closed ? (c.closed_by || "") : (c.waiting ? "等待回复" : "已回复")),
    h("td", null, c.claimed_by || ""), h("td", {class: "pre"}, c.preview)));
  const headers = ["会话", "渠道", "所在区", closed ? "结束时间" : "发起时间", closed ? "结束人" : "状态", "接待人", "最近消息"];
  return table(headers, rows, {id: closed ? "closed-handoffs" : "handoffs"});
}

async function showHandoffs(ticket) {
  const data = await getJson("/handoffs?status=open");
  state.poll = setTimeout(() => { if (current(ticket)) route(); }, 10 * POLL_MS);
  return h("section", {class: "card"}, h("h2", null, "转人工：待处理会话"),
    h("p", {class: "muted"}, "毕业生回复“转人工”后出现在这里；会话结束前智能助手不自动回答。每 20 秒刷新。"),
    data.cases.length ? handoffTable(data.cases, false) : h("p", {class: "muted", id: "no-handoffs"}, "没有待处理的会话。"),
    h("div", {class: "actions"}, h("a", {href: "#/handoffs/closed"}, "已结束的会话")));
}

async function showClosedHandoffs() {
  const data = await getJson("/handoffs?status=closed");
  return h("section", {class: "card"}, h("h2", null, "已结束的会话"),
    data.cases.length ? handoffTable(data.cases, true) : h("p", {class: "muted"}, "还没有已结束的会话。"),
    h("div", {class: "actions"}, h("a", {href: "#/handoffs"}, "返回待处理会话")));
}

function handoffMessages(messages) {
  return h("ol", {class: "transcript", id: "transcript"}, messages.map((m) => h("li", {class: `from-${m.author}`, "data-id": m.id},
    h("div", {class: "meta"}, `${m.author_label}${m.staff ? "（" + m.staff + "）" : ""} · ${m.at}`,
      m.delivery ? h("span", {class: `delivery ${m.delivery}`, "data-delivery": m.delivery},
        ` · ${m.delivery_label}${m.error ? "：" + m.error : ""}`) : null),
    h("div", {class: "pre"}, m.text))));
}

async function showHandoff(ticket, id) {
  const data = await getJson(`/handoffs/${id}`);
  const c = data.case;
  const open = c.status === "open";
  const transcript = h("div", null, handoffMessages(data.messages));
  const message = h("p", {role: "status", id: "handoff-message"});
  const text = h("textarea", {id: "reply-text", maxlength: data.max_reply, placeholder: "回复内容会发到毕业生所用的渠道"});
  const send = h("button", {type: "button", class: "primary", id: "send-reply"}, "发送回复");
  const close = h("button", {type: "button", id: "close-handoff"}, "结束会话");
  const refresh = async () => {
    const latest = await getJson(`/handoffs/${id}`);
    if (!current(ticket)) return;
    transcript.replaceChildren(handoffMessages(latest.messages));
    if (latest.case.status === "open") state.poll = setTimeout(() => refresh().catch(() => {}), POLL_MS * 2);
  };
  send.addEventListener("click", async () => {
    if (!text.value.trim()) { message.className = "error"; message.textContent = "请填写回复内容"; return; }
    send.disabled = true;
    try {
      const result = await postJson(`/handoffs/${id}/reply`, {text: text.value});
      text.value = "";
      message.className = result.note ? "error" : "ok";
      message.textContent = result.note || "已发送，送达情况见上方记录。";
      stopPolling();
      await refresh();
    } catch (failure) {
      message.className = "error";
      message.textContent = failure.message;
    } finally {
      send.disabled = false;
    }
  });
  close.addEventListener("click", async () => {
    if (!window.confirm("结束会话后，智能助手恢复自动回答，毕业生会收到结束提示。确定结束？")) return;
    close.disabled = true;
    try {
      await postJson(`/handoffs/${id}/close`, {});
      go(`#/handoff/${id}`);
    } catch (failure) {
      message.className = "error";
      message.textContent = failure.message;
      close.disabled = false;
    }
  });
  if (open) state.poll = setTimeout(() => refresh().catch(() => {}), POLL_MS * 2);
  const windowNote = c.channel === "wx" && !c.window_open
    ? h("p", {class: "error"}, "对方超过48小时没有发消息，微信不允许再发客服消息：回复可能无法送达，可请其拨打12333或到区服务机构。") : null;
  return [
    h("section", {class: "card"}, h("h2", null, `会话 #${c.id}`),
      h("dl", null, h("dt", null, "渠道"), h("dd", null, c.channel_label), h("dt", null, "所在区"), h("dd", null, c.district || "未知（未登记）"),
        h("dt", null, "发起时间"), h("dd", null, c.opened_at), h("dt", null, "最近来信"), h("dd", null, c.last_inbound_at),
        h("dt", null, "状态"), h("dd", {id: "handoff-status"}, open ? "进行中" : `已结束（${c.closed_by || ""} ${c.closed_at}）`)),
      windowNote),
    h("section", {class: "card"}, h("h3", null, "对话记录（手机号、身份证号已遮盖）"), transcript),
    open ? h("section", {class: "card"}, h("h3", null, "回复毕业生"), text,
      h("div", {class: "actions"}, send, close), message) : h("p", null, h("a", {href: "#/handoffs"}, "返回待处理会话")),
  ];
}

// ---- questions the assistant could not answer ----------------------------------------------

async function showUnanswered() {
  const data = await getJson("/unanswered");
  const message = h("p", {role: "status", id: "unanswered-message"});
  const REASONS = {unclear: "没听懂", out_of_scope: "超出范围", gave_up: "多次没听懂"};
  const rows = data.questions.map((q) => {
    const buttons = Object.entries(data.resolutions).map(([code, label]) => h("button", {type: "button", "data-resolution": code,
      onclick: async (event) => {
        event.target.disabled = true;
        try {
          await postJson(`/unanswered/${q.key}/resolve`, {resolution: code});
          route();
        } catch (failure) {
          message.className = "error";
          message.textContent = failure.message;
          event.target.disabled = false;
        }
      }}, label));
    return h("tr", {"data-key": q.key}, h("td", {class: "pre"}, q.text), h("td", null, String(q.count)),
      h("td", null, q.reasons.map((r) => REASONS[r] || r).join("、")), h("td", null, q.guess || ""),
      h("td", null, q.channels.join("、")), h("td", null, q.districts.length ? q.districts.join("、") : "未知"),
      h("td", null, q.last_at), h("td", null, h("div", {class: "actions"}, buttons)));
  });
  return h("section", {class: "card"}, h("h2", null, "智能助手没能回答的问题"),
    h("p", {class: "muted"}, "按提问次数排序，用于补充知识库（policy_kb/data）。不记录提问人，手机号、身份证号已遮盖。"
      + (state.user.role === "city" ? "" : `这里是${state.user.district}登记人员和未登记人员的提问；标记处理只影响这些记录。`)), message,
    rows.length ? table(["问题", "次数", "原因", "最接近的意图", "渠道", "提问人所在区", "最近一次", "处理"], rows, {id: "unanswered"})
      : h("p", {class: "muted"}, "暂时没有未答问题。"));
}

// ---- start ---------------------------------------------------------------------------------

window.addEventListener("hashchange", route);

async function start() {
  try {
    signedIn(await getJson("/me"));
  } catch (error) {
    if (error.status !== 401) view.replaceChildren(h("p", {class: "error"}, error.message));
    return;  // 401: the login form is shown
  }
  route();
}

start();
