// 月度通报: loaded before app.js, which routes to showReport and provides h, getJson, postJson.
"use strict";

async function showReport() {
  return h("p", {class: "muted"}, "月度通报：建设中");
}
