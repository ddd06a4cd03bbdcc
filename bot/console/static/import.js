// 名单导入: loaded before app.js, which routes to showImport and provides h, getJson, postJson.
"use strict";

async function showImport() {
  return h("p", {class: "muted"}, "名单导入：建设中");
}
