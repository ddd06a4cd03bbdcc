// 联系跟进: loaded before app.js, which routes to showContacts and provides h, table, field, select,
// pairs, getJson, postJson and route. Two lists (未联系到, 本周到期) of the staff's district (city staff
// choose one), and one graduate's contact history with the form recording an attempt. Every text
// from the server goes into the page as text (h() uses text nodes).
"use strict";

const contactsView = {tab: "unreached", district: "", page: 1, ref: null, saved: false};
const CONTACT_TABS = [["unreached", "未联系到"], ["due", "本周到期"]];

async function showContacts() {
  const params = new URLSearchParams();
  if (state.user.role === "city" && contactsView.district) params.set("district", contactsView.district);
  if (contactsView.tab === "unreached") params.set("page", String(contactsView.page));
  const data = await getJson(`/contacts/${contactsView.tab}?${params}`);
  const lookupError = h("p", {class: "error", role: "alert", id: "contact-lookup-error"});
  let graduate = null;
  if (contactsView.ref) {
    try {
      graduate = await getJson(`/contacts/graduates/${encodeURIComponent(contactsView.ref)}`);
    } catch (failure) {
      if (failure.status === 401) throw failure;
      lookupError.textContent = failure.message;
      contactsView.ref = null;
    }
  }
  const parts = [contactsControls(data, lookupError)];
  if (graduate) parts.push(contactGraduateCard(graduate));
  parts.push(contactsTabs(), contactsList(data));
  return parts;
}

function contactsControls(data, lookupError) {
  const user = state.user;
  const title = h("h2", null, user.role === "city" ? "联系跟进" : `联系跟进（${user.district}）`);
  const controls = [];
  if (user.role === "city") {
    const district = select("contacts-district", [["", "全市"], ...data.lists.districts.map((d) => [d, d])], contactsView.district);
    district.addEventListener("change", () => {
      contactsView.district = district.value;
      contactsView.page = 1;
      route();
    });
    controls.push(field("区", district));
  }
  const ref = h("input", {id: "contact-lookup", maxlength: 20, size: 16, placeholder: "QZ-XXXX-XXXX"});
  const lookup = h("form", {class: "actions", id: "contact-lookup-form"}, h("label", {for: "contact-lookup", class: "inline"}, "按登记编号查找"),
    ref, h("button", {type: "submit"}, "查找"));
  lookup.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = ref.value.trim().toUpperCase();
    if (!value) { lookupError.textContent = "请填写登记编号"; return; }
    openContactGraduate(value);
  });
  return h("section", {class: "card"}, title,
    h("p", {class: "muted"}, `逐一联系名单上的毕业生，记录联系结果和了解到的就业状态。已在线登记的视为已联系上；`
      + `“暂无就业意愿”的不填下次跟进日期时，默认 ${data.lists.no_wish_days} 天后再跟进。`),
    controls.length ? h("div", {class: "grid"}, controls) : null, lookup, lookupError);
}

function openContactGraduate(ref) {
  contactsView.ref = ref;
  contactsView.saved = false;
  route();
}

function contactsTabs() {
  return h("div", {class: "contact-tabs", role: "tablist"}, CONTACT_TABS.map(([tab, label]) => h("button", {
    type: "button", role: "tab", id: `contacts-tab-${tab}`, class: tab === contactsView.tab ? "current" : null,
    "aria-selected": tab === contactsView.tab ? "true" : "false",
    onclick: () => { contactsView.tab = tab; contactsView.page = 1; route(); },
  }, label)));
}

function lastAttempt(row) {
  if (!row.last_date) return "—";
  return `${row.last_date} ${row.last_method || ""}（${row.last_reached ? "联系上" : "未联系上"}）`;
}

function contactsList(data) {
  const due = contactsView.tab === "due";
  const headers = ["登记编号", "姓名", "学校", "居住区", "联系次数", "最近联系"];
  if (due) headers.push("就业状态", "跟进日期");
  headers.push("");
  const rows = data.rows.map((row) => h("tr", {class: "graduate" + (row.overdue_days ? " overdue" : ""), "data-ref": row.ref},
    h("td", null, row.ref), h("td", {class: "name"}, row.name), h("td", {class: "school"}, row.school || ""),
    h("td", null, row.district || ""), h("td", {class: "attempts"}, String(row.attempts)), h("td", {class: "last"}, lastAttempt(row)),
    due ? h("td", null, row.status_label || "—") : null,
    due ? h("td", {class: "due"}, row.due, row.overdue_days ? h("span", {class: "owed"}, `（已逾期 ${row.overdue_days} 天）`) : null) : null,
    h("td", null, h("button", {type: "button", class: "open-graduate", onclick: () => openContactGraduate(row.ref)}, "联系记录"))));
  const heading = due ? `本周到期（截至 ${data.week_end} 周日，逾期的在前）` : `未联系到（共 ${data.total} 人）`;
  const empty = due ? "本周没有到期的跟进。" : "名单上的毕业生都已联系上。";
  const card = h("section", {class: "card", id: "contacts-section"}, h("h3", null, heading),
    rows.length ? table(headers, rows, {id: "contacts-list", "data-tab": contactsView.tab}) : h("p", {class: "muted", id: "contacts-empty"}, empty));
  if (!due) {
    const pages = Math.max(1, Math.ceil(data.total / data.page_size));
    const turn = (page) => { contactsView.page = page; route(); };
    card.appendChild(h("div", {class: "pager"}, h("span", null, `第 ${data.page}/${pages} 页`),
      h("button", {type: "button", disabled: data.page <= 1, onclick: () => turn(data.page - 1)}, "上一页"),
      h("button", {type: "button", disabled: data.page >= pages, onclick: () => turn(data.page + 1)}, "下一页")));
  }
  return card;
}

