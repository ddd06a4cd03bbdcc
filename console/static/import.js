// 名单导入: loaded before app.js, which routes to showImport and provides h, table, getJson, postJson,
// ApiError, signedOut and state. Upload the handed-over list (the file itself as the request body),
// read the preview, confirm; the confirm writes what the preview showed (the server keeps the
// parsed file under the preview's token).
"use strict";

const IMPORT_MAX_BYTES = 10 * 1024 * 1024;
const IMPORT_COUNTS = [["total", "名单行数"], ["added", "新增"], ["matched", "与台账已有记录匹配"],
  ["repeated", "文件内重复"], ["rejected", "不能导入"]];

async function uploadList(file) {
  let response;
  try {
    response = await fetch("/console/api/import/preview?name=" + encodeURIComponent(file.name), {
      method: "POST", credentials: "same-origin", body: file,
      headers: {Accept: "application/json", "Content-Type": "application/octet-stream", "X-CSRF-Token": state.csrf},
    });
  } catch (error) {
    throw new ApiError(0, "网络连接失败，请稍后再试");
  }
  if (response.status === 401) {
    signedOut();
    throw new ApiError(401, "登录已过期，请重新登录");
  }
  let data = null;
  try { data = await response.json(); } catch (error) { /* not JSON */ }
  if (!response.ok) throw new ApiError(response.status, (data && data.error) || `上传失败（${response.status}）`);
  return data;
}

function importCounts(counts) {
  return h("ul", {class: "counts", id: "import-counts"}, IMPORT_COUNTS.map(([key, label]) =>
    h("li", null, `${label}：`, h("strong", {id: `import-count-${key}`}, String(counts[key])))));
}

function moreRows(total, shown) {
  return total > shown ? h("p", {class: "muted"}, `只列出前 ${shown} 行，共 ${total} 行。`) : null;
}

function importPreview(data, onConfirm) {
  const counts = data.counts;
  const parts = [h("h3", null, `预览：${data.filename}`), importCounts(counts), h("p", {class: "muted", id: "import-note"}, data.note)];
  if (data.rejected.length) {
    parts.push(h("h3", null, "不能导入的行"), table(["行号", "原因"],
      data.rejected.map((r) => h("tr", null, h("td", null, String(r.line)), h("td", {class: "owed"}, r.reason))), {id: "import-rejected"}),
    moreRows(counts.rejected, data.rejected.length));
  }
  if (data.matched.length) {
    parts.push(h("h3", null, "与台账已有记录匹配（不新增）"), table(["行号", "姓名", "登记编号", "已在对话中登记", "将补填"],
      data.matched.map((m) => h("tr", null, h("td", null, String(m.line)), h("td", null, m.name), h("td", null, m.ref || "（其他区）"),
        h("td", null, m.registered ? "是" : "否"), h("td", null, m.fills.length ? m.fills.join("、") : "无（不改动）"))),
      {id: "import-matched"}), moreRows(counts.matched, data.matched.length));
  }
  if (data.repeated.length) {
    parts.push(h("h3", null, "文件内重复的行（只导入第一次出现的）"), table(["行号", "与之重复的行"],
      data.repeated.map((r) => h("tr", null, h("td", null, String(r.line)), h("td", null, `第${r.first_line}行`))), {id: "import-repeated"}),
    moreRows(counts.repeated, data.repeated.length));
  }
  if (data.sample.length) {
    parts.push(h("h3", null, "将新增的行（示例）"), table(["行号", "姓名", "身份证号", "手机号", "学校", "专业", "学历", "毕业年份", "户籍区"],
      data.sample.map((e) => h("tr", null, [e.line, e.name, e.id_number, e.phone, e.school, e.major, e.degree, e.grad_year, e.district]
        .map((value) => h("td", null, value === null || value === undefined ? "" : String(value))))), {id: "import-sample"}),
    moreRows(counts.added, data.sample.length));
  }
  const error = h("p", {class: "error", role: "alert", id: "import-confirm-error"});
  const nothing = counts.added + counts.matched === 0;
  const button = h("button", {type: "button", class: "primary", id: "import-confirm", disabled: nothing},
    `确认导入（新增 ${counts.added} 人，匹配 ${counts.matched} 人）`);
  button.addEventListener("click", async () => {
    button.disabled = true;
    error.textContent = "";
    try {
      onConfirm(await postJson("/import/confirm", {token: data.token}));
    } catch (failure) {
      error.textContent = failure.message;
    }
  });
  parts.push(h("div", {class: "actions"}, button,
    nothing ? h("span", {class: "muted"}, "没有可导入的行。") : h("span", {class: "muted"}, "预览 10 分钟内有效；未确认前不会写入台账。")), error);
  return h("section", {class: "card", id: "import-preview"}, parts);
}

function importBatches(batches) {
  if (!batches.length) return h("p", {class: "muted", id: "import-batches"}, "还没有导入记录。");
  return table(["批次", "文件", "导入人", "区", "行数", "新增", "匹配", "重复", "不能导入", "时间"],
    batches.map((b) => h("tr", null, [b.id, b.filename, b.staff, b.district || "全市", b.total, b.added, b.matched, b.repeated,
      b.rejected, b.created_at].map((value) => h("td", null, String(value))))), {id: "import-batches"});
}

async function showImport(ticket) {
  const user = state.user;
  const batches = await getJson("/import/batches");
  const input = h("input", {type: "file", id: "import-file", accept: ".xlsx,.csv"});
  const button = h("button", {type: "submit", class: "primary", id: "import-upload"}, "上传并预览");
  const error = h("p", {class: "error", role: "alert", id: "import-error"});
  const result = h("p", {class: "ok", id: "import-result", role: "status"});
  const previewArea = h("div", {id: "import-preview-area"});
  const batchArea = h("div", null, importBatches(batches.batches));
  const form = h("form", {class: "card", id: "import-form"}, h("h2", null, "名单导入"),
    h("p", {class: "muted"}, "导入教育部门移交的未就业毕业生名单（.xlsx 或 .csv，最大 10 MB）。表头应包含姓名，以及身份证号或手机号；"
      + "可有学校、专业、学历、毕业年份（届别）、户籍区等列。",
      user.role === "city" ? "" : `区级人员只能导入户籍为${user.district}的行。`),
    field("名单文件", input), h("div", {class: "actions"}, button), error, result);

  const confirmed = async (done) => {
    previewArea.replaceChildren();
    const c = done.counts;
    result.textContent = `已导入（批次 ${done.batch}）：新增 ${c.added} 人，匹配 ${c.matched} 人，文件内重复 ${c.repeated} 行，不能导入 ${c.rejected} 行。`;
    input.value = "";
    try {
      const fresh = await getJson("/import/batches");
      if (current(ticket)) batchArea.replaceChildren(importBatches(fresh.batches));
    } catch (failure) { /* the list refreshes on the next visit */ }
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    result.textContent = "";
    previewArea.replaceChildren();
    const file = input.files && input.files[0];
    if (!file) { error.textContent = "请先选择名单文件"; return; }
    if (file.size > IMPORT_MAX_BYTES) { error.textContent = "文件过大（最大 10 MB），请分成几个文件导入"; return; }
    button.disabled = true;
    button.textContent = "正在读取…";
    try {
      const data = await uploadList(file);
      if (current(ticket)) previewArea.replaceChildren(importPreview(data, confirmed));
    } catch (failure) {
      error.textContent = failure.message;
    } finally {
      button.disabled = false;
      button.textContent = "上传并预览";
    }
  });
  return [form, previewArea, h("section", {class: "card"}, h("h3", null, "最近的导入"), batchArea)];
}