function contactGraduateCard(data) {
  const g = data.graduate;
  const status = g.status_label ? `${g.status_label}（${g.status_source === "registration" ? "本人线上登记时填写" : g.status_date}）` : "尚不清楚";
  const details = [["登记编号", g.ref], ["姓名", g.name], ["学校", g.school || ""], ["居住区", g.district || ""],
    ["来源", g.source === "import" ? (g.registered ? "名单导入，已在线登记" : "名单导入") : "线上登记"],
    ["联系次数", String(g.attempts)], ["就业状态", status],
    ["下次跟进", g.due ? g.due + (g.overdue_days ? `（已逾期 ${g.overdue_days} 天）` : "") : "—"]];
  const close = h("button", {type: "button", id: "contact-close", onclick: () => { contactsView.ref = null; route(); }}, "关闭");
  const card = h("section", {class: "card", id: "contact-graduate", "data-ref": g.ref},
    h("h3", null, `联系记录：${g.name} ${g.ref}`),
    h("dl", {id: "contact-details"}, details.map(([label, value]) => [h("dt", null, label), h("dd", null, value)])),
    contactForm(data), contactHistory(data.history), h("div", {class: "actions"}, close));
  setTimeout(() => card.scrollIntoView({block: "start"}), 0);
  return card;
}

function contactForm(data) {
  const lists = data.lists;
  const today = data.today;
  const inputs = {
    date: h("input", {type: "date", id: "contact-date", value: today, max: today, required: true}),
    method: select("contact-method", pairs(lists.methods), "phone"),
    reached: select("contact-reached", [["", "请选择"], ["yes", "联系上"], ["no", "未联系上"]], ""),
    status: select("contact-status", [["", "请选择"], ...pairs(lists.statuses)], ""),
    next: h("input", {type: "date", id: "contact-next", min: today}),
    note: h("textarea", {id: "contact-note", maxlength: lists.max_note, class: "contact-note", placeholder: "备注（选填，加密保存）"}),
  };
  const hint = h("p", {class: "muted", id: "contact-next-hint"});
  const message = h("p", {class: contactsView.saved ? "ok" : "error", role: "alert", id: "contact-message"},
    contactsView.saved ? "已保存联系记录。" : "");
  contactsView.saved = false;
  const update = () => {
    const reached = inputs.reached.value === "yes";
    inputs.status.disabled = !reached;
    if (!reached) inputs.status.value = "";
    hint.textContent = inputs.status.value === "no_wish" && !inputs.next.value
      ? `不填下次跟进日期时，默认联系日期 ${lists.no_wish_days} 天后跟进。` : "";
  };
  for (const name of ["reached", "status", "next"]) inputs[name].addEventListener("change", update);
  update();
  const save = h("button", {type: "submit", class: "primary", id: "contact-save"}, "保存联系记录");
  const form = h("form", {id: "contact-form", novalidate: true}, h("h3", null, "记录一次联系"),
    h("div", {class: "grid"}, field("联系日期", inputs.date), field("联系方式", inputs.method), field("是否联系上", inputs.reached),
      field("了解到的就业状态", inputs.status), field("下次跟进日期（选填）", inputs.next)),
    hint, field("备注", inputs.note), h("div", {class: "actions"}, save), message);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.className = "error";
    const problem = contactProblem(inputs, today);
    message.textContent = problem || "";
    if (problem) return;
    save.disabled = true;
    try {
      await postJson(`/contacts/graduates/${encodeURIComponent(data.graduate.ref)}`, {
        date: inputs.date.value, method: inputs.method.value, reached: inputs.reached.value === "yes",
        status: inputs.status.value, next: inputs.next.value, note: inputs.note.value});
      contactsView.saved = true;
      route();
    } catch (failure) {
      message.textContent = failure.message;
      save.disabled = false;
    }
  });
  return form;
}

function contactProblem(inputs, today) {
  // the same rules the server applies (ledger/contacts.py), said before the round trip
  const day = inputs.date.value;
  if (!day) return "请填写联系日期";
  if (day > today) return "联系日期不能晚于今天";
  if (!inputs.reached.value) return "请选择是否联系上";
  if (inputs.reached.value === "yes" && !inputs.status.value) return "联系上时，请选择了解到的就业状态";
  if (inputs.next.value && inputs.next.value <= day) return "下次跟进日期应晚于联系日期";
  return null;
}

function contactHistory(history) {
  if (!history.length) return h("p", {class: "muted", id: "contact-history-empty"}, "还没有联系记录。");
  const rows = history.map((c) => h("tr", {"data-id": c.id}, h("td", null, c.date), h("td", null, c.method_label),
    h("td", {class: "reached"}, c.reached ? "联系上" : "未联系上"), h("td", {class: "status"}, c.status_label || "—"),
    h("td", null, c.next || "—"), h("td", {class: "pre note"}, c.note || ""), h("td", null, c.staff), h("td", null, c.recorded_at)));
  return h("div", null, h("h3", null, "联系记录"),
    table(["联系日期", "方式", "结果", "就业状态", "下次跟进", "备注", "记录人", "记录时间"], rows, {id: "contact-history"}));
}
